/* Spin configuration generators (SPEC 10, Bloore T3.29-3.33, T4.1-4.4): the statistics of
   each distribution, the sublattice signs of bcc/fcc supercells, reproducibility from a
   seed, and the result codes for bad input. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "test.h"
#include <string.h>

#define BIG 200000            /* spins for the statistics: standard errors ~1e-3 */
#define PI 3.14159265358979323846

typedef sannip_result (*generator)(int, const sannip_spin_magnitude *, sannip_rng *, sannip_real *, sannip_error *);

static sannip_real *spins_alloc(int n) { return (sannip_real *)calloc(3 * (size_t)n, sizeof(sannip_real)); }

static double norm3(const sannip_real *s) { return sqrt((double)s[0] * s[0] + (double)s[1] * s[1] + (double)s[2] * s[2]); }

/* Mean and standard deviation of |S| over n spins. */
static void magnitude_stats(int n, const sannip_real *s, double *mean, double *sd)
{
    double s1 = 0, s2 = 0; int i;
    for (i = 0; i < n; i++) { double m = norm3(s + 3 * i); s1 += m; s2 += m * m; }
    *mean = s1 / n; *sd = s2 / n > *mean * *mean ? sqrt(s2 / n - *mean * *mean) : 0;
}

/* <cos T>, <cos^2 T> of the polar angle from +z and <cos phi>, <sin phi>. */
static void angle_stats(int n, const sannip_real *s, double *c1, double *c2, double *cphi, double *sphi)
{
    double a = 0, b = 0, c = 0, d = 0; int i;
    for (i = 0; i < n; i++) {
        double m = norm3(s + 3 * i), ct = s[3 * i + 2] / m, rho = sqrt((double)s[3 * i] * s[3 * i] + (double)s[3 * i + 1] * s[3 * i + 1]);
        a += ct; b += ct * ct;
        if (rho > 0) { c += s[3 * i] / rho; d += s[3 * i + 1] / rho; }
    }
    *c1 = a / n; *c2 = b / n; *cphi = c / n; *sphi = d / n;
}

