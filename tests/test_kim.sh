#!/bin/sh
# LAMMPS through sannip's KIM model driver (bindings/kim), in a private KIM collection:
#  - run 0 on the n2p2 water liquid (1080 atoms, a bohr/Ha model the driver converts to
#    LAMMPS's metal units) and on NiO frames, serial and mpirun -np 2: energy, forces,
#    virial and summed per-atom virials equal `bin/sannip predict`;
#  - NVE of bcc Fe (2000 atoms, 1 fs, toy-iron-trained BP model): energy drift over 1000
#    steps, serial and 2-rank thermo agree over the first 100 steps;
#  - spin-aware models and models without units are refused with a clear message.
# Skips (0 passed, 0 failed) only when LAMMPS (lmp) is absent.
cd "$(dirname "$0")/.." || exit 1
R=$(pwd); SHARED=${SANNIP_SHARED:-../shared}
if ! command -v lmp > /dev/null 2>&1; then echo "test_kim: 0 passed, 0 failed (skipped: no lmp)"; exit 0; fi
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
for t in kim-api-collections-management cmake mpirun; do command -v $t > /dev/null 2>&1 || bad "no $t (apt-get install libkim-api-dev cmake openmpi-bin)"; done
[ $fail -eq 0 ] || { echo "test_kim: $pass passed, $fail failed"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export KIM_API_MODEL_DRIVERS_DIR="$T/kim/drivers" KIM_API_PORTABLE_MODELS_DIR="$T/kim/models" OMP_NUM_THREADS=1
mkdir -p "$KIM_API_MODEL_DRIVERS_DIR" "$KIM_API_PORTABLE_MODELS_DIR"
MPI="mpirun --allow-run-as-root --oversubscribe -np 2"
S=$R/bin/sannip; EX=$R/examples/lammps
water=$SHARED/peers/n2p2/H2O_RPBE-D3
install() { sh bindings/kim/install.sh "$1" "$2" environment > "$T/install.log" 2>&1 || { bad "install $2: $(tail -n 3 "$T/install.log")"; return 1; }; }
below() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x + 0 < t + 0) }'; }
# run0 NAME XYZ FRAME ELEMENTS...: LAMMPS run 0 serial and on 2 ranks against the prediction
run0() {
    name=$1 xyz=$2 frame=$3; shift 3
    bin/xyz2lammps "$xyz" "$frame" "$T/$name.data" "$T/$name.ref" "$@" || { bad "$name: xyz2lammps"; return; }
    for np in 1 2; do
        cmd="lmp"; [ $np = 2 ] && cmd="$MPI lmp"
        if (cd "$T" && $cmd -in "$EX/in.run0" -var model "$model" -var data "$name.data" -var elements "$*" -var out "$name.$np" -log "$name.$np.log" > "$name.$np.out" 2>&1); then
            awk -f "$EX/compare_run0.awk" "$T/$name.ref" "$T/$name.$np.log" "$T/$name.$np.forces" > "$T/cmp"
            e=$(awk '/^energy/ { print $3 }' "$T/cmp"); f=$(awk '/^forces/ { print $3 }' "$T/cmp")
            v=$(awk '/^virial/ { print $3 }' "$T/cmp"); a=$(awk '/^atom-virial/ { print $3 }' "$T/cmp")
            below "$e" 1e-10 && below "$f" 1e-8 && below "$v" 1e-8 && below "$a" 1e-8 \
                && ok "$name, $np rank(s): energy $e (relative), forces $f eV/A, virial $v, per-atom virial sum $a (relative)" \
                || bad "$name, $np rank(s): $(tr '\n' ' ' < "$T/cmp")"
        else bad "$name, $np rank(s): lmp failed: $(grep -m 1 ERROR "$T/$name.$np.out")"; fi
    done
}

# 1. water: a bohr/Hartree model, LAMMPS in metal units (the driver converts)
if $S import-n2p2 "$water" -o "$T/water.sannip" --units bohr,Ha > /dev/null && install "$T/water.sannip" Sannip_water; then
    model=Sannip_water
    $S predict "$T/water.sannip" "$water/liquid1080.data" -o "$T/liquid.xyz" > /dev/null && run0 water1080 "$T/liquid.xyz" 1 O H
    # LAMMPS's real units: the driver converts the model to kcal/mol (1 kcal/mol = 4184 J/mol / N_A e)
    if (cd "$T" && lmp -in "$EX/in.run0" -var model Sannip_water -var data water1080.data -var elements "O H" -var out real -var units real -log real.log > real.out 2>&1); then
        awk -v escale=23.060547830619026 -v nk=68568.415 -f "$EX/compare_run0.awk" "$T/water1080.ref" "$T/real.log" "$T/real.forces" > "$T/cmp"
        e=$(awk '/^energy/ { print $3 }' "$T/cmp"); f=$(awk '/^forces/ { print $3 }' "$T/cmp"); v=$(awk '/^virial/ { print $3 }' "$T/cmp")
        below "$e" 1e-10 && below "$f" 1e-8 && below "$v" 1e-8 && ok "water1080 in LAMMPS real units (kcal/mol): energy $e, forces $f kcal/mol/A, virial $v" \
            || bad "water1080 in real units: $(tr '\n' ' ' < "$T/cmp")"
    else bad "water1080 in real units: lmp failed: $(grep -m 1 ERROR "$T/real.out")"; fi
