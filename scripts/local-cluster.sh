#!/usr/bin/env bash
# A whole CFS cluster on this machine: a metadata server, the storage systems of the topology
# and a FUSE mount, each a real process. State (volumes, journal, logs, pids) lives under DIR:
# each part logs to DIR/logs/NAME.log (meta, ss1.., mount); the mount's client id is 'local',
# the id of the topology's 'mount local metrics=...' line.
#
#   local-cluster.sh up     [--dir DIR] [--config FILE]   install what is missing, build if needed,
#                                                          start everything, mount at DIR/mnt
#   local-cluster.sh down   [--dir DIR]                    unmount and stop everything (even after a crash)
#   local-cluster.sh status [--dir DIR]                    what runs where
#   local-cluster.sh stop  NAME [--dir DIR]                kill -9 one part (meta, ss1.., mount): a crash
#   local-cluster.sh start NAME [--dir DIR]                start one part again
#
# DIR defaults to ./local-cluster; FILE (first 'up' only) to scripts/local-cluster.conf.
# CFS_BLOCK_STORE_OPTS: extra options for every block-store started (e.g. --volume-bandwidth 16MiB).
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$home/scripts/lib/deps.sh"

die() { echo "local-cluster: $*" >&2; exit 1; }

cmd=${1:-}
[ $# -gt 0 ] && shift
name=""
dir="./local-cluster"
config="$home/scripts/local-cluster.conf"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$name" ] || die "unexpected argument '$1'"; name=$1; shift ;;
  esac
done
case "$cmd" in ""|-h|--help|help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;; esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/cluster.conf"
mnt="$dir/mnt"
logs="$dir/logs"
run="$dir/run"

# ---------------------------------------------------------------- topology helpers
storages() { awk '$1=="storage"{print $2}' "$conf"; }
address_of() { # NAME -> host:port
  if [ "$1" = meta ]; then
    awk '$1=="metadata"{for(i=2;i<=NF;i++) if($i ~ /^address=/){sub("address=","",$i); print $i}}' "$conf"
  else
    awk -v id="$1" '$1=="storage" && $2==id {for(i=3;i<=NF;i++) if($i ~ /^address=/){sub("address=","",$i); print $i}}' "$conf"
  fi
}
metrics_of() { # NAME -> host:port of its metrics= setting, or nothing
  case "$1" in
    meta) awk '$1=="metadata"{for(i=2;i<=NF;i++) if($i ~ /^metrics=/){sub("metrics=","",$i); print $i}}' "$conf" ;;
    mount) awk '$1=="mount" && $2=="local"{for(i=3;i<=NF;i++) if($i ~ /^metrics=/){sub("metrics=","",$i); print $i}}' "$conf" ;;
    *) awk -v id="$1" '$1=="storage" && $2==id {for(i=3;i<=NF;i++) if($i ~ /^metrics=/){sub("metrics=","",$i); print $i}}' "$conf" ;;
  esac
}
parts() { echo meta; storages; echo mount; }
valid_name() {
  local p
  for p in $(parts); do [ "$p" = "$1" ] && return 0; done
  die "unknown part '$1': expected one of $(parts | tr '\n' ' ')"
}

# ---------------------------------------------------------------- process helpers
pid_of() { [ -f "$run/$1.pid" ] && cat "$run/$1.pid" || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
mounted() { grep -q " $(printf '%s' "$mnt" | sed 's/ /\\\\040/g') fuse" /proc/self/mounts; }
mount_ok() { mounted && stat -t "$mnt" >/dev/null 2>&1 && [ "$(stat -c %d "$mnt")" != "$(stat -c %d "$dir")" ]; }

port_open() { # host:port
  local host=${1%:*} port=${1##*:}
  timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

fail_with_log() { # NAME MESSAGE
  echo "local-cluster: $1 $2; the end of $logs/$1.log:" >&2
  tail -n 30 "$logs/$1.log" >&2 || true
  exit 1
}

wait_until() { # NAME SECONDS CHECK...
  local part=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    alive "$part" || fail_with_log "$part" "exited while starting"
    [ $SECONDS -lt $deadline ] || fail_with_log "$part" "did not come up within ${seconds}s"
    sleep 0.2
  done
}

start_part() { # NAME
  local part=$1
  if alive "$part"; then
    [ "$part" != mount ] || mount_ok || die "mount process $(pid_of mount) runs but $mnt is not mounted"
    return 0
  fi
  mkdir -p "$logs" "$run"
  case "$part" in
    meta)
      nohup "$home/scripts/cfs" metadata-server --config "$conf" --id meta >>"$logs/meta.log" 2>&1 </dev/null &
      echo $! >"$run/meta.pid"
      wait_until meta 60 port_open "$(address_of meta)" ;;
    mount)
      if mounted && ! mount_ok; then unmount; fi # a dead mount left by a crash
      mkdir -p "$mnt"
      nohup "$home/scripts/cfs" mount --config "$conf" --id local "$mnt" >>"$logs/mount.log" 2>&1 </dev/null &
      echo $! >"$run/mount.pid"
      wait_until mount 60 mount_ok ;;
    *)
      nohup "$home/scripts/cfs" block-store --config "$conf" --id "$part" ${CFS_BLOCK_STORE_OPTS:-} >>"$logs/$part.log" 2>&1 </dev/null &
      echo $! >"$run/$part.pid"
      wait_until "$part" 60 port_open "$(address_of "$part")" ;;
  esac
}

