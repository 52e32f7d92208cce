/* The multiple-histogram reweighting of examples/reweight.h (examples/curie.c's reweighted
   Binder T_c) on synthetic scans whose answers are known in closed form. A system with the
   density of states g(E) ~ E^(k-1) (E > 0, eV) has, at beta = 1 / (kB T), energies
   E ~ Gamma(k, 1/beta), so <E> = k / beta and Z(beta) = Gamma(k) beta^-k; with the
   "magnetisation" m = exp(-c E / 2), <m^2> = (beta / (beta + c))^k, <m^4> = (beta / (beta + 2c))^k
   and U4 = 1 - [(beta + c)^2 / (beta (beta + 2c))]^k / 3, falling from 2/3 as T rises.
   Checked: the reweighted <E>, <m^2>, <m^4>, U4 between the sampled temperatures and the free
   energies against the closed forms (within 5 jackknife errors, and those errors small);
   one temperature alone gives exactly its direct averages, and several give them back at a
   sampled temperature; two "sizes" whose U4 curves cross at 300 K by construction give that
   T_c; bad input gives a result code and a message. Samples are drawn directly (independent),
   with sannip_rng and a fixed seed; all arithmetic is double in both builds. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_spin.h"
#define RW_NBLK 16               /* jackknife errors with 15 degrees of freedom (curie.c: 8) */
#include "../examples/reweight.h"
#include "test.h"
#include <string.h>

#define KB SANNIP_KB_EV_PER_K
#define NT 5
#define PER 2000                 /* samples per walker and temperature (the crossing: 4 PER) */
#define ODD 8                    /* the odd temperatures get PER / ODD (unequal N_t) */
#define NSIG 5                   /* "agrees within NSIG standard errors" */

static const double TS[NT] = { 250, 275, 300, 325, 350 };

/* density of states E^(k-1), m^2 = exp(-c E) */
typedef struct toy { int k; double c; } toy;

/* [out] mom = <E>, <m^2>, <m^4> at T, closed forms */
static void exact_moments(const toy *s, double T, double *mom)
{
    double b = 1 / (KB * T);
    mom[0] = s->k / b; mom[1] = pow(b / (b + s->c), s->k); mom[2] = pow(b / (b + 2 * s->c), s->k);
}
static double exact_u4(const toy *s, double T)
{
    double mom[3];
    exact_moments(s, T, mom);
    return 1 - mom[2] / (3 * mom[1] * mom[1]);
}
/* c such that U4(Tc) = 1 - exp(g) / 3: with y = c kB Tc, k ln((1 + y)^2 / (1 + 2y)) = g, the
   positive root of y^2 + 2 (1 - q) y + 1 - q = 0, q = exp(g / k). */
static double design_c(int k, double g, double Tc)
{
    double q = exp(g / k);
    return ((q - 1) + sqrt(q * (q - 1))) / (KB * Tc);
}

/* [out] r: per samples per walker at the even temperatures T[t], per / ODD at the odd ones
   (unequal counts N_t), through on_rec_sample as a scan gives them (each preceded by an
   equilibration sample, which must be skipped). E = sum of k Exp(beta) draws. */
