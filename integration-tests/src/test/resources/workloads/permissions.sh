#!/usr/bin/env bash
# Permission checks as an unprivileged user (nobody) on files root set up, printed so a run on a
# CFS mount (mounted with allow_other) can be compared with a run on a local folder.
# Usage (as root): permissions.sh DIR
set -u
cd "$1" || exit 2
say() { printf '%s\n' "$*"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# nobody with a supplementary group 4242 (the group of the team files below)
as_member() { setpriv --reuid=65534 --regid=65534 --groups=4242 -- "$@"; }
try() { local out rc; out=$("$@" 2>&1); rc=$?; say "${*#setpriv --reuid=65534 --regid=65534 --clear-groups -- } -> $rc${out:+ (${out##*: })}"; }

mkdir pub priv shared team && chmod 755 pub && chmod 700 priv && chmod 1777 shared && chmod 755 team
printf 'open\n' > pub/o && chmod 644 pub/o
printf 'mine\n' > pub/ro && chmod 600 pub/ro
printf 'secret\n' > priv/s
mkfifo pub/fifo && chmod 600 pub/fifo
printf '#!/bin/sh\necho ran\n' > pub/run && chmod 755 pub/run
printf '#!/bin/sh\necho ran\n' > pub/norun && chmod 644 pub/norun
mkdir pub/through && chmod 711 pub/through && printf 'known\n' > pub/through/name && chmod 644 pub/through/name
printf 'team\n' > team/notes && chgrp 4242 team/notes && chmod 660 team/notes
mkdir team/drop && chgrp 4242 team/drop && chmod 770 team/drop

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
try as_nobody ls pub/through
try as_nobody cat pub/through/name
try as_nobody sh -c 'cd priv'
try as_nobody sh -c 'cd pub/through && cat name'
try as_nobody test -r pub/o
try as_nobody test -w pub/o
try as_nobody test -x pub/run
try as_nobody touch pub/o
try as_nobody touch -d 2020-01-01 pub/o
try as_nobody ln pub/o shared/hard
try as_nobody ln pub/ro shared/hard
try as_nobody mv shared/roots shared/taken
try as_nobody cat team/notes
try as_member cat team/notes
try as_member sh -c 'echo more >> team/notes'
try as_member touch team/drop/new
try as_nobody touch team/drop/other
try as_member chgrp 4242 shared/mine
try as_nobody chgrp 0 shared/mine
stat -c '%n %U %G %a' shared/mine
try as_nobody chmod 2755 shared/mine
stat -c '%n %a' shared/mine
try as_nobody mkdir shared/move shared/move/sub
try as_nobody mv shared/move/sub pub/sub
rm -rf pub priv shared team && say "cleaned"
