package io.cfs.admin;

import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.rpc.RpcClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns what an operator types into a path inside CFS: a file under a CFS mount on this host
 * ({@code /mnt/cfs/movies/a.mp4}), or a path inside CFS written {@code cfs:/movies/a.mp4}.
 */
final class CfsPaths {
    private CfsPaths() {}

    static String toCfsPath(String argument) throws IOException {
        if (argument.startsWith("cfs:")) {
            String p = argument.substring(4);
            return p.isEmpty() || p.equals("/") ? "/" : "/" + p.replaceAll("^/+|/+$", "");
        }
        Path file = Path.of(argument).toAbsolutePath().normalize();
        Path best = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("fuse.cfs")) {
                Path mount = Path.of(f[1].replace("\\040", " "));
                if (file.startsWith(mount) && (best == null || mount.getNameCount() > best.getNameCount())) {
                    best = mount;
                }
            }
        }
        if (best == null) {
            throw new IOException(argument + " is not inside a CFS mount on this host: give a path under a mount, "
                    + "or a path inside CFS as cfs:/PATH");
        }
        return "/" + best.relativize(file).toString();
    }

    /** Looks a CFS path up component by component; returns its attributes. */
    static FileAttr lookup(RpcClient meta, String cfsPath) {
        FileAttr attr = meta.call(new GetAttrRequest(1), AttrReply.class).attr();
        for (String name : cfsPath.split("/")) {
            if (!name.isEmpty()) {
                attr = meta.call(new LookupRequest(attr.inode(), name), AttrReply.class).attr();
            }
        }
        return attr;
    }
}
