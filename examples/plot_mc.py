#!/usr/bin/env python3
"""plot_mc.py - magnetisation against temperature from spin Monte Carlo scans (Bloore Fig. 4.22).

    python3 examples/plot_mc.py SCAN.csv [--label L] [SCAN2.csv [--label L2] ...] [-o OUT.png]
                                [--tc TC[:LABEL] ...] [--m-unit hbar|muB] [--title T]
    python3 examples/plot_mc.py --series SERIES.csv [-o OUT.png] [--m-unit hbar] [--title T]

Reads the CSV tables that sannip_mc_write_csv writes (one row per temperature: T, kT, m,
m_err, ratio, ratio_err, polar, polar_err, e, e_err, chi, chi_err, cv, cv_err, u4, u4_err,
acceptance, step, samples, attempted, accepted), e.g. build/mc_curie_L8.csv and
build/mc_binder_L{8,12,16}.csv from build/bench_mc, and draws four panels: the magnetisation
<|M|>/N and the magnetisation ratio (T4.1) with error bars, the polar-angle variance (T4.2-4.4,
with its FM and PM values), the susceptibility, and the Binder cumulant U4 (its curves for
several sizes cross at T_c; each --tc draws a labelled line, e.g. 1.443 for the simple cubic
Heisenberg model). Temperatures are in the units of the run (k_B T / J when kT == T); --label
names the curve of the CSV before it (e.g. "toy iron, L = 4"), --m-unit the unit of the spins.
Tables of bin/sannip mc carry a first column 'init' (one curve per start: fm, pm, ...).
--series draws hysteresis runs instead: magnetisation against sweeps from several starts
(bin/curie's hysteresis_300K_series.csv). Writes OUT.png (default: the first CSV with .png).
Exits 1 with a message when matplotlib is missing, on a bad command line or file.
"""
import csv
import math
import os
import sys

COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
PM_POLAR = math.pi ** 2 / 4 - 2  # variance of the polar angle of uniform directions (T4.3)


