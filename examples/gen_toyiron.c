/* gen_toyiron.c - a spin-aware training set from the toy-iron Hamiltonian
   (examples/toyiron.h, SPEC 12), in the spirit of the thesis's data set (Bloore T3.3):
   geometries of bcc/fcc supercells (random strain, thermal rattling, vacancies), each
   evaluated in several spin states (FM, perturbed FM, PM, AFM, ...; T3.29-3.33), with
   energies, forces, virials, per-atom energies, spins and effective fields.

       bin/gen_toyiron [--subset spin|geo-spin|fm|states] [--seed N] [--out FILE] ...

   Run with --help for every option. Output: extended XYZ (sannip_write_xyz: Lattice,
   Properties=species:S:1:pos:R:3:forces:R:3:magmoms:R:3:energies:R:1, energy, virial, pbc)
   plus two additions made here: a heff:R:3 column (the effective field -dE/dS, eV/hbar)
   and key=value tags at the start of the comment line (so they survive in the 255
   characters sannip_read_xyz keeps): config_type, geometry (index, shared by all spin
   states of one geometry), crystal (bcc|fcc; not "lattice": keys are case-insensitive and
   Lattice= is the cell), size, vacancy, state, sigma, repeat. "magmoms" are the toy's
   spins S in hbar units (|S| ~ 1.1), as sannip_read_xyz reads them into structure spins.
   The same seed gives a byte-identical file.

   Geometry g of G: lattice and size cycle (lattice fastest); the cell is the perfect
   crystal at the toy model's own FM optimum (|S| = 1.1) deformed by I + eps with a
   symmetric eps_ab ~ U[-X, X]; with probability P one random atom is removed; every atom is
   displaced by N(0, s_g^2) per component with s_g = SIGMA sqrt((g + 1) / G): a temperature
   ramp (<u^2> ~ T), as the thesis's MD ramps spread their geometries.
*/
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "toyiron.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_FM, ST_PFM, ST_PM, ST_AFM, ST_AFMPP, ST_AFMR, ST_111R, ST_000R, ST_COUNT };
static const char *state_names[ST_COUNT] = { "fm", "pfm", "pm", "afm", "afm++", "afmr", "111r", "000r" };
static const int PBC[3] = { 1, 1, 1 };
#define MAX_SIZES 8
#define MAX_SIGMAS 16

typedef struct options {
    const char *subset;           /* preset name or "custom" */
    unsigned long long seed;
    const char *out;              /* NULL or "-": stdout */
    int lattices;                 /* bit 0 bcc, bit 1 fcc */
    int sizes[MAX_SIZES], n_sizes;
    int geometries;
    double rattle, strain, vacancies;
    int states;                   /* bit per ST_* */
    double sigmas[MAX_SIGMAS]; int n_sigmas;
    int repeats;
    double mag_mean, mag_sd;
    double a[2];                  /* lattice constants, 0: the model's optimum */
} options;

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
        "  --help            this text\n"
        "Exit status: 0 success, 1 failure (I/O, model), 2 bad command line.\n");
}

static void defaults(options *o)
{
    static const double sig[4] = { 0.015, 0.05, 0.1, 0.2 };   /* T3.31 without 0 (= FM) */
    memset(o, 0, sizeof *o);
    o->subset = "custom"; o->seed = 1; o->lattices = 1;
    o->sizes[0] = 2; o->n_sizes = 1; o->geometries = 10;
    o->rattle = 0.1; o->strain = 0.02; o->vacancies = 0;
    o->states = 1 << ST_FM | 1 << ST_PFM | 1 << ST_PM | 1 << ST_AFM;
    memcpy(o->sigmas, sig, sizeof sig); o->n_sigmas = 4;
    o->repeats = 1; o->mag_mean = 1.1; o->mag_sd = 0.05;
}

/* The four subsets of the accuracy study (few hundred structures, seconds to generate).
   Returns 0 for an unknown name. */
