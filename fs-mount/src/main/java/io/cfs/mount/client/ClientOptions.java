package io.cfs.mount.client;

import java.time.Duration;

/**
 * Tunables of the CFS client.
 *
 * @param requestTimeout how long any request to a daemon may take before it fails (EIO), so no
 *                       call ever hangs on a dead server
 * @param writeBuffer    bytes of sequential writes coalesced per open file before they leave the host
 * @param readAhead      bytes fetched at once by a read, kept for the next sequential reads
 * @param attrTtl        how long names and attributes the metadata server gave are kept at most
 *                       (it tells the client at once of every change of them: see {@link
 *                       MetadataCache}); 0 keeps none, so every stat and every name asks
 */
public record ClientOptions(Duration requestTimeout, int writeBuffer, int readAhead, Duration attrTtl) {
    public static final ClientOptions DEFAULTS =
            new ClientOptions(Duration.ofSeconds(30), 4 << 20, 1 << 20, Duration.ofSeconds(60));

    public ClientOptions {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout " + requestTimeout + ": expected > 0");
        }
        if (attrTtl.isNegative()) {
            throw new IllegalArgumentException("attribute cache time " + attrTtl + ": expected >= 0");
        }
        if (writeBuffer < 4096 || writeBuffer > io.cfs.protocol.MessageCodec.MAX_DATA) {
            throw new IllegalArgumentException("write buffer " + writeBuffer + ": expected 4096.."
                    + io.cfs.protocol.MessageCodec.MAX_DATA);
        }
        if (readAhead < 4096 || readAhead > io.cfs.protocol.MessageCodec.MAX_DATA) {
            throw new IllegalArgumentException("read-ahead " + readAhead + ": expected 4096.."
                    + io.cfs.protocol.MessageCodec.MAX_DATA);
        }
    }
}
