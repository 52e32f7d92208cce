#!/bin/sh
# Seed corpora of the fuzz harnesses.
#   tests/fuzz/seed.sh project      regenerates tests/fuzz/corpus/ (committed) from what the
#                                   project itself writes: models trained by bin/sannip on
#                                   bin/gen_toyiron data, descriptor files, XYZ and input.data
#                                   frames written by `sannip predict`, committees, and a tiny
#                                   n2p2 potential written here (needs `make all`).
#   tests/fuzz/seed.sh join DIR OUT   joins an n2p2 potential's files into one n2p2 input.
#   tests/fuzz/seed.sh shared SHARED OUT
#                                   writes seeds derived from the shared data (never copied
#                                   into the project) into OUT/<harness>/: frames of
#                                   SHARED/data/*.xyz and of the n2p2 peers' input.data, each
#                                   n2p2 peer potential joined into one n2p2-harness input, and
#                                   the reproducers of SHARED/repro for their harnesses.
# n2p2-harness inputs are input.nn, scaling.data and the weight files joined by NUL bytes.
cd "$(dirname "$0")/../.." || exit 1
set -e

# frames FILE OUTPREFIX MAX: the first MAX extended-XYZ frames of FILE, one file each
frames() {
    awk -v p="$2" -v max="$3" 'left == 0 { k++; if (k > max) exit; left = $1 + 2; f = sprintf("%s%02d.xyz", p, k) }
         { print > f; left-- }' "$1"
}
# nframes FILE OUTPREFIX MAX: the same for n2p2 input.data (begin ... end)
nframes() {
    awk -v p="$2" -v max="$3" '$1 == "begin" { k++; if (k > max) exit; f = sprintf("%s%02d.data", p, k) }
         k > 0 { print > f }' "$1"
}
# join DIR OUT: input.nn, scaling.data and weights.*.data (ascending Z) joined by NUL bytes
join_n2p2() {
    { cat "$1/input.nn"; printf '\0'; cat "$1/scaling.data"
      for w in $(ls "$1"/weights.*.data 2> /dev/null | sort); do printf '\0'; cat "$w"; done; } > "$2"
}

if [ "$1" = join ]; then join_n2p2 "$2" "$3"; exit 0; fi
if [ "$1" = shared ]; then
    S=$2; O=$3
    mkdir -p "$O/xyz" "$O/inputdata" "$O/n2p2" "$O/model" "$O/desc" "$O/committee"
    for f in "$S"/data/*.xyz; do [ -r "$f" ] && frames "$f" "$O/xyz/$(basename "$f" .xyz)_" 4; done
    for d in "$S"/peers/n2p2/*/; do
        [ -r "$d/input.nn" ] || continue
        n=$(basename "$d")
        join_n2p2 "$d" "$O/n2p2/$n.n2p2"
        [ -r "$d/input.data" ] && nframes "$d/input.data" "$O/inputdata/${n}_" 3
        cp "$d/input.nn" "$O/desc/$n.input.nn"
    done
    if [ -d "$S/repro" ]; then
        for f in "$S"/repro/*.xyz; do cp "$f" "$O/xyz/"; done
        for f in "$S"/repro/*.sannip; do cp "$f" "$O/model/"; done
        for f in "$S"/repro/*.desc; do cp "$f" "$O/desc/"; done
        for d in "$S"/repro/*/; do [ -r "$d/input.nn" ] && join_n2p2 "$d" "$O/n2p2/$(basename "$d").n2p2"; done
        [ -r "$S/repro/gen_committee_amplification.sh" ] && sh "$S/repro/gen_committee_amplification.sh" "$O/committee/committee_amplification.sannip"
    fi
    exit 0
fi
[ "$1" = project ] || { echo "usage: $0 project | shared SHARED OUT | join DIR OUT" >&2; exit 2; }

C=tests/fuzz/corpus
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
rm -rf "$C"; mkdir -p "$C/model" "$C/desc" "$C/n2p2" "$C/xyz" "$C/inputdata" "$C/committee"
S="bin/sannip"

