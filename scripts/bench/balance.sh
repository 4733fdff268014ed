#!/usr/bin/env bash
# Load balancing over a pair's members (bench.sh balance).
#
#   bench.sh balance [--dir DIR] [--limit BYTES_PER_SEC] [--readers N] [--file-mib M] [--seconds S]
#
# Every volume is limited to --limit disk bytes a second (block-store --volume-bandwidth, default
# 16MiB; the block-stores' cache is off so that every read is charged). Three sync pairs: m0 with
# no mirror, m1 with one, m2 with two, each member on a storage system of its own. N readers
# (default 8) each read a file of their own of M MiB (default 32) on one pair for S seconds
# (default 15): the Usage Table gives each open the least-used member, so the aggregate should
# grow with the number of members (1x, 2x, 3x the limit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
dir="$bench_home/bench-cluster"
limit=16MiB
readers=8
file_mib=32
seconds=15
args="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --readers) readers=$2; shift 2 ;;
    --file-mib) file_mib=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh balance: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench_start balance
trap bench_down EXIT
bench_topology "$out/topology.conf" \
  "pair     m0 mode=sync master=ss1:m0" \
  "pair     m1 mode=sync master=ss2:m1 mirrors=ss3:m1" \
  "pair     m2 mode=sync master=ss3:m2 mirrors=ss1:m2,ss2:m2"
export CFS_BLOCK_STORE_OPTS="--volume-bandwidth $limit --cache-bytes 0"
bench_up "$dir" "$out/topology.conf"

head -c $((file_mib << 20)) /dev/urandom >"$out/source.bin"
for pair in m0 m1 m2; do
  mkdir -p "$bench_mnt/$pair"
  cfs_admin set-pair "$bench_mnt/$pair" "$pair" >/dev/null
  for i in $(seq 1 "$readers"); do cp "$out/source.bin" "$bench_mnt/$pair/f$i.bin"; done
  echo "wrote $readers files on $pair" >&2
done
rm -f "$out/source.bin"

for pair in m0 m1 m2; do
  files=()
  for i in $(seq 1 "$readers"); do files+=("$bench_mnt/$pair/f$i.bin"); done
  python3 "$here/paced-reader.py" --rate 0 --chunk $((1 << 20)) --seek-every 0 --start-spread 0 --seconds "$seconds" \
    --out "$out/$pair.json" "${files[@]}" &
  reading=$!
  sleep 1 # the readers have opened their files by the time the admin command has started
  cfs_admin status --json >"$out/$pair-status.json"
  wait "$reading"
  echo "read $pair" >&2
done

limit_bytes=$(python3 -c 'import re, sys; n, u = re.fullmatch(r"(\d+)([KMG]iB)?", sys.argv[1]).groups(); print(int(n) << {None: 0, "KiB": 10, "MiB": 20, "GiB": 30}[u])' "$limit")
report=$(python3 - "$out" "$limit_bytes" <<'PY'
import json, sys
out, limit = sys.argv[1], int(sys.argv[2])
print(f"| pair | members | opens per member (Usage Table, while reading) | aggregate read, MB/s | members x limit, MB/s | per member, MB/s | vs. no mirror |")
print("|---|---:|---|---:|---:|---:|---:|")
base = None
for pair in ("m0", "m1", "m2"):
    r = json.load(open(f"{out}/{pair}.json"))
    status = json.load(open(f"{out}/{pair}-status.json"))
    opens = next([m["opens"] for m in p["members"]] for p in status["pairs"] if p["id"] == pair)
    mbs = r["bytes_per_s"] / 1e6
    base = base or mbs
    print(f"| {pair} | {len(opens)} | {' / '.join(map(str, opens))} | {mbs:,.1f} | {len(opens) * limit / 1e6:,.1f} | {mbs / len(opens):,.1f} | {mbs / base:.2f}x |")
PY
)
{ printf '\n## Load balancing over mirrors\n\n'; bench_machine balance $args
  printf -- '- every volume limited to %s of disk reads and writes a second (block-store `--volume-bandwidth %s --cache-bytes 0`); %s readers, a %s MiB file each, %s s per pair, one mount\n' \
    "$limit" "$limit" "$readers" "$file_mib" "$seconds"
  printf -- '- raw results: %s\n\n%s\n' "$out" "$report"; } | tee -a "$bench_home/BENCHMARKS.md"
