#!/bin/sh
# make demo: the main job on the bundled default. Until the Monte Carlo release this imports
# the n2p2 water potential, predicts the 1080-atom liquid and compares with n2p2's prediction.
set -e
SHARED=${1:-../shared}
P=$SHARED/peers/n2p2/H2O_RPBE-D3
OUT=demo_out
mkdir -p $OUT
./bin/sannip import-n2p2 $P -o $OUT/h2o.sannip
./bin/sannip info $OUT/h2o.sannip
./bin/sannip predict $OUT/h2o.sannip $P/liquid1080.data -o $OUT/liquid1080.xyz
./bin/sannip predict $OUT/h2o.sannip $P/liquid1080.data -o $OUT/liquid1080_pred.data
printf 'sannip energy: '; grep '^energy' $OUT/liquid1080_pred.data | awk '{print $2}'
printf 'n2p2   energy: '; grep '^energy' $P/liquid1080_n2p2_predictions.data | awk '{print $2}'
echo "results in $OUT/"
