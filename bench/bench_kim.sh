#!/bin/sh
# LAMMPS + sannip's KIM driver against sannip's own call, same model, same structure, same
# compiler flags: the n2p2 water potential on the 1080-atom liquid, energy + forces.
#   sannip:      bin/sannip predict (one thread) of the structure 10 times (reading, neighbour
#                lists and writing included)
#   LAMMPS+KIM:  MD steps, serial and on 2 MPI ranks: the cost of 20 steps (a run of 20
#                steps minus a run of 0, so start-up and model loading cancel), and LAMMPS's
#                own "Pair" time (the driver: its neighbour list over local + ghost atoms,
#                sannip, forces back)
# Prints microseconds per atom and step, as CPU time (summed over processes; robust on a
# busy machine) and wall time (meaningful on an idle one), and the ratios. Skips without lmp.
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
# CPU seconds used by finished children (user + system): `times` must run in this shell (a
# command substitution's subshell has its own, empty, accounts), so stamp writes a file
stamp() { times > "$T/times"; w=$(date +%s.%N); c=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$T/times"); }
stamp; c0=$c w0=$w
bin/sannip predict "$T/w.sannip" "$T/many.data" -o "$T/p.data" > /dev/null || exit 1
stamp
own_c=$(awk -v a=$c0 -v b=$c -v n=$((N * K)) 'BEGIN { print (b - a) / n * 1e6 }')
own_w=$(awk -v a=$w0 -v b=$w -v n=$((N * K)) 'BEGIN { print (b - a) / n * 1e6 }')
for s in 0 $STEPS; do
    printf 'kim init Sannip_bench metal\nboundary p p p\natom_style atomic\nread_data l.data\nkim interactions O H\n' > "$T/in.$s"
    printf 'velocity all create 300.0 1 loop geom\ntimestep 0.0005\nfix 1 all nve\nthermo %s\nrun %s\n' $STEPS $s >> "$T/in.$s"
done
for np in 1 2; do
    cmd=lmp; [ $np = 2 ] && cmd="$MPI lmp"
    for s in 0 $STEPS; do
        stamp; c0=$c w0=$w
        (cd "$T" && $cmd -in in.$s -log b$np.$s.log > /dev/null 2>&1) || { echo "bench_kim: lmp failed on $np rank(s)"; exit 1; }
        stamp
        eval "c_${np}_$s=$(awk -v a=$c0 -v b=$c 'BEGIN { print b - a }') w_${np}_$s=$(awk -v a=$w0 -v b=$w 'BEGIN { print b - a }')"
    done
done
per() { awk -v a="$1" -v b="$2" -v n=$((N * STEPS)) 'BEGIN { print (b - a) / n * 1e6 }'; }
pair() { awk -v n=$((N * STEPS)) '/^Pair  *\|/ { print $7 / n * 1e6 }' "$T/b$1.$STEPS.log"; }
eval "l1c=\$(per \$c_1_0 \$c_1_$STEPS) l1w=\$(per \$w_1_0 \$w_1_$STEPS) l2c=\$(per \$c_2_0 \$c_2_$STEPS) l2w=\$(per \$w_2_0 \$w_2_$STEPS)"
printf "KIM driver, water 1080 atoms, energy + forces (CFLAGS %s), microseconds per atom and step:\n" "$CFLAGS"
printf "                                           CPU       wall   (ratio to sannip's own call: CPU, wall)\n"
printf "  sannip's own call (bin/sannip predict) %8.1f  %8.1f\n" "$own_c" "$own_w"
printf "  LAMMPS+KIM, 1 rank, MD step            %8.1f  %8.1f   (%.2fx, %.2fx; LAMMPS Pair wall %.1f)\n" "$l1c" "$l1w" \
    "$(awk -v a=$l1c -v b=$own_c 'BEGIN { print a / b }')" "$(awk -v a=$l1w -v b=$own_w 'BEGIN { print a / b }')" "$(pair 1)"
printf "  LAMMPS+KIM, 2 ranks, MD step           %8.1f  %8.1f   (%.2fx, %.2fx; LAMMPS Pair wall %.1f)\n" "$l2c" "$l2w" \
    "$(awk -v a=$l2c -v b=$own_c 'BEGIN { print a / b }')" "$(awk -v a=$l2w -v b=$own_w 'BEGIN { print a / b }')" "$(pair 2)"
