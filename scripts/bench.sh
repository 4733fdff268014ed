#!/usr/bin/env bash
# Measures CFS on this machine and appends the figures, with the machine, the command and the
# date, to BENCHMARKS.md. Starts its own local cluster under DIR (default ./bench-cluster): for meta
# and fio the one of scripts/bench/fio-cluster.conf, two copies of every byte as the peers keep them
# (an async pair p1 and a sync pair p2, each a master and one mirror on another storage system).
#
#   bench.sh meta  [--dir DIR] [--files N] [--warmup N]
#                                             create/stat/unlink of N small files through the mount
#   bench.sh fio   [--dir DIR] [--size S] [--runtime S] [--runs N] [--warmup N]
#                  [--peers bindfs,raw,moosefs,glusterfs]
#                                             the standard fio suite (../shared/peers/fio-suite.sh) on
#                                             CFS (an async and a sync pair) and on the peers, side by side:
#                                             every target is up at once and the runs alternate them;
#                                             the table gives medians and the ratios to bindfs and the
#                                             best peer (MooseFS or GlusterFS) measured in the run
#                                             (--files N: the small files of the suite, default 2000).
#                                             First --warmup passes (default 1) of the suite on every
#                                             target, peers alike, are not in the medians: a freshly
#                                             started JVM runs its hot paths interpreted until it has
#                                             compiled them (tens of thousands of requests; one pass
#                                             sends about 6,000 writes through FUSE), and a server runs
#                                             warm. The first pass's own figures are reported apart.
#   --port P   the cluster's ports are P..P+3 (default 17400), apart from other clusters on the machine
#   bench.sh video|balance|memory [OPTIONS]   concurrent real-time video streams; read throughput over
#                                             pairs with 0, 1, 2 mirrors under a per-volume bandwidth
#                                             limit; peak memory of each process (see scripts/bench/MODE.sh --help)
#
# Defaults: --dir bench-cluster (beside scripts/) --files 2000 --size 512m --runtime 20 --runs 3 --warmup 1
#           --peers bindfs,raw,moosefs,glusterfs (a peer that cannot be started is measured without)
# Figures on a shared 2-core machine swing by up to 50 percent: compare within one run.
# On a terminal a progress bar shows the runs done, their rate and the time left.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers_dir=${CFS_PEERS_DIR:-$home/../shared/peers}
mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;; esac
case "$mode" in video|balance|memory) exec "$home/scripts/bench/$mode.sh" "$@" ;; esac
dir="$home/bench-cluster"
files=2000
size=512m
runtime=20
runs=3
warmup=1
port=17400
peers="bindfs,raw,moosefs,glusterfs"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$mode" in meta|fio) ;; *) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0" >&2
  echo "bench.sh: expected meta, fio, video, balance or memory first, got '$mode'" >&2; exit 2 ;; esac
if [ "$mode" = fio ] && [ ! -x "$peers_dir/fio-suite.sh" ]; then
  echo "bench.sh: $peers_dir/fio-suite.sh not found: set CFS_PEERS_DIR to the folder of the peers' scripts" >&2
  exit 2
fi

out="$dir/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
command -v python3 >/dev/null && command -v fio >/dev/null || {
  . "$home/scripts/lib/deps.sh"; cfs_install_test_deps; cfs_apt_install python3-minimal; }