stop_part() { # NAME SIGNAL
  local part=$1 signal=$2 p
  p=$(pid_of "$part")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "-$signal" "$p" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$p" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$p" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$run/$part.pid"
}

unmount() {
  if mounted; then
    fusermount -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------- build
build_if_needed() {
  [ -n "${CFS_NO_BUILD:-}" ] && return 0
  local stale=""
  for m in metadata-server block-store fs-mount admin; do
    local jar="$home/$m/target/$m.jar"
    if [ ! -f "$jar" ] || [ -n "$(find "$home/protocol" "$home/$m" "$home/pom.xml" -newer "$jar" \
         \( -path '*/src/main/*' -o -name pom.xml \) -type f -print -quit)" ]; then
      stale="$stale $m"
    fi
  done
  if [ -n "$stale" ]; then
    echo "building:$stale" >&2
    (cd "$home" && mvn -B -q -DskipTests package -pl metadata-server,block-store,fs-mount,admin -am) >&2 \
      || die "the build failed (see above)"
  fi
}

# ---------------------------------------------------------------- commands
status() {
  printf '%-7s %-8s %-8s %-22s %s\n' PART STATE PID WHERE METRICS
  for part in $(parts); do
    local state=stopped where
    alive "$part" && state=running
    if [ "$part" = mount ]; then
      where=$mnt
      if mounted && ! mount_ok; then state="dead-mount"; fi
    else
      where=$(address_of "$part")
    fi
    local metrics
    metrics=$(metrics_of "$part")
    printf '%-7s %-8s %-8s %-22s %s\n' "$part" "$state" "$(pid_of "$part")" "$where" \
      "${metrics:+http://$metrics/metrics}"
  done
  echo "logs: $logs   data: $dir   topology: $conf"
}

# The secret file the cluster line names (relative to the topology's folder), created when missing:
# 32 random bytes in base64, readable only by its owner.
make_secret() {
  local secret
  secret=$(awk '$1=="cluster"{for(i=2;i<=NF;i++) if($i ~ /^secret=/){sub("secret=","",$i); print $i}}' "$conf")
  [ -n "$secret" ] || die "$conf: the cluster line has no secret=FILE (e.g. 'cluster secret=cluster.secret')"
  case "$secret" in /*) ;; *) secret="$dir/$secret" ;; esac
  if [ ! -e "$secret" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$secret")
    chmod 600 "$secret"
    echo "created the cluster secret $secret"
  fi
}

case "$cmd" in
  up)
    cfs_install_runtime_deps
    [ -f "$conf" ] || cp "$config" "$conf"
    make_secret
    build_if_needed
    for part in $(parts); do start_part "$part"; done
    status ;;
  down)
    [ -f "$conf" ] || { echo "nothing to stop in $dir"; exit 0; }
    stop_part mount TERM
    unmount
    for part in $(storages | tac) meta; do stop_part "$part" TERM; done
    echo "stopped; data kept in $dir" ;;
  status)
    [ -f "$conf" ] || die "no cluster in $dir (run: $0 up --dir $dir)"
    status ;;
  stop)
    [ -n "$name" ] || die "stop needs a part name"
    valid_name "$name"
    stop_part "$name" KILL ;;
  start)
    [ -n "$name" ] || die "start needs a part name"
    valid_name "$name"
    start_part "$name" ;;
  ""|-h|--help|help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0" ;;
  *) die "unknown command '$cmd': expected up, down, status, stop NAME or start NAME" ;;
esac
