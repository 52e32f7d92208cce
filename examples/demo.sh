#!/bin/sh
# make demo: the main job on the bundled default, toy iron (examples/toyiron.h): (1) generates a
# toy-iron data set; (2) trains spin-agnostic BP and spin-aware SANNIP models on the thesis's
# three kinds of data (high spin variation, high geometry + spin variation, FM only) and
# prints their accuracy side by side with the thesis's Tables 4.1-4.3, then the spin-state
# differences and the NiO cross-validation (SHARED/data/nio_train.xyz); (3) runs the Curie
# scan of the toy Hamiltonian and of a SANNIP trained on it (T_c side by side) and the
# hysteresis protocol at 300 K. Everything lands in demo_out/ (tables, CSV, summary.txt and
# the PNG figures, drawn with $PYTHON or else the first of python3, /usr/bin/python3 that
# imports matplotlib; examples/plotting.h). Long steps print a progress line with their ETA
# every 10 s. Run time: see README.md ("make demo").
#     sh examples/demo.sh [SHARED]     (make demo SHARED=... ; default ../shared)
set -e
SHARED=${1:-../shared}
SANNIP_SHARED=$SHARED
export SANNIP_SHARED
OUT=demo_out
mkdir -p $OUT
rm -f $OUT/*/*.png   # the figures listed at the end are this run's
start=$(date +%s)
echo "== 1. toy-iron data: bcc/fcc cells, FM, perturbed FM, PM and AFM states (bin/gen_toyiron)"
./bin/gen_toyiron --subset spin --seed 1 --out $OUT/toyiron_spin.xyz
echo
if [ -x ./bin/spin_accuracy ]; then
    echo "== 2. BP vs SANNIP on toy iron (thesis Tables 4.1-4.3; bin/spin_accuracy --quick)"
    if [ -f "$SHARED/data/nio_train.xyz" ]; then nio="$SHARED/data/nio_train.xyz"
    else echo "(no $SHARED/data/nio_train.xyz: the NiO part is skipped; make demo SHARED=DIR names the shared data)"; nio=none; fi
    ./bin/spin_accuracy --quick --out $OUT/accuracy --nio "$nio"
    echo
fi
echo "== 3. Monte Carlo: T_c of toy iron (extended truth) and of a SANNIP trained on it; hysteresis (bin/curie --quick --tuned: shell-matched spin bases, the fast path; the generic-preset study is bin/curie)"
./bin/curie --quick --tuned --out $OUT/curie
echo
echo "results in $OUT/ after $(( $(date +%s) - start )) s: curie/summary.txt, curie/*.csv$( [ -x ./bin/spin_accuracy ] && echo ', accuracy/accuracy.md, accuracy/*.csv' )"
pngs=$(ls $OUT/*/*.png 2>/dev/null || true)
if [ -n "$pngs" ]; then echo "figures:"; for p in $pngs; do echo "  $p"; done
else echo "figures: none (see the 'plots:' line above)"; fi