static void sample(series_rec *r, const toy *s, int nT, const double *T, int per, sannip_rng *rng)
{
    sannip_mc_sample smp;
    sannip_error err;
    int t, w, i, j;
    CHECK(rec_init(r, nT, per, &err) == SANNIP_SUCCESS, "rec_init: %s", err.message);
    memset(&smp, 0, sizeof smp);
    for (t = 0; t < nT; t++) for (w = 0; w < RW_WALKERS; w++) for (i = 0; i < (t % 2 ? per / ODD : per); i++) {
        double E = 0;
        for (j = 0; j < s->k; j++) E -= log(1 - sannip_rng_uniform(rng));
        E *= KB * T[t];
        smp.walker = w; smp.temp_index = t; smp.T = T[t]; smp.E = E; smp.m = exp(-0.5 * s->c * E);
        smp.phase = 0; on_rec_sample(r, &smp);
        smp.phase = 1; on_rec_sample(r, &smp);
    }
}
static int wham_for(wham *h, const series_rec *r)
{
    sannip_error err;
    sannip_result rc = wham_alloc(h, r->nT * RW_WALKERS * r->cap, &err);
    CHECK(rc == SANNIP_SUCCESS, "wham_alloc: %s", err.message);
    return rc == SANNIP_SUCCESS;
}
/* The series of temperature t of r alone. */
static void one_temperature(series_rec *one, const series_rec *r, int t)
{
    sannip_error err;
    size_t o = (size_t)t * RW_WALKERS * (size_t)r->cap, len = RW_WALKERS * (size_t)r->cap;
    CHECK(rec_init(one, 1, r->cap, &err) == SANNIP_SUCCESS, "rec_init: %s", err.message);
    memcpy(one->count[0], r->count[t], sizeof one->count[0]);
    memcpy(one->E, r->E + o, sizeof(double) * len); memcpy(one->m, r->m + o, sizeof(double) * len);
}

/* One temperature alone: the reweighted averages at that temperature are its plain sample
   means (every weight equal), f = 0. */
static void test_single(const series_rec *r)
{
    series_rec one;
    wham h;
    sannip_error err;
    int t;
    for (t = 0; t < NT; t++) {
        double mom[3], plain[3] = { 0, 0, 0 };
        int w, i, n = 0;
        one_temperature(&one, r, t);
        if (!wham_for(&h, &one)) return;
        CHECK(wham_build(&h, &one, &TS[t], -1, &err) == SANNIP_SUCCESS, "wham_build: %s", err.message);
        for (w = 0; w < RW_WALKERS; w++) for (i = 0; i < one.count[0][w]; i++, n++) {
            double E = one.E[(size_t)w * one.cap + i], m2 = one.m[(size_t)w * one.cap + i] * one.m[(size_t)w * one.cap + i];
            plain[0] += E; plain[1] += m2; plain[2] += m2 * m2;
        }
        wham_moments(&h, TS[t], mom);
        CHECK(n == RW_WALKERS * (t % 2 ? PER / ODD : PER) && h.n == n && h.f[0] == 0, "T %g: %d samples (wham %d), f0 %g", TS[t], n, h.n, h.f[0]);
        CHECK_NEAR(mom[0], plain[0] / n, 1e-12 * fabs(plain[0] / n), "<E> at T %g alone", TS[t]);
        CHECK_NEAR(mom[1], plain[1] / n, 1e-12 * fabs(plain[1] / n), "<m^2> at T %g alone", TS[t]);
        CHECK_NEAR(mom[2], plain[2] / n, 1e-12 * fabs(plain[2] / n), "<m^4> at T %g alone", TS[t]);
        wham_free(&h); rec_free(&one);
    }
}

/* The quantities checked on one (jackknife) build, q[NQ], their exact values and a scale for
   their errors (the exact average; 1 for U4 and f): per midpoint between sampled temperatures
   <E>, <m^2>, <m^4>, U4; per sampled temperature t > 0 f_t + (beta_t - beta_0) E0 =
   k ln(beta_t / beta_0) (f is of x = E - E0); per sampled temperature the reweighted <E> and
   <m^2> minus the direct ones (exact: 0, scale: the average). */