static int preset(options *o, const char *name)
{
    if (strcmp(name, "spin") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->n_sizes = 1; o->geometries = 10;
        o->rattle = 0.05; o->strain = 0.01; o->vacancies = 0;
        o->states = (1 << ST_COUNT) - 1; o->repeats = 3;
    } else if (strcmp(name, "geo-spin") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->sizes[1] = 3; o->n_sizes = 2; o->geometries = 60;
        o->rattle = 0.12; o->strain = 0.03; o->vacancies = 0.2;
        o->states = 1 << ST_FM | 1 << ST_PFM | 1 << ST_PM | 1 << ST_AFM;
        o->sigmas[0] = 0.05; o->sigmas[1] = 0.2; o->n_sigmas = 2;
    } else if (strcmp(name, "fm") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->sizes[1] = 3; o->sizes[2] = 4; o->n_sizes = 3; o->geometries = 75;
        o->rattle = 0.12; o->strain = 0.03; o->vacancies = 0.2;
        o->states = 1 << ST_FM | 1 << ST_PFM;
        o->sigmas[0] = 0.015; o->sigmas[1] = 0.05; o->sigmas[2] = 0.1; o->n_sigmas = 3;
    } else if (strcmp(name, "states") == 0) {
        o->lattices = 1; o->sizes[0] = 2; o->sizes[1] = 3; o->n_sizes = 2; o->geometries = 60;
        o->rattle = 0.12; o->strain = 0.02; o->vacancies = 0;
        o->states = 1 << ST_FM | 1 << ST_PM | 1 << ST_AFM;
    } else return 0;
    o->subset = name;
    return 1;
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

static void parse_args(int argc, char **argv, options *o)
{
    int i, k;
    defaults(o);
    /* pass 1: --help and the preset, so later flags override it whatever their order */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) { usage(stdout); exit(0); }
        if (strcmp(argv[i], "--subset") == 0) {
            if (i + 1 >= argc) die_usage("--subset", NULL, "missing value");
            if (!preset(o, argv[i + 1])) die_usage("--subset", argv[i + 1], "expected spin, geo-spin, fm or states");
        }
    }
    for (i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *with_value[] = { "--subset", "--seed", "--out", "--lattice", "--sizes", "--geometries", "--rattle",
                                            "--strain", "--vacancies", "--states", "--sigmas", "--repeats", "--magnitude", "--a" };
        char buf[512], *items[MAX_SIGMAS + 8];
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
        else if (strcmp(f, "--out") == 0) o->out = v;
        else if (strcmp(f, "--lattice") == 0) {
            if (strcmp(v, "bcc") == 0) o->lattices = 1;
            else if (strcmp(v, "fcc") == 0) o->lattices = 2;
            else if (strcmp(v, "both") == 0) o->lattices = 3;
            else die_usage(f, v, "expected bcc, fcc or both");
        }
        else if (strcmp(f, "--sizes") == 0) {
            n = split_list(f, v, buf, items, MAX_SIZES);
            for (k = 0; k < n; k++) o->sizes[k] = (int)parse_int(f, items[k], 1, 8);
            o->n_sizes = n;
        }
        else if (strcmp(f, "--geometries") == 0) o->geometries = (int)parse_int(f, v, 1, 100000);
        else if (strcmp(f, "--rattle") == 0) o->rattle = parse_real(f, v, 0, 0.5);
        else if (strcmp(f, "--strain") == 0) o->strain = parse_real(f, v, 0, 0.1);
        else if (strcmp(f, "--vacancies") == 0) o->vacancies = parse_real(f, v, 0, 1);
        else if (strcmp(f, "--states") == 0) {
            n = split_list(f, v, buf, items, MAX_SIGMAS + 8);
            o->states = 0;
            for (k = 0; k < n; k++) {
                int s;
                for (s = 0; s < ST_COUNT && strcmp(items[k], state_names[s]) != 0; s++) {}
                if (s == ST_COUNT) die_usage(f, items[k], "expected fm, pfm, pm, afm, afm++, afmr, 111r or 000r");
                o->states |= 1 << s;
            }
        }
        else if (strcmp(f, "--sigmas") == 0) {
            n = split_list(f, v, buf, items, MAX_SIGMAS);
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
    }
}

