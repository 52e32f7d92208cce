/* The toy-iron ground truth (examples/toyiron.h, SPEC 12): forces, effective field and
   virial against central differences (vector and collinear spins, cells thinner than the
   cutoff, a slab), the O(neighbours) spin update against two full energies, periodic
   replication, and the physics it must show: bcc stable near 2.87 A and below fcc, FM below
   PM and AFM. Prints the measured lattice constants and energy differences. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "../examples/toyiron.h"
#include "test.h"
#include <string.h>

#define MAXN 1024
static const int PBC[3] = { 1, 1, 1 };

typedef struct geom { int n; double pos[3 * MAXN], cell[9]; int pbc[3]; } geom;

static void geom_crystal(geom *g, int fcc, int m, double a)
{
    int mm[3] = { m, m, m };
    g->n = toyiron_crystal(fcc, mm, a, g->pos, g->cell);
    memcpy(g->pbc, PBC, sizeof g->pbc);
}

static void geom_rattle(geom *g, double sigma, sannip_rng *rng)
{
    int i;
    for (i = 0; i < 3 * g->n; i++) g->pos[i] += sigma * sannip_rng_normal(rng);
}

/* Spins from a sannip_spin.h generator (sannip_real) as doubles. kind 0: PM, 1: collinear
   random-pairing AFM; magnitudes N(1.1, 0.2). */
static void random_spins(int n, int kind, sannip_rng *rng, double *s)
{
    sannip_spin_magnitude mag = { 1.1f, 0.2f };
    sannip_real *tmp = (sannip_real *)malloc(3 * (size_t)n * sizeof(sannip_real));
    int i;
    if (kind == 0) sannip_spin_pm(n, &mag, rng, tmp, NULL); else sannip_spin_afm_random(n, &mag, rng, tmp, NULL);
    for (i = 0; i < 3 * n; i++) s[i] = tmp[i];
    free(tmp);
}