#define NQ (4 * (NT - 1) + (NT - 1) + 2 * NT)
enum { Q_E, Q_M2, Q_M4, Q_U4, Q_F, Q_DE, Q_DM2 };
static const char *const QNAME[] = { "<E>", "<m^2>", "<m^4>", "U4", "f", "<E> - direct", "<m^2> - direct" };
static const double QERR[] = { 0.0075, 0.02, 0.05, 0.01, 0.035, 0.03, 0.12 };   /* largest jackknife error / scale (2x the largest over 100 seeds) */
typedef struct quantity { double q, exact, scale; int kind; } quantity;
static void put(quantity *q, int kind, double value, double exact, double scale) { q->kind = kind; q->q = value; q->exact = exact; q->scale = scale; }
static int quantities(const toy *s, const series_rec *r, int skip, wham *h, wham *h1, quantity *q)
{
    series_rec one;
    sannip_error err;
    double mom[3], dir[3], ex[3];
    int t, j, n = 0;
    if (wham_build(h, r, TS, skip, &err) != SANNIP_SUCCESS) { CHECK(0, "wham_build(skip %d): %s", skip, err.message); return 0; }
    for (t = 0; t + 1 < NT; t++) {
        double Tm = 0.5 * (TS[t] + TS[t + 1]);
        wham_moments(h, Tm, mom); exact_moments(s, Tm, ex);
        for (j = 0; j < 3; j++) put(&q[n++], Q_E + j, mom[j], ex[j], ex[j]);
        put(&q[n++], Q_U4, wham_u4(h, Tm), exact_u4(s, Tm), 1);
    }
    for (t = 1; t < NT; t++) put(&q[n++], Q_F, h->f[t] + (h->beta[t] - h->beta[0]) * h->E0, s->k * log(h->beta[t] / h->beta[0]), 1);
    for (t = 0; t < NT; t++) {   /* the direct averages: temperature t alone (test_single) */
        one_temperature(&one, r, t);
        CHECK(wham_build(h1, &one, &TS[t], skip, &err) == SANNIP_SUCCESS, "wham_build: %s", err.message);
        wham_moments(h, TS[t], mom); wham_moments(h1, TS[t], dir); exact_moments(s, TS[t], ex);
        put(&q[n++], Q_DE, mom[0] - dir[0], 0, ex[0]); put(&q[n++], Q_DM2, mom[1] - dir[1], 0, ex[1]);
        rec_free(&one);
    }
    return 1;
}

/* The free energies solve the multiple-histogram equations: D_s = ln sum_t N_t exp(-beta_t x_s
   + f_t) and f_t = -ln sum_s exp(-beta_t x_s - D_s), relative to t = 0 (wham_solve stops at a
   change below 1e-8; its start, from thermodynamic integration, is off by more). */
static void check_fixed_point(const wham *h)
{
    double *a = (double *)malloc(sizeof(double) * (size_t)h->n), at[RW_MAXT], g0 = 0, worst_f = 0, worst_d = 0;
    int s, t;
    if (!a) { CHECK(0, "out of memory"); return; }
    for (s = 0; s < h->n; s++) {
        for (t = 0; t < h->nT; t++) at[t] = h->lnN[t] - h->beta[t] * h->x[s] + h->f[t];
        if (fabs(logsumexp(at, h->nT) - h->D[s]) > worst_d) worst_d = fabs(logsumexp(at, h->nT) - h->D[s]);
    }
    for (t = 0; t < h->nT; t++) {
        double g;
        for (s = 0; s < h->n; s++) a[s] = -h->beta[t] * h->x[s] - h->D[s];
        g = -logsumexp(a, h->n);
        if (t == 0) g0 = g;
        if (fabs(g - g0 - h->f[t]) > worst_f) worst_f = fabs(g - g0 - h->f[t]);
    }
    CHECK(worst_d <= 1e-12 && worst_f <= 1e-7, "the equations: D_s off by %.3g, f_t by %.3g", worst_d, worst_f);
    free(a);
}

/* Reweighted to temperatures between the sampled ones: the closed forms within NSIG
   jackknife errors, with errors small enough (QERR) for that to mean something. */
