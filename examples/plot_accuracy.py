#!/usr/bin/env python3
"""plot_accuracy.py - accuracy figures: parity plots, learning curves, BP vs SANNIP tables.

    plot_accuracy.py parity PARITY.csv -o OUT.png [--units eV,Angstrom] [--title T]
        predicted against reference energies per atom and force components (per element),
        from `sannip evaluate --parity` (sannip evaluate --plot calls this)
    plot_accuracy.py curves CURVE.csv [CURVE2.csv ...] -o OUT.png [--label L ...] [--title T]
        training and validation RMSE against epoch, from `sannip train --learning-curve`
        (and bin/spin_accuracy's DIR/curves/*.csv); one --label per file
    plot_accuracy.py tables DIR -o OUT.png
        bin/spin_accuracy's DIR/accuracy.csv (validation RMSE of BP, BP-CNN, SANNIP, SANNIP-CNN
        next to the thesis's Tables 4.1-4.3), DIR/states.csv and DIR/nio.csv
    plot_accuracy.py sets DIR -o OUT.png
        bin/spin_accuracy's DIR/parity.csv: committee predictions against the toy-iron truth,
        BP and SANNIP on each data set

Needs matplotlib; exits 1 on a bad command line or file.
"""
import csv
import math
import os
import sys

CASE_COLOURS = {"BP": "#1f77b4", "BP-CNN": "#9ecae1", "SANNIP": "#d62728", "SANNIP-CNN": "#fc9272"}
SUBSETS = [("spin", "high spin variation\n(T Table 4.2)"), ("geo-spin", "high geometry + spin\n(T Table 4.1)"),
           ("fm", "FM only\n(T Table 4.3)")]


def pyplot():
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    return plt


def read_csv(path):
    """Rows of a CSV (lines starting with # skipped) as dicts, and the comment lines."""
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    comments = [l for l in lines if l.startswith("#")]
    rows = list(csv.DictReader([l for l in lines if l and not l.startswith("#")]))
    return rows, comments


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def energy_scale(unit):
    """Per-atom energies are shown in meV when the model's unit is eV."""
    return (1000.0, "meV/atom") if unit == "eV" else (1.0, unit + "/atom")


def plain_log(ax):
    """Log y axis with plain numbers (0.4, not 4 x 10^-1); minor ticks labelled when the
    range spans less than a decade."""
    from matplotlib import ticker
    ax.set_yscale("log")
    fmt = ticker.FuncFormatter(lambda v, _: "%g" % v)
    ax.yaxis.set_major_formatter(fmt)
    lo, hi = ax.get_ylim()
    ax.yaxis.set_minor_formatter(fmt if lo > 0 and hi / lo < 10 else ticker.NullFormatter())


def rmse(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / max(len(a), 1))


def parity(args):
    plt = pyplot()
    rows, _ = read_csv(args["files"][0])
    eu, lu = (args.get("units") or "eV,Angstrom").split(",")
    k, eunit = energy_scale(eu)
    er = [(num(r["reference"]), num(r["predicted"])) for r in rows if r["kind"] == "energy_per_atom"]
    fr = [(r["element"], num(r["reference"]), num(r["predicted"])) for r in rows if r["kind"] == "force"]
    fig, ax = plt.subplots(1, 2 if fr else 1, figsize=(11 if fr else 5.5, 5), squeeze=False)
    ax = ax[0]
    if er:
        mean = sum(x for x, _ in er) / len(er)
        ref = [(x - mean) * k for x, _ in er]
        pred = [(y - mean) * k for _, y in er]
        ax[0].scatter(ref, pred, s=12, alpha=0.7, color="#1f77b4",
                      label="%d structures, RMSE %.3g %s" % (len(er), rmse(ref, pred), eunit))
        diagonal(ax[0], ref + pred)
        ax[0].set_xlabel("reference E/N (%s, relative to %.4f %s/atom)" % (eunit, mean, eu))
        ax[0].set_ylabel("predicted E/N (%s, relative to %.4f %s/atom)" % (eunit, mean, eu))
        ax[0].set_title("energy per atom")
        ax[0].legend(fontsize=8)
    if fr:
        elements = sorted(set(e for e, _, _ in fr))
        allv = []
        for i, el in enumerate(elements):
            ref = [x for e, x, _ in fr if e == el]
            pred = [y for e, _, y in fr if e == el]
            allv += ref + pred
            ax[-1].scatter(ref, pred, s=4, alpha=0.4, color=["#d62728", "#1f77b4", "#2ca02c", "#9467bd"][i % 4],
                           label="%s: %d components, RMSE %.3g %s/%s" % (el, len(ref), rmse(ref, pred), eu, lu))
        diagonal(ax[-1], allv)
        ax[-1].set_xlabel("reference force component (%s/%s)" % (eu, lu))
        ax[-1].set_ylabel("predicted force component (%s/%s)" % (eu, lu))
        ax[-1].set_title("forces")
        ax[-1].legend(fontsize=8, markerscale=3)
    if args.get("title"):
        fig.suptitle(args["title"])
    fig.tight_layout()
    fig.savefig(args["out"], dpi=110, bbox_inches="tight")


