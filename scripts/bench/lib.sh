# Shared by the scripts of scripts/bench/: a local cluster on free ports with a topology of the
# benchmark's own, a second mount (another host), CPU and memory of the cluster's processes, and
# the header of a BENCHMARKS.md section. Sourced, not run.

bench_home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/deps.sh
. "$bench_home/scripts/lib/deps.sh"

bench_deps() { # what the video, balance and memory benchmarks run besides the cluster
  cfs_install_test_deps
  command -v python3 >/dev/null 2>&1 || cfs_apt_install python3-minimal
}

# bench_start NAME: installs what is missing, makes $dir absolute and creates the run's results
# folder $out (DIR/results/NAME-TIME); the caller sets its EXIT trap (bench_down at least).
bench_start() {
  bench_deps
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  out="$dir/results/$1-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_topology FILE PAIR_LINES...: three storage systems and a metadata server on free ports,
# the volumes named by the pair lines (16 GiB sparse files each), then the pair lines.
bench_topology() {
  local file=$1; shift
  {
    echo "cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret"
    echo "metadata address=127.0.0.1:$(free_port) data=meta"
    for ss in ss1 ss2 ss3; do echo "storage  $ss address=127.0.0.1:$(free_port) data=$ss"; done
    printf '%s\n' "$@" | grep -o 'ss[0-9]*:[A-Za-z0-9_-]*' | sort -u | sed 's/^/volume   /; s/$/ capacity=16GiB/'
    printf '%s\n' "$@"
  } >"$file"
}

# bench_default_topology FILE: scripts/local-cluster.conf (three pairs: async with two mirrors on
# other storage systems, sync with one on another and one on its own, async with one on its
# own) on free ports, so that the benchmark never meets another cluster on this machine.
bench_default_topology() {
  local line
  while IFS= read -r line; do
    if [[ $line =~ address=127\.0\.0\.1:[0-9]+ ]]; then
      line=${line/${BASH_REMATCH[0]}/address=127.0.0.1:$(free_port)}
    fi
    printf '%s\n' "$line"
  done <"$bench_home/scripts/local-cluster.conf" >"$1"
}

# bench_up DIR TOPOLOGY: starts the cluster (mounted at DIR/cluster/mnt); bench_down stops it.
bench_up() {
  bench_cluster=$1/cluster
  "$bench_home/scripts/local-cluster.sh" down --dir "$bench_cluster" >/dev/null 2>&1 || true
  rm -rf "$bench_cluster"
  "$bench_home/scripts/local-cluster.sh" up --dir "$bench_cluster" --config "$2" >/dev/null
  bench_mnt=$bench_cluster/mnt
  local name pid
  while read -r name pid; do # up waits for each port to answer; check that it is ours that answers
    kill -0 "$pid" 2>/dev/null || { echo "bench: $name exited after starting:" >&2; tail -n 5 "$bench_cluster/logs/$name.log" >&2; exit 1; }
  done < <(bench_pids)
}

bench_down() {
  bench_unmount2
  [ -z "${bench_cluster:-}" ] || "$bench_home/scripts/local-cluster.sh" down --dir "$bench_cluster" >/dev/null 2>&1 || true
}

cfs_admin() { "$bench_home/scripts/cfs" "$@" --config "$bench_cluster/cluster.conf"; }

# bench_mount2: a second mount (another host) at DIR/cluster/mnt2; its pid in bench_mount2_pid.
bench_mount2() {
  bench_mnt2=$bench_cluster/mnt2
  mkdir -p "$bench_mnt2"
  "$bench_home/scripts/cfs" mount --config "$bench_cluster/cluster.conf" --id bench-host2 "$bench_mnt2" \
    >>"$bench_cluster/logs/mount2.log" 2>&1 </dev/null &
  bench_mount2_pid=$!
  local deadline=$((SECONDS + 60))
  until grep -q " $bench_mnt2 fuse" /proc/self/mounts && [ "$(stat -c %d "$bench_mnt2")" != "$(stat -c %d "$bench_cluster")" ]; do
    kill -0 "$bench_mount2_pid" 2>/dev/null || { echo "bench: the second mount exited; see $bench_cluster/logs/mount2.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "bench: the second mount did not come up in 60 s" >&2; exit 1; }
    sleep 0.2
  done
}

bench_unmount2() {
  [ -n "${bench_mount2_pid:-}" ] || return 0
  kill -TERM "$bench_mount2_pid" 2>/dev/null || true
  wait "$bench_mount2_pid" 2>/dev/null || true
  grep -q " $bench_mnt2 fuse" /proc/self/mounts && fusermount -u -z "$bench_mnt2" 2>/dev/null
  bench_mount2_pid=""
}

# bench_pids: "NAME PID" of each process of the cluster (daemons, mount, mount2 when up).
bench_pids() {
  local f
  for f in "$bench_cluster"/run/*.pid; do echo "$(basename "$f" .pid) $(cat "$f")"; done
  [ -z "${bench_mount2_pid:-}" ] || echo "mount2 $bench_mount2_pid"
}

# bench_cpu_ticks: "NAME TICKS" (user+system clock ticks so far) of each process of the cluster.
bench_cpu_ticks() {
  local name pid
  bench_pids | while read -r name pid; do
    echo "$name $(awk '{print $14 + $15}' "/proc/$pid/stat")"
  done
}

# bench_machine MODE ARGS...: the machine, date and command lines of a BENCHMARKS.md section.
bench_machine() {
  printf -- '- machine: %s, %s cores, %s GiB RAM, kernel %s\n' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
    "$(awk '/MemTotal/{printf "%d", $2/1048576}' /proc/meminfo)" "$(uname -r)"
  printf -- '- date: %s\n- command: `scripts/bench.sh %s`\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$*"
}

# bench_clip FILE SECONDS MBITS: an H.264/AAC clip at a constant bitrate (x264 pads with filler),
# a keyframe each second.
bench_clip() {
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$2" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$2" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 -keyint_min 25 -sc_threshold 0 \
    -b:v "$3M" -minrate "$3M" -maxrate "$3M" -bufsize 2M -x264-params nal-hrd=cbr \
    -c:a aac -b:a 128k "$1"
}

# bench_bytes_per_second FILE: the clip's bitrate (ffprobe) in bytes per second.
bench_bytes_per_second() {
  ffprobe -v error -show_entries format=bit_rate -of default=nw=1:nk=1 "$1" | awk '{printf "%d", $1 / 8}'
}
