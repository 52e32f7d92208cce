#!/usr/bin/env python3
"""plot_rsc.py - Fig. 3 of Carare, Deringer & Csanyi 2024 from the CSV files of bin/rsc_fig3.

    python3 examples/plot_rsc.py DIR     # DIR/rsc_fig3{a,b,c}.csv -> DIR/rsc_fig3.png

DIR is bin/rsc_fig3's output (curves as mean and sd over its seeds, drawn as bands) or one of
its DIR/seed_S directories (one seed: no seed bands).

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


FLOOR = 1e-4  # eV: best-of-k errors below it (the exact ground state found) are drawn on it
K_COLOURS = {1: "#440154", 5: "#3b528b", 10: "#21918c", 15: "#d62728"}  # dark to red, all visible on white


def panel_errors(ax, rows, nd):
    """Best-of-k error along the rigid path on a log axis, k = 1..15: the four k of panel (c)
    in strong colours, the others thin grey."""
    from matplotlib import ticker
    rows = [r for r in rows if int(r["nd"]) == nd]
    rc = [r["rc"] for r in rows]
    for k in [k for k in range(2, 15) if k not in K_COLOURS] + [1, 5, 10, 15]:
        err = [max(r["err_%d" % k], FLOOR) for r in rows]
        if k in K_COLOURS:
            ax.plot(rc, err, color=K_COLOURS[k], lw=2.6 if k == 15 else 1.8, zorder=3 + k, label="best of %d" % k)
            if "sd_%d" % k in rows[0]:  # sd over the seeds
                sd = [0 if math.isnan(r["sd_%d" % k]) else r["sd_%d" % k] for r in rows]
                ax.fill_between(rc, [max(e - s, FLOOR) for e, s in zip(err, sd)], [e + s for e, s in zip(err, sd)],
                                color=K_COLOURS[k], alpha=0.18, lw=0, zorder=2)
        else:
            ax.plot(rc, err, color="#999999", lw=0.6, alpha=0.7, zorder=1, label="best of 2-14" if k == 2 else None)
    ax.set_yscale("log")
    ax.set_ylim(bottom=FLOOR * 0.7)
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % v))
    ax.text(0.99, 0.98, "errors below %g eV (ground state found)\ndrawn at %g eV" % (FLOOR, FLOOR),
            transform=ax.transAxes, ha="right", va="top", fontsize=7)
    ax.set_xlabel("reaction coordinate RC (\u00c5)")
    ax.set_ylabel("E(best of k) - E(exact ground state) (eV)" + (", mean \u00b1 sd over seeds" if "sd_1" in rows[0] else ""))
    ax.set_title("n_d = %d: committee error, rigid path" % nd)
    ax.legend(fontsize=7)


def panel_models(ax, rows, nd):
    """Mean and spread of the models per k against the exact curve."""
    rows = [r for r in rows if int(r["nd"]) == nd]
    rc = [r["rc"] for r in rows]
    ref = rows[-1]["e_exact"]
    ax.plot(rc, [r["e_exact"] - ref for r in rows], color="black", lw=2, label="exact ground state")
    for k in KS:
        mean = [r["mean_%d" % k] - ref for r in rows]
        sd = [r["std_%d" % k] for r in rows]
        col = K_COLOURS[k]
        ax.plot(rc, mean, color=col, lw=2.2 if k == 15 else 1.4, label="models trained on best-of-%d data" % k)
        ax.fill_between(rc, [m - s for m, s in zip(mean, sd)], [m + s for m, s in zip(mean, sd)], color=col, alpha=0.12, lw=0)
        if "seed_sd_%d" % k in rows[0]:  # sd over the seeds of the mean model: darker, narrower band
            ssd = [r["seed_sd_%d" % k] for r in rows]
            ax.fill_between(rc, [m - s for m, s in zip(mean, ssd)], [m + s for m, s in zip(mean, ssd)], color=col, alpha=0.35, lw=0)
    ax.set_xlabel("reaction coordinate RC (\u00c5)")
    ax.set_ylabel("E - E_exact(RC = %.1f \u00c5) (eV)" % rc[-1])
    ax.set_title("n_d = %d: BP models, mean \u00b1 spread over 15" % nd
                 + ("\n(dark band: sd of the mean over seeds)" if "seed_sd_1" in rows[0] else ""))
    ax.legend(fontsize=7)


def panel_rmse(ax, rows, column, ylabel, train_column=None):
    """RMSE against k for the three sets (test solid, train dashed)."""
    colours = ["#1f77b4", "#d62728", "#2ca02c"]  # one per set
    for (name, label), col in zip(SETS, colours):
        sel = [r for r in rows if r["set"] == name]
        k = [r["k"] for r in sel]
        ax.errorbar(k, [r[column] for r in sel], yerr=[r[column + "_std"] for r in sel], color=col, marker="o",
                    capsize=3, label=label + " test")
        if train_column:
            ax.errorbar(k, [r[train_column] for r in sel], yerr=[r[train_column + "_std"] for r in sel], color=col,
                        marker="s", ls="--", capsize=3, label=label + " train")
    ax.set_xlabel("random spin committee members per structure k (best of k)"
                  + ("\nerror bars: sd over %d seeds" % rows[0]["seeds"] if "seeds" in rows[0] else ""))
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
    panel_rmse(ax[2][1], c, "test_rmse_f", "test force RMSE vs exact (eV/\u00c5)")
    ax[2][1].set_title("(c) forces")
    fig.tight_layout()
    out = os.path.join(d, "rsc_fig3.png")
    fig.savefig(out, dpi=110, bbox_inches="tight")
    return 0 if all(not math.isnan(r["e_exact"]) for r in a) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
