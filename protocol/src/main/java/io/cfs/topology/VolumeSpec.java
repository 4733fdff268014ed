package io.cfs.topology;

/** A fixed-capacity volume on a storage system. */
public record VolumeSpec(VolumeAddress address, long capacity) {}
