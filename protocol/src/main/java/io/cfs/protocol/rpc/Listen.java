package io.cfs.protocol.rpc;

import java.net.BindException;

/** The message a daemon gives when it cannot listen on its address. */
public final class Listen {
    private Listen() {}

    /**
     * Says which address could not be bound, which topology line names it and, for an address in
     * use, how to find the process holding the port.
     *
     * @param address    {@code host:port}
     * @param declaredAt the topology's {@code file:line} of the daemon
     */
    public static String failure(String address, String declaredAt, Throwable cause) {
        String port = address.substring(address.lastIndexOf(':') + 1);
        if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("Address already in use")) {
            return "cannot listen on " + address + " (" + declaredAt + "): port " + port
                    + " is already in use by another process (see it with: ss -ltnp 'sport = :" + port
                    + "'): expected a free port; stop that process or change the address on that line";
        }
        return "cannot listen on " + address + " (" + declaredAt + "): " + cause.getMessage();
    }
}