static void test_exact(const toy *s, const series_rec *r)
{
    quantity q[NQ], jq[RW_NBLK][NQ];
    double v[RW_NBLK], worst = 0, worst_err[7] = { 0 };
    int i, b;
    wham h, h1;
    if (!wham_for(&h, r) || !wham_for(&h1, r)) return;
    if (!quantities(s, r, -1, &h, &h1, q)) return;
    check_fixed_point(&h);
    for (b = 0; b < RW_NBLK; b++) if (!quantities(s, r, b, &h, &h1, jq[b])) return;
    for (i = 0; i < NQ; i++) {
        double e, dev;
        for (b = 0; b < RW_NBLK; b++) v[b] = jq[b][i].q;
        e = jackknife_err(v, RW_NBLK); dev = fabs(q[i].q - q[i].exact) / e;
        CHECK(dev <= NSIG, "%s (quantity %d): %.6g vs exact %.6g, %.1f errors of %.3g", QNAME[q[i].kind], i, q[i].q, q[i].exact, dev, e);
        CHECK(e > 0 && e <= QERR[q[i].kind] * q[i].scale, "%s (quantity %d): jackknife error %.3g of %.3g", QNAME[q[i].kind], i, e, q[i].scale);
        if (dev > worst) worst = dev;
        if (e / q[i].scale > worst_err[q[i].kind]) worst_err[q[i].kind] = e / q[i].scale;
    }
    printf("   exact case: %d quantities, the largest deviation %.2f jackknife errors; largest errors/scale", NQ, worst);
    for (i = 0; i < 7; i++) printf(" %s %.2g", QNAME[i], worst_err[i]);
    printf("\n");
    wham_free(&h); wham_free(&h1);
}

/* Two "sizes" whose U4 curves cross at 300 K by construction (both U4 = 1 - e^0.5 / 3 there):
   the small one (k = 1) flattens as T rises, the large one (k = 20) keeps falling, so the small
   size's curve crosses the large one's from below. */
static void test_crossing(const toy *small, const toy *large, sannip_rng *rng)
{
    series_rec ra, rb;
    sannip_error err;
    double tc = 0, tc_err = 0, tc2 = 0, tc2_err = 0;
    sannip_result rc;
    CHECK(fabs(exact_u4(small, 300) - exact_u4(large, 300)) < 1e-12 && exact_u4(small, TS[0]) < exact_u4(large, TS[0])
          && exact_u4(small, TS[NT - 1]) > exact_u4(large, TS[NT - 1]), "the designed curves cross at 300 K: U4 %g %g at %g K, %g %g at %g K",
          exact_u4(small, TS[0]), exact_u4(large, TS[0]), TS[0], exact_u4(small, TS[NT - 1]), exact_u4(large, TS[NT - 1]), TS[NT - 1]);
    sample(&ra, small, NT, TS, 4 * PER, rng); sample(&rb, large, NT, TS, 4 * PER, rng);
    rc = reweighted_tc(&ra, &rb, TS, &tc, &tc_err, &err);
    CHECK(rc == SANNIP_SUCCESS, "reweighted_tc: %s", err.message);
    CHECK(tc_err > 0 && tc_err < 5, "T_c %g K: jackknife error %g K", tc, tc_err);
    CHECK(fabs(tc - 300) <= NSIG * tc_err, "T_c %g +- %g K, designed 300 K", tc, tc_err);
    printf("   crossing: T_c %.2f +- %.2f K (designed 300 K)\n", tc, tc_err);
    /* the other order: the large size's curve crosses the small one's from above only */
    rc = reweighted_tc(&rb, &ra, TS, &tc2, &tc2_err, &err);
    CHECK(rc == SANNIP_SUCCESS && isnan(tc2), "swapped sizes: %d, T_c %g (no crossing from below expected)", (int)rc, tc2);
    rec_free(&ra); rec_free(&rb);
}

/* wham_crossing on two hand-made "reweighted" sets with U4 known exactly: a, one sample with
   m^4 / m^2^2 = 3/2 (U4 = 1/2 at every T); b, two samples with m^2 = m^4 = 1 and 0 at x = 0 and
   x = X (weights 1 and exp(-X / kB T), D = 0), U4 = 1 - 1 / (3 p) with p = 1 / (1 + exp(-X / kB T))
   falling from 2/3 to 1/3: U4_a = U4_b where exp(-X / kB T) = 1/2, T = X / (kB ln 2) = 300 K
   (X chosen so). The bisection ends within 0.01 K. */