static void test_fm_and_perturbed(void)
{
    sannip_spin_magnitude mag = { 1.1f, 0.1f };
    sannip_rng r1, r2;
    sannip_real *a = spins_alloc(BIG), *b = spins_alloc(BIG);
    double mean, sd, c1, c2, cp, sp, sum;
    int i, same = 1;
    static const double sigmas[4] = { 0.015, 0.05, 0.1, 0.2 };
    sannip_error err;

    sannip_rng_seed(&r1, 11); sannip_rng_seed(&r2, 11);
    CHECK(sannip_spin_fm(BIG, &mag, &r1, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_spin_perturbed_fm(BIG, 0, &mag, &r2, b, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0; i < 3 * BIG; i++) if (a[i] != b[i]) same = 0;
    CHECK(same, "perturbed FM with sigma = 0 differs from FM");
    for (i = 0; i < BIG; i++) if (a[3 * i] != 0 || a[3 * i + 1] != 0 || !(a[3 * i + 2] > 0)) { same = 0; break; }
    CHECK(same, "FM spin %d is not along +z", i);
    magnitude_stats(BIG, a, &mean, &sd);
    CHECK_NEAR(mean, 1.1, 2e-3, "FM magnitude mean");
    CHECK_NEAR(sd, 0.1, 2e-3, "FM magnitude sd");
    CHECK_NEAR(sannip_spin_magnetization_ratio(BIG, a), 1.0, 1e-6, "FM magnetisation ratio");
    CHECK_NEAR(sannip_spin_polar_variance(BIG, a), 0.0, 1e-6, "FM polar variance (T4.2)");

    /* fixed magnitude, no rng needed */
    mag.sd = 0;
    CHECK(sannip_spin_fm(5, &mag, NULL, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(a[2] == (sannip_real)1.1f && a[14] == (sannip_real)1.1f, "fixed FM magnitude %g", (double)a[2]);
    CHECK(sannip_spin_fm(5, NULL, NULL, a, &err) == SANNIP_SUCCESS && a[2] == 1, "NULL magnitude means 1");

    /* perturbed FM: 1 - cos T = |N(0, sigma)|, so <1 - cos T> = sigma sqrt(2/pi); the
       moment ratio |sum S| / sum |S| is <cos T> (azimuths average out) */
    for (i = 0; i < 4; i++) {
        double s = sigmas[i], m1;
        int k, bad = 0;
        sannip_rng_seed(&r1, 100 + i);
        CHECK(sannip_spin_perturbed_fm(BIG, (sannip_real)s, NULL, &r1, a, &err) == SANNIP_SUCCESS, "%s", err.message);
        angle_stats(BIG, a, &c1, &c2, &cp, &sp);
        CHECK_NEAR(1 - c1, s * sqrt(2 / PI), 5 * s * 0.6 / sqrt((double)BIG) + TOL(1e-9, 1e-6), "sigma %g: <1 - cos T>", s);
        CHECK_NEAR(cp, 0, 5 / sqrt(2.0 * BIG), "sigma %g: <cos phi>", s);
        CHECK_NEAR(sp, 0, 5 / sqrt(2.0 * BIG), "sigma %g: <sin phi>", s);
        m1 = sannip_spin_magnetization_ratio(BIG, a);
        CHECK_NEAR(m1, c1, 1e-3 + TOL(1e-9, 1e-5), "sigma %g: magnetisation ratio %g vs <cos T>", s, m1);
        for (k = 0; k < BIG; k++) if (fabs(norm3(a + 3 * k) - 1) > TOL(1e-12, 1e-6)) bad++;
        CHECK(bad == 0, "sigma %g: %d spins not of unit length", s, bad);
    }
    /* a very wide sigma clips cos T at -1 and stays finite */
    sannip_rng_seed(&r1, 3);
    CHECK(sannip_spin_perturbed_fm(1000, 50, NULL, &r1, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (sum = 0, i = 0; i < 3000; i++) sum += a[i];
    CHECK(isfinite(sum), "sigma 50 gives non-finite spins");
    free(a); free(b);
}

static void test_pm_111r_000r(void)
{
    sannip_rng rng;
    sannip_real *a = spins_alloc(BIG);
    double c1, c2, cp, sp, mean, sd, var;
    double m[3] = { 0, 0, 0 };
    int i, k, neg = 0;
    sannip_error err;
    sannip_spin_magnitude mag = { 2.0f, 0.5f };
    double se = 5 / sqrt((double)BIG);   /* 5 standard errors of a mean of values in [-1, 1] */

    sannip_rng_seed(&rng, 5);
    CHECK(sannip_spin_pm(BIG, &mag, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    angle_stats(BIG, a, &c1, &c2, &cp, &sp);
    CHECK_NEAR(c1, 0, se, "PM <cos T>");
    CHECK_NEAR(c2, 1.0 / 3, se, "PM <cos^2 T>");
    CHECK_NEAR(cp, 0, se, "PM <cos phi>");
    CHECK_NEAR(sp, 0, se, "PM <sin phi>");
    CHECK(sannip_spin_magnetization_ratio(BIG, a) < 0.01, "PM magnetisation ratio %g", sannip_spin_magnetization_ratio(BIG, a));
    var = sannip_spin_polar_variance(BIG, a);
    CHECK_NEAR(var, PI * PI / 4 - 2, 0.01, "PM polar variance (T4.3)");
    magnitude_stats(BIG, a, &mean, &sd);
    /* N(2, 0.5) truncated at 0 (4 sd away): mean and sd unchanged to ~1e-4 */
    CHECK_NEAR(mean, 2.0, 0.005, "PM magnitude mean");
    CHECK_NEAR(sd, 0.5, 0.005, "PM magnitude sd");

    /* 111r: first octant, net moment along (1,1,1) */
    sannip_rng_seed(&rng, 6);
    CHECK(sannip_spin_111r(BIG, NULL, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0; i < BIG; i++) for (k = 0; k < 3; k++) { m[k] += a[3 * i + k]; if (a[3 * i + k] < 0) neg++; }
    CHECK(neg == 0, "111r: %d negative components", neg);
    CHECK_NEAR(m[0] / m[2], 1, 0.01, "111r net moment x/z");
    CHECK_NEAR(m[1] / m[2], 1, 0.01, "111r net moment y/z");
    CHECK(sannip_spin_magnetization_ratio(BIG, a) > 0.75, "111r magnetisation ratio %g", sannip_spin_magnetization_ratio(BIG, a));
    magnitude_stats(BIG, a, &mean, &sd);
    CHECK_NEAR(mean, 1, TOL(1e-12, 1e-6), "111r unit magnitudes");
    CHECK_NEAR(sd, 0, TOL(1e-6, 1e-3), "111r unit magnitudes sd");

    /* 000r: zero mean, but the cube makes it anisotropic: <cos^2 T> = 1/3 by symmetry, yet
       directions crowd towards the cube diagonals, so <z^4> (1/5 on the sphere) is larger */
    sannip_rng_seed(&rng, 7);
    CHECK(sannip_spin_000r(BIG, NULL, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    angle_stats(BIG, a, &c1, &c2, &cp, &sp);
    CHECK_NEAR(c1, 0, se, "000r <cos T>");
    CHECK_NEAR(c2, 1.0 / 3, se, "000r <cos^2 T>");
    CHECK(sannip_spin_magnetization_ratio(BIG, a) < 0.01, "000r magnetisation ratio %g", sannip_spin_magnetization_ratio(BIG, a));
    {
        double z4 = 0, x2y2 = 0;
        for (i = 0; i < BIG; i++) { double z = a[3 * i + 2]; z4 += z * z * z * z; x2y2 += (double)a[3 * i] * a[3 * i] * a[3 * i + 1] * a[3 * i + 1]; }
        z4 /= BIG; x2y2 /= BIG;
        CHECK(z4 < 0.2 - 0.005 && x2y2 > 1.0 / 15 + 0.002, "000r <z^4> %g, <x^2 y^2> %g: expected the cube's anisotropy (sphere: 0.2, 0.0667)", z4, x2y2);
    }
    free(a);
}

/* Net moment of collinear spins and the count of up spins. */
static double net_z(int n, const sannip_real *s, int *up)
{
    double m = 0; int i;
    *up = 0;
    for (i = 0; i < n; i++) { m += s[3 * i + 2]; if (s[3 * i + 2] > 0) (*up)++; if (s[3 * i] != 0 || s[3 * i + 1] != 0) return 1e300; }
    return m;
}

static void test_afm(void)
{
    enum { N = 1000 };
    sannip_spin_magnitude mag = { 1.1f, 0.2f };
    sannip_rng rng;
    sannip_real *a = spins_alloc(N), *b = spins_alloc(N);
    int sign[N], i, up, pattern = 1, differ = 0;
    double m;
    sannip_error err;

    for (i = 0; i < N; i++) sign[i] = (i * 7 % 3) == 0 ? 1 : -1;     /* 334 up, 666 down */
    sannip_rng_seed(&rng, 1);
    CHECK(sannip_spin_afm(N, NULL, &mag, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    m = net_z(N, a, &up);
    CHECK(fabs(m) < TOL(1e-10, 1e-3) && up == N / 2, "AFM +-: net %g, %d up", m, up);
    for (i = 0; i < N; i++) if ((a[3 * i + 2] > 0) != (i % 2 == 0)) pattern = 0;
    CHECK(pattern, "AFM with NULL signs is not + - + - by index");
    CHECK(sannip_spin_magnetization_ratio(N, a) < TOL(1e-12, 1e-6), "AFM magnetisation ratio");
    CHECK_NEAR(sannip_spin_polar_variance(N, a), PI * PI / 4, 1e-9, "AFM polar variance (T4.4)");

    sannip_rng_seed(&rng, 1);
    CHECK(sannip_spin_afm(N, sign, &mag, &rng, b, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0, pattern = 1; i < N; i++) if ((b[3 * i + 2] > 0) != (sign[i] > 0)) pattern = 0;
    CHECK(pattern, "AFM does not follow the sign array");
    m = net_z(N, b, &up);
    CHECK(up == 334 && m < -300, "unequal sublattices: %d up, net %g", up, m);

    sannip_rng_seed(&rng, 2);
    CHECK(sannip_spin_afm_pp(N, &mag, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0, pattern = 1; i < N; i++) if ((a[3 * i + 2] > 0) != ((i / 2) % 2 == 0)) pattern = 0;
    CHECK(pattern, "AFM ++ is not + + - - by index");
    m = net_z(N, a, &up);
    CHECK(fabs(m) < TOL(1e-10, 1e-3) && up == N / 2, "AFM ++: net %g", m);

    sannip_rng_seed(&rng, 3);
    CHECK(sannip_spin_afm_random(N, &mag, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    m = net_z(N, a, &up);
    CHECK(fabs(m) < TOL(1e-10, 1e-3) && up == N / 2, "AFM random: net %g, %d up", m, up);
    sannip_rng_seed(&rng, 4);
    CHECK(sannip_spin_afm_random(N, &mag, &rng, b, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0; i < N; i++) if ((a[3 * i + 2] > 0) != (b[3 * i + 2] > 0)) differ++;
    CHECK(differ > N / 4, "AFM random: two seeds give nearly the same signs (%d differ)", differ);
    /* each atom up with probability 1/2: over many draws of a small system every atom is
       up about half the time */
    {
        int cnt[6] = { 0 }, t, ok = 1;
        for (t = 0; t < 6000; t++) {
            sannip_spin_afm_random(6, NULL, &rng, a, NULL);
            for (i = 0; i < 6; i++) cnt[i] += a[3 * i + 2] > 0;
        }
        for (i = 0; i < 6; i++) if (fabs(cnt[i] / 6000.0 - 0.5) > 0.03) ok = 0;
        CHECK(ok, "AFM random: atoms not up half of the time (%d %d %d %d %d %d of 6000)", cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], cnt[5]);
    }
    /* odd n: one unpaired down spin */
    CHECK(sannip_spin_afm_random(7, NULL, &rng, a, &err) == SANNIP_SUCCESS, "%s", err.message);
    m = net_z(7, a, &up);
    CHECK(up == 3 && fabs(m + 1) < 1e-6, "AFM random, n = 7: %d up, net %g", up, m);
    free(a); free(b);
}

/* bcc / fcc supercell positions: m[0] x m[1] x m[2] conventional cells, optionally strained
   by (I + eps) and displaced by up to +-disp along each axis. */
static int cubic_cell(int fcc, const int *m, double a, const double *eps, double disp, sannip_rng *rng,
                      sannip_real *pos, sannip_real *cell, int *expect)
{
    static const double bb[2][3] = { { 0, 0, 0 }, { .5, .5, .5 } };
    static const double fb[4][3] = { { 0, 0, 0 }, { .5, .5, 0 }, { .5, 0, .5 }, { 0, .5, .5 } };
    int nb = fcc ? 4 : 2, i, j, k, b, n = 0, r, c;
    double h[9] = { 0 };
    for (r = 0; r < 3; r++) for (c = 0; c < 3; c++) h[3 * r + c] = (r == c ? m[r] * a : 0);
    for (r = 0; r < 3; r++) for (c = 0; c < 3; c++) {
        double s = 0; int q;
        for (q = 0; q < 3; q++) s += h[3 * r + q] * ((q == c) + (eps ? eps[3 * q + c] : 0));
        cell[3 * r + c] = (sannip_real)s;
    }
    for (i = 0; i < m[0]; i++) for (j = 0; j < m[1]; j++) for (k = 0; k < m[2]; k++) for (b = 0; b < nb; b++) {
        const double *f = fcc ? fb[b] : bb[b];
        double x[3] = { (i + f[0]) * a, (j + f[1]) * a, (k + f[2]) * a };
        for (c = 0; c < 3; c++) {
            double s = 0; int q;
            for (q = 0; q < 3; q++) s += x[q] * ((q == c) + (eps ? eps[3 * q + c] : 0));
            pos[3 * n + c] = (sannip_real)(s + (disp > 0 ? disp * (2 * sannip_rng_uniform(rng) - 1) : 0));
        }
        expect[n] = fcc ? (f[2] > 0 ? -1 : 1) : (b ? -1 : 1);
        n++;
    }
    return n;
}

static void test_sublattice(void)
{
    enum { MAXN = 4 * 4 * 3 * 5 };
    sannip_real pos[3 * MAXN], cell[9];
    int expect[MAXN], sign[MAXN], n, i, ok;
    int m1[3] = { 2, 2, 2 }, m2[3] = { 4, 3, 5 };
    double eps[9] = { 0.03, 0.02, -0.01, 0.0, -0.02, 0.04, 0.01, 0.0, 0.05 };
    sannip_rng rng;
    sannip_error err;

    n = cubic_cell(0, m1, 2.87, NULL, 0, NULL, pos, cell, expect);
    CHECK(sannip_spin_sublattice(n, pos, cell, 2.87f, SANNIP_SUBLATTICE_BCC, sign, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0, ok = 1; i < n; i++) if (sign[i] != expect[i]) ok = 0;
    CHECK(ok, "bcc 2x2x2 sublattice signs");
    /* strained, sheared, rattled (0.3 A < a/4) and shifted by a lattice vector */
    sannip_rng_seed(&rng, 9);
    n = cubic_cell(0, m2, 2.87, eps, 0.3, &rng, pos, cell, expect);
    for (i = 0; i < n; i++) { int c; for (c = 0; c < 3; c++) pos[3 * i + c] += cell[3 + c]; }
    CHECK(sannip_spin_sublattice(n, pos, cell, 2.87f, SANNIP_SUBLATTICE_BCC, sign, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0, ok = 1; i < n; i++) if (sign[i] != expect[i]) ok = 0;
    CHECK(ok, "strained, rattled bcc 4x3x5 sublattice signs");
    {   /* an AFM from these signs: nearest neighbours (a sqrt(3)/2) antiparallel */
        sannip_real *s = spins_alloc(n);
        int up;
        CHECK(sannip_spin_afm(n, sign, NULL, NULL, s, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(fabs(net_z(n, s, &up)) < 1e-12 && up == n / 2, "bcc AFM net moment");
        free(s);
    }
    n = cubic_cell(1, m2, 3.6, eps, 0.3, &rng, pos, cell, expect);
    CHECK(sannip_spin_sublattice(n, pos, cell, 3.6f, SANNIP_SUBLATTICE_FCC001, sign, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (i = 0, ok = 1; i < n; i++) if (sign[i] != expect[i]) ok = 0;
    CHECK(ok, "strained, rattled fcc 4x3x5 (001) sublattice signs");

    /* bad input */
    CHECK(sannip_spin_sublattice(n, pos, cell, 3.0f, SANNIP_SUBLATTICE_FCC001, sign, &err) == SANNIP_BAD_PARAMETER, "wrong lattice constant accepted");
    CHECK(sannip_spin_sublattice(n, pos, cell, 0, SANNIP_SUBLATTICE_BCC, sign, &err) == SANNIP_BAD_PARAMETER, "a = 0 accepted");
    CHECK(sannip_spin_sublattice(n, pos, cell, (sannip_real)NAN, SANNIP_SUBLATTICE_BCC, sign, &err) == SANNIP_NONFINITE, "a = NaN accepted");
    CHECK(sannip_spin_sublattice(n, pos, cell, 3.6f, 7, sign, &err) == SANNIP_BAD_PARAMETER, "unknown lattice accepted");
    CHECK(sannip_spin_sublattice(-1, pos, cell, 3.6f, 0, sign, &err) == SANNIP_INVALID_ARGS, "n < 0 accepted");
    CHECK(sannip_spin_sublattice(n, NULL, cell, 3.6f, 0, sign, &err) == SANNIP_INVALID_ARGS, "NULL pos accepted");
    CHECK(sannip_spin_sublattice(n, pos, cell, 3.6f, 0, NULL, &err) == SANNIP_INVALID_ARGS, "NULL sign accepted");
    pos[7] = (sannip_real)INFINITY;
    CHECK(sannip_spin_sublattice(n, pos, cell, 3.6f, 1, sign, &err) == SANNIP_NONFINITE, "Inf position accepted");
    memset(cell, 0, sizeof cell); cell[0] = cell[3] = 3.6f; cell[8] = 3.6f;   /* rows 1 and 2 parallel */
    CHECK(sannip_spin_sublattice(1, pos, cell, 3.6f, 1, sign, &err) == SANNIP_SINGULAR_CELL, "singular cell accepted");
}

/* Every generator, run twice from one seed, gives bit-identical spins; another seed differs. */
static void test_reproducible(void)
{
    static const generator gens[] = { sannip_spin_fm, sannip_spin_pm, sannip_spin_111r, sannip_spin_000r,
                                      sannip_spin_afm_pp, sannip_spin_afm_random };
    static const char *names[] = { "fm", "pm", "111r", "000r", "afm++", "afm random" };
    enum { N = 257 };
    sannip_spin_magnitude mag = { 1.1f, 0.1f };
    sannip_real a[3 * N], b[3 * N], c[3 * N];
    sannip_rng r1, r2, r3;
    size_t g;
    for (g = 0; g < sizeof gens / sizeof gens[0] + 2; g++) {
        sannip_rng_seed(&r1, 42); sannip_rng_seed(&r2, 42); sannip_rng_seed(&r3, 43);
        if (g < sizeof gens / sizeof gens[0]) {
            gens[g](N, &mag, &r1, a, NULL); gens[g](N, &mag, &r2, b, NULL); gens[g](N, &mag, &r3, c, NULL);
        } else if (g == sizeof gens / sizeof gens[0]) {
            sannip_spin_perturbed_fm(N, 0.1f, &mag, &r1, a, NULL); sannip_spin_perturbed_fm(N, 0.1f, &mag, &r2, b, NULL);
            sannip_spin_perturbed_fm(N, 0.1f, &mag, &r3, c, NULL);
        } else {
            sannip_spin_afm(N, NULL, &mag, &r1, a, NULL); sannip_spin_afm(N, NULL, &mag, &r2, b, NULL);
            sannip_spin_afm(N, NULL, &mag, &r3, c, NULL);
        }
        CHECK(memcmp(a, b, sizeof a) == 0, "%s: same seed, different spins", g < 6 ? names[g] : g == 6 ? "pfm" : "afm");
        CHECK(memcmp(a, c, sizeof a) != 0, "%s: different seeds, same spins", g < 6 ? names[g] : g == 6 ? "pfm" : "afm");
        CHECK(memcmp(&r1, &r2, sizeof r1) == 0, "rng states differ after identical calls");
    }
}

static void test_bad_input(void)
{
    static const generator gens[] = { sannip_spin_fm, sannip_spin_pm, sannip_spin_111r, sannip_spin_000r,
                                      sannip_spin_afm_pp, sannip_spin_afm_random };
    sannip_real s[30], keep[30];
    sannip_spin_magnitude neg = { -1, 0 }, negsd = { 1, -0.1f }, nan_mean = { (sannip_real)NAN, 0 }, ok = { 1, 0.1f };
    sannip_rng rng;
    sannip_error err;
    size_t g;
    int i, sign[10];
    sannip_rng_seed(&rng, 1);
    for (i = 0; i < 30; i++) keep[i] = s[i] = (sannip_real)(i + 0.5);
    for (g = 0; g < sizeof gens / sizeof gens[0]; g++) {
        CHECK(gens[g](-1, NULL, &rng, s, &err) == SANNIP_INVALID_ARGS, "generator %d: n < 0", (int)g);
        CHECK(err.code == SANNIP_INVALID_ARGS && err.message[0], "generator %d: error not filled", (int)g);
        CHECK(gens[g](10, NULL, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "generator %d: NULL spins", (int)g);
        CHECK(gens[g](10, &neg, &rng, s, &err) == SANNIP_BAD_PARAMETER, "generator %d: negative magnitude", (int)g);
        CHECK(gens[g](10, &negsd, &rng, s, &err) == SANNIP_BAD_PARAMETER, "generator %d: negative sd", (int)g);
        CHECK(gens[g](10, &nan_mean, &rng, s, NULL) == SANNIP_NONFINITE, "generator %d: NaN magnitude", (int)g);
        CHECK(gens[g](10, &ok, NULL, s, NULL) == SANNIP_INVALID_ARGS, "generator %d: random magnitudes without rng", (int)g);
        CHECK(gens[g](SANNIP_MAX_ATOMS + 1, NULL, &rng, s, NULL) == SANNIP_TOO_BIG, "generator %d: too many atoms", (int)g);
        CHECK(gens[g](0, NULL, &rng, NULL, &err) == SANNIP_SUCCESS, "generator %d: n = 0 must succeed", (int)g);
    }
    CHECK(memcmp(s, keep, sizeof s) == 0, "a failed call wrote spins");
    CHECK(sannip_spin_pm(10, NULL, NULL, s, NULL) == SANNIP_INVALID_ARGS, "PM without rng");
    CHECK(sannip_spin_perturbed_fm(10, (sannip_real)NAN, NULL, &rng, s, &err) == SANNIP_NONFINITE, "NaN sigma");
    CHECK(sannip_spin_perturbed_fm(10, (sannip_real)INFINITY, NULL, &rng, s, &err) == SANNIP_NONFINITE, "Inf sigma");
    CHECK(sannip_spin_perturbed_fm(10, -0.1f, NULL, &rng, s, &err) == SANNIP_BAD_PARAMETER, "negative sigma");
    CHECK(sannip_spin_perturbed_fm(-3, 0.1f, NULL, &rng, s, &err) == SANNIP_INVALID_ARGS, "perturbed FM n < 0");
    for (i = 0; i < 10; i++) sign[i] = 1;
    sign[4] = 0;
    CHECK(sannip_spin_afm(10, sign, NULL, &rng, s, &err) == SANNIP_BAD_PARAMETER, "sign 0 accepted");
    CHECK(sannip_spin_afm(-1, sign, NULL, &rng, s, &err) == SANNIP_INVALID_ARGS, "AFM n < 0");
    CHECK(memcmp(s, keep, sizeof s) == 0, "a failed call wrote spins");
}

int main(void)
{
    test_fm_and_perturbed();
    test_pm_111r_000r();
    test_afm();
    test_sublattice();
    test_reproducible();
    test_bad_input();
    return test_report("test_spin_configs");
}
