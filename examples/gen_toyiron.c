/* gen_toyiron.c - a spin-aware training set from the toy-iron Hamiltonian
   (examples/toyiron.h, SPEC 12): the command line of the generator in
   examples/toyiron_data.h, which says what the set holds (geometries, spin states, tags,
   columns and units) and how it is drawn.

       bin/gen_toyiron [--subset spin|geo-spin|fm|states] [--seed N] [--out FILE] ...

   Run with --help for every option. Output: extended XYZ, to standard output or written
   atomically to FILE; one summary line on standard error. The same seed gives a
   byte-identical file.
*/
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "toyiron_data.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
        "usage: gen_toyiron [--subset NAME] [options]\n"
        "Writes a spin-aware training set computed with the toy-iron Hamiltonian (examples/toyiron.h)\n"
        "as extended XYZ: energy, virial, forces, magmoms (spins S, hbar units), energies (per atom),\n"
        "heff (-dE/dS, eV/hbar), and comment tags geometry=, state=, sigma=, ...\n"
        "  --subset NAME     preset, applied before the other options (which then override it):\n"
        "                      spin      few geometries, many spin states: bcc+fcc 2x2x2, 10 geometries,\n"
        "                                all 8 states x 3 repeats (330 structures)\n"
        "                      geo-spin  many geometries x several states: bcc+fcc 2,3; 60 geometries,\n"
        "                                fm,pfm(0.05,0.2),pm,afm; 20%% vacancies (300 structures)\n"
        "                      fm        many geometries, FM and perturbed FM only: bcc+fcc 2,3,4;\n"
        "                                75 geometries, fm,pfm(0.015,0.05,0.1); 20%% vacancies (300)\n"
        "                      states    fixed geometries: bcc 2,3; 60 geometries, each fm,pm,afm (180)\n"
        "  --seed N          seed of every random draw (default 1)\n"
        "  --out FILE        output file, written atomically (default or '-': standard output)\n"
        "  --lattice L       bcc, fcc or both (alternating) (default bcc)\n"
        "  --sizes LIST      supercells of LIST conventional cells per edge, 1..8, cycled (default 2)\n"
        "  --geometries N    number of geometries, 1..100000 (default 10)\n"
        "  --rattle SIGMA    largest Gaussian displacement sd in A, ramped over the geometries as\n"
        "                    SIGMA sqrt((g+1)/G) (default 0.1)\n"
        "  --strain X        strain components eps_ab ~ U[-X, X], symmetric, 0..0.1 (default 0.02)\n"
        "  --vacancies P     probability that a geometry loses one random atom, 0..1 (default 0)\n"
        "  --states LIST     spin states per geometry, from: fm (all +z), pfm (perturbed FM, one per\n"
        "                    sigma; T3.29-3.31), pm (uniform directions, T3.32), afm (two-sublattice:\n"
        "                    bcc corner/centre, fcc alternating (001) planes), afm++ (+ + - - by atom\n"
        "                    index), afmr (random up/down pairs, zero net moment), 111r, 000r (T3.33)\n"
        "                    (default fm,pfm,pm,afm)\n"
        "  --sigmas LIST     perturbed-FM sigmas, >= 0, at most 16 (default 0.015,0.05,0.1,0.2)\n"
        "  --repeats R       draws of every state per geometry, 1..1000 (default 1)\n"
        "  --magnitude M[,SD] spin magnitudes |S| ~ N(M, SD) truncated at 0, hbar (default 1.1,0.05)\n"
        "  --a A             lattice constant in A for every lattice (default: the model's FM\n"
        "                    optimum, 2.877 bcc, 3.658 fcc)\n"
        "  --truth T         plain (the toy of toyiron.h, default) or extended (plus biquadratic and\n"
        "                    three-spin terms outside the spin bases' span; toyiron_params_extended)\n"
        "  --noise E[,F[,H]] Gaussian label noise: sd of E/atom (eV), of force components (eV/A) and of\n"
        "                    field components (eV/hbar) (default 0: exact labels)\n"
        "  --help            this text\n"
        "Exit status: 0 success, 1 failure (I/O, model), 2 bad command line.\n");
}

static void die_usage(const char *flag, const char *value, const char *why)
{
    fprintf(stderr, "gen_toyiron: %s%s%s%s: %s (see --help)\n", flag, value ? " '" : "", value ? value : "", value ? "'" : "", why);
    exit(2);
}

/* One real in [lo, hi], the whole string (locale-independent). */
static double parse_real(const char *flag, const char *s, double lo, double hi)
{
    sannip_real v;
    const char *end;
    if (!sannip_parse_real(s, &end, &v) || *end || !(v >= lo && v <= hi)) {
        char why[96];
        snprintf(why, sizeof why, "expected a number in [%g, %g]", lo, hi);
        die_usage(flag, s, why);
    }
    return (double)v;
}

static long parse_int(const char *flag, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof why, "expected an integer in [%ld, %ld]", lo, hi);
        die_usage(flag, s, why);
    }
    return v;
}

/* Splits the comma-separated list s (a copy of the argument arg) in place; returns the
   item count (dies if an item is empty or there are more than max). */
static int split_list(const char *flag, const char *arg, char *s, char **items, int max)
{
    int n = 0;
    char *p = s;
    for (;;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        if (!*p) die_usage(flag, arg, "empty item in the list");
        if (n == max) die_usage(flag, arg, "too many items");
        items[n++] = p;
        if (!c) break;
        p = c + 1;
    }
    return n;
}

