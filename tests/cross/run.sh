#!/bin/sh
# make test-cross: the core tests cross-compiled for big-endian s390x and 32-bit i386 and armhf
# and run under qemu-user, double and float, then the tool on the target against x86-64's tool:
# trained model files and imported n2p2 models byte-identical, predictions within 1e-12
# relative. Usage: tests/cross/run.sh [TARGET...] (default: s390x i386 armhf).
# SANNIP_TEST_QUICK=0 runs the tests at full size (about 40x slower than quick under qemu).
# i386 is built with -msse2 -mfpmath=sse (x87 excess precision cannot reproduce x86-64's bits)
# and without OpenMP (qemu-i386 runs libgomp's 64-bit atomics one thread at a time, ~50x
# slower); s390x uses OpenMP, armhf (VFPv3, no fused multiply-add) does not. test_math checks
# the library's own exp/log/sin/cos bits, the rest depends on them. Prints "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
SHARED=$(cd "${SANNIP_SHARED:-../shared}" 2>/dev/null && pwd) || { echo "FAIL no shared data"; echo "0 passed, 1 failed"; exit 1; }
TESTS=${CROSS_TESTS:-math descriptors n2p2 model train mc}  # built double
TESTS_F=${CROSS_FLOAT_TESTS-$TESTS}                          # built float (SANNIP_FLOAT)
WARN="-std=c99 -Wall -Wextra -pedantic -Wno-unused-function"
XCFLAGS=${CROSS_CFLAGS:--O3}
JOBS=${CROSS_JOBS:-2}
PARTS=${CROSS_PARTS:-build tests tool}   # any of: build (cross-compile), tests, tool (against x86-64's)
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
export SANNIP_SHARED="$SHARED" SANNIP_TEST_QUICK="${SANNIP_TEST_QUICK-1}" OMP_WAIT_POLICY=passive

target_vars() {  # TARGET: sets XCC, QEMU, XPREFIX, XFLAGS
    case $1 in
    s390x) XCC=s390x-linux-gnu-gcc; QEMU=qemu-s390x; XPREFIX=/usr/s390x-linux-gnu; XFLAGS="-fopenmp" ;;
    i386)  XCC=i686-linux-gnu-gcc;  QEMU=qemu-i386;  XPREFIX=/usr/i686-linux-gnu;  XFLAGS="-msse2 -mfpmath=sse" ;;
    armhf) XCC=arm-linux-gnueabihf-gcc; QEMU=qemu-arm; XPREFIX=/usr/arm-linux-gnueabihf; XFLAGS="" ;;
    *) return 1 ;;
    esac
}

