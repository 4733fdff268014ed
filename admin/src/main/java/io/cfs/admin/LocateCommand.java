package io.cfs.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.CountInvalidRequest;
import io.cfs.protocol.message.CountReply;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.LocateReply;
import io.cfs.protocol.message.LocateRequest;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.VolumeAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cfs locate FILE}: where a file lives, like mfsfileinfo. */
@Command(name = "locate", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = AdminMain.Version.class,
        description = "Show where a file lives: its pair and mode, the members with their storage systems (up or "
                + "down) and how many of the file's clusters are invalid on each mirror; for a directory, its pin.")
final class LocateCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Parameters(index = "0", paramLabel = "FILE", description = "a file under a CFS mount, or cfs:/PATH")
    String file;

    record Location(String path, long inode, String type, long size, String pair, String mode, List<Member> members,
                    List<ExtentRow> extents) {}

    /** An extent in JSON: file bytes [fileOffset, fileOffset+length) at volumeOffset of the pair's volumes. */
    record ExtentRow(long fileOffset, long length, String pair, long volumeOffset) {}

    record Member(int index, String volume, String storage, boolean up, Long invalidClusters) {}

    @Override
    public Integer call() throws Exception {
        try (ClusterOptions.Cluster c = cluster.connect()) {
            String path = CfsPaths.toCfsPath(file);
            FileAttr attr = CfsPaths.lookup(c.meta, path);
            LocateReply where = c.meta.call(new LocateRequest(attr.inode()), LocateReply.class);
            StatusCommand.Status status = StatusCommand.status(c);
            Map<String, Boolean> up = new TreeMap<>();
            status.storages().forEach(s -> up.put(s.id(), s.up()));
            List<Member> members = new ArrayList<>();
            String mode = "";
            if (!where.pair().isEmpty()) {
                PairSpec pair = c.topology.pair(new PairId(where.pair()));
                mode = pair.mode().name().toLowerCase();
                List<VolumeAddress> volumes = pair.members();
                for (int i = 0; i < volumes.size(); i++) {
                    VolumeAddress v = volumes.get(i);
                    Long invalid = i == 0 ? null : invalidOf(c, pair, i, where.extents());
                    members.add(new Member(i, v.toString(), v.storage().value(),
                            up.getOrDefault(v.storage().value(), false), invalid));
                }
            }
            Location loc = new Location(path, attr.inode(), attr.type().name().toLowerCase(), attr.size(), where.pair(),
                    mode, members, where.extents().stream()
                    .map(e -> new ExtentRow(e.fileOffset(), e.length(), e.pair().value(), e.volumeOffset())).toList());
            if (json) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(loc));
            } else {
                print(loc);
            }
            return 0;
        } catch (CfsException e) {
            System.err.println("cfs locate: " + e.getMessage());
            return 1;
        }
    }

    /** The file's clusters still invalid on one mirror, asked of the master's storage system (or null if it is down). */
    private static Long invalidOf(ClusterOptions.Cluster c, PairSpec pair, int member, List<Extent> extents) {
        long total = 0;
        try {
            for (Extent e : extents) {
                if (e.pair().equals(pair.id())) {
                    total += c.storage(pair.master().storage()).call(
                            new CountInvalidRequest(pair.id(), member, e.volumeOffset(), e.length()), CountReply.class)
                            .count();
                }
            }
            return total;
        } catch (CfsException e) {
            return null;
        }
    }

    private static void print(Location l) {
        System.out.println(l.path() + ": " + l.type() + ", inode " + l.inode() + ", " + Units.bytes(l.size()));
        if (l.pair().isEmpty()) {
            System.out.println("  no pair" + (l.type().equals("directory") ? " pinned (placement by free space)" : ""));
            return;
        }
        System.out.println("  pair " + l.pair() + " (" + l.mode() + ")"
                + (l.type().equals("directory") ? ": new files beneath are placed on it" : ""));
        Table t = new Table("  MEMBER", "VOLUME", "STORAGE", "STATE", "INVALID CLUSTERS");
        for (Member m : l.members()) {
            t.row(m.index() == 0 ? "  master" : "  mirror " + m.index(), m.volume(), m.storage(), m.up() ? "up" : "DOWN",
                    m.index() == 0 ? "-" : m.invalidClusters() == null ? "unknown (master down)"
                            : String.valueOf(m.invalidClusters()));
        }
        t.print(System.out);
        if (!l.extents().isEmpty()) {
            System.out.println("  extents (file offset +length @ pair:volume offset):");
            for (ExtentRow e : l.extents()) {
                System.out.println("    " + e.fileOffset() + " +" + e.length() + " @ " + e.pair() + ":" + e.volumeOffset());
            }
        }
    }
}
