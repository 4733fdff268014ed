#!/usr/bin/env bash
# What build and log scripts do to a folder: unpack a source tarball, search it, sort a large file
# (with the sort's temporary files in the folder too), copy, move, link and remove trees, and append
# log lines from several processes at once. Prints what it finds so that a run on a CFS mount can be
# compared with a run on a local folder; the folder left behind is compared too (diff -r, modes and
# sizes). Usage: shell.sh DIR TARBALL.tar.gz
set -euo pipefail
cd "$1"
tarball=$2
export LC_ALL=C
say() { printf '%s\n' "$*"; }

# unpack a real source tree
mkdir src
tar xzf "$tarball" -C src
say "unpacked: $(find src -type f | wc -l) files, $(find src -type d | wc -l) dirs, $(find src -type l | wc -l) links"

# find and grep over it
say "java files: $(find src -name '*.java' | wc -l), largest: $(find src -type f -printf '%s %P\n' | sort -n | tail -1)"
say "executables: $(find src -type f -perm -u+x -printf '%P\n' | sort | tr '\n' ' ')"
say "newer than the tarball: $(find src -newer "$tarball" -type f | wc -l)"
say "grep -r: $(grep -r -l 'class ' src | sort | md5sum | cut -c1-32) $(grep -r -c 'import ' src | sort | md5sum | cut -c1-32)"
say "grep -rn CfsException: $(grep -rn 'CfsException' src --include='*.java' | wc -l) lines"
say "words: $(cat $(find src -name '*.md' | sort) | tr -cs 'A-Za-z' '\n' | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"

# sort of a large file, its temporary files on the same folder (small buffer: a real merge sort)
mkdir tmp
awk 'BEGIN { srand(7); for (i = 0; i < 2000000; i++) printf "%09d line %d\n", int(rand() * 1e9), i }' > big.txt
sort -S 8M -T tmp big.txt > big.sorted
say "big: $(stat -c %s big.txt) bytes, sorted $(stat -c %s big.sorted) bytes, $(md5sum < big.sorted | cut -c1-32)"
sort -c big.sorted && say "sort -c ok"
say "sort tmp left: $(ls -A tmp | wc -l)"
say "sort -n -k3: $(sort -n -k3 -S 8M -T tmp big.sorted | md5sum | cut -c1-32)"
rm big.txt

# copy, move, link, remove
cp -r src copy
say "cp -r: $(diff -r src copy && echo same)"
cp -a src copy-a
mv copy moved
mv moved/scripts moved/tools
mkdir -p dest/deeper && mv moved dest/deeper/
ln -s dest/deeper/moved/tools tools-link
ln -s ../../src/README.md dest/deeper/readme
ln -s /nonexistent/target dangling
say "through links: $(ls tools-link/ | sort | tr '\n' ' ')| $(head -1 dest/deeper/readme)"
say "readlink: $(readlink tools-link) $(readlink dangling)"
rm -rf copy-a/protocol copy-a/block-store
chmod 700 copy-a/scripts && chmod 640 copy-a/README.md && chmod 2750 copy-a/admin
rm -rf dest/deeper/moved/fs-mount
say "after rm -rf: $(find . -path ./tmp -prune -o -print | wc -l) entries"

# several processes append whole lines to one log with O_APPEND (>>): none lost, none torn
writers=4 lines=300
for w in $(seq 1 $writers); do
  (
    exec 3>>app.log
    for i in $(seq 1 $lines); do
      printf 'writer %d line %05d %s\n' "$w" "$i" "payload-of-writer-$w-padding-to-make-the-line-longer" >&3
    done
  ) &
done
wait
say "log lines: $(wc -l < app.log), well formed: $(grep -c -E '^writer [0-9]+ line [0-9]{5} payload-of-writer-[0-9]+-padding-to-make-the-line-longer$' app.log)"
for w in $(seq 1 $writers); do
  # each writer's lines appear in its own order
  say "writer $w: $(grep "^writer $w " app.log | cut -d' ' -f4 | sort -c && grep -c "^writer $w " app.log)"
done
sort -o app.log app.log # the interleaving differs run to run; the sorted log must not
say "log: $(md5sum < app.log | cut -c1-32)"
