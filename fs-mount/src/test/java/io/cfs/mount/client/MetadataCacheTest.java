package io.cfs.mount.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cfs.protocol.message.CacheNotice;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client's names and attributes: kept, replaced and dropped by notices, never older than the last one. */
class MetadataCacheTest {
    private final AtomicLong nanos = new AtomicLong();
    private final MetadataCache cache = new MetadataCache(Duration.ofSeconds(60), 1000, Duration.ofSeconds(1),
            nanos::get);

    static FileAttr attr(long inode, int nlink) {
        Timespec t = new Timespec(1, 0);
        return new FileAttr(inode, FileType.REGULAR, 0644, nlink, 0, 0, 0, 10, t, t, t);
    }

    static CacheNotice attrs(FileAttr... attrs) {
        return new CacheNotice(List.of(attrs), List.of(), List.of());
    }

    @Test
    void keepsWhatTheServerGaveUntilANoticeChangesIt() {
        cache.heard();
        long mark = cache.mark();
        cache.attr(attr(5, 1), mark);
        cache.name(1, "f", 5, mark);
        assertEquals(attr(5, 1), cache.attr(5));
        assertEquals(5L, cache.inode(1, "f"));

        cache.apply(attrs(attr(5, 2)), true);
        assertEquals(attr(5, 2), cache.attr(5), "a notice's attributes replace them");
        cache.apply(new CacheNotice(List.of(), List.of(5L), List.of(new CacheNotice.Entry(1, "f"))), true);
        assertNull(cache.attr(5), "a dropped inode is gone");
        assertNull(cache.inode(1, "f"), "and so is a changed name");
    }

    @Test
    void anAnswerToARequestSentBeforeANoticeOfTheSameThingIsNotKept() {
        cache.heard();
        long mark = cache.mark(); // the request leaves...
        cache.apply(attrs(attr(5, 2)), true); // ...a change is noticed before its answer is read
        cache.attr(attr(5, 1), mark);
        assertEquals(attr(5, 2), cache.attr(5), "the answer is older than the notice");
        cache.apply(new CacheNotice(List.of(), List.of(), List.of(new CacheNotice.Entry(1, "f"))), true);
        cache.name(1, "f", 5, mark);
        assertNull(cache.inode(1, "f"));

        long later = cache.mark();
        cache.attr(attr(6, 1), mark);
        assertEquals(attr(6, 1), cache.attr(6), "an answer about something no notice touched is kept");
        cache.attr(attr(5, 3), later);
        assertEquals(attr(5, 3), cache.attr(5), "and one asked after the notice");
    }

    @Test
    void forgettingEverythingAlsoRefusesTheAnswersOfRequestsSentBefore() {
        cache.heard();
        long mark = cache.mark();
        cache.attr(attr(5, 1), mark);
        cache.forgetAll();
        assertNull(cache.attr(5));
        cache.attr(attr(6, 1), mark);
        assertNull(cache.attr(6), "sent on a connection that is gone: its notices are lost");
        cache.attr(attr(5, 1), cache.mark());
        cache.apply(CacheNotice.everything(), true);
        assertNull(cache.attr(5), "the server can ask for the same");
    }

    @Test
    void aNoticeFromAnOlderConnectionOnlyDropsWhatItNames() {
        cache.heard();
        cache.attr(attr(5, 1), cache.mark());
        cache.apply(attrs(attr(5, 2)), false);
        assertNull(cache.attr(5), "it may be older than an answer on the new connection");
    }

    @Test
    void nothingIsAnsweredLongerThanTheTrustAfterTheServerWasLastHeard() {
        cache.heard();
        cache.attr(attr(5, 1), cache.mark());
        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        assertEquals(attr(5, 1), cache.attr(5));
        nanos.addAndGet(Duration.ofMillis(2).toNanos());
        assertNull(cache.attr(5), "the connection may have been cut without a word");
        cache.heard();
        assertEquals(attr(5, 1), cache.attr(5), "kept, and answered again once the server is heard");
    }

    @Test
    void entriesAgeOutAndAZeroTimeKeepsNothing() {
        cache.attr(attr(5, 1), cache.mark());
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        cache.heard();
        assertNull(cache.attr(5), "older than the cache time");

        MetadataCache none = new MetadataCache(Duration.ZERO, 1000, Duration.ofSeconds(1), nanos::get);
        none.heard();
        none.attr(attr(5, 1), none.mark());
        none.name(1, "f", 5, none.mark());
        none.apply(attrs(attr(6, 1)), true);
        assertNull(none.attr(5));
        assertNull(none.attr(6));
        assertNull(none.inode(1, "f"));
        assertThrows(IllegalArgumentException.class,
                () -> new MetadataCache(Duration.ofSeconds(-1), 1, Duration.ofSeconds(1), nanos::get));
        assertThrows(IllegalArgumentException.class,
                () -> new MetadataCache(Duration.ofSeconds(1), 1, Duration.ZERO, nanos::get));
    }
}
