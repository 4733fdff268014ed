package io.cfs.topology;

/** A topology file that cannot be used; the message names the file, the line and what was expected. */
public final class TopologyException extends Exception {
    public TopologyException(String message) {
        super(message);
    }
}
