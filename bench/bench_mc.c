/* Spin Monte Carlo benchmark (sannip_spin.h, SPEC 11):
   (a) the Holm & Janke check: Binder-cumulant U4(T) of the nearest-neighbour classical
       Heisenberg model on simple cubic L x L x L lattices, L = 8, 12, 16, over a temperature
       grid around k_B T_c/J = 1.443; T_c from the crossings of the three pairs of curves
       (target: within 1.5% of 1.443);
   (b) speed: attempted first-order moves per second of the built-in Heisenberg model
       (local dE) and of the naive full-energy adapter (E(spins) recomputed every move) on
       the same L = 16 lattice, one thread, and their ratio;
   (c) a Curie scan of L = 8 from an FM start (carrying the state up in T, T4.3.3) with its
       susceptibility peak, written as CSV for examples/plot_mc.py, with the Binder scans;
   (d) attempted moves per second of a SANNIP model (thesis presets, r_c = 6 A) with local
       energy changes on bcc Fe of 128, 2000 and 16000 atoms, and of recomputing the full
       energy per move on 2000 atoms (targets: <= 20% drop from 128 to 16000; >= 100x).
   Usage: bench_mc [quick] [sannip] [OUTDIR]   (quick: 1/8 of the sweeps; sannip: only (d);
   CSV files go to OUTDIR,
   default build). Prints figures as "name: value" lines at the end; exits non-zero only
   when a call fails, never because of a time or of the T_c found. Walkers run in parallel
   with OpenMP (results do not depend on the thread count). */
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define BUSY_SHARE 0.9
#define BENCH_PROG "bench_mc"
#include "bench_util.h"

#define TC_REF 1.443               /* Holm & Janke 1993: beta_c = 0.6929 */
#define N_SIZES 3
#define N_TEMPS 5
#define N_WALKERS 2                /* per lattice size: one per core */
#define SPEED_SECONDS 1.0          /* per speed figure (best of 3 runs) */

static const int sizes[N_SIZES] = { 8, 12, 16 };
static int quick = 0;


/* Builds n_walkers Heisenberg models of size L (J = 1) and their interfaces. */
static void heisenberg_walkers(int L, int nw, sannip_mc_heisenberg *h, sannip_mc_model *models)
{
    sannip_error err;
    int w;
    for (w = 0; w < nw; w++) {
        if (sannip_mc_heisenberg_init(&h[w], L, 1.0, NULL, &err) != SANNIP_SUCCESS) die("Heisenberg model", &err);
        models[w] = sannip_mc_heisenberg_model(&h[w]);
    }
}

static void write_csv(const char *dir, const char *name, int n, const sannip_mc_stats *st)
{
    char path[1024];
    sannip_text t;
    sannip_error err;
    sannip_text_init(&t, NULL);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (sannip_mc_write_csv(&t, n, st, &err) != SANNIP_SUCCESS ||
        sannip_write_file_atomic(path, t.s, t.len, &err) != SANNIP_SUCCESS)
        printf("    (could not write %s: %s)\n", path, err.message);
    else
        printf("    wrote %s\n", path);
    sannip_text_uninit(&t);
}

