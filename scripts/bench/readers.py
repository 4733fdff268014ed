#!/usr/bin/env python3
"""Readers as fast as they can: one thread per file, one open each, sequential reads of --chunk
bytes for --seconds, starting again at EOF. The file is dropped from this host's page cache at
open (a file written through this mount is cached whole) and each chunk after it is read
(posix_fadvise DONTNEED), so every byte comes from the cluster.

  readers.py --seconds S [--chunk BYTES] --out FILE.json PATH...

Writes JSON: bytes per second over all readers and per reader.
"""
import argparse
import json
import os
import threading
import time


def reader(index, path, args, begin, results):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        position = done = 0
        end = begin + args.seconds
        while time.monotonic() < end:
            data = os.pread(fd, args.chunk, position)
            if not data:
                raise OSError(f"{path}: read at {position} of a {size}-byte file returned nothing")
            os.posix_fadvise(fd, position, len(data), os.POSIX_FADV_DONTNEED)
            done += len(data)
            position = position + len(data) if position + len(data) < size else 0
        results[index] = {"path": path, "bytes": done, "bytes_per_s": done / (time.monotonic() - begin)}
    except Exception as e:  # reported in the JSON, not lost in a thread
        results[index] = {"path": path, "error": f"{type(e).__name__}: {e}"}
    finally:
        os.close(fd)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, required=True, help="how long the readers read")
    p.add_argument("--chunk", type=int, default=1 << 20, help="bytes per read (default 1 MiB)")
    p.add_argument("--out", required=True, help="the JSON report")
    p.add_argument("paths", nargs="+", metavar="PATH")
    args = p.parse_args()
    if args.seconds <= 0 or args.chunk <= 0:
        p.error("--seconds and --chunk must be positive")
    results = [None] * len(args.paths)
    begin = time.monotonic()
    threads = [threading.Thread(target=reader, args=(i, path, args, begin, results), daemon=True)
               for i, path in enumerate(args.paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - begin
    errors = [r for r in results if "error" in r]
    report = {"readers": len(args.paths), "wall_s": wall,
              "bytes_per_s": sum(r.get("bytes", 0) for r in results) / wall, "errors": errors, "per_reader": results}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    if errors:
        raise SystemExit(f"readers: {len(errors)} readers failed, first: {errors[0]['error']}")


if __name__ == "__main__":
    main()
