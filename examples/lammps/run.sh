#!/bin/sh
# LAMMPS examples of sannip models through KIM (needs: apt-get install lammps libkim-api-dev
# cmake openmpi-bin). From the project root:   sh examples/lammps/run.sh [SHARED]
#  1. bcc Fe: toy-iron data (bin/gen_toyiron), a small BP model (bin/sannip train), NVE of
#     2000 atoms at ~300 K, serially and on 2 MPI ranks;
#  2. water: the n2p2 RPBE-D3 potential (bohr, Hartree) imported with its units, NVE of the
#     1080-atom liquid, serially and on 2 ranks.
# Models are installed into the KIM user collection (~/.kim-api) as Sannip_toyiron and
# Sannip_water; outputs go to lammps_out/.
set -e
SHARED=${1:-../shared}
EX=$(cd "$(dirname "$0")" && pwd)
MPI="mpirun -np 2"; [ "$(id -u)" = 0 ] && MPI="mpirun --allow-run-as-root --oversubscribe -np 2"
make bin/sannip bin/gen_toyiron bin/xyz2lammps > /dev/null
mkdir -p lammps_out; O=lammps_out
bin/gen_toyiron --lattice bcc --sizes 2,3 --geometries 40 --states fm --rattle 0.15 --seed 1 --out $O/fe.xyz
bin/sannip train $O/fe.xyz -o $O/fe.sannip --descriptors "$EX/fe_small.desc" --hidden 10,10 --epochs 100 --lr 0.01 --quiet
sh "$EX/../../bindings/kim/install.sh" $O/fe.sannip Sannip_toyiron
(cd $O && lmp -in "$EX/in.fe_nve" -var model Sannip_toyiron -log fe_serial.log > /dev/null)
(cd $O && $MPI lmp -in "$EX/in.fe_nve" -var model Sannip_toyiron -log fe_2ranks.log > /dev/null)
bin/sannip import-n2p2 "$SHARED/peers/n2p2/H2O_RPBE-D3" -o $O/water.sannip --units bohr,Ha
sh "$EX/../../bindings/kim/install.sh" $O/water.sannip Sannip_water
bin/sannip predict $O/water.sannip "$SHARED/peers/n2p2/H2O_RPBE-D3/liquid1080.data" -o $O/liquid.xyz > /dev/null
bin/xyz2lammps $O/liquid.xyz 1 $O/liquid.data $O/liquid.ref O H
(cd $O && lmp -in "$EX/in.water_nve" -var model Sannip_water -var data liquid.data -log water_serial.log > /dev/null)
(cd $O && $MPI lmp -in "$EX/in.water_nve" -var model Sannip_water -var data liquid.data -log water_2ranks.log > /dev/null)
for f in fe_serial fe_2ranks water_serial water_2ranks; do
    echo "== $f"; awk '/^ *Step/ { on = 1 } /^Loop time/ { print; on = 0 } on' $O/$f.log | sed -n '1,3p;$p'
done
