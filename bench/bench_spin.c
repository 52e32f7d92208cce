/* Cost of the spin bases (bench/README.md): the thesis reports that its 20 spin bases add
   only ~2-5% to the training time (T 4.2.3, Tables 4.1-4.3: 10.2 -> 10.4, 0.837 -> 0.858,
   4.01 -> 4.22 s/epoch), because the radial and spin bases are two-body terms while the 18
   angular bases are three-body, and the network grows from 42 to 62 inputs.
   (a) Inference, one thread, bcc Fe of 16 x 16 x 16 conventional cells (8192 atoms, a = 2.87 A,
       coordinates displaced by U[-0.05, 0.05] A, paramagnetic spins of 2.2 mu_B):
         BP      the thesis's BP Fe bases (T A.1: 24 G2 + 18 G4, rc 6 A), 2 x 25 tanh network;
         SANNIP  the same plus the thesis's 20 spin bases (T A.2, sannip_descriptors_preset_sannip);
         BP+F    BP plus every proposed spin kind (T5.1-5.6): F1-F3 at 3 shifts each, F4, F5, F6,
       random parameters (the work is that of a trained model). Per-atom CPU time of energy +
       forces (sannip_model_compute for BP, sannip_model_compute_field for the spin models), of
       the spin models with the effective field H = -dE/dS as well, of the energy alone, and
       the ratios (issue 16: SANNIP / BP <= 1.1 for energy + forces).
   (b) Training, one thread: seconds per epoch of BP and SANNIP (same bases as (a)) on the
       toy-iron `spin` subset (bin/gen_toyiron's generator, 330 structures, spins x 2 -> mu_B),
       energies only (as the thesis's tables), and energies + forces on its first 66
       structures; the median epoch time of BENCH_EPOCHS epochs, and the ratios.
   Every inference figure is the best of BENCH_RUNS runs of >= BENCH_MIN_RUN s of CPU time, the
   ops' runs interleaved (run 1 of every op, then run 2, ...).
   Usage: bench_spin [fe] [train]   (default: both)
   Prints figures and a final "name: value unit" list; exits non-zero when a call fails,
   never because of a time. */
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "../examples/toyiron_data.h"   /* bin/gen_toyiron's generator, called in process */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define BENCH_RUNS 3
#define BENCH_MIN_RUN 0.3          /* seconds per run */
#define BENCH_EPOCHS 12            /* timed training epochs per model */
#define BENCH_L 16                 /* conventional cells per edge: 2 L^3 atoms */
#define BUSY_SHARE 0.9
#define BENCH_PROG "bench_spin"
#include "bench_util.h"
#define DATA_FILE "build/bench_spin_toyiron.xyz"

static void one_thread(void)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
}
static void check_ok(sannip_result r, const sannip_error *err, const char *what)
{
    if (r != SANNIP_SUCCESS) die(what, err);
}

/* ---- models -------------------------------------------------------------------------- */
/* Every spin basis the thesis proposes (T5.1-5.6) on top of the BP set: F1-F3 at three
   shifts each, F4, F5, F6; cosine cutoff at 6 A as the geometric bases, eps 0.01. */
static void add_f_kinds(sannip_descriptors *d, int Z)
{
    static const int kinds[6] = { SANNIP_SPIN_F1, SANNIP_SPIN_F2, SANNIP_SPIN_F3, SANNIP_SPIN_F4, SANNIP_SPIN_F5, SANNIP_SPIN_F6 };
    sannip_error err;
    sannip_basis b;
    int k, s;
    for (k = 0; k < 6; k++)
        for (s = 0; s < (k < 3 ? 3 : 1); s++) {
            memset(&b, 0, sizeof b);
            b.kind = kinds[k]; b.center = Z; b.nbr[0] = SANNIP_ANY;
            b.eta = (sannip_real)0.01; b.rs = (sannip_real)(15 * s); b.eps = (sannip_real)0.01;
            check_ok(sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, 6, 0, &err), &err, "cutoff");
            check_ok(sannip_descriptors_add(d, &b, &err), &err, "F basis");
        }
}
/* The BP Fe model (T A.1, kind 0), SANNIP (T A.2, kind 1) or BP + F1-F6 (kind 2), 2 x 25 tanh,
   random parameters uniform in +-1/sqrt(fan-in) and biases in +-0.1 (as bench_inference),
   identity feature scaling. */