/* ---- (a) Binder crossings ------------------------------------------------------------- */
static void bench_binder(const char *dir)
{
    double T[N_TEMPS], u[N_SIZES][N_TEMPS], eu[N_SIZES][N_TEMPS];
    double tc[N_SIZES], etc[N_SIZES], sw = 0, swx = 0, best_err = 1e300, Tc, t0, c0, dt;
    int l, t, p, pairs[N_SIZES][2] = { { 0, 1 }, { 1, 2 }, { 0, 2 } }, npairs = 0;
    char name[64];
    sannip_error err;
    for (t = 0; t < N_TEMPS; t++) T[t] = 1.425 + 0.01 * t;
    printf("\n(a) Binder cumulant U4 = 1 - <m^4>/(3<m^2>^2), sc Heisenberg, J = 1, first-order moves (adaptive step),\n"
           "    FM start carried up the grid, %d walkers per size in parallel\n", N_WALKERS);
    for (l = 0; l < N_SIZES; l++) {
        int L = sizes[l];
        sannip_mc_heisenberg h[N_WALKERS];
        sannip_mc_model models[N_WALKERS];
        sannip_mc_stats st[N_TEMPS];
        sannip_mc_config cfg = sannip_mc_config_init(1);
        sannip_real *s;
        heisenberg_walkers(L, N_WALKERS, h, models);
        s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)h[0].n);
        if (!s || sannip_mc_spins_start(SANNIP_MC_START_FM, h[0].n, 1, NULL, NULL, NULL, s, &err) != SANNIP_SUCCESS) die("start", &err);
        cfg.kB = 1;
        cfg.equil = quick ? 250 : 2000;        /* carried from the previous temperature */
        cfg.length = quick ? 5000 : 40000;
        cfg.skip_polar = 1;
        cfg.n_blocks = 16;                     /* long batches: autocorrelation ~L^2 sweeps */
        t0 = now(); c0 = cpu_now();
        if (sannip_mc_curie_scan(models, N_WALKERS, s, N_TEMPS, T, 1, &cfg, 1000 + (uint64_t)L, st, NULL, &err) != SANNIP_SUCCESS)
            die("Curie scan", &err);
        dt = now() - t0;
        printf("    L = %2d (%5d spins), %lld + %lld sweeps per temperature per walker, %.1f s (CPU share %.2f)\n",
               L, h[0].n, (long long)cfg.equil, (long long)cfg.length, dt, (cpu_now() - c0) / (dt * N_WALKERS));
        printf("      %7s %9s %9s %9s %9s %9s %7s\n", "kT/J", "U4", "+-", "<m>", "chi", "+-", "acc");
        for (t = 0; t < N_TEMPS; t++) {
            u[l][t] = st[t].u4.mean; eu[l][t] = st[t].u4.err;
            printf("      %7.3f %9.5f %9.5f %9.5f %9.3f %9.3f %7.3f\n", T[t], st[t].u4.mean, st[t].u4.err, st[t].m.mean,
                   st[t].chi.mean, st[t].chi.err, st[t].acceptance);
        }
        snprintf(name, sizeof name, "mc_binder_L%d.csv", L);
        write_csv(dir, name, N_TEMPS, st);
        free(s);
        for (t = 0; t < N_WALKERS; t++) sannip_mc_heisenberg_uninit(&h[t]);
    }
    /* crossings of the three pairs; combined as a weighted mean whose error is that of the
       best pair (the pairs share data, so 1/sqrt(sum w) would be too optimistic) */
    for (p = 0; p < N_SIZES; p++) {
        int a = pairs[p][0], b = pairs[p][1];
        if (sannip_mc_binder_crossing(N_TEMPS, T, u[a], eu[a], u[b], eu[b], 1, &tc[p], &etc[p], &err) != SANNIP_SUCCESS) {
            printf("    L = %d / %d: %s\n", sizes[a], sizes[b], err.message);
            continue;
        }
        printf("    crossing L = %2d / %2d: kT_c/J = %.4f +- %.4f (%+.2f%% from %.3f)\n", sizes[a], sizes[b], tc[p], etc[p],
               100 * (tc[p] / TC_REF - 1), TC_REF);
        snprintf(name, sizeof name, "kTc/J crossing L%d-L%d", sizes[a], sizes[b]);
        record(name, tc[p], "", 1);
        snprintf(name, sizeof name, "kTc/J crossing L%d-L%d error", sizes[a], sizes[b]);
        record(name, etc[p], "", 1);
        if (etc[p] > 0) { sw += 1 / (etc[p] * etc[p]); swx += tc[p] / (etc[p] * etc[p]); }
        if (etc[p] < best_err) best_err = etc[p];
        npairs++;
    }
    if (npairs > 0 && sw > 0) {
        Tc = swx / sw;
        printf("    Binder estimate: kT_c/J = %.4f +- %.4f, deviation from %.3f: %+.2f%% (target within 1.5%%)\n",
               Tc, best_err, TC_REF, 100 * (Tc / TC_REF - 1));
        record("kTc/J Binder", Tc, "", 1);
        record("kTc/J Binder error", best_err, "", 1);
        record("kTc/J Binder relative deviation from 1.443", Tc / TC_REF - 1, "", 1);
    }
}

