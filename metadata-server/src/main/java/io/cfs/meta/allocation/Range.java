package io.cfs.meta.allocation;

/** A run of bytes {@code [offset, offset+length)}: of a file or of a volume, as the context says. */
public record Range(long offset, long length) {
    public Range {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length
                    + ": expected a non-negative offset and a positive length");
        }
    }

    public long end() {
        return offset + length;
    }
}
