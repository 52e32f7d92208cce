#!/bin/sh
# Option matrix: builds the small programs of tests/options/ in every configuration the
# header promises and runs them. Each compile, link or run is one check.
#   (a) C99 strict            (b) C++11, and a C++ main linked with the C object
#   (c) SANNIP_STATIC two-file link   (d) 3-line sannip.c as an ordinary object file
#   (e) SANNIP_NO_STDIO: memory and callback I/O   (f) SANNIP_NO_SIMD
#   (g) with/without -fopenmp, thread counts
#   (h) SANNIP_FLOAT          (i) SANNIP_MALLOC/REALLOC/FREE, and #error for a partial set
#   (j) AddressSanitizer + UBSan: tests/test_badinput.c and the water potential on 20 structures
# Run from the project root (make test does); uses $CC/$CXX and $SANNIP_SHARED.
# Prints "test_options: N passed, N failed"; exits 1 on failure.
cd "$(dirname "$0")/.." || exit 1
CC=${CC:-cc}
CXX=${CXX:-c++}
SHARED=${SANNIP_SHARED:-../shared}
O=tests/options
B=build/options
rm -rf $B
mkdir -p $B
LOG=$B/log
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; sed -n '1,25s/^/    /p' $LOG; }
# check NAME CMD...: the command must succeed
check() { name=$1; shift; if "$@" > $LOG 2>&1; then ok "$name"; return 0; else bad "$name"; return 1; fi; }
# nowerror CMD...: CMD without its -Werror flags
nowerror() { for a in "$@"; do shift; [ "$a" = -Werror ] || set -- "$@" "$a"; done; "$@"; }
# build NAME CMD...: a compile/link check; when it fails, the output is still built without
# -Werror, so that the checks which run it test the program rather than repeat the warning
build() { name=$1; shift; check "$name" "$@" || nowerror "$@" > /dev/null 2>&1; }
# check_fails NAME PATTERN CMD...: the command must fail and its output match PATTERN
check_fails() {
    name=$1; pat=$2; shift 2
    if "$@" > $LOG 2>&1; then bad "$name (it succeeded)"
    elif grep -q -- "$pat" $LOG; then ok "$name"
    else bad "$name (no '$pat' in the output)"; fi
}
# same NAME FILE1 FILE2: the two programs printed the same energies
same() {
    a=$(sed -n 's/.*E1 = //p' "$2"); b=$(sed -n 's/.*E1 = //p' "$3")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$1"; else echo "E1 $a vs $b" > $LOG; bad "$1"; fi
}
# close NAME FILE1 FILE2 RTOL: the energies agree to RTOL relative
close() {
    a=$(sed -n 's/.*E1 = //p' "$2"); b=$(sed -n 's/.*E1 = //p' "$3")
    if [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v t="$4" 'BEGIN { d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a; exit !(d <= t * s) }'
    then ok "$1"; else echo "E1 $a vs $b" > $LOG; bad "$1"; fi
}
# run OUT CMD...: runs CMD, keeps its output in OUT and prints it
run() { out=$1; shift; "$@" > "$out" 2>&1; st=$?; cat "$out"; return $st; }

STRICT="-std=c99 -pedantic -Werror -Wall -Wextra"

# (a) C99 strict: no warnings at all, and the program works
build "C99 strict build (-std=c99 -pedantic -Werror -Wall -Wextra -O2)" $CC $STRICT -O2 $O/quick.c -o $B/quick_c99 -lm
check "C99 strict build runs the water potential" run $B/c99.out $B/quick_c99 "$SHARED"

# (b) C++
build "C++11 build ($CXX -x c++ -std=c++11 -Wall -Werror)" $CXX -x c++ -std=c++11 -Wall -Werror -O2 $O/quick.c -o $B/quick_cxx
check "C++11 build runs the water potential" run $B/cxx.out $B/quick_cxx "$SHARED"

# all three headers in one translation unit: strict C99 and C++ (the spin tests run)
build "C99 strict build of sannip_train.h + sannip_spin.h" $CC $STRICT -Wno-unused-function -O2 tests/test_spin.c -o $B/spin_c99 -lm
check "C99 strict spin build passes its tests" $B/spin_c99
build "C++11 build of sannip_train.h + sannip_spin.h" $CXX -x c++ -std=c++11 -Wall -Wextra -Werror -Wno-unused-function -O2 tests/test_spin.c -o $B/spin_cxx -lm
check "C++11 spin build passes its tests" $B/spin_cxx

# (d) the 3-line sannip.c as an object file; main includes sannip.h without the implementation
build "sannip.c compiles to an object file" $CC $STRICT -O2 -c $O/sannip.c -o $B/sannip.o
build "C main without the implementation compiles" $CC $STRICT -O2 -DQUICK_NO_IMPL -c $O/quick.c -o $B/quick_main.o
build "C main links with sannip.o" $CC $B/quick_main.o $B/sannip.o -o $B/quick_obj -lm
check "C main + sannip.o runs" run $B/obj.out $B/quick_obj "$SHARED"
build "C++ main (declarations only) compiles" $CXX -x c++ -std=c++11 -Wall -Werror -O2 -DQUICK_NO_IMPL -c $O/quick.c -o $B/quick_cxxmain.o
build "C++ main links with the C sannip.o" $CXX $B/quick_cxxmain.o $B/sannip.o -o $B/quick_cxxobj -lm
check "C++ main + C sannip.o runs" run $B/cxxobj.out $B/quick_cxxobj "$SHARED"

# (c) SANNIP_STATIC: two translation units with private copies, linked together
# (-Wno-unused-function: a static copy leaves the functions a program does not call unused)
SFLAGS="-std=c99 -pedantic -Wall -Wextra -Werror -Wno-unused-function -O2"
build "SANNIP_STATIC: static_a.c compiles" $CC $SFLAGS -c $O/static_a.c -o $B/static_a.o
build "SANNIP_STATIC: static_b.c compiles" $CC $SFLAGS -c $O/static_b.c -o $B/static_b.o
build "SANNIP_STATIC: the two objects link (no duplicate symbols)" $CC $B/static_a.o $B/static_b.o -o $B/static -lm
check "SANNIP_STATIC: both copies give the same energy" run $B/static.out $B/static
if nm $B/static_a.o 2>/dev/null | grep -q ' T sannip_'; then
    nm $B/static_a.o | grep ' T sannip_' | head > $LOG; bad "SANNIP_STATIC: no external sannip_ symbols"
else ok "SANNIP_STATIC: no external sannip_ symbols"; fi

# (e) SANNIP_NO_STDIO: compiles without <stdio.h>, uses no FILE* functions, declares none
build "SANNIP_NO_STDIO: compiles before <stdio.h> is included (strict)" $CC $STRICT -O2 $O/nostdio.c -o $B/nostdio -lm
check "SANNIP_NO_STDIO: memory-buffer functions run" run $B/nostdio.out $B/nostdio "$SHARED"
# nofile NAME HEADER: HEADER's implementation alone under SANNIP_NO_STDIO calls no FILE* function
nofile() {
    src=$B/nostdio_impl_$(basename "$2" .h).c
    printf '#define SANNIP_NO_STDIO\n#define SANNIP_IMPLEMENTATION\n#include "../../%s"\n' "$2" > $src
    if $CC -std=c99 -O2 -c $src -o ${src%.c}.o > $LOG 2>&1; then
        if nm -u ${src%.c}.o | grep -E '^ *U (fopen|fopen64|fread|fwrite|fclose|fflush|ferror|feof|fgets|fputs|fprintf|printf|puts|remove|rename)$' > $LOG; then
            bad "$1"
        else ok "$1"; fi
    else bad "$1: the implementation compiles on its own"; fi
}
nofile "SANNIP_NO_STDIO: the object file calls no FILE* functions" sannip.h
check_fails "SANNIP_NO_STDIO: sannip_model_load_file is not declared" "sannip_model_load_file" \
    $CC -std=c99 -Werror=implicit-function-declaration -c $O/nostdio_decl.c -o $B/nostdio_decl.o
# callbacks (issue 11 item 7): loaders and writers of sannip.h and sannip_train.h without FILE*
build "SANNIP_NO_STDIO: callback loaders/writers with sannip_train.h compile (strict)" $CC $STRICT -Wno-unused-function -O2 $O/nostdio_io.c -o $B/nostdio_io -lm
check "SANNIP_NO_STDIO: model, committee and data set through callbacks" run $B/nostdio_io.out $B/nostdio_io "$SHARED"
build "SANNIP_NO_STDIO: callback program as C++11" $CXX -x c++ -std=c++11 -Wall -Wextra -Werror -Wno-unused-function -O2 $O/nostdio_io.c -o $B/nostdio_io_cxx
check "SANNIP_NO_STDIO: C++ callback program runs" run $B/nostdio_io_cxx.out $B/nostdio_io_cxx "$SHARED"
nofile "SANNIP_NO_STDIO: sannip.h + sannip_train.h (callback loaders) call no FILE* functions" sannip_train.h

# (f) SANNIP_NO_SIMD, (g) OpenMP on/off and thread counts, (h) SANNIP_FLOAT
build "default build with -fopenmp" $CC -std=c99 -O2 -fopenmp $O/quick.c -o $B/quick_omp -lm
check "-fopenmp: 20 water structures" run $B/omp.out $B/quick_omp "$SHARED" all
build "without -fopenmp" $CC -std=c99 -O2 $O/quick.c -o $B/quick_noomp -lm
check "without -fopenmp: 20 water structures" run $B/noomp.out $B/quick_noomp "$SHARED" all
same "energies identical with and without OpenMP" $B/omp.out $B/noomp.out
build "-fopenmp -DSANNIP_NO_OPENMP" $CC -std=c99 -O2 -fopenmp -DSANNIP_NO_OPENMP $O/quick.c -o $B/quick_noopenmp -lm
check "SANNIP_NO_OPENMP: 20 water structures" run $B/noopenmp.out $B/quick_noopenmp "$SHARED" all
check "1080-atom liquid, 1 thread" run $B/t1.out env OMP_NUM_THREADS=1 $B/quick_omp "$SHARED" liquid
check "1080-atom liquid, 2 threads" run $B/t2.out env OMP_NUM_THREADS=2 $B/quick_omp "$SHARED" liquid
check "1080-atom liquid, 3 threads" run $B/t3.out env OMP_NUM_THREADS=3 $B/quick_omp "$SHARED" liquid
same "liquid: energy bit-identical for 1 and 2 threads" $B/t1.out $B/t2.out
same "liquid: energy bit-identical for 1 and 3 threads" $B/t1.out $B/t3.out
build "SANNIP_NO_SIMD build (strict, -fopenmp)" $CC $STRICT -O2 -fopenmp -DSANNIP_NO_SIMD $O/quick.c -o $B/quick_nosimd -lm
check "SANNIP_NO_SIMD: 20 water structures" run $B/nosimd.out $B/quick_nosimd "$SHARED" all
close "SANNIP_NO_SIMD: same energies as the SIMD build" $B/nosimd.out $B/omp.out 1e-13
build "SANNIP_FLOAT build (strict, -fopenmp)" $CC $STRICT -O2 -fopenmp -DSANNIP_FLOAT $O/quick.c -o $B/quick_float -lm
check "SANNIP_FLOAT: 20 water structures within float tolerance" run $B/float.out $B/quick_float "$SHARED" all
build "SANNIP_FLOAT C++ build" $CXX -x c++ -std=c++11 -Wall -Werror -O2 -DSANNIP_FLOAT $O/quick.c -o $B/quick_float_cxx
check "SANNIP_FLOAT C++: water potential" run $B/floatcxx.out $B/quick_float_cxx "$SHARED"

# (i) compile-time allocator macros
build "SANNIP_MALLOC/REALLOC/FREE build" $CC $STRICT -O2 $O/macros.c -o $B/macros -lm
check "SANNIP_MALLOC/REALLOC/FREE: used, and everything freed" run $B/macros.out $B/macros
check_fails "only SANNIP_MALLOC defined: #error" "#error" $CC -std=c99 -DONLY_MALLOC -c $O/macros.c -o $B/macros_bad1.o
check_fails "SANNIP_MALLOC and SANNIP_FREE without SANNIP_REALLOC: #error" "#error" $CC -std=c99 -DNO_REALLOC -c $O/macros.c -o $B/macros_bad2.o

# (j) sanitizers. test_badinput checks library behaviour itself (make test reports its
# failures); here the run must finish with no sanitizer report: exit 0 or 1 (its own failed
# checks), never the sanitizer exit code 99.
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
export ASAN_OPTIONS="exitcode=99:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="exitcode=99:print_stacktrace=1"
sanrun() {
    out=$1; shift
    "$@" > "$out" 2>&1; st=$?
    cat "$out" > $LOG
    [ $st -le 1 ] || return 1
    ! grep -q -E 'Sanitizer|runtime error:' "$out"
}
build "ASan+UBSan build of tests/test_badinput.c" $CC -std=c99 -O1 -g $SAN -Wno-unused-function tests/test_badinput.c -o $B/badinput_san -lm
if sanrun $B/badinput_san.out $B/badinput_san && grep -q 'test_badinput: [0-9]* passed' $B/badinput_san.out; then
    ok "ASan+UBSan: test_badinput runs clean ($(grep 'test_badinput:' $B/badinput_san.out))"
else bad "ASan+UBSan: test_badinput runs clean"; fi
build "ASan+UBSan build of tests/test_badinput.c with SANNIP_FLOAT" $CC -std=c99 -O1 -g $SAN -DSANNIP_FLOAT -Wno-unused-function tests/test_badinput.c -o $B/badinput_san_f -lm
if sanrun $B/badinput_san_f.out $B/badinput_san_f && grep -q 'test_badinput: [0-9]* passed' $B/badinput_san_f.out; then
    ok "ASan+UBSan: test_badinput (float) runs clean ($(grep 'test_badinput:' $B/badinput_san_f.out))"
else bad "ASan+UBSan: test_badinput (float) runs clean"; fi
build "ASan+UBSan build of the water program" $CC -std=c99 -O1 -g $SAN $O/quick.c -o $B/quick_san -lm
if sanrun $B/quick_san.out $B/quick_san "$SHARED" all && grep -q '^quick: 20 structures' $B/quick_san.out; then
    ok "ASan+UBSan: water potential on 20 structures runs clean"
else bad "ASan+UBSan: water potential on 20 structures runs clean"; fi
build "ASan+UBSan build of the tiny model with custom allocator macros" $CC -std=c99 -O1 -g $SAN $O/macros.c -o $B/macros_san -lm
if sanrun $B/macros_san.out $B/macros_san && grep -q '0 live' $B/macros_san.out; then
    ok "ASan+UBSan: tiny model, save/load, no leak"
else bad "ASan+UBSan: tiny model, save/load, no leak"; fi

echo "test_options: $passed passed, $failed failed"
[ $failed -eq 0 ]
