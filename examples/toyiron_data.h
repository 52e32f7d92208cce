/* toyiron_data.h - spin-aware training sets from the toy-iron Hamiltonian (toyiron.h, SPEC 12),
   in the spirit of the thesis's data set (Bloore T3.3): geometries of bcc/fcc supercells
   (random strain, thermal rattling, vacancies), each evaluated in several spin states (FM,
   perturbed FM, PM, AFM, ...; T3.29-3.33), with energies, forces, virials, per-atom energies,
   spins and effective fields. The generator of bin/gen_toyiron (examples/gen_toyiron.c, its
   command line), used in process by bin/spin_accuracy and bench/bench_spin.c. Not library
   API: include it after sannip.h and sannip_spin.h (their implementations must be in the
   program: it uses the spin-state generators and sannip_write_xyz_ex).

   Use:
       toyiron_data_options o; toyiron_data_summary sum; sannip_error err;
       toyiron_data_defaults(&o);
       toyiron_data_preset(&o, "spin");               // optional: one of the four subsets
       o.seed = 7;                                     // then any field
       if (toyiron_data_write(&o, "spin.xyz", &sum, &err) != SANNIP_SUCCESS) ... err.message
       toyiron_data_report(stderr, "gen_toyiron", &o, &sum, "spin.xyz");
   (toyiron_data_make appends the frames to a sannip_text instead of writing a file.)

   Output: extended XYZ (sannip_write_xyz_ex: Lattice,
   Properties=species:S:1:pos:R:3:forces:R:3:magmoms:R:3:energies:R:1:heff:R:3, energy,
   virial, pbc): heff is the effective field -dE/dS (eV/hbar), and key=value tags come first
   on the comment line (so they survive in the 255 characters sannip_read_xyz keeps):
   config_type, geometry (index, shared by all spin states of one geometry), crystal
   (bcc|fcc; not "lattice": keys are case-insensitive and Lattice= is the cell), size,
   vacancy, state, sigma, repeat. "magmoms" are the toy's spins S in hbar units (|S| ~ 1.1),
   as sannip_read_xyz reads them into structure spins. The same options give a
   byte-identical text.

   Geometry g of G: lattice and size cycle (lattice fastest); the cell is the perfect
   crystal at the toy model's own FM optimum (|S| = 1.1) deformed by I + eps with a
   symmetric eps_ab ~ U[-X, X]; with probability P one random atom is removed; every atom is
   displaced by N(0, s_g^2) per component with s_g = SIGMA sqrt((g + 1) / G): a temperature
   ramp (<u^2> ~ T), as the thesis's MD ramps spread their geometries. Each geometry draws
   from its own stream (sannip_rng_split of the master seeded with o.seed).
*/
#ifndef TOYIRON_DATA_H
#define TOYIRON_DATA_H
#include "toyiron.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spin states (bits of toyiron_data_options.states), in the order they are written. */
enum { TOYIRON_FM, TOYIRON_PFM, TOYIRON_PM, TOYIRON_AFM, TOYIRON_AFMPP, TOYIRON_AFMR, TOYIRON_111R, TOYIRON_000R,
       TOYIRON_STATE_COUNT };
static const char *const toyiron_state_names[TOYIRON_STATE_COUNT] = { "fm", "pfm", "pm", "afm", "afm++", "afmr", "111r", "000r" };
#define TOYIRON_MAX_SIZES 8
#define TOYIRON_MAX_SIGMAS 16
#define TOYIRON_MAX_ATOMS (4 * 8 * 8 * 8)     /* fcc 8 x 8 x 8 */

typedef struct toyiron_data_options {
    const char *subset;           /* preset name or "custom" (written as config_type=) */
    unsigned long long seed;
    int lattices;                 /* bit 0 bcc, bit 1 fcc */
    int sizes[TOYIRON_MAX_SIZES], n_sizes;   /* conventional cells per edge, 1..8, cycled */
    int geometries;
    double rattle, strain, vacancies;        /* A; eps_ab range; probability */
    int states;                   /* bit per TOYIRON_* state */
    double sigmas[TOYIRON_MAX_SIGMAS]; int n_sigmas;   /* perturbed-FM sigmas */
    int repeats;                  /* draws of every state per geometry */
    double mag_mean, mag_sd;      /* |S| ~ N(mean, sd) truncated at 0, hbar */
    double a[2];                  /* lattice constants bcc, fcc (A); 0: the model's FM optimum */
    int extended;                 /* 1: the extended truth (toyiron_params_extended) */
    double noise_e, noise_f, noise_h;   /* label noise: sd of E/atom (eV), of force and field
                                           components (eV/A, eV/hbar); 0: exact labels */
} toyiron_data_options;

