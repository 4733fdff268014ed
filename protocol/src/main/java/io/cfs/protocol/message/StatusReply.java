package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's state: storage systems, pair members (Usage Table counts, invalid clusters, resync rate), client sessions.
 *
 * <p>Body: {@code i32 count, StorageStatus* storages | i32 count, MemberStatus* members | i32 count, SessionStatus* sessions}.
 */
public record StatusReply(List<StorageStatus> storages, List<MemberStatus> members, List<SessionStatus> sessions) implements Message {
    public StatusReply {
        storages = List.copyOf(storages);
        members = List.copyOf(members);
        sessions = List.copyOf(sessions);
    }

    @Override
    public Opcode opcode() {
        return Opcode.STATUS_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(storages.size());
        for (StorageStatus e : storages) {
            e.encode(out);
        }
        out.writeInt(members.size());
        for (MemberStatus e : members) {
            e.encode(out);
        }
        out.writeInt(sessions.size());
        for (SessionStatus e : sessions) {
            e.encode(out);
        }
    }

    public static StatusReply decode(ByteBuf in) {
        return new StatusReply(readStorages(in), readMembers(in), readSessions(in));
    }

    private static List<StorageStatus> readStorages(ByteBuf in) {
        int n = Wire.readCount(in, 43);
        List<StorageStatus> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(StorageStatus.decode(in));
        }
        return list;
    }

    private static List<MemberStatus> readMembers(ByteBuf in) {
        int n = Wire.readCount(in, 34);
        List<MemberStatus> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(MemberStatus.decode(in));
        }
        return list;
    }

    private static List<SessionStatus> readSessions(ByteBuf in) {
        int n = Wire.readCount(in, 22);
        List<SessionStatus> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(SessionStatus.decode(in));
        }
        return list;
    }
}
