#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks, then runs every test: unit tests and the
# integration tests that start a real cluster and mount it through FUSE.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$home/scripts/lib/deps.sh"
cfs_install_test_deps
cd "$home"
exec mvn -B verify "$@"