/* What a generated set holds (for the one-line report). */
typedef struct toyiron_data_summary {
    int structures, geometries;
    long atoms;
    double emin, emax, esum, esum2;   /* of E/atom, eV */
    double a[2];                      /* lattice constants used, bcc and fcc (A) */
} toyiron_data_summary;

/* bcc 2x2x2, 10 geometries, rattle 0.1 A, strain 0.02, no vacancies, fm,pfm,pm,afm with
   sigmas 0.015,0.05,0.1,0.2, one repeat, |S| ~ N(1.1, 0.05), seed 1. */
static void toyiron_data_defaults(toyiron_data_options *o)
{
    static const double sig[4] = { 0.015, 0.05, 0.1, 0.2 };   /* T3.31 without 0 (= FM) */
    memset(o, 0, sizeof *o);
    o->subset = "custom"; o->seed = 1; o->lattices = 1;
    o->sizes[0] = 2; o->n_sizes = 1; o->geometries = 10;
    o->rattle = 0.1; o->strain = 0.02; o->vacancies = 0;
    o->states = 1 << TOYIRON_FM | 1 << TOYIRON_PFM | 1 << TOYIRON_PM | 1 << TOYIRON_AFM;
    memcpy(o->sigmas, sig, sizeof sig); o->n_sigmas = 4;
    o->repeats = 1; o->mag_mean = 1.1; o->mag_sd = 0.05;
}

/* Applies one of the four subsets of the accuracy study (few hundred structures, seconds to
   generate) on top of o: spin, geo-spin, fm, states (gen_toyiron --help describes them).
   Returns 0 (o unchanged) for an unknown name. */
static int toyiron_data_preset(toyiron_data_options *o, const char *name)
{
    if (strcmp(name, "spin") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->n_sizes = 1; o->geometries = 10;
        o->rattle = 0.05; o->strain = 0.01; o->vacancies = 0;
        o->states = (1 << TOYIRON_STATE_COUNT) - 1; o->repeats = 3;
    } else if (strcmp(name, "geo-spin") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->sizes[1] = 3; o->n_sizes = 2; o->geometries = 60;
        o->rattle = 0.12; o->strain = 0.03; o->vacancies = 0.2;
        o->states = 1 << TOYIRON_FM | 1 << TOYIRON_PFM | 1 << TOYIRON_PM | 1 << TOYIRON_AFM;
        o->sigmas[0] = 0.05; o->sigmas[1] = 0.2; o->n_sigmas = 2;
    } else if (strcmp(name, "fm") == 0) {
        o->lattices = 3; o->sizes[0] = 2; o->sizes[1] = 3; o->sizes[2] = 4; o->n_sizes = 3; o->geometries = 75;
        o->rattle = 0.12; o->strain = 0.03; o->vacancies = 0.2;
        o->states = 1 << TOYIRON_FM | 1 << TOYIRON_PFM;
        o->sigmas[0] = 0.015; o->sigmas[1] = 0.05; o->sigmas[2] = 0.1; o->n_sigmas = 3;
    } else if (strcmp(name, "states") == 0) {
        o->lattices = 1; o->sizes[0] = 2; o->sizes[1] = 3; o->n_sizes = 2; o->geometries = 60;
        o->rattle = 0.12; o->strain = 0.02; o->vacancies = 0;
        o->states = 1 << TOYIRON_FM | 1 << TOYIRON_PM | 1 << TOYIRON_AFM;
    } else return 0;
    o->subset = name;
    return 1;
}

static sannip_result toyiron_data__fail(sannip_error *err, sannip_result code, const char *msg, int g)
{
    if (err) { err->code = code; err->line = err->field = 0; snprintf(err->message, sizeof err->message, msg, g); }
    return code;
}

/* The geometry of index g: supercell, strain, vacancy, ramped rattling (header comment).
   pos (3 x TOYIRON_MAX_ATOMS), sign (sublattice of each atom). Returns the atom count, or -1
   when out of memory. */
