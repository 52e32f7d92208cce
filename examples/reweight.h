/* reweight.h - T_c from Binder cumulants reweighted between the temperatures of a Monte Carlo
   scan. Multiple-histogram reweighting (Ferrenberg & Swendsen, PRL 63, 1195 (1989)): the
   production samples (E, m) of every temperature and walker give the free energies f_t of
   the scan's temperatures, and from them <E>, <m^2>, <m^4> and U4 = 1 - <m^4>/(3 <m^2>^2) at
   any temperature in between. Then T_c is where U4 of the two sizes cross (the first
   crossing, from below, of the smaller size's curve over the larger's), with a jackknife
   error over RW_NBLK blocks of every series.
   Energies in eV, temperatures in K (beta = 1 / (SANNIP_KB_EV_PER_K T)). Functions that can
   fail return a sannip_result and fill the optional sannip_error; nothing here exits.
   RW_MAXT (temperatures, default 64), RW_WALKERS (walkers per temperature, default 2) and
   RW_NBLK (jackknife blocks, default 8) may be defined before the include. Not library API: for examples/curie.c and
   tests/test_reweight.c; include after sannip_spin.h (sannip_mc_sample, SANNIP_KB_EV_PER_K). */
#ifndef REWEIGHT_H
#define REWEIGHT_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <math.h>

#ifndef RW_MAXT
#define RW_MAXT 64
#endif
#ifndef RW_WALKERS
#define RW_WALKERS 2
#endif
#ifndef RW_NBLK
#define RW_NBLK 8
#endif

