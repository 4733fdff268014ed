#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks, then runs every test: unit tests and the
# integration tests that start a real cluster and mount it through FUSE.
#
#   test.sh [MAVEN ARGUMENTS...]   e.g. test.sh -Dit.test=FaultIT, or test.sh -pl admin
#
# Arguments go to 'mvn -B verify' (default: none, so every module and test). Needs root for
# apt-get and FUSE (/dev/fuse); takes about 5 minutes on 2 cores.
set -euo pipefail
case "${1:-}" in -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;; esac
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$home/scripts/lib/deps.sh"
cfs_install_test_deps
cd "$home"
exec mvn -B verify "$@"
