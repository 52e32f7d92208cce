#!/bin/sh
# Runs every test program given as arguments and prints the total "N passed, N failed".
# TEST_JOBS programs run at once (default: the number of cores). A program's double and float builds (build/test_x and
# build/test_x_f) write the same scratch files, so they run one after the other in the same
# job; scripts (*.sh, the long ones) start first so that the longest do not run last. Each
# program's output is shown when it ends, without the "ok" lines; the total does not depend
# on the order.
passed=0; failed=0; broken=""; start=$(date +%s); n=$#
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in ''|*[!0-9]*|0) jobs=1 ;; esac
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
exec 3>&1

# the job key of a program: its name without the float build's _f
key() { b=${1##*/}; b=${b%.sh}; echo "${b%_f}"; }

# groups: one line per job, "index index ..." of the programs (1-based), scripts first
k=0; for t in "$@"; do k=$((k + 1)); echo "$k $(key "$t") $t"; done > "$T/list"
for pass in sh bin; do
    while read -r i kk t; do
        case $t in *.sh) [ $pass = sh ] || continue ;; *) [ $pass = bin ] || continue ;; esac
        grep -q " $kk\$" "$T/keys" 2>/dev/null && continue
        echo "$(awk -v kk="$kk" '$2 == kk { printf "%s ", $1 }' "$T/list")$kk" >> "$T/keys"
    done < "$T/list"
done

# run one group: its programs one after the other, each leaving k.out and then k.rc
run_group() {
    for i in $1; do
        [ "$i" = "$2" ] && break
        t=$(awk -v i="$i" '$1 == i { print $3 }' "$T/list")
        "$t" > "$T/$i.out" 2>&1; echo $? > "$T/$i.tmp"; mv "$T/$i.tmp" "$T/$i.rc"
    done
    : > "$T/g.$3.done"
}

# report program i (its output without "ok" lines, its count added to the total)
report() {
    i=$1; t=$(awk -v i="$i" '$1 == i { print $3 }' "$T/list"); rc=$(cat "$T/$i.rc")
    echo "[$i/$n done at $(( $(date +%s) - start )) s] $t"
    grep -v '^ok ' "$T/$i.out" | tail -n 40
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$T/$i.out" | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    [ -n "$line" ] || { p=0; f=1; }
    if [ "$rc" -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ "$rc" -ne 0 ] && broken="$broken $t"
    : > "$T/$i.reported"
}

ng=$(wc -l < "$T/keys"); g=0; running=0; done_n=0
while [ $done_n -lt $n ]; do
    while [ $running -lt "$jobs" ] && [ $g -lt "$ng" ]; do
        g=$((g + 1)); line=$(sed -n "${g}p" "$T/keys"); kk=${line##* }
        run_group "$line" "$kk" "$g" &
        running=$((running + 1))
    done
    sleep 1
    for rf in "$T"/*.rc; do
        [ -e "$rf" ] || continue
        i=${rf##*/}; i=${i%.rc}
        [ -e "$T/$i.reported" ] && continue
        report "$i"; done_n=$((done_n + 1))
    done
    for rf in "$T"/g.*.done; do
        [ -e "$rf" ] || continue
        rm -f "$rf"; running=$((running - 1))
    done
done
wait
[ -n "$broken" ] && echo "failing programs:$broken"
echo "all $n programs in $(( $(date +%s) - start )) s ($jobs at a time)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
