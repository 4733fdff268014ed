package io.cfs.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free TCP ports for the daemons a test starts, each given out once per JVM: the kernel may offer
 * a just-closed port again, and each part of a test cluster needs its own. Shared with the other
 * modules' tests through this module's test jar.
 */
public final class FreePorts {
    private static final Set<Integer> GIVEN_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port nothing listened on just now and that this JVM has not given out before. */
    public static int next() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (GIVEN_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free TCP port on this host", e);
            }
        }
    }
}