def diagonal(ax, values):
    lo, hi = min(values), max(values)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8, ls="--", label="predicted = reference")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")


def curve_units(comments):
    """(energy unit, length unit) from the learning-curve comment line."""
    for c in comments:
        if "energy RMSE per atom in" in c:
            eu = c.split("energy RMSE per atom in")[1].split(",")[0].strip()
            lu = c.split("force RMSE in")[1].split(",")[0].strip().split("/")[-1] if "force RMSE in" in c else "Angstrom"
            return eu, lu
    return "eV", "Angstrom"


def curves(args):
    plt = pyplot()
    data = []
    for i, path in enumerate(args["files"]):
        rows, comments = read_csv(path)
        labels = args.get("labels", [])
        label = labels[i] if i < len(labels) else os.path.splitext(os.path.basename(path))[0]
        data.append((label, rows, curve_units(comments)))
    forces = any(not math.isnan(num(r["train_force_rmse"])) for _, rows, _ in data for r in rows)
    fig, ax = plt.subplots(1, 2 if forces else 1, figsize=(11 if forces else 7.5, 5), squeeze=False)
    ax = ax[0]
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
    eu, lu = data[0][2]
    k, eunit = energy_scale(eu)
    for i, (label, rows, _) in enumerate(data):
        c = CASE_COLOURS.get(label, colours[i % len(colours)])
        ep = [num(r["epoch"]) for r in rows]
        for col, panel, scale in (("energy_rmse", 0, k), ("force_rmse", 1, 1.0)):
            if panel == 1 and not forces:
                continue
            for which, ls in (("train", "--"), ("val", "-")):
                y = [num(r[which + "_" + col]) * scale for r in rows]
                if any(v > 0 for v in y):
                    ax[panel].plot(ep, y, ls, color=c, lw=1.3,
                                   label="%s, %s" % (label, "training" if which == "train" else "validation"))
    ax[0].set_ylabel("energy RMSE (%s)" % eunit)
    ax[0].set_title("energy")
    if forces:
        ax[1].set_ylabel("force RMSE (%s/%s)" % (eu, lu))
        ax[1].set_title("forces")
    for a in ax:
        plain_log(a)
        a.set_xlabel("epoch")
        a.grid(True, which="both", lw=0.3, alpha=0.5)
        a.legend(fontsize=7)
    fig.suptitle(args.get("title") or "learning curves (validation solid, training dashed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(args["out"], dpi=110, bbox_inches="tight")


def tables(args):
    plt = pyplot()
    d = args["files"][0]
    acc, _ = read_csv(os.path.join(d, "accuracy.csv"))
    parts = [p for p in ("states.csv", "nio.csv") if os.path.exists(os.path.join(d, p))]
    fig, ax = plt.subplots(1, 1 + len(parts), figsize=(7 + 4 * len(parts), 5), squeeze=False,
                           gridspec_kw={"width_ratios": [2.2] + [1] * len(parts)})
    ax = ax[0]
    cases = ["BP", "BP-CNN", "SANNIP", "SANNIP-CNN"]
    w = 0.2
    for j, case in enumerate(cases):
        xs, ys, es, ts = [], [], [], []
        for i, (name, _) in enumerate(SUBSETS):
            r = [r for r in acc if r["subset"] == name and r["case"] == case]
            if r:
                xs.append(i + (j - 1.5) * w)
                ys.append(num(r[0]["val_rmse_mean"]))
                es.append(num(r[0]["val_rmse_sd"]))
                ts.append(num(r[0]["thesis_val_rmse"]))
        ax[0].bar(xs, ys, w, yerr=es, capsize=2, color=CASE_COLOURS[case], label="%s (toy iron)" % case)
        ax[0].plot(xs, ts, "k_", ms=14, mew=2, label="thesis (Fe DFT)" if j == 0 else None)
    ax[0].set_xticks(range(len(SUBSETS)))
    ax[0].set_xticklabels([label for _, label in SUBSETS])
    plain_log(ax[0])
    ax[0].set_ylabel("validation energy RMSE (meV/atom)")
    ax[0].set_title("BP vs SANNIP (T Tables 4.1-4.3); error bars: sd over %s seeds" % acc[0]["seeds"])
    ax[0].legend(fontsize=7)
    ax[0].grid(True, axis="y", which="both", lw=0.3, alpha=0.5)
    for p, a in zip(parts, ax[1:]):
        rows, _ = read_csv(os.path.join(d, p))
        if p == "states.csv":
            labels = ["E_FM - E_PM", "E_FM - E_AFM"]
            for j, r in enumerate(rows):
                a.bar([i + (j - 0.5) * 0.35 for i in range(2)], [num(r["rmse_fm_pm_mean"]), num(r["rmse_fm_afm_mean"])], 0.35,
                      yerr=[num(r["rmse_fm_pm_sd"]), num(r["rmse_fm_afm_sd"])], capsize=3, color=CASE_COLOURS.get(r["model"], "grey"), label=r["model"])
            a.set_xticks(range(2))
            a.set_xticklabels(labels)
            plain_log(a)
            a.set_ylabel("RMSE of the difference, held-out geometries (meV/atom)")
            a.set_title("spin-state energy differences")
        else:
            names = {"BP": "BP", "SANNIP": "SANNIP", "trivial": "mean energy"}
            a.bar(range(len(rows)), [num(r["energy_rmse_mean"]) for r in rows], 0.6,
                  yerr=[num(r["energy_rmse_sd"]) for r in rows], capsize=3,
                  color=[CASE_COLOURS.get(r["predictor"], "#7f7f7f") for r in rows])
            a.set_xticks(range(len(rows)))
            a.set_xticklabels([names.get(r["predictor"], r["predictor"]) for r in rows])
            a.set_ylabel("energy RMSE (meV/atom), mean +- sd over seeds")
            a.set_title("NiO (DFT), cross-validated")
        a.grid(True, axis="y", which="both", lw=0.3, alpha=0.5)
        if p == "states.csv":
            a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args["out"], dpi=110, bbox_inches="tight")


