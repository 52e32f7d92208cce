#!/bin/sh
# make demo: the main job on the bundled default, toy iron (examples/toyiron.h), in about
# three minutes on 2 cores: (1) generates a toy-iron data set; (2) trains spin-agnostic BP and
# spin-aware SANNIP models on the thesis's three kinds of data (high spin variation, high
# geometry + spin variation, FM only) and prints their accuracy side by side with the
# thesis's Tables 4.1-4.3; (3) runs the Curie scan of the toy Hamiltonian and of a SANNIP
# trained on it (T_c side by side) and the hysteresis protocol at 300 K. Everything lands in
# demo_out/ (tables, CSV, summary.txt, plots when python3-matplotlib is installed).
set -e
SHARED=${1:-../shared}
OUT=demo_out
mkdir -p $OUT
echo "== 1. toy-iron data: bcc/fcc cells, FM, perturbed FM, PM and AFM states (bin/gen_toyiron)"
./bin/gen_toyiron --subset spin --seed 1 --out $OUT/toyiron_spin.xyz
echo
if [ -x ./bin/spin_accuracy ]; then
    echo "== 2. BP vs SANNIP on toy iron (thesis Tables 4.1-4.3; bin/spin_accuracy --quick)"
    ./bin/spin_accuracy --quick --out $OUT/accuracy
    echo
fi
echo "== 3. Monte Carlo: T_c of toy iron and of a SANNIP trained on it; hysteresis (bin/curie --quick)"
./bin/curie --quick --out $OUT/curie
echo
echo "results in $OUT/ (curie/summary.txt, curie/*.csv$( [ -x ./bin/spin_accuracy ] && echo ', accuracy/' ))"
