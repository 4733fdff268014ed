package io.cfs.topology;

/** How a pair's master copies writes to its mirrors. */
public enum PairMode {
    /** Every mirror has the write before it is acknowledged. */
    SYNC,
    /** The write is acknowledged once the master has it; the Sync Daemon copies it later. */
    ASYNC
}
