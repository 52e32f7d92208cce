#!/bin/sh
# sannip mc --save / --restart (issue 15): a run saved at one of its save points and
# restarted gives the uninterrupted run's output bit for bit. On the golden NiO network
# (32 atoms, O without a moment), two starts (the structure's AFM order and FM): A runs 10 +
# 40 sweeps saving every 10; B stops at 10 + 20; C restarts from B's file with A's options.
# C's table, printed summary lines and final state file must equal A's. Then bad use.
# Run from anywhere; prints "test_mc_restart: N passed, N failed" and exits 1 on failure.
cd "$(dirname "$0")/.." || exit 1
[ -x bin/sannip ] || make -s bin/sannip || exit 1
T=build/mc_restart_out
rm -rf $T; mkdir -p $T
M=tests/golden/spin_cnn.sannip; S=tests/golden/spin_cnn.pred.xyz
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
run() { out=$1; shift; bin/sannip mc $M $S --temperature 400 --init ordered,fm --equil 10 --save-every 10 --seed 3 "$@" > $T/$out.txt 2>&1; }

check "uninterrupted run" run A -o $T/A.csv --sweeps 40 --save $T/A.state
check "first part (stops at 10 + 20 sweeps)" run B -o $T/B.csv --sweeps 20 --save $T/B.state
check "restart from the first part" run C -o $T/C.csv --sweeps 40 --save $T/C.state --restart $T/B.state
check "two states saved" [ "$(grep -c '^sannip-mc-state 2' $T/B.state)" = 2 ]
check "the restart says so" grep -q "ordered restarted from $T/B.state" $T/C.txt
check "restart = uninterrupted: table" cmp -s $T/A.csv $T/C.csv
check "restart = uninterrupted: final states" cmp -s $T/A.state $T/C.state
check "restart = uninterrupted: printed rows" sh -c "grep ' T ' $T/A.txt > $T/A.rows && grep ' T ' $T/C.txt > $T/C.rows && [ -s $T/A.rows ] && cmp -s $T/A.rows $T/C.rows"
check "the first part differs from the whole (the test can fail)" sh -c "! cmp -s $T/A.csv $T/B.csv"
check "same output again" sh -c "bin/sannip mc $M $S --temperature 400 --init ordered,fm --equil 10 --save-every 10 --seed 3 -o $T/A2.csv --sweeps 40 --save $T/A2.state > /dev/null 2>&1 && cmp -s $T/A.csv $T/A2.csv"
# bad use: several temperatures, a state of another system, a file without states
bin/sannip mc $M $S -o $T/bad.csv --temperature 300,400 --save $T/bad.state > $T/bad1.txt 2>&1
check "--save needs one temperature" sh -c "[ $? -eq 2 ] && grep -q 'one temperature and one walker' $T/bad1.txt"
bin/sannip mc $M $S -o $T/bad.csv --temperature 300 --restart $M > $T/bad2.txt 2>&1
check "--restart from a file without states" sh -c "[ $? -ne 0 ] && grep -q 'no .sannip-mc-state. text' $T/bad2.txt"
sed '2s/.*/31/' $T/B.state > $T/wrong.state
bin/sannip mc $M $S -o $T/bad.csv --temperature 300 --init ordered,fm --restart $T/wrong.state > $T/bad3.txt 2>&1
check "--restart with another atom count" sh -c "[ $? -ne 0 ] && grep -q 'the state has 31 spins, the chain 32' $T/bad3.txt"
echo "test_mc_restart: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
