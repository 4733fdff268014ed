#!/usr/bin/env bash
# The permission checks a user meets on its own files and folders (mode bits it set itself), printed
# so that a run on a CFS mount only that user reaches (where CFS checks permissions, not the
# kernel) can be compared with a run on a local folder. Run as an unprivileged user.
# Usage: permissions-own.sh DIR
set -u
cd "$1" || exit 2
say() { printf '%s\n' "$*"; }
try() { local out rc; out=$("$@" 2>&1); rc=$?; say "$* -> $rc${out:+ (${out##*: })}"; }

mkdir d && printf 'mine\n' > d/f
chmod 000 d/f
try cat d/f
try sh -c 'echo x >> d/f'
try test -r d/f
try test -w d/f
chmod 444 d/f
try cat d/f
try sh -c 'echo x >> d/f'
try truncate -s 0 d/f
try touch d/f
try touch -d 2020-01-01 d/f
stat -c '%n %s %y' d/f
chmod 644 d/f
chmod 500 d
try touch d/new
try rm d/f
try mkdir d/sub
try mv d/f d/g
try ls d
chmod 600 d
try ls d
try cat d/f
try stat -c %s d/f
try sh -c 'cd d'
chmod 300 d
try ls d
try cat d/f
chmod 700 d
printf '#!/bin/sh\necho ran\n' > run
chmod 644 run
try ./run
chmod 744 run
try ./run
try test -x run
try chmod 2755 run
stat -c '%n %a' run
try chown 0 run
try chgrp 0 run
try ln run hard
stat -c '%n %h' run
rm -rf d run hard && say "cleaned"
