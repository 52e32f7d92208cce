#!/bin/sh
# Runs every test program given as arguments and prints the total "N passed, N failed".
# A program's progress lines (a long test writes them to fd 3 when it is open) show while it
# runs; its output is shown after it, without the "ok" lines.
passed=0; failed=0; broken=""; k=0; start=$(date +%s)
exec 3>&1
for t in "$@"; do
    k=$((k + 1))
    echo "[$k/$# at $(( $(date +%s) - start )) s] $t"
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^ok ' | tail -n 40
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    [ -n "$line" ] || { p=0; f=1; }
    if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ $rc -ne 0 ] && broken="$broken $t"
done
[ -n "$broken" ] && echo "failing programs:$broken"
echo "all $# programs in $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