static sannip_result rw_fail(sannip_error *err, sannip_result code, const char *fmt, ...)
{
    va_list ap;
    if (!err) return code;
    err->code = code; err->line = err->field = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

/* The production series of a scan: nT temperatures x RW_WALKERS walkers, up to cap samples
   each, E[(t RW_WALKERS + w) cap + s] and m likewise; count[t][w] samples stored. */
typedef struct series_rec { int nT, cap, count[RW_MAXT][RW_WALKERS]; double *E, *m; } series_rec;
/* [out] r (release with rec_free). SANNIP_INVALID_ARGS for nT outside [1, RW_MAXT], cap < 1
   or a size beyond int; SANNIP_OUT_OF_MEMORY. */
static sannip_result rec_init(series_rec *r, int nT, int cap, sannip_error *err)
{
    memset(r, 0, sizeof *r);
    if (nT < 1 || nT > RW_MAXT || cap < 1 || cap > INT_MAX / RW_WALKERS / nT)
        return rw_fail(err, SANNIP_INVALID_ARGS, "reweighting: %d temperatures (1 to %d) of %d samples per walker", nT, RW_MAXT, cap);
    r->nT = nT; r->cap = cap;
    r->E = (double *)malloc(sizeof(double) * (size_t)nT * RW_WALKERS * (size_t)cap);
    r->m = (double *)malloc(sizeof(double) * (size_t)nT * RW_WALKERS * (size_t)cap);
    if (!r->E || !r->m) { free(r->E); free(r->m); r->E = r->m = NULL; return rw_fail(err, SANNIP_OUT_OF_MEMORY, "reweighting: out of memory"); }
    return SANNIP_SUCCESS;
}
static void rec_free(series_rec *r) { free(r->E); free(r->m); r->E = r->m = NULL; }
/* sannip_mc_config.on_sample for a series_rec: keeps the production samples (E, m). */
static void on_rec_sample(void *user, const sannip_mc_sample *smp)
{
    series_rec *r = (series_rec *)user;
    int *c;
    size_t o;
    if (smp->phase != 1 || smp->temp_index < 0 || smp->temp_index >= r->nT || smp->walker < 0 || smp->walker >= RW_WALKERS) return;
    c = &r->count[smp->temp_index][smp->walker];
    o = ((size_t)smp->temp_index * RW_WALKERS + (size_t)smp->walker) * (size_t)r->cap;
    if (*c >= r->cap) return;
    r->E[o + (size_t)*c] = smp->E; r->m[o + (size_t)*c] = smp->m;
    (*c)++;
}

/* The samples of a scan without block `skip` (-1: all): x[s] = E_s - E0, m2, m4, and per
   temperature the counts N[t]; then the free energies f[t] (f[0] = 0) by iterating the
   self-consistent equations in log-sum-exp form from a thermodynamic-integration start.
   x, m2, m4, D, a: cap doubles each (wham_alloc). */
typedef struct wham { int n, nT, cap; double *x, *m2, *m4, *D, *a, beta[RW_MAXT], lnN[RW_MAXT], f[RW_MAXT], E0; } wham;
/* [out] h for up to cap samples (release with wham_free). */
static sannip_result wham_alloc(wham *h, int cap, sannip_error *err)
{
    memset(h, 0, sizeof *h);
    if (cap < 1 || (size_t)cap > (size_t)-1 / (5 * sizeof(double))) return rw_fail(err, SANNIP_INVALID_ARGS, "reweighting: room for %d samples", cap);
    h->x = (double *)malloc(sizeof(double) * 5 * (size_t)cap);
    if (!h->x) return rw_fail(err, SANNIP_OUT_OF_MEMORY, "reweighting: out of memory");
    h->cap = cap;
    h->m2 = h->x + cap; h->m4 = h->m2 + cap; h->D = h->m4 + cap; h->a = h->D + cap;
    return SANNIP_SUCCESS;
}
static void wham_free(wham *h) { free(h->x); h->x = NULL; }
/* ln sum_i exp(a_i), i < n */
static double logsumexp(const double *a, int n)
{
    double top = -INFINITY, sum = 0;
    int i;
    for (i = 0; i < n; i++) if (a[i] > top) top = a[i];
    for (i = 0; i < n; i++) sum += exp(a[i] - top);
    return top + log(sum);
}
/* D_s = ln sum_t N_t exp(-beta_t x_s + f_t), the denominator of every sample's weight */
static void wham_denominators(wham *h)
{
    double a[RW_MAXT];
    int s, t;
    for (s = 0; s < h->n; s++) {
        for (t = 0; t < h->nT; t++) a[t] = h->lnN[t] - h->beta[t] * h->x[s] + h->f[t];
        h->D[s] = logsumexp(a, h->nT);
    }
}
/* f from the mean energies Et (thermodynamic integration, d f / d beta = <E>), then the
   iteration f_t = -ln sum_s exp(-beta_t x_s - D_s) to a change below 1e-8 */
static void wham_solve(wham *h, const double *Et)
{
    double fn[RW_MAXT], d = 1;
    int s, t, it;
    h->f[0] = 0;
    for (t = 1; t < h->nT; t++) h->f[t] = h->f[t - 1] + (h->beta[t] - h->beta[t - 1]) * 0.5 * (Et[t] + Et[t - 1]);
    for (it = 0; it < 20000 && d > 1e-8; it++) {
        wham_denominators(h);
        for (t = 0; t < h->nT; t++) {
            for (s = 0; s < h->n; s++) h->a[s] = -h->beta[t] * h->x[s] - h->D[s];
            fn[t] = -logsumexp(h->a, h->n);
        }
        for (d = 0, t = h->nT - 1; t >= 0; t--) {
            fn[t] -= fn[0];
            if (fabs(fn[t] - h->f[t]) > d) d = fabs(fn[t] - h->f[t]);
            h->f[t] = fn[t];
        }
    }
    wham_denominators(h);
}
/* [out] h (wham_alloc'd with room for all of r's samples), [in] r, T[r->nT] (K, > 0), skip
   (block left out, -1: none). SANNIP_INVALID_ARGS when h is too small or a temperature has
   no samples (left), SANNIP_BAD_PARAMETER for a temperature not > 0; err says which. */
static sannip_result wham_build(wham *h, const series_rec *r, const double *T, int skip, sannip_error *err)
{
    double Et[RW_MAXT];
    int t, w, s, n = 0;
    if (r->nT < 1 || r->nT > RW_MAXT || (size_t)h->cap < (size_t)r->nT * RW_WALKERS * (size_t)r->cap)
        return rw_fail(err, SANNIP_INVALID_ARGS, "reweighting: room for %d samples, the series needs %d x %d x %d", h->cap, r->nT, RW_WALKERS, r->cap);
    h->nT = r->nT; h->E0 = INFINITY;
    for (t = 0; t < r->nT; t++) {
        if (!(T[t] > 0 && T[t] < INFINITY)) return rw_fail(err, SANNIP_BAD_PARAMETER, "reweighting: temperature %d is %g K", t, T[t]);
        h->beta[t] = 1 / (SANNIP_KB_EV_PER_K * T[t]);
        for (w = 0; w < RW_WALKERS; w++) for (s = 0; s < r->count[t][w]; s++) {
            double E = r->E[((size_t)t * RW_WALKERS + (size_t)w) * (size_t)r->cap + (size_t)s];
            if (E < h->E0) h->E0 = E;
        }
    }
    for (t = 0; t < r->nT; t++) {
        int nt = 0;
        Et[t] = 0;
        for (w = 0; w < RW_WALKERS; w++) {
            int c = r->count[t][w];
            size_t o = ((size_t)t * RW_WALKERS + (size_t)w) * (size_t)r->cap;
            for (s = 0; s < c; s++) {
                double m2 = r->m[o + (size_t)s] * r->m[o + (size_t)s];
                if (skip >= 0 && s * RW_NBLK / c == skip) continue;
                h->x[n] = r->E[o + (size_t)s] - h->E0; h->m2[n] = m2; h->m4[n] = m2 * m2;
                Et[t] += h->x[n]; n++; nt++;
            }
        }
        if (nt == 0) return rw_fail(err, SANNIP_INVALID_ARGS, "reweighting: temperature %d (%g K) has no samples%s", t, T[t], skip >= 0 ? " outside the jackknife block" : "");
        Et[t] /= nt; h->lnN[t] = log((double)nt);
    }
    h->n = n;
    wham_solve(h, Et);
    return SANNIP_SUCCESS;
}
/* [out] mom = <E>, <m^2>, <m^4> at temperature T from the reweighted samples. */
static void wham_moments(const wham *h, double T, double *mom)
{
    double beta = 1 / (SANNIP_KB_EV_PER_K * T), top = -INFINITY, w, s0 = 0, s1 = 0, s2 = 0, s4 = 0;
    int s;
    for (s = 0; s < h->n; s++) if (-beta * h->x[s] - h->D[s] > top) top = -beta * h->x[s] - h->D[s];
    for (s = 0; s < h->n; s++) { w = exp(-beta * h->x[s] - h->D[s] - top); s0 += w; s1 += w * h->x[s]; s2 += w * h->m2[s]; s4 += w * h->m4[s]; }
    mom[0] = h->E0 + s1 / s0; mom[1] = s2 / s0; mom[2] = s4 / s0;
}
/* U4 at temperature T from the reweighted samples. */
static double wham_u4(const wham *h, double T)
{
    double mom[3];
    wham_moments(h, T, mom);
    return 1 - mom[2] / (3 * mom[1] * mom[1]);
}
/* The first crossing from below of U4_a - U4_b through 0 in [T0, T1] (5 K steps, then
   bisection to 0.01 K); NaN when there is none. */
static double wham_crossing(const wham *a, const wham *b, double T0, double T1)
{
    double lo = T0, dlo = wham_u4(a, T0) - wham_u4(b, T0), hi, dhi;
    int k;
    for (hi = T0 + 5; hi <= T1 + 1e-9; lo = hi, dlo = dhi, hi += 5) {
        dhi = wham_u4(a, hi) - wham_u4(b, hi);
        if (dlo < 0 && dhi >= 0) {
            for (k = 0; k < 40 && hi - lo > 0.01; k++) {
                double mid = 0.5 * (lo + hi), dm = wham_u4(a, mid) - wham_u4(b, mid);
                if (dm < 0) lo = mid; else hi = mid;
            }
            return 0.5 * (lo + hi);
        }
    }
    return NAN;
}
/* The jackknife error of the n leave-one-block-out values v[0..n). */
static double jackknife_err(const double *v, int n)
{
    double mean = 0, var = 0;
    int b;
    for (b = 0; b < n; b++) mean += v[b] / n;
    for (b = 0; b < n; b++) var += (v[b] - mean) * (v[b] - mean);
    return sqrt(var * (n - 1) / n);
}
/* [out] tc, tc_err: T_c of two sizes' scans (same grid T[0..nT)) and its jackknife error over
   RW_NBLK blocks; *tc is NaN when the cumulants do not cross. Errors as wham_build's, and
   SANNIP_INVALID_ARGS when the scans' temperature counts differ. */
static sannip_result reweighted_tc(const series_rec *ra, const series_rec *rb, const double *T, double *tc, double *tc_err, sannip_error *err)
{
    wham h[2];
    double tj[RW_NBLK];
    int k, b, cap = ra->nT * RW_WALKERS * (ra->cap > rb->cap ? ra->cap : rb->cap);
    sannip_result rc = SANNIP_SUCCESS;
    if (ra->nT != rb->nT) return rw_fail(err, SANNIP_INVALID_ARGS, "reweighting: the two scans have %d and %d temperatures", ra->nT, rb->nT);
    if ((rc = wham_alloc(&h[0], cap, err)) != SANNIP_SUCCESS) return rc;
    if ((rc = wham_alloc(&h[1], cap, err)) != SANNIP_SUCCESS) { wham_free(&h[0]); return rc; }
    for (b = -1; b < RW_NBLK && rc == SANNIP_SUCCESS; b++) {
        double t;
        if ((rc = wham_build(&h[0], ra, T, b, err)) != SANNIP_SUCCESS || (rc = wham_build(&h[1], rb, T, b, err)) != SANNIP_SUCCESS) break;
        t = wham_crossing(&h[0], &h[1], T[0], T[ra->nT - 1]);
        if (b < 0) *tc = t; else tj[b] = t;
    }
    if (rc == SANNIP_SUCCESS) *tc_err = jackknife_err(tj, RW_NBLK);
    for (k = 0; k < 2; k++) wham_free(&h[k]);
    return rc;
}
#endif