static void fe_model(sannip_model *m, int kind)
{
    static const int hidden[2] = { 25, 25 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    sannip_error err;
    sannip_model_init(m, NULL);
    check_ok(kind == 1 ? sannip_descriptors_preset_sannip(&m->desc, 26, &err) : sannip_descriptors_preset_bp_fe(&m->desc, 26, &err), &err, "preset");
    if (kind == 2) add_f_kinds(&m->desc, 26);
    check_ok(sannip_model_add_element(m, 26, 2, hidden, act, &err), &err, "add Fe");
    random_weights(m, 2024);
    check_ok(sannip_model_finalize(m, &err), &err, "finalize");
}

/* ---- (a) inference ------------------------------------------------------------------- */
enum { OP_BP_EF, OP_BP_E, OP_S_EF, OP_S_EFH, OP_S_E, OP_F_EF, OP_F_EFH, N_OPS };
typedef struct job {
    const sannip_model *bp, *sn, *sf;
    sannip_workspace *ws;
    const sannip_system *sys;
    sannip_real *F, *H, E;
} job;

static void job_run(job *j, int op)
{
    sannip_error err;
    sannip_result r;
    switch (op) {
    case OP_BP_EF: r = sannip_model_compute(j->bp, j->ws, j->sys, &j->E, NULL, j->F, NULL, &err); break;
    case OP_BP_E:  r = sannip_model_compute(j->bp, j->ws, j->sys, &j->E, NULL, NULL, NULL, &err); break;
    case OP_S_EF:  r = sannip_model_compute_field(j->sn, j->ws, j->sys, &j->E, NULL, j->F, NULL, NULL, &err); break;
    case OP_S_EFH: r = sannip_model_compute_field(j->sn, j->ws, j->sys, &j->E, NULL, j->F, NULL, j->H, &err); break;
    case OP_F_EF:  r = sannip_model_compute_field(j->sf, j->ws, j->sys, &j->E, NULL, j->F, NULL, NULL, &err); break;
    case OP_F_EFH: r = sannip_model_compute_field(j->sf, j->ws, j->sys, &j->E, NULL, j->F, NULL, j->H, &err); break;
    default:       r = sannip_model_compute_field(j->sn, j->ws, j->sys, &j->E, NULL, NULL, NULL, NULL, &err); break;
    }
    if (r != SANNIP_SUCCESS) die("timed call failed", &err);
}

/* One run of op: CPU seconds per call over >= BENCH_MIN_RUN s of CPU time (after one warm-up
   call), kept in *best when lower, with the CPU share of that run (CPU time / wall time; well
   below 1: a busy machine, whose caches and memory bandwidth are shared too). */
typedef struct fig { double t, share; } fig;
static void measure_run(job *j, int op, fig *best)
{
    double t0 = now(), c0, t;
    long calls = 0;
    job_run(j, op);
    c0 = cpu_now();
    do { job_run(j, op); calls++; t = cpu_now() - c0; } while (t < BENCH_MIN_RUN);
    if (t / (double)calls < best->t) { best->t = t / (double)calls; best->share = t / (now() - t0); }
}
/* The best of BENCH_RUNS runs of every op, the ops interleaved run by run, so that a busy
   spell of the machine touches the runs of every op alike and the ratios stay same-run. */
static void measure_all(job *j, fig *f)
{
    int run, op;
    for (op = 0; op < N_OPS; op++) { f[op].t = 1e300; f[op].share = 1; }
    for (run = 0; run < BENCH_RUNS; run++)
        for (op = 0; op < N_OPS; op++) measure_run(j, op, &f[op]);
}
static double min2(double a, double b) { return a < b ? a : b; }

static void bench_fe(void)
{
    const double a = 2.87, amp = 0.05;
    const int L = BENCH_L, n = 2 * L * L * L;
    sannip_model bp, sn, sf;
    sannip_workspace ws;
    sannip_system sys;
    sannip_spin_magnitude mag;
    sannip_real *pos = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n), *spins = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
    int *Z = (int *)malloc(sizeof(int) * (size_t)n), i = 0, x, y, z, b, k;
    sannip_rng rng;
    sannip_error err;
    job j;
    fig f[N_OPS];
    double us = 1e6 / n;
    if (!pos || !spins || !Z) die("out of memory", NULL);
    sannip_rng_seed(&rng, 12345);
    for (x = 0; x < L; x++) for (y = 0; y < L; y++) for (z = 0; z < L; z++) for (b = 0; b < 2; b++) {
        double r[3];
        r[0] = a * (x + 0.5 * b); r[1] = a * (y + 0.5 * b); r[2] = a * (z + 0.5 * b);
        for (k = 0; k < 3; k++) pos[3 * i + k] = (sannip_real)(r[k] + amp * (2 * sannip_rng_uniform(&rng) - 1));
        Z[i++] = 26;
    }
    mag.mean = (sannip_real)2.2; mag.sd = 0;
    check_ok(sannip_spin_pm(n, &mag, &rng, spins, &err), &err, "PM spins");
    memset(&sys, 0, sizeof sys);
    sys.n = n; sys.pos = pos; sys.Z = Z; sys.spins = spins;
    sys.cell[0] = sys.cell[4] = sys.cell[8] = (sannip_real)(a * L);
    sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 1;
    fe_model(&bp, 0);
    fe_model(&sn, 1);
    fe_model(&sf, 2);
    sannip_workspace_init(&ws, NULL);
    memset(&j, 0, sizeof j);
    j.bp = &bp; j.sn = &sn; j.sf = &sf; j.ws = &ws; j.sys = &sys;
    j.F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
    j.H = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)n);
    if (!j.F || !j.H) die("out of memory", NULL);
    one_thread();
    printf("\n(a) bcc Fe, %d atoms (%d^3 conventional cells), PM spins |S| = 2.2 mu_B, 2 x 25 tanh, random parameters, 1 thread\n", n, L);
    printf("    BP: %d bases (T A.1, rc 6 A), %zu parameters; SANNIP: %d bases (+ 20 spin bases, T A.2), %zu parameters\n",
           bp.el[0].n_features, sannip_model_n_params(&bp), sn.el[0].n_features, sannip_model_n_params(&sn));
    printf("    BP+F: BP + F1-F3 (3 shifts each) + F4, F5, F6 (T5.1-5.6, rc 6 A, eps 0.01): %d bases\n", sf.el[0].n_features);
    printf("    CPU time per call (the best of %d runs)\n", BENCH_RUNS);
    measure_all(&j, f);
    printf("    BP energy+forces                 %8.2f us/atom%s\n", f[OP_BP_EF].t * us, busy(f[OP_BP_EF].share));
    printf("    BP energy only                   %8.2f us/atom%s\n", f[OP_BP_E].t * us, busy(f[OP_BP_E].share));
    printf("    SANNIP energy+forces             %8.2f us/atom%s\n", f[OP_S_EF].t * us, busy(f[OP_S_EF].share));
    printf("    SANNIP energy+forces+field       %8.2f us/atom%s\n", f[OP_S_EFH].t * us, busy(f[OP_S_EFH].share));
    printf("    SANNIP energy only               %8.2f us/atom%s\n", f[OP_S_E].t * us, busy(f[OP_S_E].share));
    printf("    BP+F energy+forces               %8.2f us/atom%s\n", f[OP_F_EF].t * us, busy(f[OP_F_EF].share));
    printf("    BP+F energy+forces+field         %8.2f us/atom%s\n", f[OP_F_EFH].t * us, busy(f[OP_F_EFH].share));
    printf("    SANNIP / BP: energy+forces %.3f (issue 16: <= 1.1), with the field %.3f, energy only %.3f (thesis: ~1.02-1.05 for training)\n",
           f[OP_S_EF].t / f[OP_BP_EF].t, f[OP_S_EFH].t / f[OP_BP_EF].t, f[OP_S_E].t / f[OP_BP_E].t);
    printf("    BP+F / BP: energy+forces %.3f, with the field %.3f\n", f[OP_F_EF].t / f[OP_BP_EF].t, f[OP_F_EFH].t / f[OP_BP_EF].t);
    record("Fe 8192 BP E+F, 1 thread", f[OP_BP_EF].t * us, "us/atom", f[OP_BP_EF].share);
    record("Fe 8192 BP E only, 1 thread", f[OP_BP_E].t * us, "us/atom", f[OP_BP_E].share);
    record("Fe 8192 SANNIP E+F, 1 thread", f[OP_S_EF].t * us, "us/atom", f[OP_S_EF].share);
    record("Fe 8192 SANNIP E+F+field, 1 thread", f[OP_S_EFH].t * us, "us/atom", f[OP_S_EFH].share);
    record("Fe 8192 SANNIP E only, 1 thread", f[OP_S_E].t * us, "us/atom", f[OP_S_E].share);
    record("SANNIP / BP, E+F", f[OP_S_EF].t / f[OP_BP_EF].t, "x", min2(f[OP_S_EF].share, f[OP_BP_EF].share));
    record("SANNIP E+F+field / BP E+F", f[OP_S_EFH].t / f[OP_BP_EF].t, "x", min2(f[OP_S_EFH].share, f[OP_BP_EF].share));
    record("SANNIP / BP, E only", f[OP_S_E].t / f[OP_BP_E].t, "x", min2(f[OP_S_E].share, f[OP_BP_E].share));
    record("Fe 8192 BP+F1-F6 E+F, 1 thread", f[OP_F_EF].t * us, "us/atom", f[OP_F_EF].share);
    record("Fe 8192 BP+F1-F6 E+F+field, 1 thread", f[OP_F_EFH].t * us, "us/atom", f[OP_F_EFH].share);
    record("BP+F1-F6 / BP, E+F", f[OP_F_EF].t / f[OP_BP_EF].t, "x", min2(f[OP_F_EF].share, f[OP_BP_EF].share));
    free(j.F); free(j.H); free(pos); free(spins); free(Z);
    sannip_workspace_uninit(&ws);
    sannip_model_uninit(&bp); sannip_model_uninit(&sn); sannip_model_uninit(&sf);
}

