package io.cfs.mount.client;

/** What tests of other packages may look at inside the client. */
public final class ClientAccess {
    private ClientAccess() {}

    /** The pair member (0: master) the Usage Table assigned to an open handle. */
    public static int member(CfsClient client, long handle) {
        return client.member(handle);
    }
}
