package io.cfs.protocol;

import io.cfs.protocol.message.*;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.function.Function;

/** Every opcode of the CFS protocol, in one place, each with the decoder of its message body. */
public enum Opcode {
    // Both daemons: 0x00xx
    OK(0x0001, OkReply::decode),
    ERROR(0x0002, ErrorReply::decode),
    // Authentication, before any other frame on a connection (see rpc.Handshake)
    AUTH_CHALLENGE(0x0003, AuthChallenge::decode),
    AUTH_RESPONSE(0x0004, AuthResponse::decode),
    AUTH_ACCEPTED(0x0005, AuthAccepted::decode),
    // A liveness probe on an authenticated connection, answered by the RPC layer itself
    PING(0x0006, PingRequest::decode),
    // Metadata server (client to CFS server): 0x01xx
    LOOKUP(0x0101, LookupRequest::decode),
    GET_ATTR(0x0102, GetAttrRequest::decode),
    ATTR(0x0103, AttrReply::decode),
    READ_DIR(0x0104, ReadDirRequest::decode),
    READ_DIR_REPLY(0x0105, ReadDirReply::decode),
    MAKE_DIR(0x0106, MakeDirRequest::decode),
    CREATE_FILE(0x0107, CreateFileRequest::decode),
    REMOVE(0x0108, RemoveRequest::decode),
    RENAME(0x0109, RenameRequest::decode),
    SET_ATTR(0x010A, SetAttrRequest::decode),
    STAT_FS(0x010B, StatFsRequest::decode),
    STAT_FS_REPLY(0x010C, StatFsReply::decode),
    OPEN(0x0110, OpenRequest::decode),
    OPEN_REPLY(0x0111, OpenReply::decode),
    ALLOCATE(0x0112, AllocateRequest::decode),
    LAYOUT(0x0113, LayoutReply::decode),
    COMMIT_WRITE(0x0114, CommitWriteRequest::decode),
    CLOSE(0x0115, CloseRequest::decode),
    SYMLINK(0x0116, SymlinkRequest::decode),
    READ_LINK(0x0117, ReadLinkRequest::decode),
    READ_LINK_REPLY(0x0118, ReadLinkReply::decode),
    LINK(0x0119, LinkRequest::decode),
    MAKE_NODE(0x011A, MakeNodeRequest::decode),
    GET_LAYOUT(0x011B, GetLayoutRequest::decode),
    CREATE_OPEN(0x011C, CreateOpenRequest::decode),
    OPEN_SESSION(0x0120, OpenSessionRequest::decode),
    SESSION(0x0121, SessionReply::decode),
    KEEP_ALIVE(0x0122, KeepAliveRequest::decode),
    SYNC(0x0123, SyncRequest::decode),
    CACHE_NOTICE(0x0124, CacheNotice::decode),
    STORAGE_HEARTBEAT(0x0130, StorageHeartbeatRequest::decode),
    // Administration (the cfs status, locate, set-pair and scrub commands): 0x04xx
    STATUS(0x0401, StatusRequest::decode),
    STATUS_REPLY(0x0402, StatusReply::decode),
    SET_PAIR(0x0403, SetPairRequest::decode),
    LOCATE(0x0404, LocateRequest::decode),
    LOCATE_REPLY(0x0405, LocateReply::decode),
    CHECKSUMS(0x0406, ChecksumRequest::decode),
    CHECKSUMS_REPLY(0x0407, ChecksumReply::decode),
    COUNT_INVALID(0x0408, CountInvalidRequest::decode),
    COUNT(0x0409, CountReply::decode),
    MARK_INVALID(0x040A, MarkInvalidRequest::decode),
    // Block-store (client to storage system): 0x02xx
    READ_DATA(0x0201, ReadDataRequest::decode),
    DATA(0x0202, DataReply::decode),
    WRITE_DATA(0x0203, WriteDataRequest::decode),
    FLUSH(0x0204, FlushRequest::decode),
    VOLUME_INFO(0x0205, VolumeInfoRequest::decode),
    VOLUME_INFO_REPLY(0x0206, VolumeInfoReply::decode),
    // Between storage systems: 0x03xx
    REPLICA_WRITE(0x0301, ReplicaWriteRequest::decode),
    INVALIDATE(0x0302, InvalidateRequest::decode),
    MIRROR_BITMAP(0x0303, MirrorBitmapRequest::decode),
    RENEW_LEASE(0x0304, RenewLeaseRequest::decode),
    LEASE(0x0305, LeaseReply::decode);

    private static final Opcode[] BY_CODE = new Opcode[0x500];

    static {
        for (Opcode op : values()) {
            if (BY_CODE[op.code] != null) {
                throw new ExceptionInInitializerError("opcode 0x" + Integer.toHexString(op.code) + " used twice");
            }
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final Function<ByteBuf, ? extends Message> decoder;

    Opcode(int code, Function<ByteBuf, ? extends Message> decoder) {
        this.code = code;
        this.decoder = decoder;
    }

    public int code() {
        return code;
    }

    /** Decodes a body of this opcode; the buffer is positioned after the frame header. */
    public Message decode(ByteBuf body) {
        return decoder.apply(body);
    }

    /** The opcode for a wire value; an unknown value is a malformed frame. */
    public static Opcode of(int code) {
        Opcode op = find(code);
        if (op == null) {
            throw new CorruptedFrameException("unknown opcode 0x" + Integer.toHexString(code));
        }
        return op;
    }

    /** The opcode for a wire value, or null for an unknown one. */
    public static Opcode find(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