/* ---- (b) training -------------------------------------------------------------------- */
typedef struct clock_cb { double last, t[BENCH_EPOCHS + 1], cpu_last, cpu; int n; } clock_cb;
static int on_epoch(const sannip_train_progress *p, void *user)
{
    clock_cb *c = (clock_cb *)user;
    double t = now();
    (void)p;
    if (c->n < BENCH_EPOCHS) c->t[c->n++] = t - c->last;
    c->last = t;
    return 0;
}
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds per epoch of training model `spin` on d (energies only if fw = 0), and
   the CPU share over the epochs. */
static double epoch_time(const sannip_dataset *d, int spin, double fw, double *share)
{
    sannip_model m;
    sannip_train_config c = sannip_train_config_init();
    sannip_error err;
    clock_cb cb;
    double c0, w0;
    fe_model(&m, spin);
    memset(&cb, 0, sizeof cb);
    c.epochs = BENCH_EPOCHS; c.batch_size = 16; c.force_weight = SANNIP_EXACTLY(fw); c.seed = 1; c.raw_loss = 1;
    c.field_weight = c.stress_weight = SANNIP_OFF;   /* energies and forces only, as measured */
    c.progress = on_epoch; c.user = &cb;
    cb.last = w0 = now();
    c0 = cpu_now();
    check_ok(sannip_train(&m, d, &c, NULL, &err), &err, "training");
    *share = (cpu_now() - c0) / (now() - w0);   /* over the whole training, set-up included */
    if (*share > 1) *share = 1;
    sannip_model_uninit(&m);
    /* the first epoch's interval includes the set-up (scaling, cache): not an epoch */
    qsort(cb.t + 1, (size_t)(cb.n - 1), sizeof(double), cmp_double);
    return cb.t[1 + (cb.n - 1) / 2];
}

