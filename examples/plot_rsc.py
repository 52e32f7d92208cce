#!/usr/bin/env python3
"""plot_rsc.py - Fig. 3 of Carare, Deringer & Csanyi 2024 from the CSV files of bin/rsc_fig3.

    python3 examples/plot_rsc.py DIR     # DIR/rsc_fig3{a,b,c}.csv -> DIR/rsc_fig3.png

Panels as in the paper: (a1, b1) error of best-of-k (the first k random committee members)
against the exact ground state along the rigid dissociation of the n_d = 3 (S6-like) and
n_d = 4 (S8-like) dimer rings, k = 1..15 from violet to yellow; (a2, b2) mean and spread of
the models trained on best-of-1, 5, 10, 15 rattled data along the rigid path, against the
exact curve (energies relative to the exact energy at the largest RC); (c) train and test
energy RMSE against k for the n_d = 3, n_d = 4 and combined sets, and the test force RMSE.
bin/rsc_fig3 calls it when python3 can import matplotlib. Needs matplotlib only; exits 1 on a
bad command line.
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

KS = [1, 5, 10, 15]
SETS = [("nd3", "n_d = 3 (S6-like)"), ("nd4", "n_d = 4 (S8-like)"), ("combined", "combined")]


def read_rows(path):
    """The CSV at path as a list of dicts; numbers become floats (nan for 'nan')."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for key, val in r.items():
            try:
                r[key] = float(val)
            except ValueError:
                pass
    return rows


def panel_errors(ax, rows, nd):
    """Best-of-k error along the rigid path, one line per k (violet -> yellow)."""
    rows = [r for r in rows if int(r["nd"]) == nd]
    rc = [r["rc"] for r in rows]
    cmap = plt.get_cmap("plasma")
    for k in range(1, 16):
        err = [r["err_%d" % k] for r in rows]
        ax.plot(rc, err, color=cmap((k - 1) / 15.0), lw=1.2, label="best of %d" % k if k in (1, 5, 10, 15) else None)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("reaction coordinate (A)")
    ax.set_ylabel("E(best of k) - E(exact) (eV)")
    ax.set_title("n_d = %d: committee error, rigid path" % nd)
    ax.legend(fontsize=7)


def panel_models(ax, rows, nd):
    """Mean and spread of the models per k against the exact curve."""
    rows = [r for r in rows if int(r["nd"]) == nd]
    rc = [r["rc"] for r in rows]
    ref = rows[-1]["e_exact"]
    ax.plot(rc, [r["e_exact"] - ref for r in rows], color="black", lw=2, label="exact ground state")
    cmap = plt.get_cmap("plasma")
    for i, k in enumerate(KS):
        mean = [r["mean_%d" % k] - ref for r in rows]
        sd = [r["std_%d" % k] for r in rows]
        col = cmap(i / float(len(KS)))
        ax.plot(rc, mean, color=col, lw=1.3, label="best of %d" % k)
        ax.fill_between(rc, [m - s for m, s in zip(mean, sd)], [m + s for m, s in zip(mean, sd)], color=col, alpha=0.2, lw=0)
    ax.set_xlabel("reaction coordinate (A)")
    ax.set_ylabel("E - E_exact(RC = %.1f A) (eV)" % rc[-1])
    ax.set_title("n_d = %d: BP models, mean +- spread" % nd)
    ax.legend(fontsize=7)


def panel_rmse(ax, rows, column, ylabel, train_column=None):
    """RMSE against k for the three sets (test solid, train dashed)."""
    colours = ["#1f77b4", "#d62728", "#2ca02c"]
    for (name, label), col in zip(SETS, colours):
        sel = [r for r in rows if r["set"] == name]
        k = [r["k"] for r in sel]
        ax.errorbar(k, [r[column] for r in sel], yerr=[r[column + "_std"] for r in sel], color=col, marker="o",
                    capsize=3, label=label + " test")
        if train_column:
            ax.errorbar(k, [r[train_column] for r in sel], yerr=[r[train_column + "_std"] for r in sel], color=col,
                        marker="s", ls="--", capsize=3, label=label + " train")
    ax.set_xlabel("committee members per structure (best of k)")
    ax.set_ylabel(ylabel)
    ax.set_xticks(KS)
    ax.legend(fontsize=7)


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 1
    d = argv[1]
    try:
        a = read_rows(os.path.join(d, "rsc_fig3a.csv"))
        b = read_rows(os.path.join(d, "rsc_fig3b.csv"))
        c = read_rows(os.path.join(d, "rsc_fig3c.csv"))
    except OSError as e:
        sys.stderr.write("plot_rsc.py: %s\n" % e)
        return 1
    fig, ax = plt.subplots(3, 2, figsize=(11, 13))
    panel_errors(ax[0][0], a, 3)
    panel_errors(ax[0][1], a, 4)
    panel_models(ax[1][0], b, 3)
    panel_models(ax[1][1], b, 4)
    panel_rmse(ax[2][0], c, "test_rmse_e", "energy RMSE (meV/atom)", "train_rmse_e")
    ax[2][0].set_title("(c) energy: test vs exact, train vs labels")
    panel_rmse(ax[2][1], c, "test_rmse_f", "test force RMSE vs exact (eV/A)")
    ax[2][1].set_title("(c) forces")
    fig.tight_layout()
    out = os.path.join(d, "rsc_fig3.png")
    fig.savefig(out, dpi=110)
    return 0 if all(not math.isnan(r["e_exact"]) for r in a) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
