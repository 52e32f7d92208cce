/* Inference benchmark of sannip.h: microseconds per atom for energy (+ forces), on
   (a) the n2p2 RPBE-D3 water potential and a 1080-atom liquid, checked against n2p2's own
       prediction (the speed ratio against n2p2 is bench_n2p2's, measured in the same run);
   (b) bcc Fe, 2000 atoms, the thesis's BP descriptor preset (24 G2 + 18 G4, rc = 6 A) and a
       2x25 tanh network with random parameters;
   (c) the same Fe model at 1k, 8k, 27k and 64k atoms (time per atom should stay flat);
   (d) OpenMP speed-up with 2 threads (Fe 8k and water).
   Every figure is the best of BENCH_RUNS runs, each repeating the call for at least
   BENCH_MIN_RUN seconds (CLOCK_MONOTONIC). Single-threaded unless said otherwise.
   Usage: bench_inference [water] [fe] [scaling] [noomp]   (default: everything)
   Prints figures only; exits non-zero when a call fails or the water prediction does not
   match n2p2's (a benchmark of a wrong result is meaningless), never because of a time.
   See bench/README.md for what each figure means. */
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define BENCH_RUNS 3
#define BENCH_MIN_RUN 0.3          /* seconds per run */
#define BENCH_LONG_CALL 1.0        /* a first call this long counts as a run (see measure) */
#define BUSY_SHARE 0.9             /* CPU share below which a figure is flagged */
#define BENCH_PROG "bench_inference"
#include "bench_util.h"

/* Sections to run (command-line selection; all by default). */
static int do_water = 1, do_fe = 1, do_scaling = 1, do_omp = 1;
static int n_threads = 1;          /* threads of the timed calls */

static void set_threads(int t)
{
    n_threads = t;
#ifdef _OPENMP
    omp_set_num_threads(t);
#endif
}


/* The machine's load (Linux /proc/loadavg): 1-minute average and tasks running now
   (this process included). Other work on the machine inflates every figure. */

/* ---- the timed operations ------------------------------------------------------------- */
enum { OP_EF, OP_E, OP_NL, OP_FEAT };
typedef struct job {
    const sannip_model *m;
    sannip_workspace *ws;
    sannip_neighbors *nl;
    const sannip_system *sys;
    sannip_real *F, *G;
    int stride;                    /* row length of G (largest n_features) */
    sannip_real E;
    int op;
} job;


static void job_run(job *j)
{
    sannip_error err;
    sannip_result r = SANNIP_SUCCESS;
    switch (j->op) {
    case OP_EF:   r = sannip_model_compute(j->m, j->ws, j->sys, &j->E, NULL, j->F, NULL, &err); break;
    case OP_E:    r = sannip_model_compute(j->m, j->ws, j->sys, &j->E, NULL, NULL, NULL, &err); break;
    case OP_NL:   r = sannip_neighbors_build(j->nl, j->sys, j->m->cutoff, &err); break;
    case OP_FEAT: r = sannip_model_features(j->m, j->ws, j->sys, j->G, j->stride, &err); break;
    }
    if (r != SANNIP_SUCCESS) die("timed call failed", &err);
}

/* A measured figure: seconds per call, and the CPU share of the best run, i.e. its CPU
   time / (wall time x threads). Well below 1 means other processes took the
   processor(s) and the time is inflated. */
typedef struct fig { double t, share; } fig;

/* Best time of one call over BENCH_RUNS runs of >= BENCH_MIN_RUN s each. The first call
   grows the workspace and faults its pages in: it is a warm-up, except when it alone
   lasts >= BENCH_LONG_CALL s (large systems), where that set-up is far below 1% of the
   call, and it counts as the first run (this saves one long call per large case). */
