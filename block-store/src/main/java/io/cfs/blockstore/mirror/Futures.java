package io.cfs.blockstore.mirror;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for the failures that come out of futures. */
public final class Futures {
    private Futures() {}

    /** The failure inside {@link CompletionException}/{@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A short description of a failure: the CFS error (code and detail) or the exception. */
    public static String describe(Throwable t) {
        Throwable c = unwrap(t);
        return c instanceof CfsException e ? e.toString() : String.valueOf(c);
    }

    /** The failure as a {@link CfsException}, keeping its code, prefixed with {@code context}. */
    public static CfsException wrap(Throwable t, ErrorCode fallback, String context) {
        Throwable c = unwrap(t);
        ErrorCode code = c instanceof CfsException e ? e.code() : fallback;
        return new CfsException(code, context + ": " + describe(c), c);
    }
}
