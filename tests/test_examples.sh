#!/bin/sh
# The thesis-tutorial examples (examples/fit_sin.c, examples/lj_dimer.c): builds them if
# needed (make), runs them with few epochs into build/examples_out and checks the exit codes,
# the CSV files (columns, row counts, numbers), the printed tables, the thesis's findings
# (many samples with low noise fit sin best; emphasising near-equilibrium samples brings the
# fitted Lennard-Jones minimum closer) and that a second run with the same seed is identical.
# Run from anywhere; prints "test_examples: N passed, N failed" and exits 1 on failure.
cd "$(dirname "$0")/.." || exit 1
OUT=build/examples_out
EPOCHS_SIN=1000      # fit_sin default 3000
EPOCHS_LJ=2000       # lj_dimer default 4000
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# check NAME CMD...: CMD must succeed
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# header FILE EXPECTED: the first line of FILE is EXPECTED
header() { [ -f "$1" ] && [ "$(head -n 1 "$1")" = "$2" ]; }
# rows FILE N COLS [FIRST_TEXT]: N data lines after the header, each with COLS comma-separated
# numbers (column 1 may be text when FIRST_TEXT is given)
rows() {
    [ -f "$1" ] || return 1
    awk -F, -v n="$2" -v cols="$3" -v text="$4" '
        function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
        NR > 1 { if (NF != cols) bad = 1
                 for (i = text ? 2 : 1; i <= NF; i++) if (!num($i)) bad = 1
                 m++ }
        END { exit (bad || m != n) }' "$1"
}
# field FILE CASE COL: column COL of the table row whose first word is CASE
field() { awk -v c="$2" -v k="$3" '$1 == c { print $k; exit }' "$1"; }
isnum() { printf '%s\n' "$1" | grep -Eq '^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'; }
# table_numbers FILE FIRSTCOL LASTCOL CASES...: every listed row has numbers in those columns
table_numbers() {
    f=$1; c0=$2; c1=$3; shift 3
    for c in "$@"; do
        k=$c0
        while [ $k -le $c1 ]; do isnum "$(field "$f" "$c" $k)" || return 1; k=$((k + 1)); done
    done
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# command_line PROG: --help exits 0 and names every flag; bad flags or values exit non-zero
command_line() {
    ./bin/$1 --help > $OUT/$1_help.txt 2>&1; rc=$?
    check "$1 --help exits 0" [ $rc -eq 0 ]
    for f in --seed --epochs --out --help; do
        check "$1 --help documents $f" grep -q -- "$f" $OUT/$1_help.txt
    done
    for bad_args in "--bogus" "--epochs 0" "--seed x" "--out"; do
        ./bin/$1 $bad_args > /dev/null 2>&1; rc=$?
        check "$1 rejects '$bad_args'" [ $rc -ne 0 ]
    done
}

rm -rf $OUT
mkdir -p $OUT
check "build bin/fit_sin and bin/lj_dimer" ${MAKE:-make} -s bin/fit_sin bin/lj_dimer

# ---- fit_sin ---------------------------------------------------------------------------------
S=$OUT/fit_sin
command_line fit_sin
./bin/fit_sin --seed 1 --epochs $EPOCHS_SIN --out $S > $OUT/fit_sin.txt 2>&1; rc=$?
check "fit_sin exits 0" [ $rc -eq 0 ]
check "fit_sin_curves.csv columns" header $S/fit_sin_curves.csv "x,true,pred_few_low,pred_few_high,pred_many_low,pred_many_high"
check "fit_sin_curves.csv: 1001 rows of 6 numbers" rows $S/fit_sin_curves.csv 1001 6
check "fit_sin_samples.csv columns" header $S/fit_sin_samples.csv "case,x,y"
check "fit_sin_samples.csv: 10+10+200+200 rows" rows $S/fit_sin_samples.csv 420 3 text
check "fit_sin_history.csv columns" header $S/fit_sin_history.csv "epoch,rmse_few_low,rmse_few_high,rmse_many_low,rmse_many_high"
check "fit_sin_history.csv: one row per 20 epochs" rows $S/fit_sin_history.csv $((EPOCHS_SIN / 20)) 5
check "fit_sin table: numbers in every case row" table_numbers $OUT/fit_sin.txt 2 6 few_low few_high many_low many_high
ml=$(field $OUT/fit_sin.txt many_low 5)
check "fit_sin many/low test RMSE $ml < 0.05" lt "$ml" 0.05
best=1
for c in few_low few_high many_high; do lt "$ml" "$(field $OUT/fit_sin.txt $c 5)" || best=0; done
check "fit_sin many/low has the lowest test RMSE" [ $best -eq 1 ]
fh_train=$(field $OUT/fit_sin.txt few_high 4)
check "fit_sin few/high overfits: train RMSE $fh_train < sigma 0.3" lt "$fh_train" 0.3
./bin/fit_sin --seed 1 --epochs $EPOCHS_SIN --out $S.again > $OUT/fit_sin_again.txt 2>&1
check "fit_sin is deterministic (same seed, same CSV files)" sh -c "for f in curves samples history; do cmp -s $S/fit_sin_\$f.csv $S.again/fit_sin_\$f.csv || exit 1; done"
./bin/fit_sin --seed 2 --epochs 20 --out $S.seed2 > /dev/null 2>&1
check "fit_sin --seed changes the samples" sh -c "! cmp -s $S/fit_sin_samples.csv $S.seed2/fit_sin_samples.csv"

# ---- lj_dimer --------------------------------------------------------------------------------
L=$OUT/lj_dimer
command_line lj_dimer
./bin/lj_dimer --seed 1 --epochs $EPOCHS_LJ --out $L > $OUT/lj_dimer.txt 2>&1; rc=$?
check "lj_dimer exits 0" [ $rc -eq 0 ]
check "lj_dimer_curves.csv columns" header $L/lj_dimer_curves.csv "r,exact,pred_uniform,pred_wide,pred_emphasised,force_exact,force_uniform,force_wide,force_emphasised"
check "lj_dimer_curves.csv: 4201 rows of 9 numbers" rows $L/lj_dimer_curves.csv 4201 9
check "lj_dimer_samples.csv columns" header $L/lj_dimer_samples.csv "r,E,weight_emphasised"
check "lj_dimer_samples.csv: 100 rows of 3 numbers" rows $L/lj_dimer_samples.csv 100 3
check "lj_dimer table: numbers in every case row" table_numbers $OUT/lj_dimer.txt 2 9 uniform wide emphasised
check "lj_dimer exact minimum 1.12246, -1" [ "$(field $OUT/lj_dimer.txt exact 3) $(field $OUT/lj_dimer.txt exact 5)" = "1.12246 -1.00000" ]
u=$(field $OUT/lj_dimer.txt uniform 7); e=$(field $OUT/lj_dimer.txt emphasised 7)
check "lj_dimer emphasised minimum error $e <= uniform $u" le "$e" "$u"
check "lj_dimer uniform minimum within 0.05 of the exact one ($u)" lt "$u" 0.05
# the network forces in the CSV are -dE/dr of the network energies (central differences)
check "lj_dimer network forces = -dE/dr of the network energies" awk -F, '
    NR > 1 { r[NR] = $1; e[NR] = $3; f[NR] = $7 }
    END { for (k = 3; k < NR; k++) { d = -(e[k + 1] - e[k - 1]) / (r[k + 1] - r[k - 1]) - f[k]
                                     if (d < 0) d = -d; if (d > 1e-3 * (1 + (f[k] < 0 ? -f[k] : f[k]))) exit 1 } }' $L/lj_dimer_curves.csv
./bin/lj_dimer --seed 1 --epochs $EPOCHS_LJ --out $L.again > /dev/null 2>&1
check "lj_dimer is deterministic (same seed, same CSV files)" sh -c "cmp -s $L/lj_dimer_curves.csv $L.again/lj_dimer_curves.csv && cmp -s $L/lj_dimer_samples.csv $L.again/lj_dimer_samples.csv"

# ---- gen_toyiron ------------------------------------------------------------------------------
G=$OUT/toyiron
mkdir -p $G
for sub in spin geo-spin fm states; do
    ./bin/gen_toyiron --subset $sub --seed 3 --out $G/$sub.xyz > /dev/null 2>&1
    check "gen_toyiron --subset $sub exits 0" [ $? -eq 0 ]
    check "gen_toyiron $sub: frames have energy, forces, magmoms and heff" sh -c "grep -c 'Properties=species:S:1:pos:R:3.*forces:R:3.*magmoms:R:3.*heff:R:3' $G/$sub.xyz | grep -qv '^0$'"
done
check "gen_toyiron spin subset: 330 structures" [ "$(grep -c 'energy=' $G/spin.xyz)" -eq 330 ]
./bin/gen_toyiron --subset spin --seed 3 --out $G/spin.again.xyz > /dev/null 2>&1
check "gen_toyiron is deterministic (same seed, same file)" cmp -s $G/spin.xyz $G/spin.again.xyz
./bin/gen_toyiron --subset spin --seed 4 --out $G/spin.other.xyz > /dev/null 2>&1
check "gen_toyiron: another seed gives another file" sh -c "! cmp -s $G/spin.xyz $G/spin.other.xyz"
# the extended truth and label noise: other energies; noise-free extended sets reproducible; noise
# moves energies by about its sd and leaves the geometries and spins alone
./bin/gen_toyiron --subset spin --seed 3 --truth extended --out $G/spin.ext.xyz > /dev/null 2>&1
./bin/gen_toyiron --subset spin --seed 3 --truth extended --noise 0.002,0.05 --out $G/spin.noisy.xyz > /dev/null 2>&1
check "gen_toyiron --truth extended: other energies than the plain toy" sh -c "! cmp -s $G/spin.xyz $G/spin.ext.xyz"
check "gen_toyiron --noise: noise of E/atom has sd ~0.002 eV, spins unchanged" awk '
    FNR == 1 { f++ } NF == 1 { n = $1 } /energy=/ { match($0, /energy=[-0-9.e]+/); k[f]++; e[f, k[f]] = substr($0, RSTART + 7, RLENGTH - 7) / n }
    NF == 14 { sp[f, ++a[f]] = $8 " " $9 " " $10 }
    END { for (i = 1; i <= k[1]; i++) { d = e[2, i] - e[1, i]; s += d * d }
          sd = sqrt(s / k[1]); for (i = 1; i <= a[1]; i++) if (sp[1, i] != sp[2, i]) bad++
          exit !(k[1] == 330 && k[2] == 330 && sd > 0.0015 && sd < 0.0025 && bad == 0 && a[1] == a[2] && a[1] > 0) }' $G/spin.ext.xyz $G/spin.noisy.xyz
./bin/gen_toyiron --truth other > /dev/null 2>&1
check "gen_toyiron: an unknown --truth exits 2" [ $? -eq 2 ]
./bin/gen_toyiron --sizes 0 --out $G/bad.xyz > /dev/null 2>&1
check "gen_toyiron: a bad flag exits 2" [ $? -eq 2 ]
./bin/gen_toyiron --no-such-flag > /dev/null 2>&1
check "gen_toyiron: an unknown flag exits 2" [ $? -eq 2 ]
check "gen_toyiron: the file reads back (sannip evaluate parses it)" sh -c "./bin/sannip train $G/states.xyz -o $G/m.model --epochs 1 --quiet --descriptors bp+spin-scaled --rc 4 --hidden 4 > $G/train.txt 2>&1"
check "sannip train: reports the descriptor cache (derivatives stored)" grep -q "descriptor cache .* MB, derivatives stored" $G/train.txt
./bin/sannip train $G/states.xyz -o $G/m2.model --epochs 1 --quiet --descriptors bp+spin-scaled --rc 4 --hidden 4 --cache-limit 0.001 > $G/train2.txt 2>&1
check "sannip train --cache-limit below the estimate: derivatives recomputed, same model" sh -c "grep -q 'derivatives recomputed per use' $G/train2.txt && cmp -s $G/m.model $G/m2.model"
./bin/sannip train $G/states.xyz -o $G/m3.model --cache-limit -1 > /dev/null 2>&1
check "sannip train: a negative --cache-limit exits 2" [ $? -eq 2 ]

# ---- sannip mc (spin Monte Carlo on a spin-aware model) ---------------------------------------
./bin/gen_toyiron --lattice bcc --sizes 3 --geometries 1 --rattle 0 --strain 0 --states fm --out $G/fe3.xyz > /dev/null 2>&1
./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/mc.csv --temperature 300 --init fm,pm,afm --sweeps 20 --equil 0 > $G/mc.txt 2>&1
check "sannip mc: hysteresis run exits 0" [ $? -eq 0 ]
check "sannip mc: 3 rows (fm, pm, afm) of 22 columns" sh -c "[ \$(awk -F, 'NR > 1 && NF == 22' $G/mc.csv | wc -l) -eq 3 ] && head -1 $G/mc.csv | grep -q '^init,T,kT,m,m_err,ratio'"
./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/scan.csv --temperature 500:1500:250 --sweeps 10 --equil 5 --walkers 2 > /dev/null 2>&1
check "sannip mc: a Curie scan of 5 temperatures with 2 walkers" sh -c "[ \$(awk -F, 'NR > 1' $G/scan.csv | wc -l) -eq 5 ]"
./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/scan2.csv --temperature 500:1500:250 --sweeps 10 --equil 5 --walkers 2 > /dev/null 2>&1
check "sannip mc: same seed, same table" cmp -s $G/scan.csv $G/scan2.csv
OMP_NUM_THREADS=1 ./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/scan1t.csv --temperature 500:1500:250 --sweeps 10 --equil 5 --walkers 2 > /dev/null 2>&1
check "sannip mc: one thread gives the same table as two" cmp -s $G/scan.csv $G/scan1t.csv
./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/bad.csv --temperature -5 > /dev/null 2>&1
check "sannip mc: a negative temperature exits 2" [ $? -eq 2 ]
./bin/sannip mc $G/m.model $G/fe3.xyz -o $G/bad.csv --temperature 300 --init ising > /dev/null 2>&1
check "sannip mc: an unknown start exits 2" [ $? -eq 2 ]
./bin/sannip help mc | grep -q "^usage: sannip mc"
check "sannip help mc" [ $? -eq 0 ]

# ---- rsc_fig3 (random spin committee, Carare et al. Fig. 3) -----------------------------------
# two seeds (the whole pipeline twice): the per-seed files in $R/seed_S, the curves as mean
# and sd over the seeds in $R
R=$OUT/rsc
./bin/rsc_fig3 --epochs 100 --seed 1 --seeds 2 --out $R > $OUT/rsc.txt 2>&1
check "rsc_fig3 exits 0" [ $? -eq 0 ]
# (nan marks a best-of-k with no converged member among the first k)
check "seed_1/rsc_fig3a.csv: 110 rows (55 coordinates x 2 rings) of 21 numbers or nan" awk -F, '
    NR > 1 { n++; if (NF != 21) bad = 1; for (i = 1; i <= NF; i++) if ($i != "nan" && $i !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) bad = 1 }
    END { exit (bad || n != 110) }' $R/seed_1/rsc_fig3a.csv
check "seed_2/rsc_fig3b.csv: 110 rows of 11 numbers" rows $R/seed_2/rsc_fig3b.csv 110 11
check "seed_1/rsc_fig3c.csv: 12 rows (3 sets x k = 1, 5, 10, 15)" rows $R/seed_1/rsc_fig3c.csv 12 13 text
check "rsc_fig3a.csv (over seeds): 110 rows of 35 numbers or nan (err_k, sd_k)" awk -F, '
    NR == 1 { if ($19 != "sd_1") bad = 1 }
    NR > 1 { n++; if (NF != 35) bad = 1; for (i = 1; i <= NF; i++) if ($i != "nan" && $i !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) bad = 1 }
    END { exit (bad || n != 110) }' $R/rsc_fig3a.csv
check "rsc_fig3b.csv (over seeds): 110 rows of 15 numbers" rows $R/rsc_fig3b.csv 110 15
check "rsc_fig3c.csv (over seeds): 12 rows of 13 fields, 2 seeds each" awk -F, '
    NR > 1 { n++; if (NF != 13 || $3 != 2) bad = 1 } END { exit (bad || n != 12) }' $R/rsc_fig3c.csv
check "the seeds differ (seed_1 and seed_2 fig3c files)" sh -c "[ -s $R/seed_1/rsc_fig3c.csv ] && [ -s $R/seed_2/rsc_fig3c.csv ] && ! cmp -s $R/seed_1/rsc_fig3c.csv $R/seed_2/rsc_fig3c.csv"
# the over-seed mean is the mean of the two seeds' values (test RMSE of nd3 best-of-1 models)
check "rsc_fig3c.csv: mean over seeds of the per-seed test RMSE" awk -F, '
    FNR == 1 { f++ } f < 3 && $1 == "nd3" && $2 == 1 { s += $6 } f == 3 && $1 == "nd3" && $2 == 1 { m = $6 }
    END { exit !(m > 0 && (m - s / 2) ^ 2 < 1e-8 * m * m) }' $R/seed_1/rsc_fig3c.csv $R/seed_2/rsc_fig3c.csv $R/rsc_fig3c.csv
# (a) best-of-15 within 1 meV/atom of the exact ground state for >= 95% of the rigid path
for nd in 3 4; do
    check "rsc: best-of-15 finds the exact ground state on >= 95% of the n_d = $nd path (seed 1)" awk -F, -v nd=$nd '
        NR > 1 && $1 == nd { n++; if ($19 < 0.001 * 2 * nd) ok++ } END { exit !(n > 0 && ok >= 0.95 * n) }' $R/seed_1/rsc_fig3a.csv
    check "rsc: the mean best-of-k error over seeds falls from k = 1 to 5 (n_d = $nd)" awk -F, -v nd=$nd '
        NR > 1 && $1 == nd && $4 != "nan" { e1 += $4; e5 += $8 } END { exit !(e5 < e1) }' $R/rsc_fig3a.csv
done
# (c) best-of-5 models beat best-of-1 models by more than the spread of the best-of-1 models
# (seed 1: spread over its 15 models)
for set in nd3 nd4 combined; do
    check "rsc: $set test RMSE of best-of-5 models is lower than best-of-1 by more than the spread (seed 1)" awk -F, -v s=$set '
        $1 == s && $2 == 1 { m1 = $6; s1 = $7 } $1 == s && $2 == 5 { m5 = $6 } END { exit !(m1 - m5 > s1) }' $R/seed_1/rsc_fig3c.csv
done
./bin/rsc_fig3 --epochs 100 --seed 1 --seeds 1 --out $R.again > /dev/null 2>&1
check "rsc_fig3 is deterministic: seed 1 alone gives seed_1's CSV files of the two-seed run" \
    sh -c "cmp -s $R/seed_1/rsc_fig3a.csv $R.again/seed_1/rsc_fig3a.csv && cmp -s $R/seed_1/rsc_fig3c.csv $R.again/seed_1/rsc_fig3c.csv"

# field_efficiency (issue 14): the quick curve runs, writes one CSV row per seed, size and mode,
# and the field term lowers the held-out field RMSE at every size (means over the seeds)
FE=$OUT/field_efficiency.csv
check "field_efficiency --quick runs" sh -c "./bin/field_efficiency --quick --out $FE > $OUT/field_efficiency.txt 2>&1"
check "field_efficiency: 2 seeds x 2 sizes x 2 modes CSV rows" rows $FE 8 7
check "field_efficiency: field labels lower the held-out field RMSE" awk -F, '
    NR > 1 { h[$2, $3] += $6; n[$2] = 1 } END { for (k in n) if (!(h[k, 1] < h[k, 0])) exit 1; exit 0 }' $FE
./bin/field_efficiency --quick --out $FE.again > /dev/null 2>&1
check "field_efficiency is deterministic (CSV without the CPU times)" sh -c "cut -d, -f1-6 $FE > $FE.a && cut -d, -f1-6 $FE.again > $FE.b && cmp -s $FE.a $FE.b"

echo "test_examples: $pass passed, $fail failed"
[ $fail -eq 0 ]
