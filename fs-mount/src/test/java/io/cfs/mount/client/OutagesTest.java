package io.cfs.mount.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.topology.StorageId;
import org.junit.jupiter.api.Test;

class OutagesTest {
    private final StorageId ss1 = new StorageId("ss1");
    private final StorageId ss2 = new StorageId("ss2");

    @Test
    void anOutageIsReportedWhenItStartsAndWhenItEndsOnly() {
        Outages outages = new Outages();
        assertFalse(outages.answered(ss1), "answers with no outage report nothing");
        assertTrue(outages.failed(ss1));
        assertFalse(outages.failed(ss1), "further failures of the same outage");
        assertFalse(outages.failed(ss1));
        assertTrue(outages.failed(ss2), "another storage system's outage is its own");
        assertTrue(outages.answered(ss1));
        assertFalse(outages.answered(ss1));
        assertTrue(outages.failed(ss1), "a new outage after the end of the last one");
        assertTrue(outages.answered(ss2));
    }
}
