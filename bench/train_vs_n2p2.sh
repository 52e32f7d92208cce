#!/bin/sh
# Training against n2p2's nnp-train in one run (issue 16): the same data, symmetry functions,
# network (2 x 25 tanh), train/validation split and energy + force training; n2p2's Kalman filter
# against sannip's (--optimizer ekf, EPOCHS epochs) and sannip's default Adam (ADAM_EPOCHS);
# validation RMSE against wall time, 1 and 2 threads.
#   sh bench/train_vs_n2p2.sh SHARED N2P2_DIR [RUN_DIR] [EPOCHS] [ADAM_EPOCHS] [CASES]
# CASES: nio (../shared/data/nio_train.xyz, 1 and 2 threads) and toyiron (bin/gen_toyiron: bcc Fe,
# 2x2x2 and 3x3x3 cells, 100 rattled and strained geometries, FM and perturbed FM; 1 thread);
# default both. Each case gets RUN_DIR/CASE/.
# (make bench-train-n2p2 N2P2_DIR=...). Writes into RUN_DIR (default: a new temporary
# directory, never the project), per case: input.data, input.nn, the runs (n2p2-tT/,
# sannip-ekf-tT/, sannip-adam-tT/, sannip-bp-adam-t1/), the table summary.txt and the figure
# train_vs_n2p2.png. Prints the tables.
# The split is n2p2's (its train.data and test.data, from test_fraction 0.2 and its seed);
# sannip trains on train.data and validates on test.data (--val-file).
# Feature scaling: n2p2 centres the symmetry functions (center_symmetry_functions); sannip
# uses its default (T3.21). NiO's geometry hardly varies (O's symmetry functions spread by
# 1e-10 over the data set), so n2p2's scale_symmetry_functions (or sannip's modified scaling
# exported to it) divides by ~1e-10 and its first forces are 1e5-1e8 eV/A, from which it does
# not recover; sannip's energy map (E_i = sigma_E NN + mu, sigma_E = 0.45 meV here) needs the
# features spread out, so plain centring leaves its forces near zero. Both are stated in the table.
set -e
SHARED=${1:-../shared}; N2P2=$2; RUN=$3; EPOCHS=${4:-10}; ADAM_EPOCHS=${5:-1000}; CASES=${6:-nio toyiron}
PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$N2P2" ] || [ ! -x "$N2P2/bin/nnp-train" ] || [ ! -x "$N2P2/bin/nnp-scaling" ]; then
    echo "train_vs_n2p2: skipped (set N2P2_DIR to an n2p2 tree with bin/nnp-train and bin/nnp-scaling)"; exit 0
fi
$PY -c 'import ase, matplotlib' 2>/dev/null || { echo "train_vs_n2p2: skipped ($PY lacks ase or matplotlib)"; exit 0; }
[ -n "$RUN" ] || RUN=$(mktemp -d "${TMPDIR:-/tmp}/sannip-train-n2p2.XXXXXX")
mkdir -p "$RUN"; RUN=$(cd "$RUN" && pwd)
[ -x "$ROOT/bin/sannip" ] || make -C "$ROOT" --no-print-directory bin/sannip >/dev/null
echo "train_vs_n2p2: $RUN ($EPOCHS epochs; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'))"