/* ---- (b) moves per second ------------------------------------------------------------- */
/* Attempted moves per CPU second: best of 3 runs of >= SPEED_SECONDS of CPU time, one thread. */
/* One timed run of a chain: attempted moves per CPU second over >= seconds of CPU time, kept in
   *best when higher, with the CPU share of that run. */
static void moves_run(sannip_mc *mc, double seconds, double *best, double *share)
{
    sannip_error err;
    double t0 = now(), c0 = cpu_now(), t;
    int64_t a0 = mc->attempted;
    int chunk = 1;   /* grows while the moves are fast, so slow models stop on time */
    do {
        int i;
        for (i = 0; i < chunk; i++)
            if (sannip_mc_attempt(mc, NULL, &err) != SANNIP_SUCCESS) die("move", &err);
        t = cpu_now() - c0;   /* CPU time: the machine may be shared */
        if (chunk < 256 && t < 0.01 * seconds) chunk *= 2;
    } while (t < seconds);
    if ((double)(mc->attempted - a0) / t > *best) { *best = (double)(mc->attempted - a0) / t; *share = t / (now() - t0); }
}
static void chain_init(sannip_mc *mc, const sannip_mc_model *model, const sannip_real *s, const sannip_mc_config *c)
{
    sannip_rng rng;
    sannip_error err;
    sannip_mc_config cfg = *c;
    sannip_mc_rng_stream(7, 0, &rng);
    if (sannip_mc_init(mc, model, s, &cfg, &rng, NULL, &err) != SANNIP_SUCCESS) die("chain", &err);
}
/* Attempted moves per second: the best of 3 runs. */
static double moves_per_second_cfg(const sannip_mc_model *model, const sannip_real *s, const sannip_mc_config *c,
                                   double seconds, double *share)
{
    sannip_mc mc;
    double best = 0;
    int run;
    chain_init(&mc, model, s, c);
    *share = 1;
    for (run = 0; run < 3; run++) moves_run(&mc, seconds, &best, share);
    sannip_mc_uninit(&mc);
    return best;
}
static double moves_per_second(const sannip_mc_model *model, const sannip_real *s, double *share)
{
    sannip_mc_config cfg = sannip_mc_config_init(TC_REF);
    cfg.kB = 1;
    cfg.step = 0.9;        /* about the adapted step at T_c (acceptance ~0.5) */
    return moves_per_second_cfg(model, s, &cfg, SPEED_SECONDS, share);
}

static void bench_speed(void)
{
    const int L = 16;
    sannip_mc_heisenberg h, lattice;
    sannip_mc_full naive;
    sannip_mc_model mh, mn;
    sannip_error err;
    sannip_rng rng;
    sannip_real *s;
    double vh, vn, sh, sn;
#ifdef _OPENMP
    int nt0 = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    heisenberg_walkers(L, 1, &h, &mh);
    heisenberg_walkers(L, 1, &lattice, &mn);
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)h.n);
    sannip_rng_seed(&rng, 3);
    if (!s || sannip_mc_spins_start(SANNIP_MC_START_PM, h.n, 1, NULL, NULL, &rng, s, &err) != SANNIP_SUCCESS) die("start", &err);
    if (sannip_mc_full_init(&naive, h.n, s, sannip_mc_heisenberg_energy, &lattice, NULL, &err) != SANNIP_SUCCESS) die("adapter", &err);
    mn = sannip_mc_full_model(&naive);
    printf("\n(b) attempted first-order moves per second, L = %d (%d spins), kT = %.3f J, step 0.9, 1 thread\n", L, h.n, TC_REF);
    vh = moves_per_second(&mh, s, &sh);
    printf("    built-in Heisenberg model (local dE):     %12.4g moves/s (%.1f ns/move)%s\n", vh, 1e9 / vh, busy(sh));
    vn = moves_per_second(&mn, s, &sn);
    printf("    naive full-energy adapter (E per move):   %12.4g moves/s (%.1f us/move)%s\n", vn, 1e6 / vn, busy(sn));
    printf("    ratio built-in / naive: %.0fx (the naive cost grows with N, the local one does not)\n", vh / vn);
    record("moves/s Heisenberg built-in L16", vh, "1/s", sh);
    record("moves/s naive full-energy adapter L16", vn, "1/s", sn);
    record("moves/s ratio built-in / naive", vh / vn, "x", sh < sn ? sh : sn);
    sannip_mc_full_uninit(&naive);
    sannip_mc_heisenberg_uninit(&h);
    sannip_mc_heisenberg_uninit(&lattice);
    free(s);
