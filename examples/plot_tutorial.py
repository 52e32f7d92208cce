#!/usr/bin/env python3
"""plot_tutorial.py - figures for the thesis-tutorial examples (Bloore 2021, section 2.1).

    python3 examples/plot_tutorial.py fit_sin DIR     # DIR/fit_sin_*.csv  -> DIR/fit_sin.png
    python3 examples/plot_tutorial.py lj_dimer DIR    # DIR/lj_dimer_*.csv -> DIR/lj_dimer.png

bin/fit_sin and bin/lj_dimer call it when python3 can import matplotlib. Reads only the CSV
files those programs write; needs matplotlib and nothing else. Exits 1 on a bad command line.
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = ["#d62728", "#ff7f0e", "#1f77b4", "#9467bd"]


def read_columns(path):
    """The CSV at path as {header: [values]}; numeric columns become floats."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    cols = {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}
    for h, v in cols.items():
        try:
            cols[h] = [float(x) for x in v]
        except ValueError:
            pass
    return cols


def rmse(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / len(a))


def plot_fit_sin(d):
    curves = read_columns(os.path.join(d, "fit_sin_curves.csv"))
    samples = read_columns(os.path.join(d, "fit_sin_samples.csv"))
    history = read_columns(os.path.join(d, "fit_sin_history.csv"))
    cases = [h[len("pred_"):] for h in curves if h.startswith("pred_")]
    fig, ax = plt.subplots(2, len(cases), figsize=(4.2 * len(cases), 7.5),
                           gridspec_kw={"height_ratios": [2, 1]})
    for k, name in enumerate(cases):
        sx = [x for c, x in zip(samples["case"], samples["x"]) if c == name]
        sy = [y for c, y in zip(samples["case"], samples["y"]) if c == name]
        pred = curves["pred_" + name]
        a = ax[0][k]
        a.plot(sx, sy, "o", color="#2ca02c", ms=4, label="training samples")
        a.plot(curves["x"], curves["true"], "k-", lw=1.5, label="sin(x)")
        a.plot(curves["x"], pred, "-", color=COLOURS[0], lw=2, label="NN")
        a.set_title("%s: %d samples\ntest RMSE %.3g" % (name.replace("_", " / ") + " noise", len(sx),
                                                        rmse(pred, curves["true"])), fontsize=10)
        a.set_xlim(-math.pi, math.pi)
        a.set_ylim(-1.8, 1.8)
        a.set_xlabel("x")
        if k == 0:
            a.legend(loc="lower right", fontsize=8)
        b = ax[1][k]
        b.semilogy(history["epoch"], history["rmse_" + name], color=COLOURS[2])
        b.set_xlabel("epoch")
        if k == 0:
            b.set_ylabel("RMSE vs sin(x)")
    fig.suptitle("NN fit of sin(x): few/many samples, low/high noise (Bloore T2.1.1-2.1.5)")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "fit_sin.png"), dpi=110)


def plot_lj_dimer(d):
    curves = read_columns(os.path.join(d, "lj_dimer_curves.csv"))
    samples = read_columns(os.path.join(d, "lj_dimer_samples.csv"))
    cases = [h[len("pred_"):] for h in curves if h.startswith("pred_")]
    r, exact = curves["r"], curves["exact"]
    rmin = 2 ** (1 / 6)
    fig, ax = plt.subplots(1, 3, figsize=(16, 5))
    wmax = max(samples["weight_emphasised"])
    sizes = [6 + 40 * w / wmax for w in samples["weight_emphasised"]]
    for p, (xlim, ylim, title) in enumerate([((0.9, 3.0), (-1.5, 3.0), "E(r)"),
                                             ((1.0, 1.4), (-1.06, -0.6), "near the minimum")]):
        a = ax[p]
        a.scatter(samples["r"], samples["E"], s=sizes, color="#2ca02c", zorder=3,
                  label="samples (size: emphasised weight)")
        a.plot(r, exact, "k-", lw=1.5, label="exact LJ")
        for k, name in enumerate(cases):
            pred = curves["pred_" + name]
            a.plot(r, pred, "-", color=COLOURS[k], lw=1.8, label="NN " + name)
            if p == 1:
                i = min(range(len(pred)), key=pred.__getitem__)
                a.plot([r[i]], [pred[i]], "x", color=COLOURS[k], ms=10, mew=2)
        if p == 1:
            a.plot([rmin], [-1], "+", color="k", ms=16, mew=2, label="exact minimum")
        a.set_xlim(*xlim)
        a.set_ylim(*ylim)
        a.set_xlabel("r / sigma")
        a.set_ylabel("E / eps")
        a.set_title(title)
        a.legend(fontsize=8, loc="upper right" if p == 0 else "lower right")
    a = ax[2]
    for k, name in enumerate(cases):
        a.plot(r, [y - e for y, e in zip(curves["pred_" + name], exact)], "-", color=COLOURS[k],
               lw=1.5, label=name)
    a.axhline(0, color="k", lw=0.8)
    a.axvline(rmin, color="k", lw=0.8, ls=":")
    a.set_xlim(0.9, 3.0)
    a.set_ylim(-0.1, 0.1)
    a.set_xlabel("r / sigma")
    a.set_ylabel("E_NN - E_exact / eps")
    a.set_title("error (dotted: exact r_min)")
    a.legend(fontsize=8)
    fig.suptitle("NN fit of the Lennard-Jones dimer: uniform vs emphasised near equilibrium (Bloore T2.1.9)")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "lj_dimer.png"), dpi=110)


def main(argv):
    plots = {"fit_sin": plot_fit_sin, "lj_dimer": plot_lj_dimer}
    if len(argv) != 3 or argv[1] not in plots:
        sys.stderr.write("usage: plot_tutorial.py {fit_sin|lj_dimer} DIR\n")
        return 1
    plots[argv[1]](argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