static void bench_train(void)
{
    toyiron_data_options o;
    toyiron_data_summary sum;
    sannip_dataset d, small;
    sannip_error err;
    double t[2][2], sh[2][2];
    int i, a, k, natoms = 0;
    toyiron_data_defaults(&o);
    toyiron_data_preset(&o, "spin");             /* seed 1: bin/gen_toyiron --subset spin --seed 1 */
    check_ok(toyiron_data_write(&o, DATA_FILE, &sum, &err), &err, "toy-iron generator");
    toyiron_data_report(stderr, "gen_toyiron", &o, &sum, DATA_FILE);
    sannip_dataset_init(&d, NULL);
    check_ok(sannip_dataset_read_file(&d, DATA_FILE, &err), &err, DATA_FILE);
    for (i = 0; i < d.n; i++) {
        natoms += d.s[i].n;
        for (a = 0; a < 3 * d.s[i].n; a++) d.s[i].spins[a] *= 2;     /* hbar -> mu_B (g = 2): the units of T A.2 */
    }
    small = d; small.n = 66;      /* a view of the first 66 structures (not uninit'ed) */
    one_thread();
    for (k = 0; k < 2; k++) {
        t[k][0] = epoch_time(&d, k, 0, &sh[k][0]);
        t[k][1] = epoch_time(&small, k, 1, &sh[k][1]);
    }
    printf("\n(b) training, toy-iron `spin` subset (%d structures, %d atoms; validation 0.2), Adam, batch 16, 1 thread,\n"
           "    median of %d epochs: BP (42 bases) vs SANNIP (62 bases), both 2 x 25 tanh\n", d.n, natoms, BENCH_EPOCHS);
    printf("    energies only:             BP %.4f s/epoch, SANNIP %.4f s/epoch, SANNIP / BP %.3f%s\n", t[0][0], t[1][0], t[1][0] / t[0][0],
           busy(min2(sh[0][0], sh[1][0])));
    printf("    energies + forces (66):    BP %.4f s/epoch, SANNIP %.4f s/epoch, SANNIP / BP %.3f%s\n", t[0][1], t[1][1], t[1][1] / t[0][1],
           busy(min2(sh[0][1], sh[1][1])));
    printf("    (thesis, energies only, T Tables 4.1-4.3: SANNIP / BP = 1.020, 1.025, 1.052)\n");
    record("train BP, energies only", t[0][0], "s/epoch", sh[0][0]);
    record("train SANNIP, energies only", t[1][0], "s/epoch", sh[1][0]);
    record("train SANNIP / BP, energies only", t[1][0] / t[0][0], "x", min2(sh[0][0], sh[1][0]));
    record("train BP, energies + forces (66)", t[0][1], "s/epoch", sh[0][1]);
    record("train SANNIP, energies + forces (66)", t[1][1], "s/epoch", sh[1][1]);
    record("train SANNIP / BP, energies + forces", t[1][1] / t[0][1], "x", min2(sh[0][1], sh[1][1]));
    sannip_dataset_uninit(&d);
    remove(DATA_FILE);
}

int main(int argc, char **argv)
{
    double t0 = now();
    int do_fe = 1, do_train = 1, i;
    if (argc > 1) {
        do_fe = do_train = 0;
        for (i = 1; i < argc; i++) {
            if (!strcmp(argv[i], "fe")) do_fe = 1;
            else if (!strcmp(argv[i], "train")) do_train = 1;
            else { fprintf(stderr, "usage: %s [fe] [train]   (default: both)\n", argv[0]); return 2; }
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_spin: sannip %d.%d.%d (%s), best of %d runs of >= %.1f s\n", SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR,
           SANNIP_VERSION_PATCH, sizeof(sannip_real) == 8 ? "double" : "float", BENCH_RUNS, BENCH_MIN_RUN);
    print_load("at start");
    if (do_fe) bench_fe();
    if (do_train) bench_train();
    printf("\n");
    print_load("at end");
    printf("\n");
    print_figures();
    printf("bench_spin: %.0f s\n", now() - t0);
    return 0;
}