def sets(args):
    plt = pyplot()
    rows, _ = read_csv(os.path.join(args["files"][0], "parity.csv"))
    present = [(n, l) for n, l in SUBSETS if any(r["subset"] == n for r in rows)]
    fig, ax = plt.subplots(1, len(present), figsize=(5 * len(present), 5.4), squeeze=False)
    for a, (name, label) in zip(ax[0], present):
        sel = [r for r in rows if r["subset"] == name]
        mean = sum(num(r["reference"]) for r in sel) / len(sel)
        allv = []
        for case in ("BP", "SANNIP"):
            rr = [r for r in sel if r["case"] == case]
            ref = [(num(r["reference"]) - mean) * 1000 for r in rr]
            pred = [(num(r["predicted"]) - mean) * 1000 for r in rr]
            allv += ref + pred
            a.scatter(ref, pred, s=8, alpha=0.6, color=CASE_COLOURS[case],
                      label="%s committee, RMSE %.3g meV/atom" % (case, rmse(ref, pred)))
        diagonal(a, allv)
        a.set_xlabel("toy-iron E/N (meV/atom, relative to %.3f eV/atom)" % mean)
        a.set_ylabel("predicted E/N (meV/atom, relative to %.3f eV/atom)" % mean)
        a.set_title(label.replace("\n", " "))
        a.legend(fontsize=7)
    fig.suptitle("parity: committee mean against the toy-iron truth, every structure of each set")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(args["out"], dpi=110, bbox_inches="tight")


def parse(argv):
    if len(argv) < 3 or argv[1] not in ("parity", "curves", "tables", "sets"):
        return None
    args = {"mode": argv[1], "files": [], "labels": []}
    i = 2
    while i < len(argv):
        a = argv[i]
        if a in ("-o", "--units", "--title", "--label"):
            if i + 1 >= len(argv):
                return None
            if a == "--label":
                args["labels"].append(argv[i + 1])
            else:
                args[{"-o": "out", "--units": "units", "--title": "title"}[a]] = argv[i + 1]
            i += 2
        else:
            args["files"].append(a)
            i += 1
    if not args["files"] or "out" not in args:
        return None
    return args


def main(argv):
    args = parse(argv)
    if args is None:
        sys.stderr.write(__doc__)
        return 1
    try:
        {"parity": parity, "curves": curves, "tables": tables, "sets": sets}[args["mode"]](args)
    except (OSError, KeyError, ValueError, ZeroDivisionError) as e:
        sys.stderr.write("plot_accuracy.py: %s: %s\n" % (args["mode"], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
