#!/bin/sh
# The accuracy comparison of examples/spin_accuracy.c (thesis section 4.2, Tables 4.1-4.3) in its
# quick form: builds bin/spin_accuracy if needed, runs it with --quick into
# build/spin_accuracy and checks, on its CSV files, the issue's acceptance criteria:
# (the quick run: extended toy truth, 2 seeds, means over the seeds)
#   1. high-spin-variation subset: SANNIP's validation RMSE (T4.6) is at least 5x lower
#      than BP's (the thesis: 11.6x; the full run's ratio is in the README);
#   2. FM-only subset: SANNIP is not worse than BP. "Not worse" allows statistical
#      equality: SANNIP <= 1.1 x BP, or SANNIP - BP within two standard deviations of the
#      difference over the seeds, sqrt(sd_SANNIP^2 + sd_BP^2);
#   3. fixed geometry (>= 50 held-out geometries): SANNIP's RMSE of the energy differences
#      E_FM - E_PM and E_FM - E_AFM is at least 10x below BP's (spin-blind: the RMS of the
#      true differences, > 100 meV/atom);
# plus the shape of the outputs, and that a short fixed-geometry run gives the same numbers
# with one thread as with the default threads.
# Run from anywhere; prints "test_spin_accuracy: N passed, N failed", exits 1 on failure.
cd "$(dirname "$0")/.." || exit 1
OUT=build/spin_accuracy
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "test_spin_accuracy: $pass passed, $fail failed"; [ "$fail" -eq 0 ] || exit 1; exit 0; }

# value FILE KEY1 KEY2 COLNAME: the column named COLNAME of the row whose first two fields
# are KEY1 and KEY2 (KEY2 "-": any)
value() {
    awk -F, -v k1="$2" -v k2="$3" -v col="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        c && $1 == k1 && (k2 == "-" || $2 == k2) { print $c; exit }' "$1"
}
# awk_true EXPR VARS...: the awk expression EXPR over variables given as name=value holds
awk_true() { e=$1; shift; awk "$@" "BEGIN { exit !($e) }" </dev/null; }
# numbers FILE ROWS COLS: ROWS data lines of COLS fields each, every field after the first
# two (text) a finite number
numbers() {
    [ -f "$1" ] || return 1
    awk -F, -v n="$2" -v cols="$3" '
        function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
        NR > 1 { if (NF != cols) bad = 1
                 for (i = 3; i <= NF; i++) if (!num($i)) bad = 1
                 m++ }
        END { exit (bad || m != n) }' "$1"
}

if [ ! -x bin/spin_accuracy ] || [ examples/spin_accuracy.c -nt bin/spin_accuracy ] || [ examples/toyiron_data.h -nt bin/spin_accuracy ]; then
    make -s bin/spin_accuracy >/dev/null || { bad "build bin/spin_accuracy"; finish; }
fi
rm -rf "$OUT"
# its progress lines (a line per case, and one with the ETA every 10 s of a long training) go
# to fd 3 when tests/run.sh opened it (make test shows them while the test runs), else stderr
if { true >&3; } 2>/dev/null; then pfd=3; else pfd=2; fi
{ bin/spin_accuracy --quick --out "$OUT"; echo $? > "$OUT.rc"; } 2>&1 | tee "$OUT.log" \
    | grep --line-buffered -E 'ETA|meV/atom .* s/epoch|: [0-9.]+ s$' | sed -u 's/^/  spin_accuracy: /' >&$pfd
