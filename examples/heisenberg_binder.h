/* heisenberg_binder.h - the dynamical and the Monte Carlo Curie temperature of the classical
   Heisenberg ferromagnet on the simple cubic lattice (J = 1, kB = 1, |S| = 1, L^3 spins, periodic),
   by one protocol (issue 15): at each temperature, independent chains from the FM state
   equilibrate and then sample m = |sum S|/n; U4 = 1 - <m^4>/(3 <m^2>^2) and <m> with
   jackknife errors over equal blocks (4 per chain); T_c is the crossing of U4(T) of two sizes
   (sannip_mc_binder_crossing). The chains are Langevin spin dynamics on a frozen lattice
   (sannip_sld, damping lambda, dt in fs with J = 1 eV: hbar/J = 0.658 fs) or Metropolis
   Monte Carlo walkers (sannip_mc_walkers, one per chain). Not library API: for
   tests/test_sld.c and bench/bench_sld.c; include after sannip_spin.h with its
   implementation. */
#ifndef HEISENBERG_BINDER_H
#define HEISENBERG_BINDER_H
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define HB_MAX_BLOCKS 256
typedef struct hb_blocks { int per_blk, in_blk, nb; long skip; double cur[3], blk[HB_MAX_BLOCKS][3]; } hb_blocks;
/* Block means of m, m^2, m^4 from the samples after skip. */
static void hb_add(hb_blocks *b, double m)
{
    int j;
    b->cur[0] += m; b->cur[1] += m * m; b->cur[2] += m * m * m * m;
    if (++b->in_blk < b->per_blk || b->nb == HB_MAX_BLOCKS) return;
    for (j = 0; j < 3; j++) { b->blk[b->nb][j] = b->cur[j] / b->per_blk; b->cur[j] = 0; }
    b->in_blk = 0; b->nb++;
}
static int hb_sld_sample(void *user, const sannip_sld_sample *s)
{
    hb_blocks *b = (hb_blocks *)user;
    if (s->step >= b->skip) hb_add(b, s->m);
    return 0;
}
static void hb_mc_sample(void *user, const sannip_mc_sample *s)
{
    hb_blocks *b = (hb_blocks *)user;   /* one walker at a time: sannip_mc_walkers is called per chain */
    if (s->phase == 1) hb_add(b, s->m);
}
/* <m> and U4 with jackknife errors over the blocks. */
static void hb_estimate(const hb_blocks *b, double *m, double *em, double *u, double *eu)
{
    double t[3] = { 0, 0, 0 }, s[2] = { 0, 0 }, q[2] = { 0, 0 }, e[HB_MAX_BLOCKS][2];
    int k, j, nb = b->nb;
    for (k = 0; k < nb; k++) for (j = 0; j < 3; j++) t[j] += b->blk[k][j];
    *m = t[0] / nb; *u = 1 - (t[2] / nb) / (3 * (t[1] / nb) * (t[1] / nb));
    for (k = 0; k < nb; k++) {
        double a0 = (t[0] - b->blk[k][0]) / (nb - 1), a1 = (t[1] - b->blk[k][1]) / (nb - 1), a2 = (t[2] - b->blk[k][2]) / (nb - 1);
        e[k][0] = a0; e[k][1] = 1 - a2 / (3 * a1 * a1);
        s[0] += e[k][0] / nb; s[1] += e[k][1] / nb;
    }
    for (k = 0; k < nb; k++) for (j = 0; j < 2; j++) q[j] += (e[k][j] - s[j]) * (e[k][j] - s[j]);
    *em = sqrt((nb - 1.0) / nb * q[0]); *eu = sqrt((nb - 1.0) / nb * q[1]);
}

/* Sites of the unit simple cubic lattice (frozen), FM spins along z, unit masses. */
static void hb_lattice(int L, double *pos, double *S, double *mass, double *cell)
{
    int i, n = L * L * L;
    for (i = 0; i < n; i++) {
        pos[3 * i] = i % L; pos[3 * i + 1] = (i / L) % L; pos[3 * i + 2] = i / (L * L); mass[i] = 1;
        S[3 * i] = S[3 * i + 1] = 0; S[3 * i + 2] = 1;
    }
    memset(cell, 0, 9 * sizeof(double));
    cell[0] = cell[4] = cell[8] = L;
}

