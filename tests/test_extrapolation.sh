#!/bin/sh
# Extrapolation warnings of the command-line tool (issue 14): a spin-aware model trained on 12
# NiO frames; predict and evaluate on those frames warn about nothing, frames with 1.5x moments
# and a 0.9x cell get a warning line each naming the worst value, the summary counts them,
# --no-extrapolation-warnings silences it all (same predictions), a bad tolerance is a usage
# error, and mc reports its production samples.
cd "$(dirname "$0")/.." || exit 1
SHARED=${SANNIP_SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
data="$SHARED/data/nio_train.xyz"
if [ ! -r "$data" ]; then echo "FAIL no $data"; echo "0 passed, 1 failed"; exit 1; fi
export OMP_NUM_THREADS=1
awk 'n < 12 { if (left == 0) { left = $1 + 2 } print; left--; if (left == 0) n++ }' "$data" > "$T/tr.xyz"
head -n 34 "$T/tr.xyz" > "$T/f1.xyz"
# frame 1 with positions and cell x K (columns 2-4, Lattice) and moments x M (columns 8-10)
scale() {
    awk -v K="$1" -v M="$2" 'NR == 2 {
        match($0, /Lattice="[^"]*"/); s = substr($0, RSTART + 9, RLENGTH - 10); n = split(s, v, " "); t = ""
        for (i = 1; i <= n; i++) t = t (i > 1 ? " " : "") sprintf("%.10f", v[i] * K)
        print substr($0, 1, RSTART + 8) t substr($0, RSTART + RLENGTH - 1); next }
        NR > 2 { for (i = 2; i <= 4; i++) $i = sprintf("%.10f", $i * K); for (i = 8; i <= 10; i++) $i = sprintf("%.10f", $i * M) }
        { print }' "$T/f1.xyz"
}
scale 1 1.5 > "$T/big.xyz"; scale 0.9 1 > "$T/small.xyz"
cat "$T/f1.xyz" "$T/big.xyz" "$T/small.xyz" > "$T/mixed.xyz"
if ! bin/sannip train "$T/tr.xyz" -o "$T/m.sannip" --descriptors bp+spin --hidden 4 --epochs 1 --seed 2 --val 0 --quiet > "$T/log" 2>&1; then
    bad "train: $(tail -n 2 "$T/log")"; echo "test_extrapolation.sh: $pass passed, $fail failed"; exit 1
fi
[ "$(grep -c '^moment_range' "$T/m.sannip")" = 2 ] && ok "the model file holds the Ni and O moment ranges" || bad "moment_range lines: $(grep -c '^moment_range' "$T/m.sannip")"
# the training frames: no warning, the summary says 0 of 12
bin/sannip predict "$T/m.sannip" "$T/tr.xyz" -o "$T/p.xyz" > "$T/out" 2> "$T/err"
grep -q '^extrapolation: 0 of 12 structures (0 atoms) outside the training range by more than 0.1 of its width$' "$T/out" && ok "predict: training frames in range" || bad "predict on the training frames: $(cat "$T/out")"
[ ! -s "$T/err" ] && ok "predict: no warning on the training frames" || bad "predict warned: $(cat "$T/err")"
# 1.5x moments and a 0.9x cell: structures 2 and 3 of the mixed file
bin/sannip predict "$T/m.sannip" "$T/mixed.xyz" -o "$T/p.xyz" > "$T/out" 2> "$T/err"
grep -q '^extrapolation: 2 of 3 structures (48 atoms) outside' "$T/out" && ok "predict: the two frames out of range counted (16 Ni + 32 atoms)" || bad "predict summary: $(tail -n 1 "$T/out")"
grep -q '^sannip predict: warning: structure 2: 16 of 32 atoms outside the training range; worst: atom [0-9]* (Ni) ' "$T/err" && ok "predict: 1.5x moments flag the 16 Ni atoms" || bad "predict warning for structure 2: $(cat "$T/err")"
grep -q '^sannip predict: warning: structure 3: 32 of 32 atoms outside the training range; worst: atom [0-9]* ([A-Za-z]*) feature [0-9]* (g[245] ' "$T/err" && ok "predict: a 0.9x cell flags every atom by a geometric feature" || bad "predict warning for structure 3: $(cat "$T/err")"
[ "$(grep -c 'warning: structure 1:' "$T/err")" = 0 ] && ok "predict: structure 1 not flagged" || bad "structure 1 flagged"
bin/sannip predict "$T/m.sannip" "$T/mixed.xyz" -o "$T/q.xyz" --no-extrapolation-warnings > "$T/out2" 2> "$T/err2"
[ ! -s "$T/err2" ] && ! grep -q extrapolation "$T/out2" && ok "--no-extrapolation-warnings: silent" || bad "--no-extrapolation-warnings: $(cat "$T/out2" "$T/err2")"
cmp -s "$T/p.xyz" "$T/q.xyz" && ok "the warnings do not change the predictions" || bad "predictions differ with and without the test"
bin/sannip predict "$T/m.sannip" "$T/mixed.xyz" -o "$T/q.xyz" --extrapolation-tol 1e6 > "$T/out2" 2>&1
grep -q '^extrapolation: 0 of 3 structures' "$T/out2" && ok "--extrapolation-tol 1e6 flags nothing" || bad "--extrapolation-tol 1e6: $(cat "$T/out2")"
bin/sannip predict "$T/m.sannip" "$T/mixed.xyz" -o "$T/q.xyz" --extrapolation-tol -1 > /dev/null 2> "$T/err2"
[ $? -eq 2 ] && grep -q 'extrapolation-tol' "$T/err2" && ok "--extrapolation-tol -1 is a usage error" || bad "--extrapolation-tol -1: $(cat "$T/err2")"
# evaluate: the same counts in its report
bin/sannip evaluate "$T/m.sannip" "$T/mixed.xyz" > "$T/out" 2> "$T/err"
grep -q '^  extrapolation: 2 of 3 structures (48 atoms) outside' "$T/out" && ok "evaluate: summary" || bad "evaluate summary: $(cat "$T/out")"
[ "$(grep -c '^sannip evaluate: warning: structure [23]:' "$T/err")" = 2 ] && ok "evaluate: one warning line per flagged structure" || bad "evaluate warnings: $(cat "$T/err")"
# mc: every production sample is tested; a summary line per start
bin/sannip mc "$T/m.sannip" "$T/f1.xyz" -o "$T/mc.csv" --temperature 50 --init ordered --sweeps 5 --equil 2 --seed 1 > "$T/out" 2> "$T/err"
grep -q '^  ordered extrapolation: [0-9]* of 5 production samples outside the training range' "$T/out" && ok "mc: summary of the 5 samples" || bad "mc summary: $(cat "$T/out")"
bin/sannip mc "$T/m.sannip" "$T/f1.xyz" -o "$T/mc2.csv" --temperature 50 --init ordered --sweeps 5 --equil 2 --seed 1 --no-extrapolation-warnings > "$T/out2" 2>&1
! grep -q extrapolation "$T/out2" && cmp -s "$T/mc.csv" "$T/mc2.csv" && ok "mc --no-extrapolation-warnings: silent, same observables" || bad "mc without the test: $(cat "$T/out2")"
echo "test_extrapolation.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
