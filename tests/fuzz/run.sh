#!/bin/sh
# make fuzz: builds every harness tests/fuzz/fuzz_*.c with clang -fsanitize=fuzzer,address,
# undefined into build/fuzz/ and runs each for FUZZ_SECONDS seconds (one after the other),
# on a working corpus build/fuzz/corpus/NAME seeded from tests/fuzz/corpus/NAME and, when
# the shared data is there, from tests/fuzz/seed.sh shared. Crashes go to build/fuzz/findings/.
# Prints one line per harness: executions, seconds, corpus size, and any finding.
#   usage: tests/fuzz/run.sh [SECONDS [SHARED [HARNESS...]]]   (also FUZZ_CC, FUZZ_FLAGS)
cd "$(dirname "$0")/../.." || exit 1
SECS=${1:-60}; SHARED=${2:-../shared}
[ $# -gt 2 ] && shift 2 && HARNESSES="$*"
HARNESSES=${HARNESSES:-"model desc n2p2 xyz inputdata committee"}
CLANG=${FUZZ_CC:-clang}
B=build/fuzz
mkdir -p "$B/findings"
if ! command -v "$CLANG" > /dev/null 2>&1; then echo "fuzz: skipped ($CLANG not found; install clang and libclang-rt-dev)"; exit 0; fi
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$B/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$B/probe.c" -o "$B/probe" > /dev/null 2>&1; then
    echo "fuzz: skipped ($CLANG cannot link -fsanitize=fuzzer: libFuzzer missing, e.g. apt-get install libclang-rt-14-dev)"; exit 0
fi
if [ -d "$SHARED/data" ] && [ ! -d "$B/shared_seeds" ]; then sh tests/fuzz/seed.sh shared "$SHARED" "$B/shared_seeds"; fi
status=0
for h in $HARNESSES; do
    case $h in model|committee) max=16384;; n2p2) max=8192;; *) max=4096;; esac
    # (re)built when missing or older than its sources
    [ -x "$B/fuzz_$h" ] && [ -z "$(find tests/fuzz/fuzz_$h.c tests/fuzz/*.h tests/fuzz/coverage_ignore.txt sannip*.h -newer "$B/fuzz_$h")" ] ||
    $CLANG -std=c99 -O2 -g ${FUZZ_FLAGS:--fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fsanitize-coverage-ignorelist=tests/fuzz/coverage_ignore.txt} \
        tests/fuzz/fuzz_$h.c -o "$B/fuzz_$h" -lm || exit 1
    mkdir -p "$B/corpus/$h"
    seeds="tests/fuzz/corpus/$h"; [ -d "$B/shared_seeds/$h" ] && seeds="$seeds $B/shared_seeds/$h"
    t0=$(date +%s)
    ASAN_OPTIONS="halt_on_error=1:strict_string_checks=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        nice -n 19 "$B/fuzz_$h" -max_total_time="$SECS" -max_len=$max -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 -artifact_prefix="$B/findings/$h-" "$B/corpus/$h" $seeds > "$B/$h.log" 2>&1
    rc=$?; t1=$(date +%s)
    execs=$(grep '^stat::number_of_executed_units' "$B/$h.log" | awk '{print $2}')
    found=$(grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: )|runtime error' "$B/$h.log" | head -n 2 | tr '\n' ' ')
    echo "fuzz_$h: ${execs:-?} executions in $((t1 - t0)) s, corpus $(ls "$B/corpus/$h" | wc -l) files${found:+; FINDING: $found (log $B/$h.log)}"
    [ $rc -ne 0 ] && status=1
done
exit $status
