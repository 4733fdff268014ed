package io.cfs.mount;

import io.cfs.mount.client.CfsClient;
import io.cfs.mount.client.ClientOptions;
import io.cfs.mount.fuse.CfsFuse;
import io.cfs.protocol.CfsException;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cfs mount}: mounts the cluster at a directory through FUSE and serves it until SIGTERM. */
@Command(name = "mount", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Mount a CFS cluster at MOUNTPOINT (runs in the foreground until SIGTERM or unmount).")
public final class MountMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(MountMain.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "cluster topology file")
    Path config;

    @Option(names = "--id", defaultValue = "host", paramLabel = "ID", description = "this client's id (a host name)")
    String id;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "longest wait for any daemon before a call fails with EIO")
    long timeoutSeconds;

    @Option(names = "--attr-cache", defaultValue = "1", paramLabel = "SECONDS",
            description = "how long a stat may show attributes this host fetched before asking again (0: always ask);"
                    + " this host's own changes show at once, and an open always asks")
    double attrCacheSeconds;

    @Option(names = "-o", paramLabel = "OPTIONS", split = ",",
            description = "extra FUSE mount options, comma separated (e.g. allow_other,ro)")
    List<String> extraOptions = new ArrayList<>();

    @Option(names = "--single-threaded", description = "serve FUSE requests on one thread")
    boolean singleThreaded;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "an existing empty directory")
    Path mountPoint;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command; returns the exit code (0 after a clean unmount, 1 failure, 2 bad usage or config). */
    public static int run(String... args) {
        return new CommandLine(new MountMain()).execute(args);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Topology topology;
        try {
            topology = Topology.load(config);
        } catch (TopologyException e) {
            System.err.println("cfs mount: " + e.getMessage());
            return 2;
        }
        if (!(attrCacheSeconds >= 0 && attrCacheSeconds <= 3600)) {
            System.err.println("cfs mount: --attr-cache " + attrCacheSeconds + ": expected 0..3600 seconds");
            return 2;
        }
        Path target = mountPoint.toAbsolutePath().normalize();
        if (!MountPoints.prepare(target)) {
            return 1;
        }
        ClientOptions options = new ClientOptions(Duration.ofSeconds(timeoutSeconds), ClientOptions.DEFAULTS.writeBuffer(),
                ClientOptions.DEFAULTS.readAhead(), ClientOptions.DEFAULTS.entryTtl(),
                Duration.ofMillis(Math.round(attrCacheSeconds * 1000)));
        CfsClient client = new CfsClient(topology, options, Clock.systemUTC(), id);
        try {
            client.getattr("/");
        } catch (CfsException e) {
            System.err.println("cfs mount: the metadata server at " + hostPort(topology)
                    + " does not answer (" + e.getMessage() + "); start it, then mount again");
            client.close();
            return 1;
        }
        if (!java.nio.charset.Charset.defaultCharset().equals(java.nio.charset.StandardCharsets.UTF_8)) {
            // jnr-fuse turns the kernel's path bytes into Strings with the default charset
            log.warn("the default charset is {}, not UTF-8: paths with non-ASCII names will not resolve; run the"
                    + " mount with -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8 (or in a UTF-8 locale)",
                    java.nio.charset.Charset.defaultCharset());
        }
        CfsFuse fs = new CfsFuse(client, topology.blockSize());
        // attr_timeout=0: the kernel asks for attributes each time, so a hard link's count, a size
        // another host committed, or a chmod are seen at once (the page cache is kept separately)
        List<String> fuseArgs = new ArrayList<>(List.of("-o",
                "big_writes,max_read=131072,attr_timeout=0,default_permissions,fsname=cfs,subtype=cfs"));
        for (String o : extraOptions) {
            fuseArgs.add("-o");
            fuseArgs.add(o);
        }
        if (singleThreaded) {
            fuseArgs.add("-s");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("unmounting {} ({})", target, fs.stats());
            fs.umount();
            client.close();
        }, "cfs-unmount"));
        log.info("mounting CFS (metadata server {}) at {} as client {}", hostPort(topology), target, id);
        fs.mount(target, true, false, fuseArgs.toArray(String[]::new));
        log.info("{} unmounted", target);
        return 0;
    }

    private static String hostPort(Topology topology) {
        var a = topology.metadata().address();
        return a.getHostString() + ":" + a.getPort();
    }
}