check "spin_accuracy --quick exits 0" [ "$(cat "$OUT.rc")" = 0 ]
check "accuracy.csv: 12 rows (3 subsets x 4 cases) of 25 columns" numbers "$OUT/accuracy.csv" 12 25
check "accuracy_seeds.csv: 24 rows (2 seeds x 3 subsets x 4 cases) of 13 columns" numbers "$OUT/accuracy_seeds.csv" 24 13
check "states.csv: 2 rows of 10 columns" numbers "$OUT/states.csv" 2 10
check "states_seeds.csv: 4 rows (2 seeds x SANNIP, BP) of 7 columns" numbers "$OUT/states_seeds.csv" 4 7
check "nio.csv: 3 rows of 11 columns" numbers "$OUT/nio.csv" 3 11
check "nio_seeds.csv: a row per predictor, seed and fold (3 x 2 x 3)" numbers "$OUT/nio_seeds.csv" 18 6
check "accuracy.md has the three tables (with FOM ratios, mean +- sd) and the two studies" \
    awk_true "h == 5 && f == 3" -v h="$(grep -c -e '^### high spin' -e '^### high geometry and spin' -e '^### high geometry, low spin' \
                                         -e '^## Spin-state energy differences' -e '^## NiO' "$OUT/accuracy.md" 2>/dev/null)" \
                              -v f="$(grep -c '^| FOM / FOM(BP) | [0-9.e+-]* ± ' "$OUT/accuracy.md" 2>/dev/null)"
check "accuracy.png drawn (when /usr/bin/python3 has matplotlib)" \
    sh -c "! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || [ -s $OUT/accuracy.png ]"
check "the toy-iron data files of both seeds were written (extended truth)" \
    sh -c "[ -s $OUT/toyiron_spin_seed1.xyz ] && [ -s $OUT/toyiron_spin_seed2.xyz ] && [ -s $OUT/toyiron_states_seed2.xyz ] && grep -q 'Toy iron (extended truth)' $OUT/accuracy.md && ! cmp -s $OUT/toyiron_spin_seed1.xyz $OUT/toyiron_spin_seed2.xyz"

A=$OUT/accuracy.csv
bp=$(value "$A" spin BP val_rmse_mean); sn=$(value "$A" spin SANNIP val_rmse_mean)
bsd=$(value "$A" spin BP val_rmse_sd); ssd=$(value "$A" spin SANNIP val_rmse_sd)
echo "high spin variation: validation RMSE BP $bp +- $bsd, SANNIP $sn +- $ssd meV/atom (2 seeds)"
check "high spin variation: SANNIP validation RMSE >= 5x lower than BP's ($sn vs $bp)" awk_true "s > 0 && b >= 5 * s" -v s="$sn" -v b="$bp"
check "high spin variation: the seed spreads are positive and below the means" awk_true "ss > 0 && bs > 0 && ss < s && bs < b" -v s="$sn" -v b="$bp" -v ss="$ssd" -v bs="$bsd"
bpc=$(value "$A" spin BP-CNN val_rmse_mean); snc=$(value "$A" spin SANNIP-CNN val_rmse_mean)
check "high spin variation: SANNIP-CNN >= 5x lower than BP-CNN ($snc vs $bpc)" awk_true "s > 0 && b >= 5 * s" -v s="$snc" -v b="$bpc"
r=$(value "$A" spin SANNIP val_ratio_mean); check "val_ratio_mean of SANNIP on spin is the mean of the per-seed ratios ($r)" \
    awk_true "r > 0 && (r - m) ^ 2 < 1e-6 * m * m" -v r="$r" -v m="$(awk -F, '$1 == "spin" && $2 == "SANNIP" { s += $10; n++ } END { print s / n }' "$OUT/accuracy_seeds.csv")"

bp=$(value "$A" fm BP val_rmse_mean); sn=$(value "$A" fm SANNIP val_rmse_mean)
bsd=$(value "$A" fm BP val_rmse_sd); ssd=$(value "$A" fm SANNIP val_rmse_sd)
echo "FM only: validation RMSE BP $bp +- $bsd, SANNIP $sn +- $ssd meV/atom"
check "FM only: SANNIP not worse than BP beyond the seed spread ($sn vs $bp)" \
    awk_true "s > 0 && b > 0 && (s <= 1.1 * b || s - b <= 2 * sqrt(ss * ss + bs * bs))" -v s="$sn" -v b="$bp" -v ss="$ssd" -v bs="$bsd"

