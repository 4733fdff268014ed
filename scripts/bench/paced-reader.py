#!/usr/bin/env python3
"""Video streams as a video server sends them: one paced reader per file.

Each stream opens its file once and reads it at the clip's bitrate in chunks, each chunk due at
its place in the clip's real-time schedule (start + bytes_sent / rate); now and then it seeks to
another point of the file (a viewer skipping), at EOF it starts again. A chunk read after its due
time is late by that much: the stream's lag behind real time. The file is dropped from this
host's page cache at open (a file written through this mount is cached whole) and each chunk
after it is read (posix_fadvise DONTNEED), so every byte comes from the cluster, as it would for
a server whose cache is busy with other files. With --rate 0 each stream reads as fast as it can
(a throughput test, as bench.sh balance runs it: nothing is due, a "lag" is then a read's time).

  paced-reader.py --rate BYTES_PER_S --seconds S [--chunk BYTES] [--seek-every S] [--start-spread S]
                  [--seed N] --out FILE.json PATH...

Writes JSON: per-stream bytes, reads, seeks and worst lag; and over all streams the worst lag,
the 99th percentile of the lags, and the bytes per second delivered.
"""
import argparse
import json
import os
import random
import threading
import time


def stream(index, path, args, begin, results):
    rng = random.Random(args.seed * 1000003 + index)
    start = begin + args.start_spread * index / max(1, len(args.paths))
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        chunks_in_file = max(1, size // args.chunk)
        position = 0
        sent = 0
        reads = seeks = 0
        lags = []
        next_seek = start + rng.expovariate(1 / args.seek_every) if args.seek_every > 0 else float("inf")
        now = time.monotonic()
        if now < start:
            time.sleep(start - now)
        while True:
            now = time.monotonic()
            due = start + sent / args.rate if args.rate else now
            if due - start >= args.seconds:
                break
            if now < due:
                time.sleep(due - now)
            if due >= next_seek:
                position = rng.randrange(chunks_in_file) * args.chunk
                next_seek = due + rng.expovariate(1 / args.seek_every)
                seeks += 1
            if position >= size:
                position = 0
            data = os.pread(fd, args.chunk, position)
            if not data:
                raise OSError(f"{path}: read at {position} of a {size}-byte file returned nothing")
            done = time.monotonic()
            os.posix_fadvise(fd, position, len(data), os.POSIX_FADV_DONTNEED)
            lags.append(max(0.0, done - due))
            position += len(data)
            sent += len(data)
            reads += 1
        results[index] = {"path": path, "bytes": sent, "reads": reads, "seeks": seeks,
                          "worst_lag_s": max(lags, default=0.0), "lags": lags,
                          "elapsed_s": time.monotonic() - start}
    except Exception as e:  # reported in the JSON, not lost in a thread
        results[index] = {"path": path, "error": f"{type(e).__name__}: {e}"}
    finally:
        os.close(fd)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, required=True, help="bytes per second of each stream (the clip's bitrate / 8); 0: as fast as it can")
    p.add_argument("--seconds", type=float, required=True, help="how long each stream plays")
    p.add_argument("--chunk", type=int, default=256 << 10, help="bytes per read (default 256 KiB)")
    p.add_argument("--seek-every", type=float, default=8.0, help="mean seconds between seeks; 0: never (default 8)")
    p.add_argument("--start-spread", type=float, default=2.0, help="streams start evenly over this many seconds (default 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="the JSON report")
    p.add_argument("paths", nargs="+", metavar="PATH")
    args = p.parse_args()
    if args.rate < 0 or args.seconds <= 0 or args.chunk <= 0:
        p.error("--seconds and --chunk must be positive, --rate positive or 0")
    results = [None] * len(args.paths)
    begin = time.monotonic() + 0.2
    threads = [threading.Thread(target=stream, args=(i, path, args, begin, results), daemon=True)
               for i, path in enumerate(args.paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if "error" in r]
    lags = sorted(l for r in results if "lags" in r for l in r.pop("lags"))
    wall = time.monotonic() - begin
    report = {
        "streams": len(args.paths), "rate_bytes_per_s": args.rate, "seconds": args.seconds,
        "worst_lag_s": lags[-1] if lags else None,
        "p99_lag_s": lags[int(0.99 * (len(lags) - 1))] if lags else None,
        "late_reads": sum(1 for l in lags if l > 0.1), "reads": len(lags),
        "bytes_per_s": sum(r.get("bytes", 0) for r in results) / wall,
        "wall_s": wall, "errors": errors, "per_stream": results,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    if errors:
        raise SystemExit(f"paced-reader: {len(errors)} streams failed, first: {errors[0]['error']}")


if __name__ == "__main__":
    main()
