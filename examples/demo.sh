#!/bin/sh
# make demo: the main job on the bundled default. Until the spin and Monte Carlo releases
# it shows what exists: (1) the n2p2 water potential imported and evaluated on the 1080-atom
# liquid next to n2p2's own prediction; (2) a committee of two BP models trained on the DFT
# NiO data, evaluated against trivial predictors, and its spread. Outputs in demo_out/.
set -e
SHARED=${1:-../shared}
P=$SHARED/peers/n2p2/H2O_RPBE-D3
OUT=demo_out
mkdir -p $OUT
echo "== 1. n2p2 water potential on the 1080-atom liquid"
./bin/sannip import-n2p2 $P -o $OUT/h2o.sannip
./bin/sannip predict $OUT/h2o.sannip $P/liquid1080.data -o $OUT/liquid1080_pred.data
printf 'sannip energy: '; grep '^energy' $OUT/liquid1080_pred.data | awk '{print $2}'
printf 'n2p2   energy: '; grep '^energy' $P/liquid1080_n2p2_predictions.data | awk '{print $2}'
echo
echo "== 2. committee of 2 spin-agnostic BP models on DFT NiO (300 epochs each)"
./bin/sannip train $SHARED/data/nio_train.xyz -o $OUT/nio_committee.sannip --epochs 300 --committee 2 --pca 8 --quiet
./bin/sannip evaluate $OUT/nio_committee.sannip $SHARED/data/nio_train.xyz --parity $OUT/nio_parity.csv --per-structure $OUT/nio_per_structure.csv
./bin/sannip predict $OUT/nio_committee.sannip $SHARED/data/nio_train.xyz -o $OUT/nio_pred.xyz
echo "results in $OUT/ (parity and per-structure CSVs; nio_pred.xyz holds energy_spread= and forces_spread)"