static void parse_args(int argc, char **argv, toyiron_data_options *o, const char **out)
{
    int i, k;
    toyiron_data_defaults(o);
    /* pass 1: --help and the preset, so later flags override it whatever their order */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) { usage(stdout); exit(0); }
        if (strcmp(argv[i], "--subset") == 0) {
            if (i + 1 >= argc) die_usage("--subset", NULL, "missing value");
            if (!toyiron_data_preset(o, argv[i + 1])) die_usage("--subset", argv[i + 1], "expected spin, geo-spin, fm or states");
        }
    }
    for (i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *with_value[] = { "--subset", "--seed", "--out", "--lattice", "--sizes", "--geometries", "--rattle",
                                            "--strain", "--vacancies", "--states", "--sigmas", "--repeats", "--magnitude", "--a",
                                            "--truth", "--noise" };
        char buf[512], *items[TOYIRON_MAX_SIGMAS + 8];
        int known = 0, n;
        for (k = 0; k < (int)(sizeof with_value / sizeof with_value[0]); k++) if (strcmp(f, with_value[k]) == 0) known = 1;
        if (!known) die_usage(f, NULL, "unknown option");
        if (!v) die_usage(f, NULL, "missing value");
        if (strlen(v) >= sizeof buf) die_usage(f, NULL, "value too long");
        strcpy(buf, v);
        i++;
        if (strcmp(f, "--subset") == 0) continue;
        else if (strcmp(f, "--seed") == 0) {
            char *end;
            if (v[0] == '-' || !(o->seed = strtoull(v, &end, 10), end != v && !*end)) die_usage(f, v, "expected a non-negative integer");
        }
        else if (strcmp(f, "--out") == 0) *out = v;
        else if (strcmp(f, "--lattice") == 0) {
            if (strcmp(v, "bcc") == 0) o->lattices = 1;
            else if (strcmp(v, "fcc") == 0) o->lattices = 2;
            else if (strcmp(v, "both") == 0) o->lattices = 3;
            else die_usage(f, v, "expected bcc, fcc or both");
        }
        else if (strcmp(f, "--sizes") == 0) {
            n = split_list(f, v, buf, items, TOYIRON_MAX_SIZES);
            for (k = 0; k < n; k++) o->sizes[k] = (int)parse_int(f, items[k], 1, 8);
            o->n_sizes = n;
        }
        else if (strcmp(f, "--geometries") == 0) o->geometries = (int)parse_int(f, v, 1, 100000);
        else if (strcmp(f, "--rattle") == 0) o->rattle = parse_real(f, v, 0, 0.5);
        else if (strcmp(f, "--strain") == 0) o->strain = parse_real(f, v, 0, 0.1);
        else if (strcmp(f, "--vacancies") == 0) o->vacancies = parse_real(f, v, 0, 1);
        else if (strcmp(f, "--states") == 0) {
            n = split_list(f, v, buf, items, TOYIRON_MAX_SIGMAS + 8);
            o->states = 0;
            for (k = 0; k < n; k++) {
                int s;
                for (s = 0; s < TOYIRON_STATE_COUNT && strcmp(items[k], toyiron_state_names[s]) != 0; s++) {}
                if (s == TOYIRON_STATE_COUNT) die_usage(f, items[k], "expected fm, pfm, pm, afm, afm++, afmr, 111r or 000r");
                o->states |= 1 << s;
            }
        }
        else if (strcmp(f, "--sigmas") == 0) {
            n = split_list(f, v, buf, items, TOYIRON_MAX_SIGMAS);
            for (k = 0; k < n; k++) o->sigmas[k] = parse_real(f, items[k], 0, 10);
            o->n_sigmas = n;
        }
        else if (strcmp(f, "--repeats") == 0) o->repeats = (int)parse_int(f, v, 1, 1000);
        else if (strcmp(f, "--magnitude") == 0) {
            n = split_list(f, v, buf, items, 2);
            o->mag_mean = parse_real(f, items[0], 0, 10);
            o->mag_sd = n > 1 ? parse_real(f, items[1], 0, 10) : 0;
        }
        else if (strcmp(f, "--a") == 0) o->a[0] = o->a[1] = parse_real(f, v, 2.0, 5.0);
        else if (strcmp(f, "--truth") == 0) {
            if (strcmp(v, "plain") == 0) o->extended = 0;
            else if (strcmp(v, "extended") == 0) o->extended = 1;
            else die_usage(f, v, "expected plain or extended");
        }
        else if (strcmp(f, "--noise") == 0) {
            n = split_list(f, v, buf, items, 3);
            o->noise_e = parse_real(f, items[0], 0, 1);
            o->noise_f = n > 1 ? parse_real(f, items[1], 0, 10) : 0;
            o->noise_h = n > 2 ? parse_real(f, items[2], 0, 10) : 0;
        }
    }
}

int main(int argc, char **argv)
{
    toyiron_data_options o;
    toyiron_data_summary sum;
    const char *out = NULL;
    sannip_error err;
    parse_args(argc, argv, &o, &out);
    if (toyiron_data_write(&o, out, &sum, &err) != SANNIP_SUCCESS) {
        fprintf(stderr, "gen_toyiron: %s\n", err.message);
        return 1;
    }
    toyiron_data_report(stderr, "gen_toyiron", &o, &sum, out);
    return 0;
}