# shellcheck source=lib/progress.sh
. "$home/scripts/lib/progress.sh"
cleanup() { "$home/scripts/local-cluster.sh" down --dir "$dir/cluster" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# a fresh cluster of the benchmark topology on ports port..port+2, never meeting another cluster
mkdir -p "$dir"
cleanup; rm -rf "$dir/cluster"
sed -e "s/127\.0\.0\.1:7400/127.0.0.1:$port/" -e "s/127\.0\.0\.1:7401/127.0.0.1:$((port + 1))/" \
  -e "s/127\.0\.0\.1:7402/127.0.0.1:$((port + 2))/" -e "s/127\.0\.0\.1:7403/127.0.0.1:$((port + 3))/" \
  "$home/scripts/bench/fio-cluster.conf" > "$dir/cluster.conf"
"$home/scripts/local-cluster.sh" up --dir "$dir/cluster" --config "$dir/cluster.conf" >/dev/null
mnt="$dir/cluster/mnt"
cfs() { "$home/scripts/cfs" "$@" --config "$dir/cluster/cluster.conf"; }

machine() {
  printf -- '- machine: %s, %s cores, %s GiB RAM, kernel %s\n' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
    "$(awk '/MemTotal/{printf "%d", $2/1048576}' /proc/meminfo)" "$(uname -r)"
  printf -- '- date: %s\n- command: `scripts/bench.sh %s`\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$*"
}

meta_phase() { # DIR N OUTJSON: create+write 4 KiB+close, stat, unlink N files; per-op figures
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys, time, json
d, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
buf = b"x" * 4096
res = {}
tty = sys.stderr.isatty()
def progress(name, done, t0, last):
    # a bar with rate and time left on a terminal (as scripts/lib/progress.sh), a plain line every 10 s otherwise
    now = time.perf_counter()
    if done < n and now - last < (0.1 if tty else 10):
        return last
    rate = done / max(now - t0, 1e-9)
    left = (n - done) / rate if rate > 0 else 0
    line = "%s [%-24s] %3d%%  %d / %d files  %.0f/s  %.0f s left" % (
        name, "#" * (24 * done // n), 100 * done // n, done, n, rate, left)
    sys.stderr.write(("\r" + line + "\033[K" + ("\n" if done == n else "")) if tty else line + "\n")
    return now
def phase(name, fn):
    lat = []
    t0 = last = time.perf_counter()
    for i in range(n):
        a = time.perf_counter(); fn(os.path.join(d, "f%05d" % i)); lat.append(time.perf_counter() - a)
        last = progress(name, i + 1, t0, last)
    tot = time.perf_counter() - t0
    lat.sort()
    res[name] = {"ops": n, "per_second": n / tot, "p99_us": lat[int(0.99 * (n - 1))] * 1e6}
def create(p):
    fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644); os.write(fd, buf); os.close(fd)
phase("create", create)
phase("stat", os.stat)
phase("unlink", os.unlink)
os.rmdir(d)
json.dump(res, open(out, "w"), indent=1)
PY
}

case "$mode" in
  meta)
    for w in $(seq 1 "$warmup"); do meta_phase "$mnt/bench-warmup$w" "$files" "$out/warmup$w.json"; done
    meta_phase "$mnt/bench-meta" "$files" "$out/meta.json"
    report=$(python3 - "$out/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print("| operation (through the mount) | per second | p99 latency |")
print("|---|---:|---:|")
for k in ("create", "stat", "unlink"):
    print(f"| {k} (4 KiB files, one folder) | {m[k]['per_second']:,.0f} | {m[k]['p99_us']/1000:.2f} ms |")
PY
)
    { printf '\n## Metadata operations\n\n'; machine meta --files "$files" --warmup "$warmup"
      printf -- '- after %s unmeasured warm-up pass(es) of the same operations\n\n%s\n' "$warmup" "$report"; } | tee -a "$home/BENCHMARKS.md" ;;
  fio)
    mkdir -p "$mnt/async" "$mnt/sync"
    cfs set-pair "$mnt/async" p1 >/dev/null
    cfs set-pair "$mnt/sync" p2 >/dev/null
    # every target up at once, so that the runs can alternate them (the machine's load drifts)
    declare -A at=([cfs-async]="$mnt/async" [cfs-sync]="$mnt/sync")
    targets="cfs-async cfs-sync"
    up_peers=""
    downs() { for p in $up_peers; do "$peers_dir/down-$p.sh" "$dir/peers" >/dev/null 2>&1 || true; done; cleanup; }
    trap downs EXIT
    for p in ${peers//,/ }; do
      if "$peers_dir/up-$p.sh" "$dir/peers" >"$out/up-$p.log" 2>&1; then
        up_peers="$up_peers $p"; targets="$targets $p"; at[$p]="$dir/peers/$p/mnt"
      else
        echo "bench.sh: $p could not be started (see $out/up-$p.log): measured without it" >&2
      fi
    done
    export SIZE=$size RUNTIME=$runtime NFILES=$files
    set -- $targets
    progress_start "fio suite" $(((warmup + runs) * $#)) runs
    passes=""
    for w in $(seq 1 "$warmup"); do passes="$passes warmup$w"; done
    for r in $(seq 1 "$runs"); do passes="$passes run$r"; done
    for r in $passes; do
      for t in $targets; do
        "$peers_dir/fio-suite.sh" "${at[$t]}" "$out/$t/$r" >/dev/null || progress_print "bench.sh: $t $r failed" >&2
        progress_update $((_progress_done + 1))
      done
    done
    progress_end
    report=$(python3 - "$out" "$runs" "$warmup" <<'PY'
import json, os, statistics, sys
o, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
order = ["cfs-async", "cfs-sync", "bindfs", "raw", "moosefs", "glusterfs"]
def figures(d):
    f = {}
    for n in ["seqwrite", "seqread", "seqread4same", "randread1", "randread4"]:
        j = json.load(open(os.path.join(d, n + ".json")))["jobs"][0]
        s = j["write" if n == "seqwrite" else "read"]
        f[n] = s["bw_bytes"] / 1e6 if n.startswith("seq") else s["iops"]
    m = json.load(open(os.path.join(d, "meta.json")))
    for k in ("create", "stat", "delete"):
        f["meta-" + k] = m[k]["iops"]
    return f
fig = {}
for t in order:
    done = [figures(os.path.join(o, t, f"run{r}")) for r in range(1, runs + 1)
            if os.path.exists(os.path.join(o, t, f"run{r}", "summary.txt"))]
    if done:
        fig[t] = {k: statistics.median(f[k] for f in done) for k in done[0]}
        fig[t]["runs"] = len(done)
targets = [t for t in order if t in fig]
peers = [t for t in ("moosefs", "glusterfs") if t in fig]
rows = [("seqwrite", "seq write 1 MiB, MB/s"), ("seqread", "seq read 1 MiB, MB/s"),
        ("seqread4same", "4 readers of one file, MB/s"), ("randread1", "random 4 KiB read, 1 job, IOPS"),
        ("randread4", "random 4 KiB read, 4 jobs, IOPS"), ("meta-create", "creates/s"),
        ("meta-stat", "stats/s"), ("meta-delete", "deletes/s")]
ratios = []
for c in ("cfs-async", "cfs-sync"):
    if c in fig and "bindfs" in fig:
        ratios.append((f"{c[4:]} / bindfs", c, lambda k: fig["bindfs"][k]))
    if c in fig and peers:
        ratios.append((f"{c[4:]} / best peer", c, lambda k: max(fig[p][k] for p in peers)))
print("| figure (median of runs) | " + " | ".join(targets) + "".join(f" | {r[0]}" for r in ratios) + " |")
print("|---|" + "---:|" * (len(targets) + len(ratios)))
for k, label in rows:
    cells = [f"{fig[t][k]:,.0f}" for t in targets]
    cells += [f"{fig[c][k] / base(k):.2f}" if base(k) else "-" for _, c, base in ratios]
    print(f"| {label} | " + " | ".join(cells) + " |")
print("| runs | " + " | ".join(str(fig[t]["runs"]) for t in targets) + " |" + " |" * len(ratios))
first = {t: figures(os.path.join(o, t, "warmup1")) for t in targets
         if os.path.exists(os.path.join(o, t, "warmup1", "summary.txt"))}
if warmup and first:
    print("\nThe first pass, each target just started (not in the medians above):\n")
    print("| figure (first pass) | " + " | ".join(first) + " |")
    print("|---|" + "---:|" * len(first))
    for k, label in rows:
        print(f"| {label} | " + " | ".join(f"{first[t][k]:,.0f}" for t in first) + " |")
PY
)
    { printf '\n## fio suite (CFS beside its peers)\n\n'
      machine fio --size "$size" --runtime "$runtime" --runs "$runs" --warmup "$warmup" --peers "$peers"
      printf -- '- targets measured: %s (alternating: %s unmeasured warm-up pass(es), then %s runs)\n- raw results: %s\n\n%s\n' "$targets" "$warmup" "$runs" "$out" "$report"
    } | tee -a "$home/BENCHMARKS.md" ;;
esac
