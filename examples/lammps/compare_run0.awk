# Compares a LAMMPS run 0 (in.run0) with a reference from xyz2lammps:
#   awk [-v escale=F -v nk=NKTV2P] -f compare_run0.awk REF LOG FORCES
# Prints "energy rel D", "forces max D", "virial max D (rel)", "atom-virial max D (rel)".
# The reference is in eV and Angstrom; escale converts its energies to LAMMPS's (default 1:
# metal units). LAMMPS's pressure is W nktv2p / V, nktv2p = 1.6021765e6 bar A^3/eV in metal
# units (the default nk), 68568.415 atm A^3/(kcal/mol) in real units.
function abs(x) { return x < 0 ? -x : x }
BEGIN { if (escale == "") escale = 1; if (nk == "") nk = 1.6021765e6 }
FILENAME == ARGV[1] && $1 == "energy" { E = $2 * escale; next }
FILENAME == ARGV[1] && $1 == "virial" { for (k = 1; k <= 9; k++) W[k] = $(k + 1) * escale; next }
FILENAME == ARGV[1] { nf++; for (k = 1; k <= 3; k++) F[nf, k] = $k * escale; next }
FILENAME == ARGV[2] && $1 == "Step" { hdr = 1; next }
FILENAME == ARGV[2] && hdr == 1 { pe = $2; vol = $3; for (k = 1; k <= 6; k++) { P[k] = $(3 + k); S[k] = $(9 + k) }; hdr = 2; next }
FILENAME == ARGV[3] && /^ITEM: ATOMS/ { atoms = 1; next }
FILENAME == ARGV[3] && atoms { i = $1; for (k = 1; k <= 3; k++) { d = abs($(k + 1) - F[i, k]); if (d > fmax) fmax = d }; seen++ }
END {
    split("1 5 9 2 3 6", map, " ")      # LAMMPS xx yy zz xy xz yz -> W index
    for (k = 1; k <= 9; k++) if (abs(W[k]) > wmax) wmax = abs(W[k])
    for (k = 1; k <= 6; k++) {
        w = P[k] * vol / nk; d = abs(w - W[map[k]]); if (d > vmax) vmax = d
        w = -S[k] / nk;     d = abs(w - W[map[k]]); if (d > amax) amax = d
    }
    if (seen != nf || nf == 0) { print "forces: " seen " atoms in the dump, " nf " in the reference"; fmax = 1e300 }
    printf "energy rel %.3g\nforces max %.3g\nvirial max %.3g\natom-virial max %.3g\n", abs(pe - E) / abs(E), fmax, vmax / wmax, amax / wmax
}