static double energy_of(toyiron *t, const geom *g, const double *spins)
{
    sannip_error err;
    if (toyiron_set_geometry(t, g->n, g->pos, g->cell, g->pbc, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return NAN; }
    return toyiron_compute(t, spins, NULL, NULL, NULL, NULL);
}

/* Forces, field and virial of (g, spins) against central differences. */
static void check_derivatives(const char *name, const toyiron_params *p, geom *g, double *spins)
{
    toyiron t;
    double *F = (double *)malloc(3 * (size_t)g->n * sizeof(double)), *H = (double *)malloc(3 * (size_t)g->n * sizeof(double));
    double W[9], E, Ei_sum = 0, *Ei = (double *)malloc((size_t)g->n * sizeof(double));
    double ef = 0, eh = 0, ew = 0, fmax = 0, hmax = 0, wmax = 0, h = 1e-5;
    int i, a, b;
    toyiron_init(&t, p);
    CHECK(toyiron_set_geometry(&t, g->n, g->pos, g->cell, g->pbc, NULL) == SANNIP_SUCCESS, "%s: geometry", name);
    E = toyiron_compute(&t, spins, Ei, F, H, W);
    for (i = 0; i < g->n; i++) Ei_sum += Ei[i];
    CHECK_NEAR(Ei_sum, E, 1e-11 * fabs(E), "%s: atom energies sum to E", name);
    for (i = 0; i < 3 * g->n; i++) {
        double x = g->pos[i], ep, em, fd;
        g->pos[i] = x + h; ep = energy_of(&t, g, spins);
        g->pos[i] = x - h; em = energy_of(&t, g, spins);
        g->pos[i] = x;
        fd = -(ep - em) / (2 * h);
        if (fabs(fd - F[i]) > ef) ef = fabs(fd - F[i]);
        if (fabs(F[i]) > fmax) fmax = fabs(F[i]);
    }
    toyiron_set_geometry(&t, g->n, g->pos, g->cell, g->pbc, NULL);
    for (i = 0; i < 3 * g->n; i++) {
        double x = spins[i], ep, em, fd;
        spins[i] = x + h; ep = toyiron_compute(&t, spins, NULL, NULL, NULL, NULL);
        spins[i] = x - h; em = toyiron_compute(&t, spins, NULL, NULL, NULL, NULL);
        spins[i] = x;
        fd = -(ep - em) / (2 * h);
        if (fabs(fd - H[i]) > eh) eh = fabs(fd - H[i]);
        if (fabs(H[i]) > hmax) hmax = fabs(H[i]);
    }
    /* W_ab = -dE/d eps_ab for r -> r (1 + eps), cell rows likewise */
    for (a = 0; a < 3; a++) for (b = 0; b < 3; b++) {
        geom *s = (geom *)malloc(sizeof *s);
        double e2[2], fd;
        int sg, k;
        for (sg = 0; sg < 2; sg++) {
            double eps = sg ? -h : h;
            *s = *g;
            for (k = 0; k < g->n; k++) s->pos[3 * k + b] += eps * g->pos[3 * k + a];
            for (k = 0; k < 3; k++) s->cell[3 * k + b] += eps * g->cell[3 * k + a];
            e2[sg] = energy_of(&t, s, spins);
        }
        free(s);
        fd = -(e2[0] - e2[1]) / (2 * h);
        if (fabs(fd - W[3 * a + b]) > ew) ew = fabs(fd - W[3 * a + b]);
        if (fabs(W[3 * a + b]) > wmax) wmax = fabs(W[3 * a + b]);
    }
    /* truncation ~h^2 E''' ~ 1e-10, rounding ~1e-16 |E| / h */
    CHECK(ef < 1e-7 && fmax > 0.1, "%s: forces vs central differences: max error %.3g (max |F| %.3g)", name, ef, fmax);
    CHECK(eh < 1e-7 && hmax > 0.1, "%s: field vs central differences: max error %.3g (max |H| %.3g)", name, eh, hmax);
    CHECK(ew < 1e-6 * (1 + wmax), "%s: virial vs strain differences: max error %.3g (max |W| %.3g)", name, ew, wmax);
    printf("ok %s: E = %.6f eV, derivative errors F %.1e, H %.1e, W %.1e\n", name, E, ef, eh, ew);
    toyiron_uninit(&t); free(F); free(H); free(Ei);
}

static void test_derivatives(const toyiron_params *p)
{
    geom *g = (geom *)malloc(sizeof *g);
    double *s = (double *)malloc(3 * MAXN * sizeof(double));
    sannip_rng rng;
    int i;
    sannip_rng_seed(&rng, 2024);
    geom_crystal(g, 0, 2, 2.87); geom_rattle(g, 0.08, &rng);
    random_spins(g->n, 0, &rng, s);
    check_derivatives("bcc 2x2x2 rattled, PM vector spins", p, g, s);
    random_spins(g->n, 1, &rng, s);
    check_derivatives("bcc 2x2x2 rattled, collinear AFM spins", p, g, s);
    /* one conventional cell (2.87 A < rJ): every atom couples to its own images */
    geom_crystal(g, 0, 1, 2.87); geom_rattle(g, 0.1, &rng);
    g->cell[3] = 0.3;                                   /* and a triclinic shear */
    random_spins(g->n, 0, &rng, s);
    check_derivatives("bcc 1x1x1 sheared (self images), PM spins", p, g, s);
    /* fcc, and a slab: periodic in x, y only, atoms spread out of the cell */
    geom_crystal(g, 1, 2, 3.6); geom_rattle(g, 0.1, &rng);
    random_spins(g->n, 0, &rng, s);
    check_derivatives("fcc 2x2x2 rattled, PM spins", p, g, s);
    g->pbc[2] = 0;
    for (i = 0; i < g->n; i++) g->pos[3 * i] += 8.0;
    check_derivatives("fcc 2x2 slab, shifted out of the cell", p, g, s);
    free(g); free(s);
}

/* The O(neighbours) spin update equals the difference of two full energies. */
static void check_delta(const char *name, const toyiron_params *p, const geom *g, double *spins, sannip_rng *rng)
{
    toyiron t;
    double worst = 0, E0, snew[3], old[3], dmin = 1e300, hk[3], H[3 * MAXN];
    int trial, a;
    toyiron_init(&t, p);
    toyiron_set_geometry(&t, g->n, g->pos, g->cell, g->pbc, NULL);
    E0 = toyiron_compute(&t, spins, NULL, NULL, NULL, NULL);
    for (trial = 0; trial < 40; trial++) {
        int k = (int)(sannip_rng_uniform(rng) * g->n);
        double dl, E1, rel;
        /* alternate full re-draws and small rotations-with-stretch (MC's two move orders) */
        for (a = 0; a < 3; a++) snew[a] = trial % 2 ? 1.2 * sannip_rng_normal(rng) : spins[3 * k + a] * 1.01 + 0.05 * sannip_rng_normal(rng);
        dl = toyiron_spin_delta(&t, spins, k, snew);
        /* the one-spin field equals the full field's row */
        toyiron_field_at(&t, spins, k, hk);
        toyiron_compute(&t, spins, NULL, NULL, H, NULL);
        for (a = 0; a < 3; a++) CHECK(fabs(hk[a] - H[3 * k + a]) <= 1e-12 * (1 + fabs(H[3 * k + a])), "%s: field_at %d[%d] %.17g vs %.17g", name, k, a, hk[a], H[3 * k + a]);
        for (a = 0; a < 3; a++) { old[a] = spins[3 * k + a]; spins[3 * k + a] = snew[a]; }
        E1 = toyiron_compute(&t, spins, NULL, NULL, NULL, NULL);
        rel = fabs(dl - (E1 - E0)) / fabs(E1 - E0);
        if (rel > worst) worst = rel;
        if (fabs(E1 - E0) < dmin) dmin = fabs(E1 - E0);
        if (trial % 3 == 0) E0 = E1; else for (a = 0; a < 3; a++) spins[3 * k + a] = old[a];   /* accept a third */
    }
    CHECK(worst < 1e-10, "%s: local spin delta vs full energies: worst relative error %.3g", name, worst);
    printf("ok %s: spin delta worst relative error %.1e (smallest |dE| %.1e eV)\n", name, worst, dmin);
    toyiron_uninit(&t);
}

static void test_delta(const toyiron_params *p)
{
    geom *g = (geom *)malloc(sizeof *g);
    double *s = (double *)malloc(3 * MAXN * sizeof(double));
    sannip_rng rng;
    sannip_rng_seed(&rng, 77);
    geom_crystal(g, 0, 3, 2.87); geom_rattle(g, 0.05, &rng);
    random_spins(g->n, 0, &rng, s);
    check_delta("bcc 3x3x3 PM", p, g, s, &rng);
    geom_crystal(g, 0, 1, 2.87); geom_rattle(g, 0.05, &rng);
    random_spins(g->n, 0, &rng, s);
    check_delta("bcc 1x1x1 (self images)", p, g, s, &rng);
    free(g); free(s);
}

/* A 2x2x2 bcc cell (5.74 A, half of it below rJ = 3.75 A) and the same configuration
   replicated 3x3x3: same energy per atom, forces and fields per atom; virial x 27. */
static void test_replication(void)
{
    geom *g = (geom *)malloc(sizeof *g), *big = (geom *)malloc(sizeof *big);
    double *s = (double *)malloc(3 * MAXN * sizeof(double)), *sb = (double *)malloc(3 * MAXN * sizeof(double));
    double *F = (double *)malloc(3 * MAXN * sizeof(double)), *Fb = (double *)malloc(3 * MAXN * sizeof(double));
    double *H = (double *)malloc(3 * MAXN * sizeof(double)), *Hb = (double *)malloc(3 * MAXN * sizeof(double));
    double *Ei = (double *)malloc(MAXN * sizeof(double)), *Eb = (double *)malloc(MAXN * sizeof(double));
    double W[9], Wb[9], E, E2, ef = 0, eh = 0, ee = 0, ew = 0;
    toyiron t;
    sannip_rng rng;
    int x, y, z, i, a, n = 0;
    sannip_rng_seed(&rng, 5);
    geom_crystal(g, 0, 2, 2.87); geom_rattle(g, 0.1, &rng);
    random_spins(g->n, 0, &rng, s);
    big->n = 27 * g->n;
    memcpy(big->pbc, PBC, sizeof big->pbc);
    for (a = 0; a < 9; a++) big->cell[a] = 3 * g->cell[a];
    for (x = 0; x < 3; x++) for (y = 0; y < 3; y++) for (z = 0; z < 3; z++) for (i = 0; i < g->n; i++, n++)
        for (a = 0; a < 3; a++) {
            big->pos[3 * n + a] = g->pos[3 * i + a] + x * g->cell[a] + y * g->cell[3 + a] + z * g->cell[6 + a];
            sb[3 * n + a] = s[3 * i + a];
        }
    toyiron_init(&t, NULL);
    CHECK(toyiron_set_geometry(&t, g->n, g->pos, g->cell, g->pbc, NULL) == SANNIP_SUCCESS, "small cell");
    E = toyiron_compute(&t, s, Ei, F, H, W);
    CHECK(toyiron_set_geometry(&t, big->n, big->pos, big->cell, big->pbc, NULL) == SANNIP_SUCCESS, "big cell");
    E2 = toyiron_compute(&t, sb, Eb, Fb, Hb, Wb);
    for (n = 0; n < big->n; n++) {
        i = n % g->n;
        if (fabs(Eb[n] - Ei[i]) > ee) ee = fabs(Eb[n] - Ei[i]);
        for (a = 0; a < 3; a++) {
            if (fabs(Fb[3 * n + a] - F[3 * i + a]) > ef) ef = fabs(Fb[3 * n + a] - F[3 * i + a]);
            if (fabs(Hb[3 * n + a] - H[3 * i + a]) > eh) eh = fabs(Hb[3 * n + a] - H[3 * i + a]);
        }
    }
    for (a = 0; a < 9; a++) if (fabs(Wb[a] - 27 * W[a]) > ew) ew = fabs(Wb[a] - 27 * W[a]);
    CHECK_NEAR(E2 / 27, E, 1e-12 * fabs(E), "replicated energy");
    CHECK(ee < 1e-12 && ef < 1e-12 && eh < 1e-12 && ew < 1e-10, "replication: atom energy %.3g, force %.3g, field %.3g, virial %.3g", ee, ef, eh, ew);
    /* translation (atoms outside the cell) changes nothing */
    for (i = 0; i < 3 * g->n; i++) g->pos[i] += (i % 3 == 0 ? 10.3 : i % 3 == 1 ? -7.1 : 3.3);
    E2 = energy_of(&t, g, s);
    CHECK_NEAR(E2, E, 1e-12 * fabs(E), "translated energy");
    toyiron_uninit(&t);
    free(g); free(big); free(s); free(sb); free(F); free(Fb); free(H); free(Hb); free(Ei); free(Eb);
}

/* Energy per atom of a conventional bcc cell under tetragonal (Bain) or shear strain e at
   constant volume, FM with |S| = 1.1. */
static double strained_bcc(const toyiron_params *p, double a, int shear, double e)
{
    static const int one[3] = { 1, 1, 1 };
    double pos[6], cell[9], spins[6] = { 0, 0, 1.1, 0, 0, 1.1 }, E, Fm[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
    double q[6], c[9];
    toyiron t;
    int n = toyiron_crystal(0, one, a, pos, cell), i, k, l;
    if (shear) { Fm[1] = Fm[3] = e; Fm[8] = 1 / (1 - e * e); }               /* det = 1 */
    else { Fm[0] = Fm[4] = 1 / sqrt(1 + e); Fm[8] = 1 + e; }
    for (i = 0; i < 3; i++) for (k = 0; k < 3; k++) { c[3 * i + k] = 0; for (l = 0; l < 3; l++) c[3 * i + k] += cell[3 * i + l] * Fm[3 * l + k]; }
    for (i = 0; i < n; i++) for (k = 0; k < 3; k++) { q[3 * i + k] = 0; for (l = 0; l < 3; l++) q[3 * i + k] += pos[3 * i + l] * Fm[3 * l + k]; }
    toyiron_init(&t, p);
    toyiron_set_geometry(&t, n, q, c, PBC, NULL);
    E = toyiron_compute(&t, spins, NULL, NULL, NULL, NULL) / n;
    toyiron_uninit(&t);
    return E;
}

static void test_physics(void)
{
    toyiron_params p;
    double a_lat, a_fm, a_fcc_lat, a_fcc_fm, e_lat, e_fm, ef_lat, ef_fm, e0, emin = 1e300, smin = 0, sm;
    toyiron_params_default(&p);
    a_lat = toyiron_crystal_optimum(&p, 0, 0.0, 2.5, 3.3, &e_lat);
    a_fm = toyiron_crystal_optimum(&p, 0, 1.1, 2.5, 3.3, &e_fm);
    a_fcc_lat = toyiron_crystal_optimum(&p, 1, 0.0, 3.2, 4.2, &ef_lat);
    a_fcc_fm = toyiron_crystal_optimum(&p, 1, 1.1, 3.2, 4.2, &ef_fm);
    printf("ok bcc: a = %.4f A (lattice part), %.4f A (FM |S| = 1.1); E = %.4f, %.4f eV/atom\n", a_lat, a_fm, e_lat, e_fm);
    printf("ok fcc: a = %.4f A (lattice part), %.4f A (FM |S| = 1.1); E - E_bcc = %.1f, %.1f meV/atom\n",
           a_fcc_lat, a_fcc_fm, 1e3 * (ef_lat - e_lat), 1e3 * (ef_fm - e_fm));
    CHECK(a_lat > 2.80 && a_lat < 2.95, "bcc lattice constant (lattice part) %.4f", a_lat);
    CHECK(a_fm > 2.80 && a_fm < 2.95, "bcc lattice constant (FM) %.4f", a_fm);
    CHECK(ef_lat - e_lat > 0.05 && ef_fm - e_fm > 0.05, "fcc not above bcc: %.4f, %.4f eV/atom", ef_lat - e_lat, ef_fm - e_fm);
    /* the minimum is inside the bracket, not at its end */
    CHECK(a_fcc_fm > 3.25 && a_fcc_fm < 4.15, "fcc optimum at the bracket's end: %.4f", a_fcc_fm);
    /* bcc is mechanically stable: tetragonal (Bain path towards fcc, C') and shear (C44)
       strains at constant volume raise the energy */
    e0 = strained_bcc(&p, a_fm, 0, 0);
    CHECK(strained_bcc(&p, a_fm, 0, 0.02) > e0 && strained_bcc(&p, a_fm, 0, -0.02) > e0, "bcc unstable along the Bain path");
    CHECK(strained_bcc(&p, a_fm, 1, 0.02) > e0 && strained_bcc(&p, a_fm, 1, -0.02) > e0, "bcc unstable under shear");
    /* the relaxed FM moment: deeper than the on-site 1.1 (exchange field) */
    for (sm = 0.9; sm < 1.5; sm += 0.001) { double e = toyiron_crystal_energy(&p, 0, 2.87, sm); if (e < emin) { emin = e; smin = sm; } }
    printf("ok bcc FM at 2.87 A: relaxed |S| = %.3f (on-site minimum 1.100)\n", smin);
    CHECK(smin > 1.1 && smin < 1.35, "relaxed FM moment %.3f", smin);
}

/* FM below AFM and PM at a fixed bcc geometry (4x4x4, a = 2.87 A, |S| = 1.1). */
static void test_spin_states(void)
{
    geom *g = (geom *)malloc(sizeof *g);
    double *s = (double *)malloc(3 * MAXN * sizeof(double)), efm, eafm, epm = 0, epm1;
    sannip_real *sr = (sannip_real *)malloc(3 * MAXN * sizeof(sannip_real)), posr[3 * MAXN], cellr[9];
    int sign[MAXN], i, draw;
    sannip_spin_magnitude mag = { 1.1f, 0 };
    toyiron t;
    sannip_rng rng;
    sannip_error err;
    geom_crystal(g, 0, 4, 2.87);
    toyiron_init(&t, NULL);
    toyiron_set_geometry(&t, g->n, g->pos, g->cell, g->pbc, NULL);
    for (i = 0; i < 3 * g->n; i++) posr[i] = (sannip_real)g->pos[i];
    for (i = 0; i < 9; i++) cellr[i] = (sannip_real)g->cell[i];
    sannip_spin_fm(g->n, &mag, NULL, sr, NULL);
    for (i = 0; i < 3 * g->n; i++) s[i] = sr[i];
    efm = toyiron_compute(&t, s, NULL, NULL, NULL, NULL) / g->n;
    CHECK(sannip_spin_sublattice(g->n, posr, cellr, 2.87f, SANNIP_SUBLATTICE_BCC, sign, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_spin_afm(g->n, sign, &mag, NULL, sr, NULL);
    for (i = 0; i < 3 * g->n; i++) s[i] = sr[i];
    eafm = toyiron_compute(&t, s, NULL, NULL, NULL, NULL) / g->n;
    sannip_rng_seed(&rng, 3);
    for (draw = 0; draw < 20; draw++) {
        sannip_spin_pm(g->n, &mag, &rng, sr, NULL);
        for (i = 0; i < 3 * g->n; i++) s[i] = sr[i];
        epm1 = toyiron_compute(&t, s, NULL, NULL, NULL, NULL) / g->n;
        CHECK(epm1 > efm + 0.1, "PM draw %d only %.4f eV/atom above FM", draw, epm1 - efm);
        epm += epm1 / 20;
    }
    printf("ok bcc 4x4x4 at 2.87 A, |S| = 1.1: E_FM - E_PM = %.1f meV/atom (mean of 20 draws), E_FM - E_AFM = %.1f meV/atom\n",
           1e3 * (efm - epm), 1e3 * (efm - eafm));
    CHECK(efm < eafm - 0.2, "FM %.4f not below AFM %.4f", efm, eafm);
    /* mean-field expectations: FM - PM = -1/2 sum_j J |S|^2, FM - AFM = -8 J(r1) |S|^2 */
    {
        double j1 = 0.904 * pow(1 - 2.87 * sqrt(3.0) / 2 / 3.75, 3), j2 = 0.904 * pow(1 - 2.87 / 3.75, 3);
        double s2 = (double)mag.mean * mag.mean;      /* 1.1f squared */
        CHECK_NEAR(efm - eafm, -8 * j1 * s2, 1e-12, "FM - AFM vs 8 J1 S^2");
        CHECK_NEAR(efm - epm, -0.5 * (8 * j1 + 6 * j2) * s2, 0.02, "FM - PM vs the exchange sum");
    }
    toyiron_uninit(&t);
    free(g); free(s); free(sr);
}

static void test_bad_input(void)
{
    toyiron t;
    sannip_error err;
    double pos[6] = { 0, 0, 0, 1, 1, 1 }, cell[9] = { 3, 0, 0, 0, 3, 0, 0, 0, 3 }, flat[9] = { 3, 0, 0, 6, 0, 0, 0, 0, 3 };
    toyiron_init(&t, NULL);
    CHECK(toyiron_set_geometry(&t, -1, pos, cell, PBC, &err) == SANNIP_INVALID_ARGS, "n < 0");
    CHECK(toyiron_set_geometry(&t, 2, NULL, cell, PBC, &err) == SANNIP_INVALID_ARGS, "NULL positions");
    CHECK(toyiron_set_geometry(&t, 2, pos, flat, PBC, &err) == SANNIP_SINGULAR_CELL, "singular cell");
    pos[4] = NAN;
    CHECK(toyiron_set_geometry(&t, 2, pos, cell, PBC, &err) == SANNIP_NONFINITE, "NaN position");
    pos[3] = pos[4] = pos[5] = 3.0;     /* the image of atom 1 */
    CHECK(toyiron_set_geometry(&t, 2, pos, cell, PBC, &err) == SANNIP_ATOMS_OVERLAP, "overlapping atoms");
    CHECK(toyiron_set_geometry(&t, 0, NULL, cell, PBC, &err) == SANNIP_SUCCESS && toyiron_compute(&t, NULL, NULL, NULL, NULL, NULL) == 0, "empty system");
    toyiron_uninit(&t);
}

/* The extended truth's terms have the sizes toyiron_params_extended states (FM bcc at
   a = 2.87 A, |S| = 1.1; PM averages), and they change the FM - AFM gap beyond what
   bilinear exchange gives, so no pair-exchange fit of the plain toy reproduces it. */
static void test_extended_sizes(void)
{
    toyiron_params p0, p1, pb;
    double efm0, efm1, efmb;
    toyiron_params_default(&p0); toyiron_params_extended(&p1);
    pb = p1; pb.K3 = 0;
    efm0 = toyiron_crystal_energy(&p0, 0, 2.87, 1.1);
    efm1 = toyiron_crystal_energy(&p1, 0, 2.87, 1.1);
    efmb = toyiron_crystal_energy(&pb, 0, 2.87, 1.1);
    CHECK(fabs((efmb - efm0) * 1000 + 56) < 1, "biquadratic in FM bcc: %.2f meV/atom (stated -56)", (efmb - efm0) * 1000);
    CHECK(fabs((efm1 - efmb) * 1000 - 31) < 1, "three-spin in FM bcc: %.2f meV/atom (stated +31)", (efm1 - efmb) * 1000);
    printf("ok extended truth in FM bcc: biquadratic %.1f, three-spin %.1f meV/atom\n", (efmb - efm0) * 1000, (efm1 - efmb) * 1000);
}

int main(void)
{
    toyiron_params ext;
    toyiron_params_extended(&ext);
    test_derivatives(NULL);
    test_delta(NULL);
    test_derivatives(&ext);
    test_delta(&ext);
    test_extended_sizes();
    test_replication();
    test_physics();
    test_spin_states();
    test_bad_input();
    return test_report("test_toyiron");
}
