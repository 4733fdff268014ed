#!/usr/bin/env bash
# How many concurrent real-time video streams the cluster serves (bench.sh video).
#
#   bench.sh video [--dir DIR] [--streams 8,16,32,64,128] [--seconds S] [--mbits M] [--clip-seconds S]
#
# One H.264/AAC clip (ffmpeg, 1280x720, constant M Mbit/s, default 8: 128 streams are ~133 MB/s)
# is copied into the cluster as one distinct file per stream (the default topology: three pairs,
# files placed by free space). For each stream count, paced-reader.py plays that many files at
# the clip's bitrate for S seconds (default 20), half the streams on each of two mounts (two
# hosts), each with one open and a seek every 8 s on average; it reports the worst lag behind
# real time and the CPU (percent of one core, from /proc/PID/stat) of the daemons and the mounts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
dir="$bench_home/bench-cluster"
counts=8,16,32,64,128
seconds=20
mbits=8
clip_seconds=20
args="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --streams) counts=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --mbits) mbits=$2; shift 2 ;;
    --clip-seconds) clip_seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh video: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_start video
trap bench_down EXIT
bench_default_topology "$out/topology.conf"
bench_up "$dir" "$out/topology.conf"
bench_mount2

max=$(tr ',' '\n' <<<"$counts" | sort -n | tail -1)
clip="$out/clip.mp4"
bench_clip "$clip" "$clip_seconds" "$mbits"
rate=$(bench_bytes_per_second "$clip")
echo "copying $max copies of a $(stat -c %s "$clip")-byte clip ($rate bytes/s) into the cluster" >&2
mkdir -p "$bench_mnt/video"
for i in $(seq 1 "$max"); do cp "$clip" "$bench_mnt/video/s$i.mp4"; done
cfs_admin status --wait-synced --timeout 900 >/dev/null
ticks_per_s=$(getconf CLK_TCK)

# shellcheck source=../lib/progress.sh
. "$bench_home/scripts/lib/progress.sh"
set -- ${counts//,/ }
progress_start "stream counts" $# counts >&2
for n in ${counts//,/ }; do
  files1=() files2=()
  for i in $(seq 1 "$n"); do
    if [ $((i % 2)) -eq 1 ]; then files1+=("$bench_mnt/video/s$i.mp4"); else files2+=("$bench_mnt2/video/s$i.mp4"); fi
  done
  bench_cpu_ticks >"$out/cpu-$n.before"
  t0=$(date +%s.%N)
  pids=()
  python3 "$here/paced-reader.py" --rate "$rate" --seconds "$seconds" --seed 1 --out "$out/streams-$n-a.json" "${files1[@]}" & pids+=($!)
  [ ${#files2[@]} -eq 0 ] || { python3 "$here/paced-reader.py" --rate "$rate" --seconds "$seconds" --seed 2 --out "$out/streams-$n-b.json" "${files2[@]}" & pids+=($!); }
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(date +%s.%N)
  bench_cpu_ticks >"$out/cpu-$n.after"
  echo "$t0 $t1 $ticks_per_s" >"$out/cpu-$n.wall"
  progress_print "$n streams done" >&2
  progress_update $((_progress_done + 1)) >&2
done
progress_end >&2

report=$(python3 "$here/video-report.py" "$out" "$counts" "$rate" "$seconds")
{ printf '\n## Concurrent video streams\n\n'; bench_machine video $args
  printf -- '- clip: H.264/AAC 1280x720, %s Mbit/s (%s bytes/s), %s s; one distinct file per stream on the default topology; %s s per stream count, half the streams on each of two mounts\n' \
    "$mbits" "$rate" "$clip_seconds" "$seconds"
  printf -- '- CPU: percent of one core over the run (user + system, /proc/PID/stat), summed over the three storage systems and over the two mounts\n'
  printf -- '- raw results: %s\n\n%s\n' "$out" "$report"; } | tee -a "$bench_home/BENCHMARKS.md"
