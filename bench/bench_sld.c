/* bench_sld - spin-lattice dynamics (sannip_spin.h section 7) on toy iron (examples/toyiron.h):
   cost per atom and step at 2000 and 16000 atoms (bcc, 300 K, perturbed-FM spins), relative
   to one energy+force+field evaluation; then the NVE run of issue 15 (2000 atoms, 1 fs):
   energy drift, |S_i| conservation and time reversal, over 1 ps (default) or, with
   --full [SEEDS] (make sld-headline), 10 ps and 1000 steps forward and back for seeds 1..SEEDS
   (default 5) with mean +- sd; with --tc [CHAINS] (make sld-tc), the dynamical Curie temperature
   of the Heisenberg model against Monte Carlo's. One thread; CPU time of the process. */
#define BENCH_PROG "bench_sld"
#define BUSY_SHARE 0.5
#define SANNIP_IMPLEMENTATION
#include "../sannip_spin.h"
#include "../examples/toyiron.h"
#include "../examples/heisenberg_binder.h"
#include "bench_util.h"
#include <string.h>


/* A rattled bcc crystal of m^3 cells, perturbed-FM spins (|S| = 1.1, sigma 0.4), 300 K, seed 1. */
static int start(toyiron_sld *a, sannip_sld *d, int m)
{
    sannip_error err;
    int n;
    if (toyiron_sld_start(a, d, m, NULL, 300, 1, &n, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); exit(1); }
    return n;
}

static void cost(int m, int steps)
{
    toyiron_sld a;
    sannip_sld d;
    sannip_error err;
    double t0, te, ts, E;
    long calls;
    int n = start(&a, &d, m), k;
    t0 = cpu_now();
    for (k = 0; k < 3; k++) { a.have = 0; d.model.compute(d.model.user, d.pos, d.spins, &E, d.forces, d.field); }
    te = (cpu_now() - t0) / 3;
    calls = d.n_field_calls;
    t0 = cpu_now();
    for (k = 0; k < steps; k++) if (sannip_sld_step(&d, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); exit(1); }
    ts = (cpu_now() - t0) / steps;
    printf("  %5d atoms: SLD step %.2f us/atom (%.0f atom-steps/s, %.1f steps/s), one E+F+field evaluation %.2f us/atom: step / evaluation %.1f; %d sectors, %.0f field calls per step\n",
           n, 1e6 * ts / n, n / ts, 1 / ts, 1e6 * te / n, ts / te, d.n_sectors, (double)(d.n_field_calls - calls) / steps);
    sannip_sld_uninit(&d); toyiron_sld_uninit(&a);
}

/* One NVE run of seed: [out] r = drift (eV/atom/ps), largest relative change of |S_i|,
   time-reversal error of the positions (A) and spins (hbar) after back steps forward and back. */
static void nve(long steps, long back, uint64_t seed, double *r)
{
    toyiron_sld a;
    sannip_sld d;
    sannip_sld_sample s0, s;
    sannip_error err;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, wn = 0, dx = 0, ds = 0, *keep, t0 = cpu_now();
    int n, i;
    long k, nc;
    if (toyiron_sld_start(&a, &d, 10, NULL, 300, seed, &n, &err) != SANNIP_SUCCESS) die("start", &err);
    sannip_sld_observe(&d, &s0);
    for (k = 1; k <= steps; k++) {
        if (sannip_sld_step(&d, &err) != SANNIP_SUCCESS) die("step", &err);
        sannip_sld_observe(&d, &s);
        sx += s.t; sy += s.E_total; sxx += s.t * s.t; sxy += s.t * s.E_total;
    }
    for (i = 0; i < n; i++) {
        const double *S = d.spins + 3 * i;
        double x = fabs(sqrt(S[0] * S[0] + S[1] * S[1] + S[2] * S[2]) - d.smag[i]) / d.smag[i];
        if (x > wn) wn = x;
    }
    r[0] = (steps * sxy - sx * sy) / (steps * sxx - sx * sx) * 1000 / n; r[1] = wn;
    printf("  seed %d: NVE %d atoms, 1 fs, %.1f ps: energy drift %+.3g eV/atom/ps (E %.6f -> %.6f eV/atom), largest relative change of |S_i| %.2g, T_lat %.0f K, T_spin %.0f K (%.0f s)\n",
           (int)seed, n, steps / 1000.0, r[0], s0.E_total / n, s.E_total / n, wn, s.T_lattice, s.T_spin, cpu_now() - t0);
    keep = (double *)malloc(6 * (size_t)n * sizeof(double));
    memcpy(keep, d.pos, 3 * (size_t)n * sizeof(double)); memcpy(keep + 3 * n, d.spins, 3 * (size_t)n * sizeof(double));
    nc = d.n_colorings;
    for (k = 0; k < back; k++) if (sannip_sld_step(&d, &err) != SANNIP_SUCCESS) die("step", &err);
    sannip_sld_reverse(&d);
    for (k = 0; k < back; k++) if (sannip_sld_step(&d, &err) != SANNIP_SUCCESS) die("step", &err);
    sannip_sld_reverse(&d);
    for (i = 0; i < 3 * n; i++) {
        if (fabs(d.pos[i] - keep[i]) > dx) dx = fabs(d.pos[i] - keep[i]);
        if (fabs(d.spins[i] - keep[3 * n + i]) > ds) ds = fabs(d.spins[i] - keep[3 * n + i]);
    }
    r[2] = dx; r[3] = ds;
    printf("          time reversal, %ld steps forward and back: positions %.2g A, spins %.2g hbar (%ld recolourings)\n", back, dx, ds, d.n_colorings - nc);
    free(keep);
    sannip_sld_uninit(&d); toyiron_sld_uninit(&a);
}