static void test_crossing_exact(void)
{
    wham a, b;
    sannip_error err;
    double X = KB * 300 * log(2.0), tc;
    if (wham_alloc(&a, 1, &err) != SANNIP_SUCCESS || wham_alloc(&b, 2, &err) != SANNIP_SUCCESS) { CHECK(0, "wham_alloc: %s", err.message); return; }
    a.n = 1; a.x[0] = 0; a.D[0] = 0; a.m2[0] = 2; a.m4[0] = 6; a.E0 = 0;
    b.n = 2; b.x[0] = 0; b.x[1] = X; b.D[0] = b.D[1] = 0; b.m2[0] = b.m4[0] = 1; b.m2[1] = b.m4[1] = 0; b.E0 = 0;
    CHECK_NEAR(wham_u4(&a, 123), 0.5, 1e-15, "U4 of a");
    CHECK_NEAR(wham_u4(&b, 300), 0.5, 1e-12, "U4 of b at 300 K");
    tc = wham_crossing(&a, &b, 250, 350);
    CHECK(fabs(tc - 300) <= 0.01, "exact crossing: %.6f K, designed 300 K", tc);
    tc = wham_crossing(&a, &b, 152.5, 600);   /* the 5 K grid off the crossing, a wide range */
    CHECK(fabs(tc - 300) <= 0.01, "exact crossing from 152.5 K: %.6f K", tc);
    tc = wham_crossing(&a, &b, 200, 295);
    CHECK(isnan(tc), "no crossing below 295 K: %g", tc);
    tc = wham_crossing(&b, &a, 250, 350);
    CHECK(isnan(tc), "b over a crosses from above only: %g", tc);
    wham_free(&a); wham_free(&b);
}

/* A temperature without samples (or with none outside a jackknife block), a temperature not
   > 0, inconsistent scans and sizes: result codes and messages, never a crash. */
