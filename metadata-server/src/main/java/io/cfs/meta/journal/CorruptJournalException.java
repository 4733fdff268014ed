package io.cfs.meta.journal;

import java.io.IOException;

/** A journal that cannot be replayed safely; the message names the file, the offset and the problem. */
public final class CorruptJournalException extends IOException {
    public CorruptJournalException(String message) {
        super(message);
    }

    public CorruptJournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