/* The headline NVE run of issue 15 over seeds 1..n_seeds: each figure as mean +- sd and worst. */
static void headline(long steps, long back, int n_seeds)
{
    static const char *what[4] = { "energy drift, eV/atom/ps", "largest relative change of |S_i|", "time reversal, positions (A)", "time reversal, spins (hbar)" };
    double r[16][4], m, sd, worst;
    int k, j;
    for (k = 0; k < n_seeds; k++) nve(steps, back, (uint64_t)k + 1, r[k]);
    printf("  over %d seeds (mean +- sd, largest |value|):\n", n_seeds);
    for (j = 0; j < 4; j++) {
        m = sd = worst = 0;
        for (k = 0; k < n_seeds; k++) { m += r[k][j] / n_seeds; if (fabs(r[k][j]) > worst) worst = fabs(r[k][j]); }
        for (k = 0; k < n_seeds; k++) sd += (r[k][j] - m) * (r[k][j] - m);
        sd = n_seeds > 1 ? sqrt(sd / (n_seeds - 1)) : 0;
        printf("    %-34s %+.3g +- %.2g   (largest %.3g)\n", what[j], m, sd, worst);
    }
}

/* The dynamical T_c of issue 15: Binder crossings of L = 4 and 6 of the sc Heisenberg model
   from Langevin spin dynamics (lambda 1, dt 0.1 hbar/J-scaled fs) and from Monte Carlo, one
   protocol (examples/heisenberg_binder.h), `chains` independent chains per point. */
static void dynamical_tc(int chains)
{
    const double T[5] = { 1.40, 1.42, 1.44, 1.46, 1.48 };
    double td, ed, tm, em, mt[2][40], t0 = cpu_now(), t1;
    sannip_error err;
    int t;
    printf("  dynamical T_c: sc Heisenberg (J = kB = 1), L = 4 and 6, %d chains per point; Langevin lambda 1, dt 0.1 fs (J = 1 eV), 1000 + 10000 steps (m every 5); MC 1000 + 20000 sweeps (m every 2)\n", chains);
    if (hb_tc(4, 6, 5, T, 0, chains, 1000, 10000, 5, 1.0, 0.1, 31, &td, &ed, mt[0], &err) != SANNIP_SUCCESS) die("Langevin crossing", &err);
    t1 = cpu_now();
    if (hb_tc(4, 6, 5, T, 1, chains, 1000, 20000, 2, 0, 0, 37, &tm, &em, mt[1], &err) != SANNIP_SUCCESS) die("MC crossing", &err);
    for (t = 0; t < 5; t++)
        printf("    kT/J %.2f  U4(4) %.4f +- %.4f  U4(6) %.4f +- %.4f (Langevin)   U4(4) %.4f +- %.4f  U4(6) %.4f +- %.4f (MC)\n", T[t],
               mt[0][8 * t + 2], mt[0][8 * t + 3], mt[0][8 * t + 6], mt[0][8 * t + 7], mt[1][8 * t + 2], mt[1][8 * t + 3], mt[1][8 * t + 6], mt[1][8 * t + 7]);
    printf("    Binder crossing kT_c/J: Langevin %.4f +- %.4f, MC %.4f +- %.4f: %+.2f %% (%.1f combined sigma; %.0f s + %.0f s)\n", td, ed, tm, em,
           100 * (td / tm - 1), fabs(td - tm) / sqrt(ed * ed + em * em), t1 - t0, cpu_now() - t1);
}

int main(int argc, char **argv)
{
    /* --full [SEEDS]: the 10 ps headline run (2000 atoms) over SEEDS seeds (default 5) */
    int full = argc > 1 && strcmp(argv[1], "--full") == 0, seeds = full && argc > 2 ? atoi(argv[2]) : 5;
    int tc = argc > 1 && strcmp(argv[1], "--tc") == 0, chains = tc && argc > 2 ? atoi(argv[2]) : 8;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_sld: spin-lattice dynamics of toy iron (bcc, 300 K, perturbed-FM spins), one thread\n");
    if (seeds < 1 || seeds > 16) { fprintf(stderr, "bench_sld: 1 to 16 seeds\n"); return 2; }
    if (tc) { if (chains < 2 || chains > 64) { fprintf(stderr, "bench_sld: 2 to 64 chains\n"); return 2; } dynamical_tc(chains); return 0; }
    if (!full) {
        double r[4];
        cost(10, 20);
        cost(20, 4);
        nve(1000, 200, 1, r);
    } else headline(10000, 1000, seeds);
    return 0;
}