# compare CASE XYZ "ELEMENTS" "THREADS": one case in $RUN/CASE
compare() {
CASE=$1; XYZ=$2; ELEMENTS=$3; THREADS=$4
C="$RUN/$CASE"; mkdir -p "$C"
echo "$CASE: $XYZ, elements $ELEMENTS, threads $THREADS"
# extended XYZ -> n2p2 input.data
$PY - "$XYZ" "$C/input.data" <<'PYEOF'
import sys
from ase.io import read
with open(sys.argv[2], 'w') as f:
    for k, a in enumerate(read(sys.argv[1], ':')):
        F = a.get_forces()
        f.write('begin\ncomment frame %d\n' % (k + 1))
        for v in a.cell: f.write('lattice %.10f %.10f %.10f\n' % tuple(v))
        for s, p, fr in zip(a.get_chemical_symbols(), a.positions, F):
            f.write('atom %.10f %.10f %.10f %s 0.0 0.0 %.10f %.10f %.10f\n' % (p[0], p[1], p[2], s, fr[0], fr[1], fr[2]))
        f.write('energy %.10f\ncharge 0.0\nend\n' % a.get_potential_energy())
PYEOF
# the mean energy per atom: every element's atom_energy (n2p2's offset; sannip fits its own, T F.28)
EMEAN=$($PY -c "
import sys
e=[];n=0
for l in open('$C/input.data'):
    w=l.split()
    if w[0]=='energy': e.append(float(w[1])/n); n=0
    elif w[0]=='atom': n+=1
print('%.10f'%(sum(e)/len(e)))")

# input.nn: n2p2's standard Kalman filter (its documented defaults); per element 8 radial G2
# per neighbour element and 8 narrow angular G3 per neighbour pair (NiO: 40), rc 6 A
{
set -- $ELEMENTS
echo "number_of_elements $#"
echo "elements $ELEMENTS"
for e in $ELEMENTS; do echo "atom_energy $e $EMEAN"; done
cat <<EOT
cutoff_type 1
center_symmetry_functions
global_hidden_layers_short 2
global_nodes_short 25 25
global_activation_short t t l
use_short_forces
random_seed 12346
epochs $EPOCHS
updater_type 1
parallel_mode 0
jacobian_mode 1
update_strategy 0
selection_mode 0
task_batch_size_energy 1
task_batch_size_force 1
memorize_symfunc_results
test_fraction 0.2
force_weight 1.0
short_energy_fraction 1.000
short_force_fraction 0.02
short_energy_error_threshold 0.00
short_force_error_threshold 0.00
weights_min -1.0
weights_max 1.0
nguyen_widrow_weights_short
main_error_metric RMSEpa
write_weights_epoch 0
kalman_type 0
kalman_epsilon 1.0E-2
kalman_q0 0.01
kalman_qtau 2.302
kalman_qmin 1.0E-6
kalman_eta 0.01
kalman_etatau 2.302
kalman_etamax 1.0
EOT
PAIRS=$(i=0; for a in $ELEMENTS; do j=0; for b in $ELEMENTS; do [ $j -ge $i ] && printf '%s,%s ' $a $b; j=$((j + 1)); done; i=$((i + 1)); done)
for e in $ELEMENTS; do
    for n in $ELEMENTS; do for eta in 0.001 0.01 0.03 0.06 0.15 0.3 0.6 1.5; do echo "symfunction_short $e 2 $n $eta 0.0 6.0"; done; done
    for p in $PAIRS; do
        for eta in 0.005 0.03; do for lam in -1 1; do for z in 1 4; do echo "symfunction_short $e 3 ${p%,*} ${p#*,} $eta $lam $z 6.0"; done; done; done
    done
done
} > "$C/input.nn"

for T in $THREADS; do
    D="$C/n2p2-t$T"; mkdir -p "$D"; cp "$C/input.data" "$C/input.nn" "$D/"
    (cd "$D" && OMP_NUM_THREADS=$T "$N2P2/bin/nnp-scaling" 100 > scaling.log 2>&1 && rm -f sf.*.histo \
        && /usr/bin/time -f "%e %U %S" -o time.txt env OMP_NUM_THREADS=$T "$N2P2/bin/nnp-train" > train.log 2>&1)
    for O in ekf adam; do
        D="$C/sannip-$O-t$T"; mkdir -p "$D"
        E=$EPOCHS; [ $O = adam ] && E=$ADAM_EPOCHS
        (cd "$D" && /usr/bin/time -f "%e %U %S" -o time.txt env OMP_NUM_THREADS=$T "$ROOT/bin/sannip" train "$C/n2p2-t1/train.data" \
            --val-file "$C/n2p2-t1/test.data" -o model.sannip --descriptors "$C/input.nn" --optimizer $O --epochs "$E" \
            --learning-curve curve.csv > train.log 2>&1)
    done
done
# and sannip with its own descriptors (the bp preset, 84 bases over any neighbour), same split
D="$C/sannip-bp-adam-t1"; mkdir -p "$D"
(cd "$D" && /usr/bin/time -f "%e %U %S" -o time.txt env OMP_NUM_THREADS=1 "$ROOT/bin/sannip" train "$C/n2p2-t1/train.data" \
    --val-file "$C/n2p2-t1/test.data" -o model.sannip --epochs "$ADAM_EPOCHS" --learning-curve curve.csv > train.log 2>&1)
$PY - "$C" "$CASE" "$THREADS" <<'PYEOF'
import sys, os, csv
import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
run, case, threads = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split()]
def n2p2(d):   # (seconds, val E meV/atom, val F eV/A) per epoch; time: timing.out's cumulative column
    lc = [l.split() for l in open(os.path.join(d, 'learning-curve.out')) if not l.startswith('#')]
    tm = {int(l.split()[0]): float(l.split()[6]) for l in open(os.path.join(d, 'timing.out')) if not l.startswith('#')}
    return [(tm.get(int(r[0]), 0.0), 1e3 * float(r[2]), float(r[10])) for r in lc]
def sannip(d):
    rows = [r for r in csv.reader(l for l in open(os.path.join(d, 'curve.csv')) if not l.startswith('#'))]
    h = rows[0]; rows = rows[1:]
    i = {k: h.index(k) for k in h}
    # seconds: since sannip_train began (its descriptor cache included)
    return [(float(r[i['seconds']]), 1e3 * float(r[i['val_energy_rmse']]), float(r[i['val_force_rmse']])) for r in rows]
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
out = []
runs = [(n, T, f) for T in threads for n, f in (('n2p2', n2p2), ('sannip-ekf', sannip), ('sannip-adam', sannip))] + [('sannip-bp-adam', 1, sannip)]
for name, T, f in runs:
    d = os.path.join(run, '%s-t%d' % (name, T)); c = f(d)
    wall = open(os.path.join(d, 'time.txt')).read().split()
    for k in (0, 1):
        ax[k].plot([r[0] for r in c], [r[1 + k] for r in c], ('-' if 'sannip' in name else '--s'), ms=3, label='%s, %d thread%s' % (name, T, 's' if T > 1 else ''))
    out.append((name, T, c, wall))
for a, t in zip(ax, ('validation energy RMSE (meV/atom)', 'validation force RMSE (eV/A)')):
    a.set_xlabel('training wall time (s, after set-up)'); a.set_ylabel(t); a.set_yscale('log'); a.set_xscale('log'); a.legend(fontsize=7)
fig.suptitle(case + ', 2 x 25 tanh, same symmetry functions (bp: sannip\'s own) and split: n2p2 nnp-train (Kalman) vs sannip', fontsize=9)
fig.tight_layout(); fig.savefig(os.path.join(run, 'train_vs_n2p2.png'), dpi=110)
lines = ['code           threads  epochs  final val E (meV/atom)  final val F (eV/A)  train s  process wall/user s   reaches n2p2 final E and F at (s)']
final = {}
for name, T, c, wall in out:
    if name == 'n2p2': final[T] = c[-1]
for name, T, c, wall in out:
    e, f = final[T][1], final[T][2]   # n2p2's final errors with the same threads
    hit = next((r[0] for r in c if r[1] <= e and r[2] <= f), None)
    lines.append('%-14s %7d %7d %23.4f %19.5f %8.1f %10s/%-10s %s' % (name, T, len(c) - 1 if name == 'n2p2' else len(c), c[-1][1], c[-1][2], c[-1][0], wall[0], wall[1],
                 'never' if hit is None else '%.1f' % hit))
open(os.path.join(run, 'summary.txt'), 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PYEOF
echo "figure: $C/train_vs_n2p2.png"
}

for CASE in $CASES; do
    case $CASE in
    nio) compare nio "$SHARED/data/nio_train.xyz" "Ni O" "1 2" ;;
    toyiron)
        [ -x "$ROOT/bin/gen_toyiron" ] || make -C "$ROOT" --no-print-directory bin/gen_toyiron >/dev/null
        mkdir -p "$RUN/toyiron"
        "$ROOT/bin/gen_toyiron" --subset fm --lattice bcc --sizes 2,3 --geometries 100 --out "$RUN/toyiron/toyiron.xyz" >/dev/null
        compare toyiron "$RUN/toyiron/toyiron.xyz" "Fe" "1" ;;
    *) echo "train_vs_n2p2: unknown case '$CASE' (nio, toyiron)"; exit 2 ;;
    esac
done