/* The geometry of index g: supercell, strain, vacancy, ramped rattling (header comment).
   pos (3 x 4 x 8^3), sign (sublattice of each atom). Returns the atom count. */
static int make_geometry(const options *o, int g, int fcc, int m, double a, sannip_rng *rng,
                         double *pos, double *cell, int *sign, int *vacancy)
{
    int mm[3] = { m, m, m }, n = toyiron_crystal(fcc, mm, a, pos, cell), i, k, l;
    double eps[9], ideal[9], sg = o->rattle * sqrt((g + 1.0) / o->geometries);
    sannip_real *pr = (sannip_real *)malloc(3 * (size_t)n * sizeof(sannip_real)), cr[9];
    if (!pr) { fprintf(stderr, "gen_toyiron: out of memory\n"); exit(1); }
    for (k = 0; k < 3; k++) for (l = k; l < 3; l++) eps[3 * k + l] = eps[3 * l + k] = o->strain * (2 * sannip_rng_uniform(rng) - 1);
    memcpy(ideal, cell, sizeof ideal);
    for (k = 0; k < 3; k++) for (l = 0; l < 3; l++)
        cell[3 * k + l] = ideal[3 * k + l] + ideal[3 * k] * eps[l] + ideal[3 * k + 1] * eps[3 + l] + ideal[3 * k + 2] * eps[6 + l];
    for (i = 0; i < n; i++) {
        double x[3] = { pos[3 * i], pos[3 * i + 1], pos[3 * i + 2] };
        for (l = 0; l < 3; l++) pos[3 * i + l] = x[l] + x[0] * eps[l] + x[1] * eps[3 + l] + x[2] * eps[6 + l];
    }
    /* sublattices from the unrattled strained crystal: exact whatever the rattling */
    for (i = 0; i < 3 * n; i++) pr[i] = (sannip_real)pos[i];
    for (k = 0; k < 9; k++) cr[k] = (sannip_real)cell[k];
    if (sannip_spin_sublattice(n, pr, cr, (sannip_real)a, fcc ? SANNIP_SUBLATTICE_FCC001 : SANNIP_SUBLATTICE_BCC, sign, NULL) != SANNIP_SUCCESS) {
        fprintf(stderr, "gen_toyiron: sublattices of geometry %d failed\n", g);   /* unreachable: the cell is built from a */
        exit(1);
    }
    free(pr);
    *vacancy = 0;
    if (sannip_rng_uniform(rng) < o->vacancies) {
        int v = (int)(sannip_rng_uniform(rng) * n);
        memmove(pos + 3 * v, pos + 3 * (v + 1), 3 * (size_t)(n - v - 1) * sizeof(double));
        memmove(sign + v, sign + v + 1, (size_t)(n - v - 1) * sizeof(int));
        n--;
        *vacancy = 1;
    }
    for (i = 0; i < 3 * n; i++) pos[i] += sg * sannip_rng_normal(rng);
    return n;
}

/* Spins of one state (sannip_real, as the generators write them). */
static sannip_result make_spins(int state, int n, double sigma, const int *sign, const sannip_spin_magnitude *mag,
                                sannip_rng *rng, sannip_real *s)
{
    switch (state) {
    case ST_FM: return sannip_spin_fm(n, mag, rng, s, NULL);
    case ST_PFM: return sannip_spin_perturbed_fm(n, (sannip_real)sigma, mag, rng, s, NULL);
    case ST_PM: return sannip_spin_pm(n, mag, rng, s, NULL);
    case ST_AFM: return sannip_spin_afm(n, sign, mag, rng, s, NULL);
    case ST_AFMPP: return sannip_spin_afm_pp(n, mag, rng, s, NULL);
    case ST_AFMR: return sannip_spin_afm_random(n, mag, rng, s, NULL);
    case ST_111R: return sannip_spin_111r(n, mag, rng, s, NULL);
    default: return sannip_spin_000r(n, mag, rng, s, NULL);
    }
}

