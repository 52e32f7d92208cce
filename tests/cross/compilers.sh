#!/bin/sh
# make test-compilers: the tool, every example and every test program (double and float) built
# with clang (-Werror, OpenMP) and with tcc (no OpenMP: tcc has none), then every test program
# run (quick sizes) and the tool trains a model byte-identical to the default compiler's bin/sannip.
# Usage: tests/cross/compilers.sh [COMPILER...] (default: clang tcc). COMPILER_TESTS="model
# train ..." runs only those test programs (double and float; default every one).
# Prints "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
SHARED=$(cd "${SANNIP_SHARED:-../shared}" 2>/dev/null && pwd) || { echo "FAIL no shared data"; echo "0 passed, 1 failed"; exit 1; }
export SANNIP_SHARED="$SHARED" SANNIP_TEST_QUICK="${SANNIP_TEST_QUICK-1}" OMP_WAIT_POLICY=passive
WARN="-std=c99 -Wall -Wextra -pedantic -Wno-unused-function"
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

sources() {  # DIR: "source output flags" for every program
    echo "tools/sannip.c $1/bin/sannip"
    for f in examples/*.c; do n=${f##*/}; echo "$f $1/bin/${n%.c}"; done
    for f in tests/test_*.c; do n=${f##*/}; echo "$f $1/build/${n%.c}"; echo "$f $1/build/${n%.c}_f -DSANNIP_FLOAT"; done
}

for cc in ${*:-clang tcc}; do
    case $cc in
    clang) flags="$WARN -Werror -O2 -fopenmp" ;;
    tcc)   flags="-std=c99 -Wall -Werror" ;;
    *)     flags="$WARN -O2" ;;
    esac
    command -v "$cc" >/dev/null || { bad "$cc missing (apt-get install $cc)"; continue; }
    D=build/cc/$cc; rm -rf "$D"; mkdir -p "$D/bin" "$D/build"
    n=$(sources "$D" | wc -l)
    errs=$(sources "$D" | xargs -P "${CROSS_JOBS:-2}" -L 1 sh -c "$cc $flags \$2 \$0 -o \$1 -lm 2>&1 || echo \"failed: \$0 \$2\"")
    built=$(ls "$D"/bin "$D"/build | grep -vc ':$\|^$')
    if [ -z "$errs" ] && [ "$built" -eq "$n" ]; then ok "$cc: built $n programs without a warning"
    else bad "$cc: $built of $n programs built: $(printf '%s' "$errs" | head -n 20)"; fi
    # every test program, from DIR with the project's tests/ beside it (golden files, inputs)
    ln -s "$ROOT/tests" "$D/tests"
    if [ -n "$COMPILER_TESTS" ]; then progs=$(for t in $COMPILER_TESTS; do echo build/test_$t build/test_${t}_f; done)
    else progs=$(cd "$D" && echo build/test_*); fi
    out=$(cd "$D" && "$ROOT/tests/run.sh" $progs 2>&1)
    printf '%s\n' "$out" | grep -v '^ok ' | sed "s|^|$cc: |"
    line=$(printf '%s\n' "$out" | tail -n 1)
    p=$(printf '%s' "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
    f=$(printf '%s' "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
    # the same training run as the default compiler's tool: the same bytes
    T=$D/ident; mkdir -p "$T"
    awk 'n < 12 { if (left == 0) left = $1 + 2; print; left--; if (left == 0) n++ }' "$SHARED/data/nio_train.xyz" > "$T/nio12.xyz"
    if [ -x bin/sannip ] &&
        bin/sannip train "$T/nio12.xyz" -o "$T/ref.sannip" --quiet --hidden 6,5 --epochs 3 --seed 3 > /dev/null 2>&1 &&
        "$D/bin/sannip" train "$T/nio12.xyz" -o "$T/bp.sannip" --quiet --hidden 6,5 --epochs 3 --seed 3 > "$T/log" 2>&1; then
        if cmp -s "$T/ref.sannip" "$T/bp.sannip"; then ok "$cc: trained model byte-identical to bin/sannip's"
        else bad "$cc: trained model differs from bin/sannip's ($(cmp "$T/ref.sannip" "$T/bp.sannip" | head -n 1))"; fi
    else bad "$cc: training with $D/bin/sannip or bin/sannip failed: $(tail -n 2 "$T/log" 2>/dev/null)"; fi
done
echo "test_compilers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