bp=$(value "$A" geo-spin BP val_rmse_mean); sn=$(value "$A" geo-spin SANNIP val_rmse_mean)
check "high geometry and spin variation: SANNIP better than BP ($sn vs $bp)" awk_true "s > 0 && s < b" -v s="$sn" -v b="$bp"

S=$OUT/states.csv
held=$(value "$S" SANNIP - held_out)
pm=$(value "$S" SANNIP - rmse_fm_pm_mean); afm=$(value "$S" SANNIP - rmse_fm_afm_mean)
bpm=$(value "$S" BP - rmse_fm_pm_mean); bafm=$(value "$S" BP - rmse_fm_afm_mean)
echo "fixed geometry ($held held out): RMSE of E_FM - E_PM SANNIP $pm (BP $bpm), of E_FM - E_AFM SANNIP $afm (BP $bafm) meV/atom"
check "fixed geometry: at least 50 geometries held out ($held)" awk_true "h >= 50" -v h="$held"
# (with the plain truth and a basis placed on its first shell these were < 5 meV/atom; on the
# extended truth with the generic presets the full run gives ~10, see the README)
check "fixed geometry: SANNIP E_FM - E_PM RMSE >= 10x below BP's ($pm vs $bpm)" awk_true "x > 0 && 10 * x < b" -v x="$pm" -v b="$bpm"
check "fixed geometry: SANNIP E_FM - E_AFM RMSE >= 10x below BP's ($afm vs $bafm)" awk_true "x > 0 && 10 * x < b" -v x="$afm" -v b="$bafm"
check "fixed geometry: BP (spin-blind) misses the differences by > 100 meV/atom ($bpm, $bafm)" awk_true "p > 100 && a > 100" -v p="$bpm" -v a="$bafm"

N=$OUT/nio.csv
check "NiO: RMSEs positive, the trivial predictor's the largest force error" \
    awk_true "eb > 0 && es > 0 && et > 0 && fb > 0 && fs > 0 && ft > fb && ft > fs" \
    -v eb="$(value "$N" BP - energy_rmse_mean)" -v es="$(value "$N" SANNIP - energy_rmse_mean)" -v et="$(value "$N" trivial - energy_rmse_mean)" \
    -v fb="$(value "$N" BP - force_rmse_mean)" -v fs="$(value "$N" SANNIP - force_rmse_mean)" -v ft="$(value "$N" trivial - force_rmse_mean)"
check "NiO: SANNIP's energy ratio to itself is 1" awk_true "r == 1" -v r="$(value "$N" SANNIP - energy_ratio_mean)"
check "NiO: pooled per-seed RMSE consistent with the per-fold rows (trivial, within the fold spread)" \
    awk_true "lo > 0 && m >= lo && m <= hi" -v m="$(value "$N" trivial - energy_rmse_mean)" \
    -v lo="$(awk -F, '$1 == "trivial" { if (!n || $5 < lo) lo = $5; n++ } END { print lo }' "$OUT/nio_seeds.csv")" \
    -v hi="$(awk -F, '$1 == "trivial" { if ($5 > hi) hi = $5 } END { print hi }' "$OUT/nio_seeds.csv")"

# results must not depend on the thread count: a short fixed-geometry run (committee of 2,
# 10 epochs) with the default threads and with one thread gives identical numbers
for t in default one; do
    if [ $t = one ]; then OMP_NUM_THREADS=1; export OMP_NUM_THREADS; fi
    bin/spin_accuracy --quick --seeds 1 --parts states --members 2 --states-epochs 10 --out "$OUT/threads_$t" > "$OUT/threads_$t.log" 2>&1
    check "short run ($t threads) exits 0" [ $? -eq 0 ]
done
unset OMP_NUM_THREADS
check "one thread and default threads: states.csv identical" cmp -s "$OUT/threads_default/states.csv" "$OUT/threads_one/states.csv"

check "bad option: exit 2" sh -c 'bin/spin_accuracy --members 0 >/dev/null 2>&1; [ $? -eq 2 ]'
finish
