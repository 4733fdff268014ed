package io.cfs.mount.fuse;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty's (paranoid) leak detector reports a buffer that was collected without
 * being released, in the client or in the in-process cluster: hooks a listener into the detector,
 * forces collections after each test and checks it.
 */
final class LeakCheck implements AfterEachCallback {
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

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(5);
            // the detector drains its reference queue when it tracks a new buffer
            ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.heapBuffer(1);
            probe.release();
        }
        List<String> found;
        synchronized (LEAKS) {
            found = new ArrayList<>(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            fail(found.size() + " buffer leak(s) in (or just before) " + context.getDisplayName() + ":\n"
                    + String.join("\n", found));
        }
    }
}
