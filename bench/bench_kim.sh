#!/bin/sh
# LAMMPS + sannip's KIM driver against sannip's own call, same model, same structure, same
# compiler flags: the n2p2 water potential on the 1080-atom liquid, energy + forces.
#   sannip:      bin/sannip predict (one thread) of the structure 10 times, wall time of the
#                whole run (reading, neighbour lists, writing included)
#   LAMMPS+KIM:  MD steps (run 20), LAMMPS's "Pair" time (the driver: its own neighbour list
#                over local + ghost atoms, sannip, forces back) and the whole loop, serial
#                and on 2 MPI ranks (wall time per step, divided by all 1080 atoms)
# Prints microseconds per atom (wall clock throughout: run it on an idle machine) and the
# ratios. Skips when lmp is absent.
cd "$(dirname "$0")/.." || exit 1
SHARED=${SANNIP_SHARED:-../shared}
command -v lmp > /dev/null 2>&1 || { echo "bench_kim: skipped (no lmp)"; exit 0; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export KIM_API_MODEL_DRIVERS_DIR="$T/d" KIM_API_PORTABLE_MODELS_DIR="$T/m" OMP_NUM_THREADS=1 CFLAGS="${CFLAGS:--O3}"
mkdir -p "$T/d" "$T/m"
water=$SHARED/peers/n2p2/H2O_RPBE-D3; N=1080; K=10; STEPS=20
MPI="mpirun --allow-run-as-root --oversubscribe -np 2"
make bin/sannip bin/xyz2lammps > /dev/null || exit 1
bin/sannip import-n2p2 "$water" -o "$T/w.sannip" --units bohr,Ha > /dev/null || exit 1
sh bindings/kim/install.sh "$T/w.sannip" Sannip_bench environment > /dev/null || exit 1
bin/sannip predict "$T/w.sannip" "$water/liquid1080.data" -o "$T/l.xyz" > /dev/null
bin/xyz2lammps "$T/l.xyz" 1 "$T/l.data" "$T/l.ref" O H || exit 1
i=0; while [ $i -lt $K ]; do cat "$water/liquid1080.data"; i=$((i + 1)); done > "$T/many.data"
t0=$(date +%s%N)
bin/sannip predict "$T/w.sannip" "$T/many.data" -o "$T/p.data" > /dev/null || exit 1
own=$(awk -v a=$t0 -v b=$(date +%s%N) -v n=$N -v k=$K 'BEGIN { print (b - a) / 1e3 / (n * k) }')
cat > "$T/in.bench" <<IN
kim init Sannip_bench metal
boundary p p p
atom_style atomic
read_data l.data
kim interactions O H
velocity all create 300.0 1 loop geom
timestep 0.0005
fix 1 all nve
thermo $STEPS
run $STEPS
IN
for np in 1 2; do
    cmd=lmp; [ $np = 2 ] && cmd="$MPI lmp"
    (cd "$T" && $cmd -in in.bench -log bench$np.log > /dev/null 2>&1) || { echo "bench_kim: lmp failed on $np rank(s)"; exit 1; }
    eval "pair$np=\$(awk -v n=$N -v s=$STEPS '/^Pair  *\\|/ { print \$7 / (n * s) * 1e6 }' \"\$T/bench$np.log\")"
    eval "loop$np=\$(awk -v n=$N -v s=$STEPS '/^Loop time/ { print \$4 / (n * s) * 1e6 }' \"\$T/bench$np.log\")"
done
printf "KIM driver, water 1080 atoms, energy + forces (CFLAGS %s), microseconds per atom:\n" "$CFLAGS"
printf "  sannip's own call (bin/sannip predict, 1 thread):   %8.1f\n" "$own"
printf "  LAMMPS+KIM, 1 rank:  pair %8.1f (%.3fx own)   whole step %8.1f\n" "$pair1" "$(echo "$pair1 $own" | awk '{ print $1 / $2 }')" "$loop1"
printf "  LAMMPS+KIM, 2 ranks: pair %8.1f (%.3fx own)   whole step %8.1f   (wall; speed-up over 1 rank %.2fx)\n" \
    "$pair2" "$(echo "$pair2 $own" | awk '{ print $1 / $2 }')" "$loop2" "$(echo "$loop1 $loop2" | awk '{ print $1 / $2 }')"
