# Installs what a fresh Debian machine lacks to build, run and test CFS. Sourced by
# local-cluster.sh and test.sh. Each package is installed only when missing.

cfs_apt_install() {
  local missing=("$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} (apt)" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "${CFS_APT_UPDATED:-}" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    CFS_APT_UPDATED=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# FUSE (libfuse.so.2 for jnr-fuse, fusermount), Java 17 and Maven.
cfs_install_runtime_deps() {
  local missing=()
  ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2 ' || missing+=(libfuse2)
  command -v fusermount >/dev/null 2>&1 || missing+=(fuse3)
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  cfs_apt_install "${missing[@]}"
}

# What the tests use on top: real tools run against the mount.
cfs_install_test_deps() {
  cfs_install_runtime_deps
  local missing=()
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v fio >/dev/null 2>&1 || missing+=(fio)
  command -v cmp >/dev/null 2>&1 || missing+=(diffutils)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)       # NetnsIT: network namespaces, veths, a bridge
  command -v nsenter >/dev/null 2>&1 || missing+=(util-linux) # NetnsIT: start each host's processes in its namespace
  cfs_apt_install "${missing[@]}"
}
