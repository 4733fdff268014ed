#!/usr/bin/env bash
# POSIX namespace and data operations a shell script does, printed so that a run on a CFS mount
# can be compared line by line with a run on a local folder. Usage: posix.sh DIR
set -u
cd "$1" || exit 2
say() { printf '%s\n' "$*"; }
try() { # run a command, print its exit status and the reason of a failure (errno text)
  local out rc
  out=$("$@" 2>&1); rc=$?
  say "$* -> $rc${out:+ (${out##*: })}"
}
show() { # kind, mode, links and (except for directories) size of each path: no inodes, devices or times
  for p in "$@"; do
    stat -c '%n %F %a %h %s' "$p" 2>&1 | sed -e 's/^stat: //' -e 's/^\(.* directory [0-7]* [0-9]*\) [0-9]*$/\1/'
  done
}

# directories and files
mkdir -p a/b/c && say "mkdir -p ok"
try mkdir a
try rmdir a
printf 'hello\n' > a/f
show a a/b a/f
try cat a/f/x
try mkdir a/f/x

# names
try touch "a/$(head -c 255 /dev/zero | tr '\0' n)"
try touch "a/$(head -c 256 /dev/zero | tr '\0' n)"
rm -f "a/$(head -c 255 /dev/zero | tr '\0' n)"

# symbolic and hard links
ln -s f a/sym && say "symlink: $(readlink a/sym) -> $(cat a/sym)"
ln -s /nowhere/at/all a/dangling && show a/dangling && try cat a/dangling
ln a/f a/hard && show a/f a/hard
rm a/f && show a/hard && say "hard link keeps: $(cat a/hard)"
try ln a/b a/dirlink

# special files
mkfifo a/fifo && show a/fifo

# rename: replace a file, a dir onto an empty dir, refuse non-empty and into itself
printf 'one\n' > a/x; printf 'two\n' > a/y
mv a/x a/y && say "mv replaced: $(cat a/y)"
mkdir a/e1 a/e2 && mv a/e1 a/e2 2>/dev/null; show a/e2
mkdir -p a/full/sub
try mv -T a/e2 a/full
try mv a/b a/b/c/inside

# data: overwrite in the middle, extend past the end (hole reads as zeros), truncate
seq 1 60000 > data.src
cp data.src data
printf 'XYZ' | dd of=data bs=1 seek=1000 conv=notrunc status=none
printf 'END' | dd of=data bs=1 seek=5000000 conv=notrunc status=none
say "sizes: $(stat -c %s data) sum $(cksum < data)"
truncate -s 100 data && say "shrunk: $(stat -c %s data) sum $(cksum < data)"
truncate -s 2000000 data && say "grown: $(stat -c %s data) sum $(cksum < data)"
printf 'tail\n' >> data && say "appended: $(stat -c %s data) sum $(cksum < data)"
: > data && say "emptied: $(stat -c %s data)"

# modes and times
chmod 0751 a/hard && show a/hard
touch -d '2001-02-03 04:05:06.123456789' a/hard && say "mtime: $(stat -c %y a/hard)"
touch -d '2300-01-01 00:00:00.5' a/y && say "mtime: $(stat -c %y a/y)"

# an archive round trip
mkdir -p t/src/d/e && seq 1 3000 > t/src/d/numbers && ln -s d/numbers t/src/link && printf 'x' > t/src/d/e/x
tar cf t.tar -C t src && mkdir t/out && tar xf t.tar -C t/out && diff -r t/src t/out/src && say "tar round trip ok"
say "tar: $(tar tf t.tar | sort | tr '\n' ' ')"
rm -rf t t.tar

# listing and removal
say "ls: $(ls -a a | tr '\n' ' ')"
try rmdir a
rm -rf a data data.src && say "rm -rf ok"
say "left: $(ls -A | tr '\n' ' ')"