build_target() {  # TARGET DIR: the tool and every core test, double and float, JOBS at a time
    { echo "tools/sannip.c $2/exe/sannip"
      for t in $TESTS; do echo "tests/test_$t.c $2/exe/test_$t"; done
      for t in $TESTS_F; do echo "tests/test_$t.c $2/exe/test_${t}_f -DSANNIP_FLOAT"; done; } |
        xargs -P "$JOBS" -L 1 sh -c "$XCC $WARN $XCFLAGS $XFLAGS \$2 \$0 -o \$1 -lm 2>&1 | grep -v 'requires at runtime' >&2; test -x \$1" \
        || return 1
    # the tests call ./bin/sannip: the target's tool under qemu
    printf '#!/bin/sh\nexec %s -L %s "%s/exe/sannip" "$@"\n' "$QEMU" "$XPREFIX" "$ROOT/$2" > "$2/bin/sannip"
    for e in "$2"/exe/test_*; do
        printf '#!/bin/sh\nexec %s -L %s "%s/%s" "$@"\n' "$QEMU" "$XPREFIX" "$ROOT" "$e" > "$2/run/${e##*/}"
    done
    chmod +x "$2"/bin/sannip "$2"/run/*
}

# NAME A B: numbers in two prediction files equal within 1e-12 relative, other words identical
same_numbers() {
    r=$(awk 'NR == FNR { a[FNR] = $0; next }
        { n = split(a[FNR], x); m = split($0, y); if (n != m) { print "words differ at line " FNR; exit }
          for (i = 1; i <= n; i++) if (x[i] != y[i]) {
              if (x[i] !~ /^[-+0-9.eE]+$/ || y[i] !~ /^[-+0-9.eE]+$/) { print "line " FNR ": " x[i] " vs " y[i]; exit }
              d = x[i] - y[i]; if (d < 0) d = -d; s = x[i] < 0 ? -x[i] : x[i]; t = y[i] < 0 ? -y[i] : y[i]
              if (t > s) s = t; if (d / s > w) w = d / s } }
        END { printf "max %.3g\n", w + 0 }' "$2" "$3")
    lines_a=$(wc -l < "$2"); lines_b=$(wc -l < "$3")
    case $r in
    max*) rel=${r#max }
          if [ "$lines_a" = "$lines_b" ] && awk "BEGIN { exit !($rel <= 1e-12) }"; then
              ok "$1: predictions equal x86-64's (max rel. diff $rel$(cmp -s "$2" "$3" && echo ', byte-identical'))"
          else bad "$1: predictions differ from x86-64's: max rel. diff $rel, $lines_a vs $lines_b lines"; fi ;;
    *) bad "$1: $r" ;;
    esac
}

# TARGET DIR: train, import and predict with the target's tool and with x86-64's bin/sannip
compare_tool() {
    T=$2/ident; rm -rf "$T"; mkdir -p "$T/x86" "$T/$1"
    awk 'n < 12 { if (left == 0) left = $1 + 2; print; left--; if (left == 0) n++ }' "$SHARED/data/nio_train.xyz" > "$T/nio12.xyz"
    awk '/^begin/ { n++ } n <= 4' "$SHARED/peers/n2p2/H2O_RPBE-D3/input.data" > "$T/water4.data"
    for tool in x86 "$1"; do
        if [ "$tool" = x86 ]; then S=bin/sannip; else S=$2/bin/sannip; fi
        o=$T/$tool
        { $S train "$T/nio12.xyz" -o "$o/bp.sannip" --quiet --hidden 6,5 --epochs 3 --seed 3 &&
          $S train "$T/nio12.xyz" -o "$o/spin.sannip" --quiet --descriptors bp+spin-scaled --architecture cnn \
              --hidden 6,5 --epochs 2 --seed 5 --no-cache &&
          $S train "$T/nio12.xyz" -o "$o/committee.sannip" --quiet --descriptors bp+spin --architecture multitask \
              --committee 2 --hidden 5 --epochs 2 --seed 9 --pca 2 &&
          $S import-n2p2 "$SHARED/peers/n2p2/H2O_RPBE-D3" -o "$o/water.sannip" &&
          for m in bp spin committee; do $S predict "$o/$m.sannip" "$T/nio12.xyz" -o "$o/$m.pred.xyz" || exit 1; done &&
          $S predict "$o/water.sannip" "$T/water4.data" -o "$o/water.pred.data"
        } > "$o/log" 2>&1 || { bad "$1: the $tool tool failed: $(tail -n 2 "$o/log")"; return; }
    done
    for m in bp.sannip spin.sannip committee.sannip water.sannip; do
        if cmp -s "$T/x86/$m" "$T/$1/$m"; then ok "$1: $m byte-identical to x86-64's"
        else bad "$1: $m differs from x86-64's ($(cmp "$T/x86/$m" "$T/$1/$m" 2>&1 | head -n 1))"; fi
    done
    for p in bp.pred.xyz spin.pred.xyz committee.pred.xyz water.pred.data; do
        same_numbers "$1: $p" "$T/x86/$p" "$T/$1/$p"
    done
}

# TARGET: build, tests and tool comparison of one target; ends with "TARGET: N passed, N failed"
run_target() {
    target=$1; pass=0; fail=0
    if ! target_vars "$target"; then bad "unknown target $target"
    elif ! command -v "$XCC" >/dev/null || ! command -v "$QEMU" >/dev/null; then
        bad "$target: $XCC or $QEMU missing (apt-get install gcc-${XCC%-gcc} qemu-user)"
    else
        D=build/cross/$target
        case " $PARTS " in *" build "*)
            rm -rf "$D"; mkdir -p "$D/exe" "$D/bin" "$D/build" "$D/run"
            if build_target "$target" "$D"; then ok "$target: built the tool and $(ls "$D/run" | wc -l) tests"
            else bad "$target: build failed"; PARTS=; fi ;;
        esac
        case " $PARTS " in *" tests "*)
            out=$(cd "$D" && "$ROOT/tests/run.sh" run/test_* 2>&1)
            printf '%s\n' "$out" | grep -v '^ok ' | sed "s|^|$target: |"
            line=$(printf '%s\n' "$out" | tail -n 1)
            p=$(printf '%s' "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
            f=$(printf '%s' "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
            pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1})) ;;
        esac
        case " $PARTS " in *" tool "*) compare_tool "$target" "$D" ;; esac
    fi
    echo "$target: $pass passed, $fail failed"
}

[ -x bin/sannip ] || { echo "FAIL bin/sannip (x86-64) missing: run make"; echo "0 passed, 1 failed"; exit 1; }
TARGETS=${*:-s390x i386 armhf}
mkdir -p build/cross
# with CROSS_JOBS >= 2 the targets run side by side (each compiling one file at a time)
if [ "$JOBS" -ge 2 ] && [ "$(echo $TARGETS | wc -w)" -gt 1 ]; then
    JOBS=1
    for target in $TARGETS; do run_target "$target" > "build/cross/$target.log" 2>&1 & done
    wait
    for target in $TARGETS; do cat "build/cross/$target.log"; done
else
    for target in $TARGETS; do run_target "$target" | tee "build/cross/$target.log"; done
fi
pass=0; fail=0
for target in $TARGETS; do
    line=$(tail -n 1 "build/cross/$target.log")
    p=$(printf '%s' "$line" | sed -nE 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed$/\1/p')
    f=$(printf '%s' "$line" | sed -nE 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed$/\2/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
done
echo "test_cross: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
