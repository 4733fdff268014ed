package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What CFS is for: video players reading H.264/AAC files through the mount. Clips made with
 * ffmpeg are copied in through one mount; ffprobe, a full decode and seeks through a second mount
 * (another host, whose kernel has none of the bytes cached, so every byte comes from the storage
 * systems) give exactly what they give on the local copy; eight players at real-time pace on the
 * two mounts are spread over the members of the pair by the Usage Table and each decodes every
 * frame right.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class VideoIT {
    private static final Duration TOOL = Duration.ofMinutes(3);
    /** Clips on the async pair p1 (a master and two mirrors), played by the eight players. */
    private static final List<Clip> PLAYED = List.of(
            new Clip("videos/movie.mp4", 20, "320x240", 25, 3, 48000, 2),
            new Clip("videos/trailer.mkv", 20, "480x270", 30, 2, 44100, 1));
    /** A clip on the sync pair p2, so that both kinds of pair are read. */
    private static final Clip ON_SYNC_PAIR = new Clip("sync/news.mp4", 4, "640x360", 25, 6, 48000, 2);
    /** Seconds to seek to: keyframes (whole seconds) and points between them (decoded from the keyframe before). */
    private static final double[] SEEKS = {0.0, 1.0, 2.52, 3.2};

    /**
     * A clip generated for the test: a GOP of one second, so seeks to whole seconds land on
     * keyframes; constant video bitrate (x264 pads with filler), so each clip spans several 1 MiB
     * blocks and reads and seeks cross block boundaries.
     */
    record Clip(String name, int seconds, String size, int fps, int megabitsPerSecond, int sampleRate, int channels) {}

    private static LocalCluster cluster;
    private static Path local;
    private static Path second;
    private static Process mount2;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("video").up();
        local = cluster.dir.resolve("local");
        Files.createDirectories(cluster.mountPoint.resolve("videos"));
        Files.createDirectories(cluster.mountPoint.resolve("sync"));
        cluster.cfsOk("set-pair", cluster.mountPoint.resolve("videos").toString(), "p1");
        cluster.cfsOk("set-pair", cluster.mountPoint.resolve("sync").toString(), "p2");
        for (Clip clip : all()) {
            Path file = local.resolve(clip.name());
            Files.createDirectories(file.getParent());
            Shell.ok(TOOL, cluster.dir, "ffmpeg", "-nostdin", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=" + clip.size() + ":rate=" + clip.fps() + ":duration=" + clip.seconds(),
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=" + clip.sampleRate() + ":duration=" + clip.seconds(),
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-g", String.valueOf(clip.fps()), "-keyint_min", String.valueOf(clip.fps()), "-sc_threshold", "0",
                    "-b:v", clip.megabitsPerSecond() + "M", "-minrate", clip.megabitsPerSecond() + "M",
                    "-maxrate", clip.megabitsPerSecond() + "M", "-bufsize", "1M", "-x264-params", "nal-hrd=cbr",
                    "-c:a", "aac", "-b:a", "96k", "-ac", String.valueOf(clip.channels()), file.toString());
            Shell.ok(TOOL, cluster.dir, "cp", file.toString(), cluster.mountPoint.resolve(clip.name()).toString());
        }
        second = Files.createDirectories(cluster.dir.resolve("mnt2"));
        mount2 = new ProcessBuilder(LocalCluster.cfs(), "mount", "--config", cluster.topology().toString(),
                "--id", "host2", second.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.dir.resolve("logs/mount2.log").toFile())).start();
        awaitMounted(second, mount2);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (mount2 != null) {
                mount2.destroy(); // SIGTERM: unmounts cleanly
                assertTrue(mount2.waitFor(30, TimeUnit.SECONDS), "second mount did not stop on SIGTERM");
                assertFalse(mountedAt(second), "SIGTERM left the second mount in place");
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    void ffprobeSeesTheSameContainerAndStreamsThroughTheMount() throws Exception {
        for (Clip clip : all()) {
            String expected = probe(local.resolve(clip.name()));
            String actual = probe(mounted(clip));
            assertEquals(expected, actual, clip.name() + ": ffprobe through the mount and on the local copy");
            JsonNode json = new ObjectMapper().readTree(actual);
            List<String> codecs = new ArrayList<>();
            json.get("streams").forEach(s -> codecs.add(s.get("codec_type").asText() + ":" + s.get("codec_name").asText()));
            assertEquals(List.of("video:h264", "audio:aac"), codecs, clip.name() + " streams:\n" + actual);
            double duration = json.get("format").get("duration").asDouble();
            assertEquals(clip.seconds(), duration, 0.1, clip.name() + " duration:\n" + actual);
            assertEquals(clip.size(), json.get("streams").get(0).get("width").asText() + "x"
                    + json.get("streams").get(0).get("height").asText(), clip.name() + " size");
        }
    }

    @Test
    void everyFrameDecodedThroughTheMountEqualsTheLocalDecode() throws Exception {
        for (Clip clip : all()) {
            String expected = frameMd5(local.resolve(clip.name()));
            String actual = frameMd5(mounted(clip));
            assertEquals(clip.seconds() * clip.fps(), videoFrames(expected), clip.name() + " video frames decoded locally");
            assertEquals(expected, actual, clip.name() + ": framemd5 of the whole clip through the mount");
        }
    }

    @Test
    void seeksThroughTheMountDecodeTheSameFramesAsOnTheLocalCopy() throws Exception {
        for (Clip clip : all()) {
            Map<Double, String> seen = new LinkedHashMap<>();
            for (double at : SEEKS) {
                String expected = seekMd5(local.resolve(clip.name()), at);
                String actual = seekMd5(mounted(clip), at);
                assertEquals(5, videoFrames(expected), clip.name() + " -ss " + at + " locally:\n" + expected);
                assertEquals(expected, actual, clip.name() + ": 5 frames after -ss " + at + " through the mount");
                seen.put(at, actual);
            }
            assertEquals(SEEKS.length, seen.values().stream().distinct().count(),
                    clip.name() + ": each seek point should give other frames: " + seen.keySet());
        }
    }

    @Test
    void eightPlayersOnTwoMountsAreSpreadOverThePairsMembers() throws Exception {
        Map<Clip, String> expected = new LinkedHashMap<>();
        for (Clip clip : PLAYED) {
            expected.put(clip, frameMd5(local.resolve(clip.name())));
        }
        List<Process> players = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        List<Path> clips = new ArrayList<>();
        try {
            Path logs = Files.createDirectories(cluster.dir.resolve("players"));
            for (int i = 0; i < 8; i++) {
                Clip clip = PLAYED.get(i % PLAYED.size());
                Path mount = i < 4 ? cluster.mountPoint : second;
                Path out = logs.resolve("player" + i + ".framemd5");
                outputs.add(out);
                clips.add(mount.resolve(clip.name()));
                // -re: read at the clip's own pace, as a player does; every frame is decoded
                players.add(new ProcessBuilder("ffmpeg", "-nostdin", "-v", "error", "-y", "-re",
                        "-i", mount.resolve(clip.name()).toString(), "-map", "0", "-f", "framemd5", out.toString())
                        .redirectErrorStream(true).redirectOutput(logs.resolve("player" + i + ".log").toFile())
                        .start());
            }
            List<Integer> opens = opensOnP1WhilePlaying(players, clips);
            assertEquals(3, opens.size(), "p1 has a master and two mirrors: " + opens);
            assertTrue(opens.stream().allMatch(n -> n >= 2) && opens.stream().mapToInt(n -> n).sum() == 8,
                    "8 players over 3 members, each open given the least-used one: expected 3/3/2, got " + opens);
            for (int i = 0; i < players.size(); i++) {
                Process p = players.get(i);
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "player " + i + " did not finish");
                assertEquals(0, p.exitValue(), "player " + i + ": " + Files.readString(
                        cluster.dir.resolve("players/player" + i + ".log")));
                Clip clip = PLAYED.get(i % PLAYED.size());
                assertEquals(expected.get(clip), Files.readString(outputs.get(i)),
                        "player " + i + " (" + clip.name() + " on " + (i < 4 ? "mount 1" : "mount 2") + ") frames");
            }
            assertEquals(List.of(0, 0, 0), awaitNoOpensOnP1(), "every player closed: the Usage Table is back to zero");
        } finally {
            players.forEach(Process::destroyForcibly);
        }
    }

    // ---------------------------------------------------------------- tools

    private static List<Clip> all() {
        List<Clip> clips = new ArrayList<>(PLAYED);
        clips.add(ON_SYNC_PAIR);
        return clips;
    }

    /**
     * The clip through the second mount, which did not write it, with that host's page cache of
     * it dropped first (GNU dd's documented way: {@code iflag=nocache count=0}), so that what is
     * read comes from the storage systems whatever test ran before.
     */
    private static Path mounted(Clip clip) throws IOException, InterruptedException {
        Path file = second.resolve(clip.name());
        Shell.ok(TOOL, cluster.dir, "dd", "if=" + file, "iflag=nocache", "count=0", "status=none");
        return file;
    }

    private static String probe(Path file) throws IOException, InterruptedException {
        return Shell.ok(TOOL, cluster.dir, "ffprobe", "-v", "error", "-of", "json",
                "-show_entries", "format=format_name,duration,size,bit_rate,nb_streams:"
                        + "stream=index,codec_type,codec_name,profile,width,height,pix_fmt,r_frame_rate,"
                        + "sample_rate,channels,duration,nb_frames,bit_rate",
                file.toString());
    }

    /** The checksum of every decoded frame of every stream. */
    private static String frameMd5(Path file) throws IOException, InterruptedException {
        return Shell.ok(TOOL, cluster.dir, "ffmpeg", "-nostdin", "-v", "error", "-i", file.toString(),
                "-map", "0", "-f", "framemd5", "-");
    }

    /** The checksums of the first 5 video and 5 audio frames decoded after seeking to {@code seconds}. */
    private static String seekMd5(Path file, double seconds) throws IOException, InterruptedException {
        return Shell.ok(TOOL, cluster.dir, "ffmpeg", "-nostdin", "-v", "error", "-ss", String.valueOf(seconds),
                "-i", file.toString(), "-map", "0:v:0", "-map", "0:a:0", "-frames:v", "5", "-frames:a", "5",
                "-f", "framemd5", "-");
    }

    /** Lines of stream 0 (video) in framemd5 output. */
    private static long videoFrames(String framemd5) {
        return framemd5.lines().filter(l -> l.startsWith("0,")).count();
    }

    /** Opens per member of p1 (master first) in {@code cfs status --json}: the Usage Table. */
    private static List<Integer> opensOnP1() throws Exception {
        JsonNode status = new ObjectMapper().readTree(cluster.cfsOk("status", "--json"));
        for (JsonNode pair : status.get("pairs")) {
            if (pair.get("id").asText().equals("p1")) {
                List<Integer> opens = new ArrayList<>();
                pair.get("members").forEach(m -> opens.add(m.get("opens").asInt()));
                return opens;
            }
        }
        throw new AssertionError("no pair p1 in cfs status --json:\n" + status);
    }

    /**
     * Waits until every player holds its clip open (its file descriptors, in /proc), then reads
     * the Usage Table once: every open was granted by then, and the clips play for 20 s, longer
     * than {@code cfs status} takes even on a busy machine.
     */
    private static List<Integer> opensOnP1WhilePlaying(List<Process> players, List<Path> clips) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < players.size(); i++) {
            while (!holdsOpen(players.get(i), clips.get(i))) {
                assertTrue(players.get(i).isAlive(), "player " + i + " ended before it was seen holding " + clips.get(i));
                assertTrue(System.nanoTime() < deadline, "player " + i + " did not open " + clips.get(i) + " within 60 s");
                Thread.sleep(50);
            }
        }
        List<Integer> opens = opensOnP1();
        assertTrue(players.stream().allMatch(Process::isAlive), "a player ended while the Usage Table was read: " + opens);
        return opens;
    }

    private static boolean holdsOpen(Process player, Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + player.pid() + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException e) { // closed meanwhile
                    return false;
                }
            });
        } catch (java.nio.file.NoSuchFileException e) { // the player has exited
            return false;
        }
    }

    /** The kernel sends the last release after the player exits: polls until p1 counts no open. */
    private static List<Integer> awaitNoOpensOnP1() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<Integer> opens = opensOnP1();
        while (opens.stream().anyMatch(n -> n != 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            opens = opensOnP1();
        }
        return opens;
    }

    private static void awaitMounted(Path mountPoint, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!mountedAt(mountPoint) || !Files.isDirectory(mountPoint)) {
            assertTrue(process.isAlive(), "mount at " + mountPoint + " exited with " + (process.isAlive() ? 0 : process.exitValue()));
            assertTrue(System.nanoTime() < deadline, "mount at " + mountPoint + " did not come up within 60 s");
            Thread.sleep(100);
        }
    }

    private static boolean mountedAt(Path mountPoint) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .anyMatch(l -> l.split(" ")[1].equals(mountPoint.toString()));
    }
}