# data: toy iron (bcc/fcc, vacancies, fm/pm/afm), and a copy with every other atom O
bin/gen_toyiron --lattice both --sizes 1,2 --geometries 6 --states fm,pm,afm --vacancies 0.2 --out "$T/fe.xyz" 2> /dev/null
awk 'NF >= 7 && $1 == "Fe" { k++; if (k % 2) $1 = "O" } { print }' "$T/fe.xyz" > "$T/feo.xyz"

# descriptor files: a small set of every kind (written here), the presets, and a model's set
cat > "$C/desc/kinds.desc" <<'DESC'
# one line of every basis kind
g2 Fe * cut=cos rc=4 eta=0.5 rs=0
g2 O Fe cut=poly2 rc=4.5 alpha=0.3 eta=1 rs=1.5
g4 * * * cut=tanh rc=4 eta=0.1 lambda=-1 zeta=2
g5 Fe Fe O cut=exp rc=3.5 alpha=0.2 eta=0.05 lambda=1 zeta=1 rs=0.5
gf_radial Fe O eta=1 rs=2 fb=0.5,2,1.5,2,4
gf_biradial O Fe Fe eta=1 rs=2 eta2=0.5 rs2=1 fb=0.5,2,1.5,2,4 fb2=0.4,2.5,1,4,2
gf_angular1 Fe * * eta=1 rs=2 eta2=0.5 rs2=1 eta_t=2 theta_s=1 fb=0.5,2,1.5,2,4 fb2=0.4,2.5,1,4,2
gf_angular2 Fe * * eta_t=2 theta_s=1 fb=0.5,2,1.5,2,4 fb2=0.4,2.5,1,4,2
spin_s1 Fe xi=2
spin_s2 Fe * cut=cos rc=4 xi=3
spin_s3 Fe Fe cut=cos rc=4 xi=1
spin_s1g * eta=0.5 shift=1 xi=2
spin_s2g Fe * cut=cos rc=4 eta=0.2 shift=1
spin_f1 Fe * cut=cos rc=4 eta=0.5 shift=0
spin_f4 * * cut=cos rc=4 eps=0.01
spin_f6 Fe * cut=hard rc=3 eps=0.1
DESC
cat > "$C/desc/n2p2_lines.desc" <<'DESC'
cutoff_type 6 0.1
symfunction_short H 2 O 0.01 0.0 6.0
symfunction_short O 3 H H 0.1 -1 4.0 6.0
symfunction_short O 9 H O 0.1 1 2.0 6.0 0.5
cutoff_type 2
symfunction_short H 12 0.5 1.0 6.0
symfunction_short O 13 0.1 0.0 1 2.0 6.0
DESC
printf 'g2 Fe Fe cut=cos rc=4 eta=0.5 rs=0\ng4 Fe Fe Fe cut=cos rc=4 eta=0.1 lambda=1 zeta=2\nspin_s2 Fe Fe cut=cos rc=4 xi=1\nspin_f4 Fe * cut=cos rc=4 eps=0.01\n' > "$T/small.desc"
printf 'g2 * * cut=cos rc=4 eta=0.5 rs=0\ng4 * * * cut=cos rc=4 eta=0.1 lambda=1 zeta=2\nspin_s1g * eta=0.5 shift=1 xi=2\n' > "$T/any.desc"
cp "$T/small.desc" "$C/desc/small.desc"
$S descriptors bp-fe -o "$C/desc/bp_fe.desc" > /dev/null