static int toyiron_data__geometry(const toyiron_data_options *o, int g, int fcc, int m, double a, sannip_rng *rng,
                                  double *pos, double *cell, int *sign, int *vacancy, sannip_error *err)
{
    int mm[3] = { m, m, m }, n = toyiron_crystal(fcc, mm, a, pos, cell), i, k, l;
    double eps[9], ideal[9], sg = o->rattle * sqrt((g + 1.0) / o->geometries);
    sannip_real *pr = (sannip_real *)malloc(3 * (size_t)n * sizeof(sannip_real)), cr[9];
    if (!pr) { toyiron_data__fail(err, SANNIP_OUT_OF_MEMORY, "out of memory", 0); return -1; }
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
        free(pr);   /* unreachable: the cell is built from a */
        toyiron_data__fail(err, SANNIP_ERROR, "sublattices of geometry %d failed", g);
        return -1;
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
static sannip_result toyiron_data__spins(int state, int n, double sigma, const int *sign, const sannip_spin_magnitude *mag,
                                         sannip_rng *rng, sannip_real *s)
{
    switch (state) {
    case TOYIRON_FM: return sannip_spin_fm(n, mag, rng, s, NULL);
    case TOYIRON_PFM: return sannip_spin_perturbed_fm(n, (sannip_real)sigma, mag, rng, s, NULL);
    case TOYIRON_PM: return sannip_spin_pm(n, mag, rng, s, NULL);
    case TOYIRON_AFM: return sannip_spin_afm(n, sign, mag, rng, s, NULL);
    case TOYIRON_AFMPP: return sannip_spin_afm_pp(n, mag, rng, s, NULL);
    case TOYIRON_AFMR: return sannip_spin_afm_random(n, mag, rng, s, NULL);
    case TOYIRON_111R: return sannip_spin_111r(n, mag, rng, s, NULL);
    default: return sannip_spin_000r(n, mag, rng, s, NULL);
    }
}

/* Scratch arrays of one run (TOYIRON_MAX_ATOMS atoms). */
typedef struct toyiron_data__work {
    double *pos, *spins, *F, *H, *Ei;
    sannip_real *Hr, *Eir;
    int *sign;
} toyiron_data__work;
static void toyiron_data__work_free(toyiron_data__work *w)
{
    free(w->pos); free(w->spins); free(w->F); free(w->H); free(w->Ei); free(w->Hr); free(w->Eir); free(w->sign);
}
static int toyiron_data__work_alloc(toyiron_data__work *w)
{
    const size_t n = TOYIRON_MAX_ATOMS;
    w->pos = (double *)malloc(3 * n * sizeof(double)); w->spins = (double *)malloc(3 * n * sizeof(double));
    w->F = (double *)malloc(3 * n * sizeof(double)); w->H = (double *)malloc(3 * n * sizeof(double));
    w->Ei = (double *)malloc(n * sizeof(double));
    w->Hr = (sannip_real *)malloc(3 * n * sizeof(sannip_real)); w->Eir = (sannip_real *)malloc(n * sizeof(sannip_real));
    w->sign = (int *)malloc(n * sizeof(int));
    return w->pos && w->spins && w->F && w->H && w->Ei && w->Hr && w->Eir && w->sign;
}

/* Appends the frame of structure s (geometry g, state st, draw r) with its tags first on the
   comment line and the per-atom energies and effective field as columns. */
static sannip_result toyiron_data__frame(sannip_text *out, const toyiron_data_options *o, const sannip_structure *s,
                                         int g, int fcc, int m, int vac, int st, double sigma, int r, const sannip_real *E,
                                         const sannip_real *W, const sannip_real *Ei, const sannip_real *H, sannip_error *err)
{
    static const char *const keys[8] = { "config_type", "geometry", "crystal", "size", "vacancy", "state", "sigma", "repeat" };
    char val[8][32];
    sannip_xyz_info info[8];
    sannip_xyz_column col[2];
    int k;
    snprintf(val[0], sizeof val[0], "%s", o->subset);
    snprintf(val[1], sizeof val[1], "%d", g);
    snprintf(val[2], sizeof val[2], "%s", fcc ? "fcc" : "bcc");
    snprintf(val[3], sizeof val[3], "%d", m);
    snprintf(val[4], sizeof val[4], "%d", vac);
    snprintf(val[5], sizeof val[5], "%s", toyiron_state_names[st]);
    snprintf(val[6], sizeof val[6], "%g", sigma);
    snprintf(val[7], sizeof val[7], "%d", r);
    memset(info, 0, sizeof info);
    for (k = 0; k < 8; k++) { info[k].key = keys[k]; info[k].text = val[k]; info[k].first = 1; }
    col[0].name = "energies"; col[0].width = 1; col[0].values = Ei;
    col[1].name = "heff"; col[1].width = 3; col[1].values = H;
    return sannip_write_xyz_ex(out, s, E, NULL, W, col, 2, info, 8, err);
}

/* Gaussian label noise (o->noise_*) on the energy (sd noise_e per atom), the forces and the
   fields; returns the noisy energy. Per-atom energies stay exact. */
static double toyiron_data__noise(const toyiron_data_options *o, sannip_rng *rng, int n, double E, double *F, double *H)
{
    int i;
    E += n * o->noise_e * sannip_rng_normal(rng);
    for (i = 0; i < 3 * n; i++) F[i] += o->noise_f * sannip_rng_normal(rng);
    for (i = 0; i < 3 * n; i++) H[i] += o->noise_h * sannip_rng_normal(rng);
    return E;
}

/* Appends the whole set to out (extended XYZ, header comment) and fills sum (optional).
   Returns SANNIP_SUCCESS, SANNIP_OUT_OF_MEMORY, or the first failing call's code (err says
   which geometry). o is not checked: the command line of gen_toyiron keeps it in range. */
static sannip_result toyiron_data_make(const toyiron_data_options *o, sannip_text *out, toyiron_data_summary *sum,
                                       sannip_error *err)
{
    static const int pbc[3] = { 1, 1, 1 };
    toyiron_data__work w;
    toyiron_data_summary su;
    double cell[9], W[9];
    sannip_real Wr[9];
    int lat[2], nlat = 0, g, i;
    sannip_spin_magnitude mag;
    sannip_structure s;
    sannip_rng master, noise;
    toyiron_params tp;
    sannip_result res = SANNIP_SUCCESS;
    toyiron t;

    memset(&su, 0, sizeof su);
    su.emin = 1e300; su.emax = -1e300; su.geometries = o->geometries;
    if (!toyiron_data__work_alloc(&w)) { toyiron_data__work_free(&w); return toyiron_data__fail(err, SANNIP_OUT_OF_MEMORY, "out of memory", 0); }
    if (o->lattices & 1) lat[nlat++] = 0;
    if (o->lattices & 2) lat[nlat++] = 1;
    if (o->extended) toyiron_params_extended(&tp); else toyiron_params_default(&tp);
    for (i = 0; i < 2; i++)
        su.a[i] = o->a[i] > 0 ? o->a[i] : toyiron_crystal_optimum(&tp, i, 1.1, i ? 3.2 : 2.5, i ? 4.2 : 3.3, NULL);
    mag.mean = (sannip_real)o->mag_mean; mag.sd = (sannip_real)o->mag_sd;
    sannip_rng_seed(&master, o->seed);
    sannip_rng_seed(&noise, o->seed ^ 0x6e6f697365ULL);   /* its own stream: noise-free sets are unchanged */
    sannip_structure_init(&s, NULL);
    toyiron_init(&t, &tp);

    for (g = 0; g < o->geometries && res == SANNIP_SUCCESS; g++) {
        int fcc = lat[g % nlat], m = o->sizes[(g / nlat) % o->n_sizes], vac, n, st;
        sannip_rng rng;
        sannip_rng_split(&master, &rng);          /* one stream per geometry */
        n = toyiron_data__geometry(o, g, fcc, m, su.a[fcc], &rng, w.pos, cell, w.sign, &vac, err);
        if (n < 0) { res = err ? err->code : SANNIP_ERROR; break; }
        if ((res = toyiron_set_geometry(&t, n, w.pos, cell, pbc, err)) != SANNIP_SUCCESS
            || (res = sannip_structure_resize(&s, n, 1, 1, err)) != SANNIP_SUCCESS) {
            if (err) {
                char msg[sizeof err->message];
                snprintf(msg, sizeof msg, "geometry %d: %.290s", g, err->message);
                memcpy(err->message, msg, sizeof msg);
            }
            break;
        }
        for (i = 0; i < 3 * n; i++) s.pos[i] = (sannip_real)w.pos[i];
        for (i = 0; i < 9; i++) s.cell[i] = (sannip_real)cell[i];
        for (i = 0; i < n; i++) s.Z[i] = 26;
        s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
        for (st = 0; st < TOYIRON_STATE_COUNT && res == SANNIP_SUCCESS; st++) {
            int ns = st == TOYIRON_PFM ? o->n_sigmas : 1, k, r;
            if (!(o->states & 1 << st)) continue;
            for (k = 0; k < ns && res == SANNIP_SUCCESS; k++) for (r = 0; r < o->repeats && res == SANNIP_SUCCESS; r++) {
                double sigma = st == TOYIRON_PFM ? o->sigmas[k] : 0, E;
                sannip_real Er;
                if (toyiron_data__spins(st, n, sigma, w.sign, &mag, &rng, s.spins) != SANNIP_SUCCESS) {
                    res = toyiron_data__fail(err, SANNIP_ERROR, "spin generator failed (geometry %d)", g);
                    break;
                }
                for (i = 0; i < 3 * n; i++) w.spins[i] = s.spins[i];
                E = toyiron_compute(&t, w.spins, w.Ei, w.F, w.H, W);
                if (o->noise_e > 0 || o->noise_f > 0 || o->noise_h > 0) E = toyiron_data__noise(o, &noise, n, E, w.F, w.H);
                for (i = 0; i < 3 * n; i++) { s.forces[i] = (sannip_real)w.F[i]; w.Hr[i] = (sannip_real)w.H[i]; }
                for (i = 0; i < n; i++) w.Eir[i] = (sannip_real)w.Ei[i];
                for (i = 0; i < 9; i++) Wr[i] = (sannip_real)W[i];
                Er = (sannip_real)E;
                res = toyiron_data__frame(out, o, &s, g, fcc, m, vac, st, sigma, r, &Er, Wr, w.Eir, w.Hr, err);
                su.structures++; su.atoms += n;
                E /= n;
                if (E < su.emin) su.emin = E;
                if (E > su.emax) su.emax = E;
                su.esum += E; su.esum2 += E * E;
            }
        }
    }
    toyiron_uninit(&t);
    sannip_structure_uninit(&s);
    toyiron_data__work_free(&w);
    if (sum) *sum = su;
    return res;
}

/* Generates the set and writes it to path atomically (sannip_write_file_atomic), or to
   standard output when path is NULL or "-". sum (optional) as toyiron_data_make. */
static sannip_result toyiron_data_write(const toyiron_data_options *o, const char *path, toyiron_data_summary *sum,
                                        sannip_error *err)
{
    sannip_text out;
    sannip_result r;
    sannip_text_init(&out, NULL);
    r = toyiron_data_make(o, &out, sum, err);
    if (r == SANNIP_SUCCESS && (!path || strcmp(path, "-") == 0)) {
        if (out.len && fwrite(out.s, 1, out.len, stdout) != out.len) r = toyiron_data__fail(err, SANNIP_IO_ERROR, "write error", 0);
    } else if (r == SANNIP_SUCCESS) r = sannip_write_file_atomic(path, out.s ? out.s : "", out.len, err);
    sannip_text_uninit(&out);
    return r;
}

/* One line on f: "PROG: subset S, seed N: K structures from G geometries, A atoms; E/atom
   range, spread and sd; lattice constants -> PATH" (path NULL: "stdout"). */
static void toyiron_data_report(FILE *f, const char *prog, const toyiron_data_options *o, const toyiron_data_summary *sum,
                                const char *path)
{
    double mean = sum->esum / sum->structures, var = sum->esum2 / sum->structures - mean * mean, sd = sqrt(var > 0 ? var : 0);
    fprintf(f, "%s: subset %s, seed %llu: %d structures from %d geometries, %ld atoms; "
            "E/atom %.4f .. %.4f eV (spread %.1f meV/atom, sd %.1f meV/atom); a = %.4f (bcc), %.4f (fcc) A -> %s\n",
            prog, o->subset, o->seed, sum->structures, sum->geometries, sum->atoms, sum->emin, sum->emax, 1e3 * (sum->emax - sum->emin),
            1e3 * sd, sum->a[0], sum->a[1], path ? path : "stdout");
}

#endif /* TOYIRON_DATA_H */
