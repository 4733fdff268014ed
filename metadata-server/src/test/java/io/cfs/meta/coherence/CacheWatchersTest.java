package io.cfs.meta.coherence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.CacheNotice;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/** Who is told of which change: the bookkeeping alone, with connections as names. */
class CacheWatchersTest {
    private final List<String> sent = new ArrayList<>();
    private final List<CacheNotice> notices = new ArrayList<>();
    private final CacheWatchers<String> watchers = new CacheWatchers<>(100, (c, n) -> {
        sent.add(c);
        notices.add(n);
    });

    static FileAttr attr(long inode, int nlink) {
        Timespec t = new Timespec(1, 0);
        return new FileAttr(inode, FileType.REGULAR, 0644, nlink, 0, 0, 0, 10, t, t, t);
    }

    private static final LongFunction<FileAttr> ALL_EXIST = inode -> attr(inode, 1);

    @Test
    void aChangeReachesEveryWatcherOfWhatItTouchedAndNobodyElse() {
        watchers.watchAttr("a", 5);
        watchers.watchAttr("b", 5);
        watchers.watchDir("b", 1);
        watchers.watchAttr("c", 6);
        watchers.publish(new CacheWatchers.Changes().inode(5).entry(1, "x"), ALL_EXIST);
        assertEquals(List.of("a", "b"), sent);
        assertEquals(new CacheNotice(List.of(attr(5, 1)), List.of(), List.of()), notices.get(0));
        assertEquals(new CacheNotice(List.of(attr(5, 1)), List.of(), List.of(new CacheNotice.Entry(1, "x"))),
                notices.get(1));

        sent.clear();
        watchers.publish(new CacheWatchers.Changes().inode(7).entry(2, "x"), ALL_EXIST);
        assertEquals(List.of(), sent, "nobody was given inode 7 or a name in directory 2");
    }

    @Test
    void anInodeThatIsGoneIsDroppedAndNoLongerWatched() {
        watchers.watchAttr("a", 5);
        watchers.publish(new CacheWatchers.Changes().inode(5), inode -> null);
        assertEquals(List.of(new CacheNotice(List.of(), List.of(5L), List.of())), notices);
        assertEquals(0, watchers.size());
        watchers.publish(new CacheWatchers.Changes().inode(5), ALL_EXIST);
        assertEquals(1, notices.size());
    }

    @Test
    void aClosedConnectionIsToldNothing() {
        watchers.watchAttr("a", 5);
        watchers.watchDir("a", 1);
        assertEquals(2, watchers.size());
        watchers.forget("a");
        assertEquals(0, watchers.size());
        watchers.publish(new CacheWatchers.Changes().inode(5).entry(1, "x"), ALL_EXIST);
        assertEquals(List.of(), sent);
    }

    @Test
    void aConnectionWatchingTooMuchIsToldToForgetEverythingAndStartsAfresh() {
        for (long i = 1; i <= 100; i++) {
            assertTrue(watchers.watchAttr("a", i));
        }
        assertEquals(List.of(), sent);
        watchers.watchAttr("a", 101);
        assertEquals(List.of("a"), sent);
        assertEquals(CacheNotice.everything(), notices.get(0));
        assertEquals(0, watchers.size(), "it starts afresh");
        watchers.publish(new CacheWatchers.Changes().inode(50), ALL_EXIST);
        assertEquals(1, notices.size(), "what it watched before is not sent any more");
    }

    @Test
    void aLargeChangeIsSentInNoticesThatFitAFrameInOrder() {
        CacheWatchers.Changes changes = new CacheWatchers.Changes();
        CacheWatchers<String> big = new CacheWatchers<>(10_000, (c, n) -> notices.add(n));
        for (long i = 1; i <= 600; i++) {
            big.watchAttr("a", i);
            changes.inode(i);
        }
        big.watchDir("a", 1);
        for (int i = 0; i < 500; i++) {
            changes.entry(1, "n" + i);
        }
        big.publish(changes, inode -> inode % 2 == 0 ? attr(inode, 1) : null);
        assertEquals(3, notices.size());
        assertTrue(notices.stream().allMatch(n -> n.attrs().size() + n.dropped().size() + n.entries().size()
                <= CacheWatchers.MAX_ITEMS));
        List<FileAttr> attrs = notices.stream().flatMap(n -> n.attrs().stream()).toList();
        List<Long> dropped = notices.stream().flatMap(n -> n.dropped().stream()).toList();
        List<CacheNotice.Entry> entries = notices.stream().flatMap(n -> n.entries().stream()).toList();
        assertEquals(300, attrs.size());
        assertEquals(300, dropped.size());
        assertEquals(500, entries.size());
        assertEquals(2, attrs.get(0).inode());
        assertEquals(1, dropped.get(0));
        assertEquals("n499", entries.get(499).name());
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CacheWatchers<String>(0, (c, n) -> { }));
    }

}
