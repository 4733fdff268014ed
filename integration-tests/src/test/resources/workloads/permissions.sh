#!/usr/bin/env bash
# Permission checks as an unprivileged user (nobody) on files root set up, printed so a run on a
# CFS mount (mounted with allow_other) can be compared with a run on a local folder.
# Usage (as root): permissions.sh DIR
set -u
cd "$1" || exit 2
say() { printf '%s\n' "$*"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
try() { local out rc; out=$("$@" 2>&1); rc=$?; say "${*#setpriv --reuid=65534 --regid=65534 --clear-groups -- } -> $rc${out:+ (${out##*: })}"; }

mkdir pub priv shared && chmod 755 pub && chmod 700 priv && chmod 1777 shared
printf 'open\n' > pub/o && chmod 644 pub/o
printf 'mine\n' > pub/ro && chmod 600 pub/ro
printf 'secret\n' > priv/s
mkfifo pub/fifo && chmod 600 pub/fifo
printf '#!/bin/sh\necho ran\n' > pub/run && chmod 755 pub/run
printf '#!/bin/sh\necho ran\n' > pub/norun && chmod 644 pub/norun

try as_nobody cat pub/o
try as_nobody cat pub/ro
try as_nobody cat priv/s
try as_nobody ls priv
try as_nobody sh -c 'echo x >> pub/o'
try as_nobody touch pub/new
try as_nobody chmod 666 pub/o
try as_nobody chown 65534 pub/o
try as_nobody sh -c 'echo x > pub/fifo'
try as_nobody pub/run
try as_nobody pub/norun
try as_nobody touch shared/mine
stat -c '%n %U %G %a' shared/mine
try as_nobody chmod 600 shared/mine
stat -c '%n %a' shared/mine
printf 'root\n' > shared/roots
try as_nobody rm shared/roots
try as_nobody mkdir shared/d
try as_nobody rmdir shared/d
rm -rf pub priv shared && say "cleaned"