/* Appends what sannip_write_xyz writes for s, with `tags` put at the start of the comment
   line and a heff:R:3 column (H, n x 3) after its columns. */
static void append_frame(sannip_text *out, sannip_text *tmp, const sannip_structure *s, const char *tags,
                         const sannip_real *energy, const sannip_real *virial, const sannip_real *atom_energy,
                         const sannip_real *H)
{
    const char *p, *eol, *props;
    int i, a;
    tmp->len = 0;
    sannip_write_xyz(tmp, s, energy, NULL, virial, atom_energy);
    if (tmp->failed || !tmp->s) { out->failed = 1; return; }
    p = tmp->s;                              /* NUL-terminated */
    eol = strchr(p, '\n');                   /* atom count */
    sannip_text_printf(out, "%.*s", (int)(eol + 1 - p), p);
    p = eol + 1; eol = strchr(p, '\n');      /* comment line */
    props = strstr(p, "Properties=");
    props += strcspn(props, " \n");
    sannip_text_printf(out, "%s %.*s:heff:R:3%.*s", tags, (int)(props - p), p, (int)(eol + 1 - props), props);
    for (i = 0; i < s->n; i++) {
        p = eol + 1; eol = strchr(p, '\n');
        sannip_text_printf(out, "%.*s", (int)(eol - p), p);
        for (a = 0; a < 3; a++) sannip_text_real(out, H[3 * i + a]);
        sannip_text_printf(out, "\n");
    }
}