static void test_bad_input(const toy *s, sannip_rng *rng)
{
    series_rec r, r3;
    wham h, tiny;
    sannip_error err;
    sannip_mc_sample smp;
    double T[NT], tc = 0, tc_err = 0;
    int i;
    memcpy(T, TS, sizeof T);
    sample(&r, s, NT, TS, 16, rng);
    if (!wham_for(&h, &r)) return;
    /* on_rec_sample: equilibration samples and samples beyond cap or the scan are dropped */
    CHECK(r.count[0][0] == 16 && r.count[1][RW_WALKERS - 1] == 16 / ODD, "counts %d %d", r.count[0][0], r.count[1][RW_WALKERS - 1]);
    memset(&smp, 0, sizeof smp);
    CHECK(rec_init(&r3, 1, 4, &err) == SANNIP_SUCCESS, "rec_init: %s", err.message);
    smp.E = -1; smp.m = 0.5; on_rec_sample(&r3, &smp);
    smp.phase = 1; smp.E = -2; on_rec_sample(&r3, &smp);
    CHECK(r3.count[0][0] == 1 && r3.E[0] == -2 && r3.m[0] == 0.5, "equilibration sample stored: count %d, E %g", r3.count[0][0], r3.E[0]);
    rec_free(&r3);
    smp.temp_index = 0; on_rec_sample(&r, &smp);
    smp.temp_index = NT; on_rec_sample(&r, &smp);
    smp.temp_index = 0; smp.walker = RW_WALKERS; on_rec_sample(&r, &smp);
    CHECK(r.count[0][0] == 16 && r.count[0][RW_WALKERS - 1] == 16, "a full series or a sample of no scan was stored");
    CHECK(wham_build(&h, &r, T, -1, &err) == SANNIP_SUCCESS, "wham_build: %s", err.message);
    /* one sample at temperature 1: the full build works, leaving out its block does not */
    r.count[1][0] = 1; for (i = 1; i < RW_WALKERS; i++) r.count[1][i] = 0;
    CHECK(wham_build(&h, &r, T, -1, &err) == SANNIP_SUCCESS, "one sample: %s", err.message);
    memset(&err, 0, sizeof err);
    CHECK(wham_build(&h, &r, T, 0, &err) == SANNIP_INVALID_ARGS && err.code == SANNIP_INVALID_ARGS && strstr(err.message, "temperature 1 (275 K)")
          && strstr(err.message, "jackknife"), "one sample, its block left out: '%s'", err.message);
    /* no samples at temperature 2 */
    for (i = 0; i < RW_WALKERS; i++) r.count[2][i] = 0;
    memset(&err, 0, sizeof err);
    CHECK(wham_build(&h, &r, T, -1, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "temperature 1") == NULL && strstr(err.message, "temperature 2 (300 K) has no samples"),
          "no samples: '%s'", err.message);
    memset(&err, 0, sizeof err);
    CHECK(reweighted_tc(&r, &r, T, &tc, &tc_err, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "has no samples"), "reweighted_tc, no samples: '%s'", err.message);
    /* temperatures not > 0 */
    for (i = 0; i < RW_WALKERS; i++) { r.count[1][i] = 16 / ODD; r.count[2][i] = 16; }   /* as sampled */
    T[3] = 0;
    CHECK(wham_build(&h, &r, T, -1, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "temperature 3 is 0 K"), "T = 0: '%s'", err.message);
    T[3] = NAN;
    CHECK(wham_build(&h, &r, T, -1, &err) == SANNIP_BAD_PARAMETER, "T = NaN: '%s'", err.message);
    /* sizes: a scan of 3 temperatures against one of NT, a wham too small, rec_init's bounds */
    sample(&r3, s, 3, TS, 16, rng);
    CHECK(reweighted_tc(&r3, &r, TS, &tc, &tc_err, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "3 and 5 temperatures"), "3 vs 5: '%s'", err.message);
    CHECK(wham_alloc(&tiny, 10, &err) == SANNIP_SUCCESS, "wham_alloc: %s", err.message);
    CHECK(wham_build(&tiny, &r, TS, -1, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "room for 10"), "small wham: '%s'", err.message);
    CHECK(wham_alloc(&tiny, 0, &err) == SANNIP_INVALID_ARGS && tiny.x == NULL, "wham_alloc(0): '%s'", err.message);
    CHECK(rec_init(&r3, RW_MAXT + 1, 4, &err) == SANNIP_INVALID_ARGS && r3.E == NULL, "rec_init, %d temperatures: '%s'", RW_MAXT + 1, err.message);
    CHECK(rec_init(&r3, 3, 0, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "0 samples"), "rec_init, no room: '%s'", err.message);
    CHECK(rec_init(&r3, 3, 2000000000, &err) != SANNIP_SUCCESS, "rec_init, 2e9 samples per walker: '%s'", err.message);
    CHECK(rec_init(&r3, 0, 4, NULL) == SANNIP_INVALID_ARGS, "rec_init, no temperatures, err NULL");
    wham_free(&h); wham_free(&tiny); rec_free(&r);
}

int main(int argc, char **argv)
{
    sannip_rng rng;
    series_rec r;
    toy large, small;
    large.k = 20; large.c = design_c(20, 0.5, 300);
    small.k = 1; small.c = design_c(1, 0.5, 300);
    sannip_rng_seed(&rng, argc > 1 ? strtoull(argv[1], NULL, 10) : 20261203);   /* a seed argument only to study the spread */
    sample(&r, &large, NT, TS, PER, &rng);
    test_single(&r);
    test_exact(&large, &r);
    rec_free(&r);
    test_crossing_exact();
    test_crossing(&small, &large, &rng);
    test_bad_input(&large, &rng);
    return test_report("test_reweight");
}
