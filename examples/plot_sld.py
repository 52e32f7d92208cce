#!/usr/bin/env python3
"""plot_sld.py - time series of spin-lattice dynamics (bin/sannip sld ... -o OUT.csv).

    python3 examples/plot_sld.py OUT.csv [-o OUT.png]

Reads the CSV of 'sannip sld' (step, t_fs, E_pot, E_kin, E_total, T_lattice, T_spin, Mx, My,
Mz, m) and draws three panels against time: the magnetisation m = |sum S|/N, the lattice and
spin temperatures, and the total energy per atom relative to its start. Writes OUT.png
(default: the CSV with .png). Exits 0 with a message when matplotlib is missing, 1 on a bad
command line or file.
"""
import csv
import os
import sys


def main(argv):
    args = [a for a in argv[1:]]
    out = None
    if "-o" in args:
        k = args.index("-o")
        if k + 1 >= len(args):
            print("plot_sld.py: -o needs a file", file=sys.stderr)
            return 1
        out = args[k + 1]
        del args[k:k + 2]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    try:
        with open(args[0], newline="") as f:
            rows = list(csv.DictReader(f))
        col = {k: [float(r[k]) for r in rows] for k in ("t_fs", "E_total", "T_lattice", "T_spin", "m")}
    except (OSError, KeyError, ValueError) as e:
        print("plot_sld.py: %s: %s" % (args[0], e), file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_sld.py: matplotlib is not installed; no plot")
        return 0
    out = out or os.path.splitext(args[0])[0] + ".png"
    t = [x / 1000 for x in col["t_fs"]]
    fig, ax = plt.subplots(3, 1, figsize=(6, 7), sharex=True)
    ax[0].plot(t, col["m"], color="#d62728")
    ax[0].set_ylabel("m = |sum S| / N (hbar)")
    ax[1].plot(t, col["T_lattice"], label="lattice", color="#1f77b4")
    ax[1].plot(t, col["T_spin"], label="spins", color="#2ca02c")
    ax[1].set_ylabel("temperature (K)")
    ax[1].legend()
    e0 = col["E_total"][0]
    ax[2].plot(t, [e - e0 for e in col["E_total"]], color="#9467bd")
    ax[2].set_ylabel("E_total - E_total(0) (eV)")
    ax[2].set_xlabel("t (ps)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("plot -> %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