#ifdef _OPENMP
    omp_set_num_threads(nt0);
#endif
}

/* ---- (d) a spin-aware network: local moves vs recomputing the energy per move ----------- */
typedef struct full_fe { const sannip_model *m; sannip_system sys; sannip_workspace ws; } full_fe;
static sannip_result full_fe_energy(void *user, int n, const sannip_real *spins, double *E)
{
    full_fe *f = (full_fe *)user;
    sannip_real e = 0;
    sannip_result r;
    f->sys.spins = spins; f->sys.n = n;
    r = sannip_model_compute(f->m, &f->ws, &f->sys, &e, NULL, NULL, NULL, NULL);
    *E = e;
    return r;
}
/* bcc Fe, L^3 conventional cells (a = 2.87 A), PM spins of magnitude 2.2 mu_B */
static void bcc_fe(int L, sannip_real *pos, int *Z, sannip_real *spins, sannip_real *cell, sannip_rng *rng)
{
    int i, j, k, b, n = 0;
    for (i = 0; i < 9; i++) cell[i] = 0;
    cell[0] = cell[4] = cell[8] = (sannip_real)(2.87 * L);
    for (i = 0; i < L; i++) for (j = 0; j < L; j++) for (k = 0; k < L; k++) for (b = 0; b < 2; b++) {
        pos[3 * n] = (sannip_real)(2.87 * (i + 0.5 * b)); pos[3 * n + 1] = (sannip_real)(2.87 * (j + 0.5 * b)); pos[3 * n + 2] = (sannip_real)(2.87 * (k + 0.5 * b));
        Z[n] = 26; n++;
    }
    sannip_spin_magnitude mag = { (sannip_real)2.2, 0 };
    sannip_spin_pm(n, &mag, rng, spins, NULL);
}
static void bench_sannip(void)
{
    static const int Ls[3] = { 4, 10, 20 };    /* 128, 2000, 16000 atoms */
    sannip_model m;
    sannip_error err;
    sannip_rng rng;
    int h[2] = { 25, 25 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH }, c, run;
    double v[3], sh[3], vfull = 0, shfull = 1;
    struct {
        sannip_real *pos, *sp, cell[9];
        int *Z;
        sannip_system sys;
        sannip_spin_local loc;
        sannip_mc_model mm;
        sannip_mc mc;
        double built;
    } sz[3];
    sannip_mc_config cfg = sannip_mc_config_init(1000);   /* kelvin, eV */
#ifdef _OPENMP
    int nt0 = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    cfg.step = 0.5; cfg.magnitude = SANNIP_MC_MAG_NORMAL; cfg.mag_a = 2.2; cfg.mag_b = 0.1;
    sannip_model_init(&m, NULL);
    if (sannip_descriptors_preset_sannip(&m.desc, 26, &err) || sannip_model_add_element(&m, 26, 2, h, act, &err)) die("SANNIP model", &err);
    sannip_rng_seed(&rng, 5);
    sannip_model_init_weights(&m, &rng);
    printf("\n(d) SANNIP model (T A.2: 24 G2 + 18 G4 + 8 S1G + 12 S2G, r_c = 6 A, 62-25-25-1 tanh), bcc Fe,\n"
           "    first-order moves with magnitude draws at 1000 K, 1 thread\n");
    /* the three sizes' local states and chains side by side, their timed runs interleaved
       (run 1 of each size, then run 2, ...), so a busy spell of the machine touches every
       size alike and the 16000 / 128 ratio stays same-run */
    for (c = 0; c < 3; c++) {
        int L = Ls[c], n = 2 * L * L * L;
        double t0;
        sz[c].pos = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n); sz[c].sp = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
        sz[c].Z = (int *)malloc(sizeof(int) * (size_t)n);
        if (!sz[c].pos || !sz[c].sp || !sz[c].Z) die("memory", NULL);
        bcc_fe(L, sz[c].pos, sz[c].Z, sz[c].sp, sz[c].cell, &rng);
        memset(&sz[c].sys, 0, sizeof sz[c].sys);
        sz[c].sys.n = n; sz[c].sys.pos = sz[c].pos; sz[c].sys.Z = sz[c].Z; sz[c].sys.spins = sz[c].sp;
        sz[c].sys.pbc[0] = sz[c].sys.pbc[1] = sz[c].sys.pbc[2] = 1;
        memcpy(sz[c].sys.cell, sz[c].cell, sizeof sz[c].cell);
        t0 = now();
        if (sannip_spin_local_init(&sz[c].loc, &m, &sz[c].sys, NULL, &err) != SANNIP_SUCCESS) die("local model", &err);
        sz[c].built = now() - t0;
        sz[c].mm = sannip_spin_local_mc_model(&sz[c].loc);
        chain_init(&sz[c].mc, &sz[c].mm, sz[c].sp, &cfg);
        v[c] = 0; sh[c] = 1;
    }
    for (run = 0; run < 3; run++)
        for (c = 0; c < 3; c++) moves_run(&sz[c].mc, quick ? 0.3 : SPEED_SECONDS, &v[c], &sh[c]);
    for (c = 0; c < 3; c++) {
        int n = sz[c].sys.n;
        printf("    %5d atoms: local state built in %.2f s, %10.4g attempted moves/s (%.1f us/move)%s\n", n, sz[c].built, v[c], 1e6 / v[c], busy(sh[c]));
        if (n == 2000) {
            full_fe f;
            sannip_mc_full naive;
            sannip_mc_model mm;
            f.m = &m; f.sys = sz[c].sys; sannip_workspace_init(&f.ws, NULL);
            if (sannip_mc_full_init(&naive, n, sz[c].sp, full_fe_energy, &f, NULL, &err) != SANNIP_SUCCESS) die("adapter", &err);
            mm = sannip_mc_full_model(&naive);
            vfull = moves_per_second_cfg(&mm, sz[c].sp, &cfg, quick ? 0.3 : SPEED_SECONDS, &shfull);
            printf("           recomputing the energy per move: %10.4g moves/s (%.1f ms/move)%s\n", vfull, 1e3 / vfull, busy(shfull));
            sannip_mc_full_uninit(&naive); sannip_workspace_uninit(&f.ws);
        }
    }
    for (c = 0; c < 3; c++) {
        sannip_mc_uninit(&sz[c].mc);
        sannip_spin_local_uninit(&sz[c].loc);
        free(sz[c].pos); free(sz[c].sp); free(sz[c].Z);
    }
    printf("    rate 16000 / 128 atoms: %.2f (target >= 0.8); local / full recompute at 2000 atoms: %.0fx (target >= 100x)\n", v[2] / v[0], v[1] / vfull);
    record("SANNIP MC moves/s 128 atoms", v[0], "1/s", sh[0]);
    record("SANNIP MC moves/s 2000 atoms", v[1], "1/s", sh[1]);
    record("SANNIP MC moves/s 16000 atoms", v[2], "1/s", sh[2]);
    record("SANNIP MC rate 16000/128", v[2] / v[0], "x", sh[0] < sh[2] ? sh[0] : sh[2]);
    record("SANNIP MC full recompute moves/s 2000 atoms", vfull, "1/s", shfull);
    record("SANNIP MC local/full ratio 2000 atoms", v[1] / vfull, "x", sh[1] < shfull ? sh[1] : shfull);
    sannip_model_uninit(&m);