# models: small bases, every architecture, scalings and activations; one thesis-size spin model
tr() { $S train "$@" --epochs 1 --quiet > /dev/null; }
tr "$T/fe.xyz" -o "$C/model/fe_small.sannip" --descriptors "$T/small.desc" --hidden 3
tr "$T/fe.xyz" -o "$C/model/fe_cnn.sannip" --descriptors "$T/small.desc" --hidden 3 --architecture cnn --scaling minmax
tr "$T/fe.xyz" -o "$C/model/fe_cnnraw.sannip" --descriptors "$T/small.desc" --hidden 2,2 --architecture cnn-raw --activation softplus
tr "$T/feo.xyz" -o "$C/model/feo_multitask.sannip" --descriptors "$T/any.desc" --hidden 3 --architecture multitask --scaling standard
tr "$T/feo.xyz" -o "$C/model/feo_none.sannip" --descriptors "$T/any.desc" --hidden 2 --scaling none --activation relu
tr "$T/feo.xyz" -o "$C/model/feo_kinds.sannip" --descriptors "$C/desc/kinds.desc" --hidden 2 --activation swish
tr "$T/fe.xyz" -o "$C/model/fe_spin_thesis.sannip" --descriptors bp+spin --hidden 2
$S descriptors "$C/model/feo_kinds.sannip" -o "$C/desc/from_model.desc" > /dev/null
# committees: two and three members, and a plain model (a committee of one)
tr "$T/feo.xyz" -o "$C/committee/feo_2.sannip" --descriptors "$T/any.desc" --hidden 2 --committee 2
tr "$T/fe.xyz" -o "$C/committee/fe_3.sannip" --descriptors "$T/small.desc" --hidden 2 --committee 3 --architecture cnn
cp "$C/model/fe_small.sannip" "$C/committee/plain.sannip"

# structures written by the project: frames as gen_toyiron writes them, and predictions
frames "$T/fe.xyz" "$C/xyz/toy_" 3
frames "$T/feo.xyz" "$C/xyz/feo_" 2
$S predict "$C/model/fe_small.sannip" "$T/fe.xyz" -o "$T/pred.xyz" --atom-energies > /dev/null
frames "$T/pred.xyz" "$C/xyz/pred_" 2
$S predict "$C/model/feo_none.sannip" "$T/feo.xyz" -o "$T/pred.data" --format n2p2 > /dev/null
nframes "$T/pred.data" "$C/inputdata/feo_" 4
$S predict "$C/model/fe_small.sannip" "$T/fe.xyz" -o "$T/pred_fe.data" --format n2p2 > /dev/null
nframes "$T/pred_fe.data" "$C/inputdata/fe_" 2

# a tiny n2p2 potential (H and O, two symmetry functions each, 3 hidden nodes), written here
mkdir "$T/n2p2"
cat > "$T/n2p2/input.nn" <<'NN'
number_of_elements 2
elements H O
cutoff_type 2
scale_symmetry_functions
scale_min_short 0.0
scale_max_short 1.0
center_symmetry_functions
global_hidden_layers_short 1
global_nodes_short 3
global_activation_short t l
mean_energy -10.5
conv_energy 20.0
conv_length 1.8
atom_energy H -0.5
atom_energy O -75.0
symfunction_short H 2 H 0.01 0.0 8.0
symfunction_short H 3 O H 0.1 1.0 2.0 8.0
symfunction_short O 2 H 0.02 1.0 8.0
symfunction_short O 3 H H 0.1 -1.0 1.0 8.0
NN
awk 'BEGIN { for (e = 1; e <= 2; e++) for (s = 1; s <= 2; s++) printf "%d %d %.4f %.4f %.4f %.4f\n", e, s, 0.1 * s, 2.0 + s, 1.0 + 0.3 * s, 0.5 }' > "$T/n2p2/scaling.data"
for z in 001 008; do awk -v z=$z 'BEGIN { for (i = 1; i <= 13; i++) printf "%.6f a %d\n", sin(i * (z + 1)) * 0.7, i }' > "$T/n2p2/weights.$z.data"; done
join_n2p2 "$T/n2p2" "$C/n2p2/tiny_h2o.n2p2"
# the same with a second hidden layer and scale_symmetry_functions_sigma
sed -e 's/^global_hidden_layers_short 1/global_hidden_layers_short 2/' -e 's/^global_nodes_short 3/global_nodes_short 3 2/' \
    -e 's/^global_activation_short t l/global_activation_short s p l/' -e 's/^scale_symmetry_functions$/scale_symmetry_functions_sigma/' "$T/n2p2/input.nn" > "$T/n2p2/in2"
mv "$T/n2p2/in2" "$T/n2p2/input.nn"
for z in 001 008; do awk -v z=$z 'BEGIN { for (i = 1; i <= 20; i++) printf "%.6f a %d\n", cos(i * (z + 2)) * 0.5, i }' > "$T/n2p2/weights.$z.data"; done
join_n2p2 "$T/n2p2" "$C/n2p2/tiny_h2o_2layers.n2p2"
ls "$C"/* | wc -l
