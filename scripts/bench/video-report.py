#!/usr/bin/env python3
"""The table of bench.sh video from its raw results (also to re-read an old run).

  video-report.py RESULTS_DIR STREAM_COUNTS RATE SECONDS
"""
import json
import os
import sys


def ticks(path):
    return {l.split()[0]: int(l.split()[1]) for l in open(path) if l.strip()}


def main():
    out, counts, rate, seconds = sys.argv[1], [int(c) for c in sys.argv[2].split(",")], float(sys.argv[3]), float(sys.argv[4])
    print("| streams (distinct files) | load, MB/s | worst lag | p99 lag | reads later than 0.1 s | last stream's overrun "
          "| storage daemons' CPU | metadata server's CPU | mounts' CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        runs = [json.load(open(os.path.join(out, f))) for f in (f"streams-{n}-a.json", f"streams-{n}-b.json")
                if os.path.exists(os.path.join(out, f))]
        worst = max(r["worst_lag_s"] for r in runs)
        p99 = max(r["p99_lag_s"] for r in runs)
        late = sum(r["late_reads"] for r in runs)
        reads = sum(r["reads"] for r in runs)
        overrun = max(s["elapsed_s"] for r in runs for s in r["per_stream"]) - seconds
        before, after = ticks(f"{out}/cpu-{n}.before"), ticks(f"{out}/cpu-{n}.after")
        t0, t1, hz = (float(x) for x in open(f"{out}/cpu-{n}.wall").read().split())
        cpu = {k: 100.0 * (after[k] - before[k]) / hz / (t1 - t0) for k in after if k in before}
        storage = sum(v for k, v in cpu.items() if k.startswith("ss"))
        mounts = sum(v for k, v in cpu.items() if k.startswith("mount"))
        print(f"| {n} | {n * rate / 1e6:,.0f} | {worst:.2f} s | {p99:.2f} s | {late} of {reads} | {max(0.0, overrun):.1f} s "
              f"| {storage:.0f}% | {cpu.get('meta', 0):.0f}% | {mounts:.0f}% |")


if __name__ == "__main__":
    main()
