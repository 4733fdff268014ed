#!/usr/bin/env bash
# Peak resident memory of each process of the cluster (bench.sh memory).
#
#   bench.sh memory [--dir DIR] [--copy-gib G] [--play-seconds S]
#
# On the default topology with a second mount (another host): first 8 players (ffmpeg -re, the
# packets copied to null: a player's reads without the decoding) stream 8 distinct 8 Mbit/s
# clips of S seconds (default 30), 4 on each mount; then a G GiB file (default 4) of random bytes
# is copied in with cp, the mirrors catch up, and the file is read back with cmp through the
# other mount. VmRSS of every process is sampled twice a second; the report gives each process's
# peak per phase, its VmHWM at the end, and its RSS when half the file was copied against at the
# end (a bounded process stops growing), beside its -Xmx and direct memory limit, and the garbage
# collections (jstat) it ran.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
dir="$bench_home/bench-cluster"
copy_gib=4
play_seconds=30
args="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --copy-gib) copy_gib=$2; shift 2 ;;
    --play-seconds) play_seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh memory: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_start memory
sampler=""
stop_all() { [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true; bench_down; }
trap stop_all EXIT
bench_default_topology "$out/topology.conf"
bench_up "$dir" "$out/topology.conf"
bench_mount2
bench_pids >"$out/pids"
while read -r name pid; do
  tr '\0' '\n' <"/proc/$pid/cmdline" | awk -v n="$name" '/^-Xmx/{x=substr($0,5)} /^-XX:MaxDirectMemorySize=/{d=substr($0,25)} END{print n, x, d}'
done <"$out/pids" >"$out/limits"

clip="$out/clip.mp4"
bench_clip "$clip" "$play_seconds" 8
mkdir -p "$bench_mnt/video"
for i in $(seq 1 8); do
  cp "$clip" "$bench_mnt/video/p$i.mp4"
  dd if="$bench_mnt/video/p$i.mp4" iflag=nocache count=0 status=none # written through this mount: cached whole
done
cfs_admin status --wait-synced --timeout 900 >/dev/null

# every half second: "PHASE SECONDS NAME RSS_KIB" per process
echo idle >"$out/phase"
(
  while :; do
    phase=$(cat "$out/phase")
    while read -r name pid; do
      echo "$phase $SECONDS $name $(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
    done <"$out/pids"
    sleep 0.5
  done
) >"$out/rss" &
sampler=$!
sleep 2

hwm() { while read -r name pid; do echo "$name $(awk '/^VmHWM/{print $2}' "/proc/$pid/status")"; done <"$out/pids"; }

echo play >"$out/phase"
players=()
for i in $(seq 1 8); do
  if [ "$i" -le 4 ]; then m=$bench_mnt; else m=$bench_mnt2; fi
  ffmpeg -nostdin -v error -re -i "$m/video/p$i.mp4" -map 0 -c copy -f null - >"$out/player$i.log" 2>&1 & players+=($!)
done
for p in "${players[@]}"; do wait "$p" || { echo "bench.sh memory: a player failed; see $out/player*.log" >&2; exit 1; }; done
hwm >"$out/hwm-play"

echo "writing a $copy_gib GiB source file" >&2
head -c $((copy_gib << 30)) /dev/urandom >"$out/big.bin"
echo copy >"$out/phase"
cp "$out/big.bin" "$bench_mnt/big.bin"
echo synced >"$out/phase"
cfs_admin status --wait-synced --timeout 1800 >/dev/null
echo readback >"$out/phase"
cmp "$out/big.bin" "$bench_mnt2/big.bin" || { echo "bench.sh memory: the copy differs from its source" >&2; exit 1; }
hwm >"$out/hwm-end"
while read -r name pid; do # collections so far: young count and seconds, full count and seconds
  echo "$name $(jstat -gcutil "$pid" 2>/dev/null | awk 'NR==2{print $7, $8, $9, $10}')"
done <"$out/pids" >"$out/gc"
kill "$sampler"; sampler=""
rm -f "$out/big.bin"

report=$(python3 - "$out" <<'PY'
import sys, collections
out = sys.argv[1]
peak = collections.defaultdict(int)
series = collections.defaultdict(list)
for line in open(f"{out}/rss"):
    f = line.split()
    if len(f) != 4 or not f[3].isdigit():
        continue
    phase, t, name, kib = f[0], int(f[1]), f[2], int(f[3])
    peak[(phase, name)] = max(peak[(phase, name)], kib)
    if phase == "copy":
        series[name].append(kib)
limits = {l.split()[0]: l.split()[1:] for l in open(f"{out}/limits") if l.strip()}
hwm = {l.split()[0]: int(l.split()[1]) for l in open(f"{out}/hwm-end") if l.strip()}
gc = {l.split()[0]: l.split()[1:] for l in open(f"{out}/gc") if l.strip()}
def collections(n):
    g = gc.get(n, [])
    return f"{g[0]} young ({float(g[1]):.1f} s), {g[2]} full ({float(g[3]):.1f} s)" if len(g) == 4 else "-"
names = [l.split()[0] for l in open(f"{out}/pids") if l.strip()]
mib = lambda k: f"{k / 1024:,.0f} MiB"
print("| process | -Xmx / direct limit | idle | 8 players | copying the file in | mirrors catching up | reading it back | VmHWM at the end | RSS half-way through the copy / at its end | garbage collections |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for n in names:
    s = series.get(n, [])
    half = f"{mib(s[len(s) // 2])} / {mib(s[-1])}" if s else "-"
    lim = " / ".join(limits.get(n, ["?", "?"]))
    print(f"| {n} | {lim} | {mib(peak[('idle', n)])} | {mib(peak[('play', n)])} | {mib(peak[('copy', n)])} | "
          f"{mib(peak[('synced', n)])} | {mib(peak[('readback', n)])} | {mib(hwm.get(n, 0))} | {half} | {collections(n)} |")
PY
)
{ printf '\n## Peak memory\n\n'; bench_machine memory $args
  printf -- '- default topology, two mounts (mount: the one written through; mount2: another host); 8 players (`ffmpeg -re -c copy`) on 8 distinct 8 Mbit/s clips of %s s, 4 per mount; then `cp` of a %s GiB file of random bytes through mount, the wait until every mirror is synced, and `cmp` of the file through mount2; peaks of VmRSS sampled twice a second\n' \
    "$play_seconds" "$copy_gib"
  printf -- '- raw results: %s\n\n%s\n' "$out" "$report"; } | tee -a "$bench_home/BENCHMARKS.md"