int main(int argc, char **argv)
{
    options o;
    const int maxn = 4 * 8 * 8 * 8;
    double *pos = (double *)malloc(3 * (size_t)maxn * sizeof(double)), cell[9], *spins = (double *)malloc(3 * (size_t)maxn * sizeof(double));
    double *F = (double *)malloc(3 * (size_t)maxn * sizeof(double)), *H = (double *)malloc(3 * (size_t)maxn * sizeof(double));
    double *Ei = (double *)malloc((size_t)maxn * sizeof(double)), W[9], a_opt[2];
    sannip_real *Hr = (sannip_real *)malloc(3 * (size_t)maxn * sizeof(sannip_real)), *Eir = (sannip_real *)malloc((size_t)maxn * sizeof(sannip_real)), Wr[9];
    int *sign = (int *)malloc((size_t)maxn * sizeof(int));
    int lat[2], nlat = 0, g, i, count = 0;
    long atoms = 0;
    double emin = 1e300, emax = -1e300, esum = 0, esum2 = 0;
    sannip_spin_magnitude mag;
    sannip_structure s;
    sannip_text out, tmp;
    sannip_rng master;
    sannip_error err;
    toyiron t;

    parse_args(argc, argv, &o);
    if (!pos || !spins || !F || !H || !Ei || !Hr || !Eir || !sign) { fprintf(stderr, "gen_toyiron: out of memory\n"); return 1; }
    if (o.lattices & 1) lat[nlat++] = 0;
    if (o.lattices & 2) lat[nlat++] = 1;
    for (i = 0; i < 2; i++)
        a_opt[i] = o.a[i] > 0 ? o.a[i] : toyiron_crystal_optimum(NULL, i, 1.1, i ? 3.2 : 2.5, i ? 4.2 : 3.3, NULL);
    mag.mean = (sannip_real)o.mag_mean; mag.sd = (sannip_real)o.mag_sd;
    sannip_rng_seed(&master, o.seed);
    sannip_structure_init(&s, NULL);
    sannip_text_init(&out, NULL); sannip_text_init(&tmp, NULL);
    toyiron_init(&t, NULL);

    for (g = 0; g < o.geometries; g++) {
        int fcc = lat[g % nlat], m = o.sizes[(g / nlat) % o.n_sizes], vac, n, st;
        sannip_rng rng;
        sannip_rng_split(&master, &rng);          /* one stream per geometry */
        n = make_geometry(&o, g, fcc, m, a_opt[fcc], &rng, pos, cell, sign, &vac);
        if (toyiron_set_geometry(&t, n, pos, cell, PBC, &err) != SANNIP_SUCCESS
            || sannip_structure_resize(&s, n, 1, 1, &err) != SANNIP_SUCCESS) {
            fprintf(stderr, "gen_toyiron: geometry %d: %s\n", g, err.message);
            return 1;
        }
        for (i = 0; i < 3 * n; i++) s.pos[i] = (sannip_real)pos[i];
        for (i = 0; i < 9; i++) s.cell[i] = (sannip_real)cell[i];
        for (i = 0; i < n; i++) s.Z[i] = 26;
        s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
        for (st = 0; st < ST_COUNT; st++) {
            int ns = st == ST_PFM ? o.n_sigmas : 1, k, r;
            if (!(o.states & 1 << st)) continue;
            for (k = 0; k < ns; k++) for (r = 0; r < o.repeats; r++) {
                double sigma = st == ST_PFM ? o.sigmas[k] : 0, E;
                sannip_real Er;
                char tags[256];
                if (make_spins(st, n, sigma, sign, &mag, &rng, s.spins) != SANNIP_SUCCESS) { fprintf(stderr, "gen_toyiron: spin generator failed\n"); return 1; }
                for (i = 0; i < 3 * n; i++) spins[i] = s.spins[i];
                E = toyiron_compute(&t, spins, Ei, F, H, W);
                for (i = 0; i < 3 * n; i++) { s.forces[i] = (sannip_real)F[i]; Hr[i] = (sannip_real)H[i]; }
                for (i = 0; i < n; i++) Eir[i] = (sannip_real)Ei[i];
                for (i = 0; i < 9; i++) Wr[i] = (sannip_real)W[i];
                Er = (sannip_real)E;
                snprintf(tags, sizeof tags, "config_type=%s geometry=%d crystal=%s size=%d vacancy=%d state=%s sigma=%g repeat=%d",
                         o.subset, g, fcc ? "fcc" : "bcc", m, vac, state_names[st], sigma, r);
                append_frame(&out, &tmp, &s, tags, &Er, Wr, Eir, Hr);
                count++; atoms += n;
                E /= n;
                if (E < emin) emin = E;
                if (E > emax) emax = E;
                esum += E; esum2 += E * E;
            }
        }
    }
    if (out.failed) { fprintf(stderr, "gen_toyiron: out of memory\n"); return 1; }
    if (!o.out || strcmp(o.out, "-") == 0) {
        if (fwrite(out.s, 1, out.len, stdout) != out.len) { fprintf(stderr, "gen_toyiron: write error\n"); return 1; }
    } else if (sannip_write_file_atomic(o.out, out.s, out.len, &err) != SANNIP_SUCCESS) {
        fprintf(stderr, "gen_toyiron: %s\n", err.message);
        return 1;
    }
    {
        double mean = esum / count, sd = sqrt(esum2 / count - mean * mean > 0 ? esum2 / count - mean * mean : 0);
        fprintf(stderr, "gen_toyiron: subset %s, seed %llu: %d structures from %d geometries, %ld atoms; "
                "E/atom %.4f .. %.4f eV (spread %.1f meV/atom, sd %.1f meV/atom); a = %.4f (bcc), %.4f (fcc) A -> %s\n",
                o.subset, o.seed, count, o.geometries, atoms, emin, emax, 1e3 * (emax - emin), 1e3 * sd,
                a_opt[0], a_opt[1], o.out ? o.out : "stdout");
    }
    toyiron_uninit(&t);
    sannip_structure_uninit(&s);
    sannip_text_uninit(&out); sannip_text_uninit(&tmp);
    free(pos); free(spins); free(F); free(H); free(Ei); free(Hr); free(Eir); free(sign);
    return 0;
}
