package io.cfs.meta.storage;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.message.StorageStatus;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the metadata server knows of each storage system of the topology: whether it is up, when
 * it last sent a heartbeat, its cache counters, and the resync state of the mirrors of the pairs
 * whose master it holds, as it last reported them. A storage system is up while heartbeats come
 * within the timeout; at start every one is up until the timeout first passes without a heartbeat
 * from it (so opens work right after a restart). Times are the injected clock's milliseconds.
 * Soft state: one entry per storage system of the topology, one mirror status per mirror of the
 * pairs it masters. Not thread-safe: used under the server's lock.
 */
public final class StorageSystems {
    /** A storage system changed state: up again after {@code silentMillis} without heartbeats, or down. */
    public record Transition(StorageId storage, boolean up, long silentMillis) {}

    private static final class State {
        boolean up = true;
        long heard;
        long cacheHits;
        long cacheMisses;
        long cacheBytes;
        /** By pair, then member: bounded by the topology (heartbeats are checked against it). */
        Map<PairId, Map<Integer, MirrorStatus>> mirrors = Map.of();
    }

    private final Topology topology;
    private final long timeoutMillis;
    private final TreeMap<String, State> states = new TreeMap<>();

    /** Every storage system of the topology, up, as if heard from at {@code now}. */
    public StorageSystems(Topology topology, long timeoutMillis, long now) {
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("storage timeout " + timeoutMillis + " ms: expected at least 1");
        }
        this.topology = topology;
        this.timeoutMillis = timeoutMillis;
        for (StorageId id : topology.storages().keySet()) {
            State s = new State();
            s.heard = now;
            states.put(id.value(), s);
        }
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    public boolean isUp(StorageId storage) {
        return state(storage).up;
    }

    /**
     * Records a heartbeat: the storage system is up, with these counters and mirror states (they
     * replace the ones reported before). Checked whole before anything is recorded.
     *
     * @return the transition to up when it was down
     * @throws CfsException INVALID_ARGUMENT for a storage system, pair or member the topology does
     *                      not have, a pair whose master is elsewhere, or a negative counter
     */
    public Optional<Transition> heartbeat(StorageHeartbeatRequest beat, long now) {
        State s = state(beat.storage());
        if (beat.cacheHits() < 0 || beat.cacheMisses() < 0 || beat.cacheBytes() < 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "heartbeat of storage system " + beat.storage()
                    + " has cache counters " + beat.cacheHits() + "/" + beat.cacheMisses() + "/" + beat.cacheBytes()
                    + ": expected non-negative hits, misses and bytes");
        }
        Map<PairId, Map<Integer, MirrorStatus>> mirrors = new HashMap<>();
        for (MirrorStatus m : beat.mirrors()) {
            check(beat.storage(), m);
            mirrors.computeIfAbsent(m.pair(), p -> new HashMap<>()).put(m.member(), m);
        }
        long silent = Math.max(0, now - s.heard);
        boolean wasDown = !s.up;
        s.up = true;
        s.heard = now;
        s.cacheHits = beat.cacheHits();
        s.cacheMisses = beat.cacheMisses();
        s.cacheBytes = beat.cacheBytes();
        s.mirrors = mirrors;
        return wasDown ? Optional.of(new Transition(beat.storage(), true, silent)) : Optional.empty();
    }

    private void check(StorageId storage, MirrorStatus m) {
        PairSpec pair = topology.pairs().get(m.pair());
        String what = "heartbeat of storage system " + storage + " reports mirror " + m.member() + " of pair " + m.pair();
        if (pair == null) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, what + ": the topology has no such pair (pairs "
                    + topology.pairs().keySet().stream().map(PairId::value).sorted().toList() + ")");
        }
        if (!pair.master().storage().equals(storage)) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, what + ": its master " + pair.master()
                    + " is on another storage system; expected only the pairs whose master it holds");
        }
        if (m.member() < 1 || m.member() > pair.mirrors().size()) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, what + ": expected a mirror member in 1.."
                    + pair.mirrors().size());
        }
        if (m.invalidClusters() < 0 || m.copiedBytes() < 0 || m.bytesPerSecond() < 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, what + " with negative counters " + m
                    + ": expected non-negative ones");
        }
    }

    /** Marks down every up storage system not heard from for longer than the timeout; returns those. */
    public List<Transition> check(long now) {
        List<Transition> down = new ArrayList<>();
        for (Map.Entry<String, State> e : states.entrySet()) {
            State s = e.getValue();
            long silent = now - s.heard;
            if (s.up && silent > timeoutMillis) {
                s.up = false;
                down.add(new Transition(new StorageId(e.getKey()), false, silent));
            }
        }
        return down;
    }

    /** The state of a mirror as the storage system holding its pair's master last reported it, if it did. */
    public Optional<MirrorStatus> mirror(PairId pair, int member) {
        State master = state(topology.pair(pair).master().storage());
        return Optional.ofNullable(master.mirrors.getOrDefault(pair, Map.of()).get(member));
    }

    /** Every storage system in id order. */
    public List<StorageStatus> status(long now) {
        List<StorageStatus> out = new ArrayList<>(states.size());
        for (Map.Entry<String, State> e : states.entrySet()) {
            State s = e.getValue();
            out.add(new StorageStatus(new StorageId(e.getKey()), s.up, Math.max(0, now - s.heard), s.cacheHits,
                    s.cacheMisses, s.cacheBytes));
        }
        return out;
    }

    private State state(StorageId storage) {
        State s = states.get(storage.value());
        if (s == null) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "storage system " + storage
                    + " is not in the topology: expected one of " + states.keySet());
        }
        return s;
    }
}
