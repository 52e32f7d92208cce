#!/usr/bin/env python3
"""plot_mc.py - magnetisation against temperature from spin Monte Carlo scans (Bloore Fig. 4.22).

    python3 examples/plot_mc.py SCAN.csv [SCAN2.csv ...] [-o OUT.png] [--tc TC]

Reads the CSV tables that sannip_mc_write_csv writes (one row per temperature: T, kT, m,
m_err, ratio, ratio_err, polar, polar_err, e, e_err, chi, chi_err, cv, cv_err, u4, u4_err,
acceptance, step, samples, attempted, accepted), e.g. build/mc_curie_L8.csv and
build/mc_binder_L{8,12,16}.csv from build/bench_mc, and draws four panels: the magnetisation
<|M|>/N and the magnetisation ratio (T4.1) with error bars, the polar-angle variance (T4.2-4.4,
with its FM and PM values), the susceptibility, and the Binder cumulant U4 (its curves for
several sizes cross at T_c; --tc draws a reference line, e.g. 1.443 for the simple cubic
Heisenberg model). Temperatures are in the units of the run (k_B T / J when kT == T).
Tables of bin/sannip mc carry a first column 'init' (one curve per start: fm, pm, ...).
Writes OUT.png (default: the first CSV with .png). Exits 0 with a message when matplotlib is
missing, 1 on a bad command line or file.
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
    paths, out, tc = [], None, None
    i = 1
    while i < len(argv):
        if argv[i] in ("-o", "--tc"):
            if i + 1 >= len(argv):
                return None
            if argv[i] == "-o":
                out = argv[i + 1]
            else:
                tc = float(argv[i + 1])
            i += 2
        else:
            paths.append(argv[i])
            i += 1
    if not paths:
        return None
    return paths, out or os.path.splitext(paths[0])[0] + ".png", tc


def main(argv):
    try:
        args = parse_args(argv)
    except ValueError:
        args = None
    if args is None:
        sys.stderr.write("usage: plot_mc.py SCAN.csv [SCAN2.csv ...] [-o OUT.png] [--tc TC]\n")
        return 1
    paths, out, tc = args
    try:
        scans = []
        for p in paths:
            base = os.path.splitext(os.path.basename(p))[0]
            scans += [(base + (" (%s start)" % start if start else ""), cols) for start, cols in read_scans(p)]
    except (OSError, ValueError) as e:
        sys.stderr.write("plot_mc.py: %s\n" % e)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_mc.py: matplotlib is not installed; no figure written (apt-get install python3-matplotlib)")
        return 0

    reduced = all(abs(a - b) <= 1e-12 * max(1.0, abs(a)) for _, s in scans for a, b in zip(s["T"], s["kT"]))
    xlabel = "k_B T / J" if reduced else "T (K)"
    fig, ax = plt.subplots(2, 2, figsize=(11, 8.5))
    for k, (name, s) in enumerate(scans):
        c = COLOURS[k % len(COLOURS)]
        errorbars(ax[0][0], s, "m", name + ": <|M|>/N", c, "o")
        if finite(s["ratio"]) and s["ratio"] != s["m"]:
            errorbars(ax[0][0], s, "ratio", name + ": |sum S| / sum |S|", c, "s")
        if finite(s["polar"]):
            errorbars(ax[0][1], s, "polar", name, c)
        errorbars(ax[1][0], s, "chi", name, c)
        errorbars(ax[1][1], s, "u4", name, c)
    ax[0][0].set_ylabel("magnetisation per spin")
    ax[0][0].set_title("magnetisation (FM start; T4.1, Fig. 4.22)")
    ax[0][0].set_ylim(bottom=0)
    ax[0][1].axhline(0, color="k", lw=0.8, ls=":")
    ax[0][1].axhline(PM_POLAR, color="k", lw=0.8, ls="--")
    ax[0][1].text(0.02, PM_POLAR, " PM: pi^2/4 - 2", transform=ax[0][1].get_yaxis_transform(),
                  va="bottom", fontsize=8)
    ax[0][1].set_ylabel("variance of the polar angle (rad^2)")
    ax[0][1].set_title("polar-angle variance (T4.2-4.4)")
    ax[1][0].set_ylabel("chi = N (<m^2> - <m>^2) / k_B T")
    ax[1][0].set_title("susceptibility")
    ax[1][1].axhline(2.0 / 3.0, color="k", lw=0.8, ls=":")
    ax[1][1].set_ylabel("U4 = 1 - <m^4> / (3 <m^2>^2)")
    ax[1][1].set_title("Binder cumulant (sizes cross at T_c)")
    for a in (ax[0][0], ax[0][1], ax[1][0], ax[1][1]):
        if tc is not None:
            a.axvline(tc, color="k", lw=0.8, ls="-.")
        a.set_xlabel(xlabel)
        a.legend(fontsize=7)
    fig.suptitle("spin Monte Carlo: " + ", ".join(name for name, _ in scans))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("plot_mc.py: wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