static fig measure(job *j, int op)
{
    fig best = { 1e300, 1 };
    double t0 = now(), c0 = cpu_now(), t;
    int run = 0;
    j->op = op;
    job_run(j);
    t = now() - t0;
    if (t >= BENCH_LONG_CALL) { best.t = t; best.share = (cpu_now() - c0) / (t * n_threads); run = 1; }
    for (; run < BENCH_RUNS; run++) {
        long calls = 0;
        t0 = now(); c0 = cpu_now();
        do { job_run(j); calls++; t = now() - t0; } while (t < BENCH_MIN_RUN);
        if (t / (double)calls < best.t) { best.t = t / (double)calls; best.share = (cpu_now() - c0) / (t * n_threads); }
    }
    return best;
}
static double min2(double a, double b) { return a < b ? a : b; }


/* ---- the summary table ---------------------------------------------------------------- */

/* ---- (a) water ------------------------------------------------------------------------ */
static int read_one(const char *path, sannip_structure *s)
{
    char *text; size_t len, pos = 0; int line = 0, r; sannip_error err;
    if (sannip_read_file(path, NULL, &text, &len, &err) != SANNIP_SUCCESS) die(path, &err);
    sannip_structure_init(s, NULL);
    r = sannip_read_n2p2(s, text, len, &pos, &line, &err);
    sannip_free(NULL, text);
    if (r == SANNIP_END_OF_INPUT) { fprintf(stderr, "bench_inference: %s: no structure\n", path); return 1; }
    if (r != SANNIP_SUCCESS) die(path, &err);
    return 0;
}

static int bench_water(const char *shared)
{
    char dir[1024], path[1200];
    sannip_model m; sannip_workspace ws; sannip_neighbors nl; sannip_error err;
    sannip_structure s, ref;
    sannip_system sys;
    job j;
    fig ef, e, nlf, feat;
    double us, maxe, maxf = 0, fref = 0, nn, nn_share;
    int k, ok;

    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", shared);
    sannip_model_init(&m, NULL);
    if (sannip_n2p2_import_dir(&m, dir, &err) != SANNIP_SUCCESS) die("import n2p2 water", &err);
    snprintf(path, sizeof path, "%s/liquid1080.data", dir);
    if (read_one(path, &s)) return 1;
    snprintf(path, sizeof path, "%s/liquid1080_n2p2_predictions.data", dir);
    if (read_one(path, &ref)) return 1;
    if (ref.n != s.n || !ref.forces || !ref.has_energy) { fprintf(stderr, "bench_inference: bad reference file\n"); return 1; }
    sys = sannip_structure_view(&s);
    sannip_workspace_init(&ws, NULL);
    sannip_neighbors_init(&nl, NULL);
    memset(&j, 0, sizeof j);
    j.m = &m; j.ws = &ws; j.nl = &nl; j.sys = &sys;
    j.F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s.n);
    for (k = 0; k < m.n_elements; k++) if (m.el[k].n_features > j.stride) j.stride = m.el[k].n_features;
    j.G = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)s.n * (size_t)j.stride);
    set_threads(1);

    /* correctness first: the benchmark must time the right computation */
    j.op = OP_EF; job_run(&j);
    maxe = fabs(j.E - ref.energy) / fabs(ref.energy);
    for (k = 0; k < 3 * s.n; k++) {
        double d = fabs(j.F[k] - ref.forces[k]);
        if (d > maxf) maxf = d;
        if (fabs(ref.forces[k]) > fref) fref = fabs(ref.forces[k]);
    }
    /* the tolerances of tests/test_n2p2.c (double; float builds: 1e-5, 2e-3) */
    ok = sizeof(sannip_real) == 8 ? maxe < 1e-10 && maxf < 1e-8 : maxe < 1e-5 && maxf < 2e-3;
    j.op = OP_NL; job_run(&j);
    printf("\n(a) n2p2 water potential H2O_RPBE-D3 (%d bases, cutoff %g bohr), liquid of %d atoms, %.1f neighbours/atom, 1 thread\n",
           m.desc.n, (double)m.cutoff, s.n, (double)nl.n_pairs / s.n);
    printf("    check vs n2p2's prediction: E %.12g vs %.12g Ha, rel. diff %.2g; max |F - F_n2p2| %.2g Ha/bohr (max |F| %.2g): %s\n",
           (double)j.E, (double)ref.energy, maxe, maxf, fref, ok ? "OK" : "MISMATCH");
    record("water: energy rel. diff vs n2p2", maxe, "1", 1);
    record("water: max force diff vs n2p2", maxf, "Ha/bohr", 1);

    ef = measure(&j, OP_EF);
    e = measure(&j, OP_E);
    feat = measure(&j, OP_FEAT);
    nlf = measure(&j, OP_NL);
    us = 1e6 / s.n;
    nn = (ef.t - nlf.t) * us;
    nn_share = min2(ef.share, nlf.share);
    printf("    energy+forces (whole sannip_model_compute) %8.2f us/atom (%.1f ms/call)%s\n", ef.t * us, ef.t * 1e3, busy(ef.share));
    printf("    energy only                                %8.2f us/atom%s\n", e.t * us, busy(e.share));
    printf("    descriptor values only (+ neighbour list)  %8.2f us/atom (sannip_model_features)%s\n", feat.t * us, busy(feat.share));
    printf("    neighbour list alone                       %8.2f us/atom (sannip_neighbors_build)%s\n", nlf.t * us, busy(nlf.share));
    printf("    descriptors + networks + forces            %8.2f us/atom (= total - neighbour list)\n", nn);
    printf("    (against n2p2: make bench-n2p2, both timed in one run)\n");
    record("water E+F, 1 thread", ef.t * us, "us/atom", ef.share);
    record("water E only, 1 thread", e.t * us, "us/atom", e.share);
    record("water descriptor values + NL, 1 thread", feat.t * us, "us/atom", feat.share);
    record("water neighbour list, 1 thread", nlf.t * us, "us/atom", nlf.share);
    record("water E+F minus neighbour list", nn, "us/atom", nn_share);

    /* (d) water with 2 threads */
    if (do_omp && n_procs() >= 2) {
        fig ef2, nl2;
        set_threads(2);
        ef2 = measure(&j, OP_EF);
        nl2 = measure(&j, OP_NL);
        set_threads(1);
        printf("(d) water E+F, 2 threads: %.1f ms/call (%.2f us/atom), speed-up %.2fx over 1 thread; neighbour list alone %.2fx%s\n",
               ef2.t * 1e3, ef2.t * us, ef.t / ef2.t, nlf.t / nl2.t, busy(min2(ef2.share, nl2.share)));
        record("water E+F, 2 threads", ef2.t * us, "us/atom", ef2.share);
        record("water E+F speed-up, 2 threads", ef.t / ef2.t, "x", min2(ef.share, ef2.share));
        record("water NL speed-up, 2 threads", nlf.t / nl2.t, "x", min2(nlf.share, nl2.share));
    }

    free(j.G); free(j.F);
    sannip_neighbors_uninit(&nl);
    sannip_workspace_uninit(&ws);
    sannip_structure_uninit(&s); sannip_structure_uninit(&ref);
    sannip_model_uninit(&m);
    return ok ? 0 : 1;
}