#ifdef _OPENMP
    omp_set_num_threads(nt0);
#endif
}

/* ---- (c) Curie scan for the figure ---------------------------------------------------- */
static void bench_curie(const char *dir)
{
    enum { NT = 14 };
    const int L = 8;
    sannip_mc_heisenberg h[N_WALKERS];
    sannip_mc_model models[N_WALKERS];
    sannip_mc_stats st[NT];
    sannip_mc_config cfg = sannip_mc_config_init(1);
    sannip_error err;
    sannip_real *s;
    double T[NT], chi[NT], echi[NT], Tc, dTc, t0 = now();
    int t;
    for (t = 0; t < NT; t++) T[t] = 0.2 + 0.2 * t;
    heisenberg_walkers(L, N_WALKERS, h, models);
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)h[0].n);
    if (!s || sannip_mc_spins_start(SANNIP_MC_START_FM, h[0].n, 1, NULL, NULL, NULL, s, &err) != SANNIP_SUCCESS) die("start", &err);
    cfg.kB = 1;
    cfg.equil = quick ? 500 : 2000;
    cfg.length = quick ? 2000 : 8000;
    cfg.measure_every = 2;
    if (sannip_mc_curie_scan(models, N_WALKERS, s, NT, T, 1, &cfg, 77, st, NULL, &err) != SANNIP_SUCCESS) die("Curie scan", &err);
    printf("\n(c) Curie scan L = %d, FM start carried up in T (T4.3.3), %.1f s\n", L, now() - t0);
    printf("      %7s %8s %8s %8s %8s %8s\n", "kT/J", "<m>", "ratio", "polar", "U4", "chi");
    for (t = 0; t < NT; t++)
        printf("      %7.2f %8.4f %8.4f %8.4f %8.4f %8.2f\n", T[t], st[t].m.mean, st[t].ratio.mean, st[t].polar.mean,
               st[t].u4.mean, st[t].chi.mean);
    for (t = 0; t < NT; t++) { chi[t] = st[t].chi.mean; echi[t] = st[t].chi.err; }
    if (sannip_mc_chi_peak(NT, T, chi, echi, &Tc, &dTc, &err) == SANNIP_SUCCESS) {
        printf("    susceptibility peak: kT/J = %.3f +- %.3f (L = %d, grid step 0.2; the finite-size peak lies above T_c)\n", Tc, dTc, L);
        record("kT/J chi peak L8", Tc, "", 1);
    } else {
        printf("    susceptibility peak: %s\n", err.message);
    }
    write_csv(dir, "mc_curie_L8.csv", NT, st);
    free(s);
    for (t = 0; t < N_WALKERS; t++) sannip_mc_heisenberg_uninit(&h[t]);
}

int main(int argc, char **argv)
{
    const char *dir = "build";
    double t0 = now();
    int i, only_sannip = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "quick")) quick = 1;
        else if (!strcmp(argv[i], "sannip")) only_sannip = 1;
        else dir = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_mc: sannip %d.%d.%d (%s), %d processor(s)%s%s\n", SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR,
           SANNIP_VERSION_PATCH, sizeof(sannip_real) == 8 ? "double" : "float", n_procs(),
#ifdef _OPENMP
           ", OpenMP",
#else
           ", no OpenMP (walkers run one after another)",
#endif
           quick ? ", quick run (1/8 of the sweeps)" : "");
    print_load("at start");
    if (!only_sannip) bench_speed();
    bench_sannip();
    if (!only_sannip) { bench_binder(dir); bench_curie(dir); }
    printf("\n");
    print_load("at end");
    printf("\n");
    print_figures();
    printf("bench_mc: %.0f s\n", now() - t0);
    return 0;
}
