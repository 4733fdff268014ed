package io.cfs.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Turns Netty's leak reports into test failures. Netty only logs a leak (when the leaked buffer
 * is garbage collected), so this extension hooks a listener into the ByteBuf leak detector. After
 * each test it fails the test if a leak was reported meanwhile (cheap: no forced collection);
 * after the class it forces collections so that every buffer leaked by the class is reported.
 * Tests also check the reference counts of what they allocate, which attributes leaks exactly.
 * {@link Collecting} forces the collections after each test instead, for tests whose buffers
 * pass through servers and clients, where only that pins a leak on the test that made it.
 * Shared with the other modules' tests through this module's test jar.
 */
public class LeakCheck implements AfterEachCallback, AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
            f.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
            detector.setLeakListener((type, records) -> {
                synchronized (LEAKS) {
                    LEAKS.add(type + " leaked:" + records);
                }
            });
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Returns (and forgets) every leak reported since the last call; with {@code collect}, first
     * forces garbage collections so that unreachable leaked buffers get reported.
     */
    public static List<String> leaks(boolean collect) {
        for (int i = 0; i < (collect ? 3 : 1); i++) {
            if (collect) {
                // The adaptive allocator keeps a reference to the buffer it handed out last on
                // this thread; allocating again lets a leaked one become unreachable.
                ByteBufAllocator.DEFAULT.buffer(1).release();
                System.gc();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // The detector drains its reference queue when it tracks a new buffer.
            UnpooledByteBufAllocator.DEFAULT.heapBuffer(1).release();
        }
        synchronized (LEAKS) {
            List<String> found = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return found;
        }
    }

    /** Forces collections after each test, so that a leak fails the test that made it. */
    public static final class Collecting extends LeakCheck {
        @Override
        public void afterEach(ExtensionContext context) {
            check(true, context);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(false, context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(true, context);
    }

    private static void check(boolean collect, ExtensionContext context) {
        List<String> leaks = leaks(collect);
        if (!leaks.isEmpty()) {
            fail(leaks.size() + " buffer leak(s) reported during " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }
}