/* ---- (b), (c), (d) bcc Fe ------------------------------------------------------------- */
static void fe_model(sannip_model *m)
{
    static const int hidden[2] = { 25, 25 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    sannip_error err;
    sannip_model_init(m, NULL);
    if (sannip_descriptors_preset_bp_fe(&m->desc, 26, &err) != SANNIP_SUCCESS) die("BP Fe preset", &err);
    if (sannip_model_add_element(m, 26, 2, hidden, act, &err) != SANNIP_SUCCESS) die("add Fe", &err);
    /* random parameters, uniform in +-1/sqrt(fan-in); identity feature scaling (the
       default): the numbers are arbitrary, the work is that of a real model */
    random_weights(m, 2024);
    if (sannip_model_finalize(m, &err) != SANNIP_SUCCESS) die("finalize Fe", &err);
}

/* A periodic bcc Fe crystal of L x L x L conventional cells (2 L^3 atoms), a = 2.87 A,
   every coordinate displaced by a uniform random amount in [-0.05, 0.05] A (fixed seed). */
typedef struct fe_case {
    sannip_system sys;
    sannip_real *pos;
    int *Z;
    sannip_workspace ws;
    sannip_neighbors nl;
    job j;
} fe_case;

static void fe_open(fe_case *c, const sannip_model *m, int L)
{
    const double a = 2.87, amp = 0.05;
    int n = 2 * L * L * L, i = 0, x, y, z, b, k;
    sannip_rng rng;
    memset(c, 0, sizeof *c);
    c->pos = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
    c->Z = (int *)malloc(sizeof(int) * (size_t)n);
    sannip_rng_seed(&rng, 12345);
    for (x = 0; x < L; x++) for (y = 0; y < L; y++) for (z = 0; z < L; z++) for (b = 0; b < 2; b++) {
        double r[3];
        r[0] = a * (x + 0.5 * b); r[1] = a * (y + 0.5 * b); r[2] = a * (z + 0.5 * b);
        for (k = 0; k < 3; k++) c->pos[3 * i + k] = (sannip_real)(r[k] + amp * (2 * sannip_rng_uniform(&rng) - 1));
        c->Z[i++] = 26;
    }
    c->sys.n = n; c->sys.pos = c->pos; c->sys.Z = c->Z;
    c->sys.cell[0] = c->sys.cell[4] = c->sys.cell[8] = (sannip_real)(a * L);
    c->sys.pbc[0] = c->sys.pbc[1] = c->sys.pbc[2] = 1;
    sannip_workspace_init(&c->ws, NULL);
    sannip_neighbors_init(&c->nl, NULL);
    c->j.m = m; c->j.ws = &c->ws; c->j.nl = &c->nl; c->j.sys = &c->sys;
    c->j.F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
}
static void fe_close(fe_case *c)
{
    free(c->pos); free(c->Z); free(c->j.F);
    sannip_workspace_uninit(&c->ws);
    sannip_neighbors_uninit(&c->nl);
}

static void bench_fe(void)
{
    static const int Ls[4] = { 8, 16, 24, 32 };
    sannip_model m;
    fe_case fc;
    char name[64];
    int c, k;

    fe_model(&m);
    set_threads(1);

    if (do_fe) {   /* (b) 2000 atoms */
        fig ef, e, nlf;
        double fsum[3] = { 0, 0, 0 }, us;
        fe_open(&fc, &m, 10);
        fc.j.op = OP_EF; job_run(&fc.j);
        for (k = 0; k < 3 * fc.sys.n; k++) fsum[k % 3] += fc.j.F[k];
        fc.j.op = OP_NL; job_run(&fc.j);
        printf("\n(b) bcc Fe, %d atoms, BP preset (%d bases: 24 G2 + 18 G4, rc %g A), network %d-25-25-1 tanh (%zu parameters), %.1f neighbours/atom, 1 thread\n",
               fc.sys.n, m.el[0].n_features, (double)m.cutoff, m.el[0].n_features, sannip_model_n_params(&m), (double)fc.nl.n_pairs / fc.sys.n);
        printf("    E = %.6g eV (random model); |sum of forces| = %.2g eV/A (zero up to rounding)\n",
               (double)fc.j.E, sqrt(fsum[0] * fsum[0] + fsum[1] * fsum[1] + fsum[2] * fsum[2]));
        ef = measure(&fc.j, OP_EF);
        e = measure(&fc.j, OP_E);
        nlf = measure(&fc.j, OP_NL);
        us = 1e6 / fc.sys.n;
        printf("    energy+forces %8.2f us/atom (%.1f ms/call)%s\n", ef.t * us, ef.t * 1e3, busy(ef.share));
        printf("    energy only   %8.2f us/atom%s\n", e.t * us, busy(e.share));
        printf("    neighbour list alone %5.2f us/atom%s\n", nlf.t * us, busy(nlf.share));
        record("Fe 2000 E+F, 1 thread", ef.t * us, "us/atom", ef.share);
        record("Fe 2000 E only, 1 thread", e.t * us, "us/atom", e.share);
        record("Fe 2000 neighbour list, 1 thread", nlf.t * us, "us/atom", nlf.share);
        fe_close(&fc);
    }

    if (do_scaling) {   /* (c) scaling, and (d) 2 threads at 8k */
        double t1k = 0, s1k = 1;
        printf("\n(c) bcc Fe scaling, energy+forces, 1 thread (per-atom time should stay flat)\n");
        printf("    %7s %10s %9s %11s %10s\n", "atoms", "us/atom", "/ 1k", "NL us/atom", "s/call");
        for (c = 0; c < 4; c++) {
            fig ef, nlf;
            double us;
            fe_open(&fc, &m, Ls[c]);
            ef = measure(&fc.j, OP_EF);
            nlf = measure(&fc.j, OP_NL);
            us = 1e6 / fc.sys.n;
            if (c == 0) { t1k = ef.t * us; s1k = ef.share; }
            printf("    %7d %10.2f %9.3f %11.2f %10.3f%s\n", fc.sys.n, ef.t * us, ef.t * us / t1k, nlf.t * us, ef.t,
                   busy(min2(ef.share, nlf.share)));
            snprintf(name, sizeof name, "Fe %d E+F, 1 thread", fc.sys.n);
            record(name, ef.t * us, "us/atom", ef.share);
            if (c > 0) {
                snprintf(name, sizeof name, "Fe %d / Fe %d, per atom", fc.sys.n, 2 * Ls[0] * Ls[0] * Ls[0]);
                record(name, ef.t * us / t1k, "x", min2(ef.share, s1k));
            }
            if (Ls[c] == 16 && do_omp && n_procs() >= 2) {
                fig ef2, nl2;
                set_threads(2);
                ef2 = measure(&fc.j, OP_EF);
                nl2 = measure(&fc.j, OP_NL);
                set_threads(1);
                printf("    (d) %d atoms E+F, 2 threads: %.3f s/call (%.2f us/atom), speed-up %.2fx over 1 thread; neighbour list alone %.2fx%s\n",
                       fc.sys.n, ef2.t, ef2.t * us, ef.t / ef2.t, nlf.t / nl2.t, busy(min2(ef2.share, nl2.share)));
                record("Fe 8192 E+F, 2 threads", ef2.t * us, "us/atom", ef2.share);
                record("Fe 8192 E+F speed-up, 2 threads", ef.t / ef2.t, "x", min2(ef.share, ef2.share));
                record("Fe 8192 NL speed-up, 2 threads", nlf.t / nl2.t, "x", min2(nlf.share, nl2.share));
            }
            fe_close(&fc);
        }
    }
    sannip_model_uninit(&m);
}

int main(int argc, char **argv)
{
    const char *shared = getenv("SANNIP_SHARED");
    double t0 = now();
    int bad = 0, i;
    if (argc > 1) {
        do_water = do_fe = do_scaling = 0;
        for (i = 1; i < argc; i++) {
            if (!strcmp(argv[i], "water")) do_water = 1;
            else if (!strcmp(argv[i], "fe")) do_fe = 1;
            else if (!strcmp(argv[i], "scaling")) do_scaling = 1;
            else if (!strcmp(argv[i], "noomp")) do_omp = 0;
            else { fprintf(stderr, "usage: %s [water] [fe] [scaling] [noomp]   (default: all)\n", argv[0]); return 2; }
        }
        if (!do_water && !do_fe && !do_scaling) do_water = do_fe = do_scaling = 1;
    }
    if (!shared) shared = "../shared";
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_inference: sannip %d.%d.%d (%s), best of %d runs of >= %.1f s, %d processor(s)%s\n",
           SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR, SANNIP_VERSION_PATCH,
           sizeof(sannip_real) == 8 ? "double" : "float", BENCH_RUNS, BENCH_MIN_RUN, n_procs(),
#ifdef _OPENMP
           ", OpenMP"
#else
           ", no OpenMP: 2-thread figures skipped"
#endif
           );
    print_load("at start");
    if (do_water) bad = bench_water(shared);
    if (do_fe || do_scaling) bench_fe();
    printf("\n");
    print_load("at end");
    printf("\n");
    print_figures();
    printf("bench_inference: %.0f s%s\n", now() - t0, bad ? "; WATER PREDICTION DOES NOT MATCH n2p2" : "");
    return bad;
}