/* One temperature kT (J), chains chains of equil + steps (Langevin steps or MC sweeps; a
   sample every `every`), from seed: <m>, U4 and their errors (out[4]). mc = 0: Langevin with
   lambda and dt; 1: Monte Carlo. SANNIP_SUCCESS or the first failure. */
static sannip_result hb_point(int L, double kT, int mc, int chains, long equil, long steps, int every,
                              double lambda, double dt, uint64_t seed, double *out, sannip_error *err)
{
    int n = L * L * L, k, i;
    double *pos = (double *)malloc(3 * (size_t)n * sizeof(double)), *S = (double *)malloc(3 * (size_t)n * sizeof(double));
    double *mass = (double *)malloc((size_t)n * sizeof(double)), cell[9];
    sannip_real *init = (sannip_real *)malloc(3 * (size_t)n * sizeof(sannip_real));
    hb_blocks *b = (hb_blocks *)calloc(1, sizeof *b);
    sannip_mc_heisenberg h;
    sannip_result r = SANNIP_OUT_OF_MEMORY;
    if (pos && S && mass && init && b && (r = sannip_mc_heisenberg_init(&h, L, 1.0, NULL, err)) == SANNIP_SUCCESS) {
        hb_lattice(L, pos, S, mass, cell);
        for (i = 0; i < 3 * n; i++) init[i] = (sannip_real)S[i];
        b->per_blk = (int)(steps / every / 4); b->skip = equil;
        for (k = 0; k < chains && r == SANNIP_SUCCESS; k++) {
            if (!mc) {
                static const int pbc[3] = { 1, 1, 1 };
                sannip_sld d;
                sannip_sld_config cfg = sannip_sld_config_init();
                sannip_sld_model model = sannip_sld_heisenberg_model(&h);
                cfg.dt = dt; cfg.frozen_lattice = 1; cfg.kB = 1; cfg.lambda = lambda; cfg.T_spin = kT; cfg.seed = seed + (uint64_t)k;
                cfg.tol = 1e-10; cfg.sample_every = every; cfg.on_sample = hb_sld_sample; cfg.sample_user = b;
                if ((r = sannip_sld_init(&d, &model, &cfg, n, pos, NULL, S, mass, cell, pbc, NULL, err)) == SANNIP_SUCCESS) {
                    r = sannip_sld_run(&d, equil + steps, err);
                    sannip_sld_uninit(&d);
                }
            } else {
                sannip_mc_model mm = sannip_mc_heisenberg_model(&h);
                sannip_mc_config cfg = sannip_mc_config_init(kT);
                const sannip_real *ip = init;
                cfg.kB = 1; cfg.equil = equil; cfg.length = steps; cfg.measure_every = every; cfg.skip_polar = 1;
                cfg.on_sample = hb_mc_sample; cfg.sample_user = b;
                r = sannip_mc_walkers(&mm, 1, &ip, &cfg, seed + (uint64_t)k, NULL, NULL, NULL, err);
            }
        }
        if (r == SANNIP_SUCCESS) hb_estimate(b, &out[0], &out[1], &out[2], &out[3]);
        sannip_mc_heisenberg_uninit(&h);
    }
    free(pos); free(S); free(mass); free(init); free(b);
    return r;
}

/* T_c (J) from the U4 crossing of sizes La < Lb over T[nT] (hb_point's parameters);
   [out, optional] mT (nT x 2 x 4: <m>, err, U4, err per size). */
static sannip_result hb_tc(int La, int Lb, int nT, const double *T, int mc, int chains, long equil, long steps, int every,
                           double lambda, double dt, uint64_t seed, double *Tc, double *Tc_err, double *mT, sannip_error *err)
{
    double u[2][16], eu[2][16], o[4];
    int l, t;
    sannip_result r = SANNIP_SUCCESS;
    if (nT > 16) return SANNIP_INVALID_ARGS;
    for (l = 0; l < 2 && r == SANNIP_SUCCESS; l++)
        for (t = 0; t < nT && r == SANNIP_SUCCESS; t++) {
            r = hb_point(l ? Lb : La, T[t], mc, chains, equil, steps, every, lambda, dt, seed + 1000 * (uint64_t)l + 100 * (uint64_t)t, o, err);
            u[l][t] = o[2]; eu[l][t] = o[3];
            if (mT) memcpy(mT + 8 * t + 4 * l, o, sizeof o);
        }
    return r != SANNIP_SUCCESS ? r : sannip_mc_binder_crossing(nT, T, u[0], eu[0], u[1], eu[1], 0, Tc, Tc_err, err);
}
#endif