fi
# 2. NiO frames (a briefly trained spin-agnostic BP model; its accuracy does not matter here)
awk 'n < 12 { if (left == 0) left = $1 + 2; print; left--; if (left == 0) n++ }' "$SHARED/data/nio_train.xyz" > "$T/nio12.xyz"
if $S train "$T/nio12.xyz" -o "$T/nio.sannip" --hidden 6,5 --epochs 3 --seed 3 --quiet > /dev/null && install "$T/nio.sannip" Sannip_nio; then
    model=Sannip_nio
    $S predict "$T/nio.sannip" "$T/nio12.xyz" -o "$T/nio_pred.xyz" > /dev/null
    for k in 1 7 12; do run0 nio$k "$T/nio_pred.xyz" $k O Ni; done
fi
# 3. refusals, with the reason in kim.log
$S import-n2p2 "$water" -o "$T/nounits.sannip" > /dev/null
$S train "$T/nio12.xyz" -o "$T/spin.sannip" --descriptors bp+spin --hidden 4 --epochs 1 --quiet > /dev/null
for c in "nounits Sannip_nounits does not state its units" "spin Sannip_spin spin-aware model"; do
    set -- $c; file=$1 name=$2; shift 2
    if install "$T/$file.sannip" "$name"; then
        rm -f "$T/kim.log"
        (cd "$T" && lmp -in "$EX/in.run0" -var model "$name" -var data water1080.data -var elements "O H" -var out x -log none > refuse.out 2>&1) \
            && bad "$name: LAMMPS accepted it" || { grep -q "$*" "$T/kim.log" 2>/dev/null && ok "$name refused: $*" || bad "$name: no '$*' in kim.log"; }
    fi
done
# 4. NVE of bcc Fe with a BP model trained on toy iron
bin/gen_toyiron --lattice bcc --sizes 2,3 --geometries 40 --states fm --rattle 0.15 --seed 1 --out "$T/fe.xyz" > /dev/null 2>&1
if $S train "$T/fe.xyz" -o "$T/fe.sannip" --descriptors "$EX/fe_small.desc" --hidden 10,10 --epochs 100 --lr 0.01 --seed 1 --quiet > /dev/null \
   && install "$T/fe.sannip" Sannip_toyiron; then
    (cd "$T" && lmp -in "$EX/in.fe_nve" -var model Sannip_toyiron -var steps 100 -log fe1.log > fe1.out 2>&1) || bad "Fe NVE serial: $(grep -m 1 ERROR "$T/fe1.out")"
    (cd "$T" && $MPI lmp -in "$EX/in.fe_nve" -var model Sannip_toyiron -var steps 1000 -log fe2.log > fe2.out 2>&1) || bad "Fe NVE 2 ranks: $(grep -m 1 ERROR "$T/fe2.out")"
    thermo() { awk '/^ *Step/ { on = 1; next } /^Loop time/ { on = 0 } on && NF == 6 { print }' "$1"; }
    thermo "$T/fe1.log" > "$T/t1"; thermo "$T/fe2.log" > "$T/t2"
    # drift: mean total energy of the last 100 steps minus that of the first 100, per atom
    d=$(awk '{ s[NR] = $5 } END { n = NR; k = int(n / 10); for (i = 1; i <= k; i++) { a += s[i]; b += s[n - k + i] }
              if (n < 101) print 1e9; else { x = (b - a) / k / 2000; print x < 0 ? -x : x } }' "$T/t2")
    below "$d" 1e-4 && ok "Fe NVE, 2000 atoms, 1000 steps of 1 fs (2 ranks): drift $d eV/atom" || bad "Fe NVE drift $d eV/atom ($(wc -l < "$T/t2") thermo lines)"
    # serial vs 2 ranks, steps 0..100: every thermo quantity to 8 digits
    m=$(awk 'NR == FNR { for (k = 1; k <= 6; k++) a[FNR, k] = $k; n1 = FNR; next }
             FNR <= n1 { for (k = 2; k <= 6; k++) { d = $k - a[FNR, k]; d = d < 0 ? -d : d; s = a[FNR, k] < 0 ? -a[FNR, k] : a[FNR, k]
                         if (s > 0 && d / s > x) x = d / s }; c++ }
             END { if (c < 11) print 1; else print x + 0 }' "$T/t1" "$T/t2")
    below "$m" 1e-8 && ok "Fe NVE serial vs 2 ranks over 100 steps: largest relative thermo difference $m" || bad "Fe NVE serial vs 2 ranks: $m"
fi
echo "test_kim: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
