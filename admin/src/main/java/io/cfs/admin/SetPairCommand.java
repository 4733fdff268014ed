package io.cfs.admin;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.SetPairRequest;
import io.cfs.topology.PairId;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cfs set-pair DIR PAIR}: new files beneath DIR are placed on PAIR. */
@Command(name = "set-pair", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = AdminMain.Version.class,
        description = "Pin a directory to a pair: files created beneath it from now on are placed on that pair "
                + "(e.g. hot titles on a pair with more mirrors). Existing files stay where they are.")
final class SetPairCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "DIR", description = "a directory under a CFS mount, or cfs:/PATH")
    String dir;

    @Parameters(index = "1", paramLabel = "PAIR", description = "a pair of the topology, e.g. p2")
    String pair;

    @Override
    public Integer call() throws Exception {
        try (ClusterOptions.Cluster c = cluster.connect()) {
            PairId id = new PairId(pair);
            if (!c.topology.pairs().containsKey(id)) {
                System.err.println("cfs set-pair: pair " + pair + " is not in the topology: expected one of "
                        + c.topology.pairs().keySet());
                return 2;
            }
            String path = CfsPaths.toCfsPath(dir);
            FileAttr attr = CfsPaths.lookup(c.meta, path);
            c.meta.call(new SetPairRequest(attr.inode(), id), OkReply.class);
            System.out.println(path + ": new files are placed on pair " + id + " ("
                    + c.topology.pair(id).mode().name().toLowerCase() + ", " + c.topology.pair(id).mirrors().size()
                    + " mirrors)");
            return 0;
        } catch (CfsException e) {
            System.err.println("cfs set-pair: " + e.getMessage());
            return 1;
        }
    }
}
