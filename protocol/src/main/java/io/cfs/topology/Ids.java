package io.cfs.topology;

import java.util.regex.Pattern;

/** The one rule every id in a topology follows. */
final class Ids {
    static final Pattern ID = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private Ids() {}

    static String check(String kind, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new IllegalArgumentException(kind + " id '" + value
                    + "' is invalid: expected a lowercase letter then up to 31 of [a-z0-9_-]");
        }
        return value;
    }
}
