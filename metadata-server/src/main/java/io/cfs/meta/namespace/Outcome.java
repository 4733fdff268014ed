package io.cfs.meta.namespace;

/**
 * What applying an operation did.
 *
 * @param inode    the inode the reply is about (the new, existing, changed or removed one)
 * @param orphaned a regular file whose last name this operation removed (0 for none); its blocks
 *                 stay until {@link Operation.FreeOrphan} once no handle holds it open
 */
public record Outcome(long inode, long orphaned) {}