def read_scans(path):
    """The CSV at path as [(start, {column: [float]})], rows in file order: one scan, or one
    per start when the table has an 'init' column (bin/sannip mc with several --init)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or "T" not in rows[0] or "m" not in rows[0]:
        raise ValueError("%s: not a sannip_mc_write_csv table" % path)
    head = rows[0]
    groups = {}
    order = []
    for r in rows[1:]:
        start = r[head.index("init")] if "init" in head else ""
        if start not in groups:
            groups[start] = {h: [] for h in head if h != "init"}
            order.append(start)
        for h, v in zip(head, r):
            if h != "init":
                groups[start][h].append(float(v))
    return [(start, groups[start]) for start in order]


def finite(values):
    return any(not math.isnan(v) for v in values)


def errorbars(ax, scan, key, label, colour, marker="o"):
    """Plot column key with its key_err as error bars (NaN errors drawn as 0)."""
    err = [0.0 if math.isnan(e) else e for e in scan[key + "_err"]]
    ax.errorbar(scan["T"], scan[key], yerr=err, fmt=marker + "-", color=colour, ms=4, lw=1.2,
                capsize=2, label=label)


def parse_args(argv):
    """{paths, labels, out, tcs [(T, label)], m_unit, title, series} or None."""
    a = {"paths": [], "labels": [], "out": None, "tcs": [], "m_unit": None, "title": None, "series": None}
    i = 1
    while i < len(argv):
        key = argv[i]
        if key in ("-o", "--tc", "--label", "--m-unit", "--title", "--series"):
            if i + 1 >= len(argv):
                return None
            v = argv[i + 1]
            if key == "-o":
                a["out"] = v
            elif key == "--tc":
                t, _, label = v.partition(":")
                a["tcs"].append((float(t), label or "T_c"))
            elif key == "--label":
                if len(a["labels"]) >= len(a["paths"]):
                    return None
                a["labels"] += [None] * (len(a["paths"]) - 1 - len(a["labels"])) + [v]
            elif key == "--m-unit":
                a["m_unit"] = v
            elif key == "--title":
                a["title"] = v
            else:
                a["series"] = v
            i += 2
        else:
            a["paths"].append(key)
            i += 1
    if not a["paths"] and not a["series"]:
        return None
    a["out"] = a["out"] or os.path.splitext((a["paths"] or [a["series"]])[0])[0] + ".png"
    return a


UNIT_NAMES = {"hbar": "\u0127", "muB": "\u03bc_B"}


def draw_series(plt, a):
    """Hysteresis runs: the magnetisation ratio (T4.1) and <|M|>/N against Monte Carlo sweeps,
    one curve per start (columns sweep, ratio_START..., m_START...)."""
    with open(a["series"], newline="") as f:
        rows = list(csv.DictReader(f))
    starts = [k[len("ratio_"):] for k in rows[0] if k.startswith("ratio_")]
    unit = UNIT_NAMES.get(a["m_unit"], a["m_unit"] or "spin units")
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.4))
    sweep = [float(r["sweep"]) for r in rows]
    for k, st in enumerate(starts):
        c = COLOURS[k % len(COLOURS)]
        ax[0].plot(sweep, [float(r["ratio_" + st]) for r in rows], color=c, lw=1.4, label="%s start" % st)
        ax[1].plot(sweep, [float(r["m_" + st]) for r in rows], color=c, lw=1.4, label="%s start" % st)
    ax[0].set_ylabel("magnetisation ratio |sum S| / sum |S| (T4.1)")
    ax[1].set_ylabel("magnetisation per atom <|M|>/N (%s)" % unit)
    for x in ax:
        x.set_xlabel("Monte Carlo sweeps")
        x.set_ylim(bottom=0)
        x.legend(fontsize=8)
    fig.suptitle(a["title"] or "hysteresis")
    fig.tight_layout()
    fig.savefig(a["out"], dpi=110, bbox_inches="tight")


def draw_scans(plt, a, scans):
    """M(T), polar-angle variance, chi(T) and U4(T), the T_c marked on each panel."""
    reduced = all(abs(x - y) <= 1e-12 * max(1.0, abs(x)) for _, s in scans for x, y in zip(s["T"], s["kT"]))
    xlabel = "k_B T / J" if reduced else "temperature T (K)"
    unit = UNIT_NAMES.get(a["m_unit"], a["m_unit"]) if a["m_unit"] else ("reduced units" if reduced else "spin units")
    fig, ax = plt.subplots(2, 2, figsize=(11, 8.5))
    markers = "osD^v<>"
    for k, (name, s) in enumerate(scans):
        c = COLOURS[k % len(COLOURS)]
        mk = markers[k % len(markers)]
        errorbars(ax[0][0], s, "m", name, c, mk)
        if finite(s["polar"]):
            errorbars(ax[0][1], s, "polar", name, c, mk)
        errorbars(ax[1][0], s, "chi", name, c, mk)
        errorbars(ax[1][1], s, "u4", name, c, mk)
    ax[0][0].set_ylabel("magnetisation per atom <|M|>/N (%s)" % unit)
    ax[0][0].set_title("magnetisation (FM start; Fig. 4.22)")
    ax[0][0].set_ylim(bottom=0)
    ax[0][1].axhline(0, color="k", lw=0.8, ls=":")
    ax[0][1].axhline(PM_POLAR, color="k", lw=0.8, ls="--")
    ax[0][1].text(0.02, PM_POLAR, " PM: \u03c0\u00b2/4 - 2", transform=ax[0][1].get_yaxis_transform(), va="bottom", fontsize=8)
    ax[0][1].set_ylabel("variance of the polar angle (rad\u00b2)")
    ax[0][1].set_title("polar-angle variance (T4.2-4.4)")
    ax[1][0].set_ylabel("\u03c7 per atom = N(<m\u00b2> - <m>\u00b2)/k_B T (%s)" %
                        ("reduced units" if reduced else "%s\u00b2/eV" % unit))
    ax[1][0].set_title("susceptibility")
    ax[1][1].axhline(2.0 / 3.0, color="k", lw=0.8, ls=":")
    ax[1][1].set_ylabel("Binder cumulant U4 = 1 - <m\u2074>/(3<m\u00b2>\u00b2)")
    ax[1][1].set_title("Binder cumulant (sizes cross at T_c)")
    styles = ["-.", "--", ":", "-"]
    for a_ in (ax[0][0], ax[0][1], ax[1][0], ax[1][1]):
        for j, (tc, label) in enumerate(a["tcs"]):
            a_.axvline(tc, color="k", lw=1.0, ls=styles[j % len(styles)], label="%s = %.0f%s" % (label, tc, "" if reduced else " K"))
        a_.set_xlabel(xlabel)
        a_.legend(fontsize=7, loc="lower right" if a_ is ax[0][1] else "best")
    fig.suptitle(a["title"] or "spin Monte Carlo: " + ", ".join(name for name, _ in scans))
    fig.tight_layout()
    fig.savefig(a["out"], dpi=110, bbox_inches="tight")


def main(argv):
    try:
        a = parse_args(argv)
    except ValueError:
        a = None
    if a is None:
        sys.stderr.write(__doc__)
        return 1
    scans = []
    try:
        for k, p in enumerate(a["paths"]):
            base = a["labels"][k] if k < len(a["labels"]) and a["labels"][k] else os.path.splitext(os.path.basename(p))[0]
            scans += [(base + (" (%s start)" % start if start else ""), cols) for start, cols in read_scans(p)]
    except (OSError, ValueError) as e:
        sys.stderr.write("plot_mc.py: %s\n" % e)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        sys.stderr.write("plot_mc.py: matplotlib is missing; no figure written (apt-get install python3-matplotlib,"
                         " or run it with a Python that has it, e.g. /usr/bin/python3)\n")
        return 1
    if a["series"]:
        draw_series(plt, a)
    if scans:
        draw_scans(plt, a, scans)
    print("plot_mc.py: wrote %s" % a["out"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
