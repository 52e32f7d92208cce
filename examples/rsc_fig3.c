/* rsc_fig3.c - Fig. 3 of Carare, Deringer & Csanyi 2024 ("C", random spin committee) on the
   frustrated dimer ring that stands in for DFT (examples/dimer_ring.h, SPEC 12).

       bin/rsc_fig3 [--seed N] [--seeds N] [--epochs N] [--out DIR]

   Data, as in C: for n_d = 3 (S6) and n_d = 4 (S8) dimers,
   - the rigid dissociation: one structure per RC = 0, 0.05, ..., 2.70 A (55), used for
     testing only;
   - the rattled dissociation: RC = 0, 0.225, ..., 2.70 A (13), four structures per RC (dimer
     bonds stretched by U(-0.05, 0.05) A and rotated by 1, 2, 3, 4 degrees): 52 structures,
     every fourth (the 4-degree one) kept for testing, 39 for training.
   Every structure goes through a random spin committee (sannip_rsc_run) of 15 members with
   collinear starts U[-1/2, 1/2] hbar and the dimer ring's "SCF" as the oracle. The rigid
   paths also run deterministic members first (anti-parallel dimers; for n_d = 3 also
   "+, -, 0": two anti-parallel dimers and a non-magnetic one) and stop adding random members
   once one reaches the lowest of them, as C does. Exact ground states come from the ring's
   exhaustive search.

   (a) rsc_fig3a.csv: along the rigid paths, the error of best-of-k (the first k random
       members) with respect to the exact ground state, k = 1..15.
   (b) rsc_fig3b.csv: spin-agnostic Behler-Parrinello models (sannip_descriptors_preset_bp,
       cutoff 6 A, 2 x 12 tanh; sannip_train: Adam, batch 4, learning rate 5e-3 decaying to
       1e-4 over the epochs, force weight 0.05, no validation split) trained on best-of-1, 5, 10 and 15
       rattled data, 15 models for k < 15 (each structure's k members drawn by
       sannip_rsc_select, draw d = 0..14), one for k = 15: their mean and spread along the
       rigid path against the exact curve.
   (c) rsc_fig3c.csv: train RMSE (against the best-of-k labels they were trained on) and test
       RMSE (rattled test structures, against the exact ground state) against k, for the
       n_d = 3, n_d = 4 and combined sets; also the RMSE along the rigid paths.
   The chosen best-of-15 training data are written as extended XYZ (rsc_best15_nd3.xyz,
   rsc_best15_nd4.xyz: energies, forces, spins), and the program prints the summary numbers:
   the fraction of structures whose best-of-k is the exact ground state (within 1 meV/atom),
   the mean errors, the failed members, the RMSEs with their spread over the 15 models and the
   isolated-dimer-limit error (mean prediction minus exact at RC = 2.7 A). With python3 and
   matplotlib it draws rsc_fig3.png through examples/plot_rsc.py.

   Seeds: the whole pipeline (rattling, committees, member draws, initialisations) runs for
   seeds seed..seed+N-1 (--seeds N, default 5). Each repeat's files (the three CSVs above and
   the best-of-15 XYZ) go to DIR/seed_S/; DIR/rsc_fig3{a,b,c}.csv hold the curves as mean and
   sd over the repeats: (a) err_k mean and sd_k over the repeats (NaN-free ones); (b) mean_k
   (over repeats of the per-repeat model mean), std_k (mean over repeats of the spread over the
   models) and seed_sd_k (sd over repeats of the per-repeat mean); (c) every RMSE as the mean
   over repeats of the per-repeat mean over models, and its sd over repeats (_std columns).

   Models train in parallel with OpenMP (one model per thread; each model's training is
   bit-identical whatever the thread count), so the output depends only on --seed and --seeds.
*/
#define TUTORIAL_PROG "rsc_fig3"
#define TUTORIAL_EPOCHS 400
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "dimer_ring.h"
#include "tutorial.h"
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define N_RIGID 55            /* RC = 0.05 i, i = 0..54 */
#define RC_STEP 0.05
#define N_RC_RATTLED 13       /* RC = 0.225 i, i = 0..12; 4 structures each */
#define RC_STEP_RATTLED 0.225
#define N_MEMBERS 15
#define N_DRAWS 15
#define N_K 4
#define GS_TOL 1e-3           /* eV/atom: best-of-k "finds the ground state" within this */
#define Z_S 16
#define N_SETS 3              /* n_d = 3, n_d = 4, combined */
#define MAX_SEEDS 100
static const int KS[N_K] = { 1, 5, 10, 15 };

/* The structures of one path (rigid or rattled) of one n_d, with exact ground states. */
typedef struct ring_set {
    int nd, n, na;            /* n_d, structures, atoms per structure (2 n_d) */
    double *rc;               /* reaction coordinate of each structure */
    sannip_real *pos;         /* n x na x 3 */
    int Z[DR_MAX_ATOMS];
    sannip_system *sys;       /* views of pos */
    double *E;                /* exact ground-state energy */
    sannip_real *F;           /* exact ground-state forces, n x na x 3 */
    int *is_test;             /* rattled: every fourth structure */
    sannip_rsc_result com;    /* the committee */
} ring_set;

/* One trained model: its errors and its predictions along both rigid paths. */
typedef struct fit_job {
    int set, k, draw;         /* set: 0 = n_d 3, 1 = n_d 4, 2 = combined */
    int run;                  /* repeat (seed) index */
    int n_train, n_dropped;   /* training structures; structures without a converged member */
    double train_e, train_f;  /* RMSE against the labels: eV/atom, eV/A */
    double test_e, test_f;    /* RMSE on the rattled test structures against the exact GS */
    double rigid_e;           /* RMSE along the rigid path(s) against the exact GS */
    double pred[2][N_RIGID];  /* predicted energies along the n_d = 3 and 4 rigid paths */
    int ok;
} fit_job;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: rsc_fig3 [--seed N] [--seeds N] [--epochs N] [--out DIR] [--help]\n"
        "Reproduces Fig. 3 of Carare, Deringer & Csanyi 2024 (random spin committee) on the\n"
        "frustrated dimer ring (n_d = 3 and 4 dimers): best-of-k errors along the rigid\n"
        "dissociation, and Behler-Parrinello models trained on best-of-1, 5, 10, 15 rattled data.\n"
        "  --seed N     seed of the rattling, the committees, the member draws and the model\n"
        "               initialisations of the first repeat (default 1)\n"
        "  --seeds N    repeats of the whole pipeline with seeds seed..seed+N-1, 1..%d: the curves\n"
        "               are mean and sd over them, each repeat's files in DIR/seed_S (default 5)\n"
        "  --epochs N   training epochs per model, 1..10000000 (default %d)\n"
        "  --out DIR    directory for the CSV, XYZ files and rsc_fig3.png, created if missing\n"
        "               (default examples_out)\n"
        "  --help       this text\n", MAX_SEEDS, TUTORIAL_EPOCHS);
}

/* ---- data ------------------------------------------------------------------------------ */
static void ring_set_free(ring_set *s)
{
    free(s->rc); free(s->pos); free(s->sys); free(s->E); free(s->F); free(s->is_test);
    sannip_rsc_result_uninit(&s->com);
}

static int ring_set_alloc(ring_set *s, int nd, int n)
{
    int i;
    memset(s, 0, sizeof *s);
    s->nd = nd; s->n = n; s->na = 2 * nd;
    for (i = 0; i < s->na; i++) s->Z[i] = Z_S;
    s->rc = (double *)calloc((size_t)n, sizeof(double));
    s->pos = (sannip_real *)calloc((size_t)n * 3 * s->na, sizeof(sannip_real));
    s->sys = (sannip_system *)calloc((size_t)n, sizeof(sannip_system));
    s->E = (double *)calloc((size_t)n, sizeof(double));
    s->F = (sannip_real *)calloc((size_t)n * 3 * s->na, sizeof(sannip_real));
    s->is_test = (int *)calloc((size_t)n, sizeof(int));
    sannip_rsc_result_init(&s->com, NULL);
    if (!s->rc || !s->pos || !s->sys || !s->E || !s->F || !s->is_test) return -1;
    for (i = 0; i < n; i++) {
        s->sys[i].n = s->na; s->sys[i].pos = s->pos + 3 * (size_t)s->na * i; s->sys[i].Z = s->Z;
    }
    return 0;
}

/* Structure i from double positions; the exact ground state is filled in later. */
static void ring_set_put(ring_set *s, int i, double rc, const double *pos)
{
    int a;
    s->rc[i] = rc;
    for (a = 0; a < 3 * s->na; a++) s->pos[3 * (size_t)s->na * i + a] = (sannip_real)pos[a];
}

/* Exact ground states of every structure (OpenMP over structures; each is independent). */
static void ring_set_exact(ring_set *s, const dimer_ring_params *p)
{
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (i = 0; i < s->n; i++) {
        double pos[3 * DR_MAX_ATOMS], F[3 * DR_MAX_ATOMS];
        int a;
        for (a = 0; a < 3 * s->na; a++) pos[a] = s->sys[i].pos[a];
        s->E[i] = dimer_ring_exact(p, s->nd, pos, F, NULL);
        for (a = 0; a < 3 * s->na; a++) s->F[3 * (size_t)s->na * i + a] = (sannip_real)F[a];
    }
}

static int build_rigid(ring_set *s, int nd)
{
    dimer_ring_path path = dimer_ring_path_of(nd);
    double pos[3 * DR_MAX_ATOMS];
    int i;
    if (ring_set_alloc(s, nd, N_RIGID)) return -1;
    for (i = 0; i < N_RIGID; i++) {
        dimer_ring_geometry(nd, path.b_ring, path.b_end, path.window_rigid, RC_STEP * i, pos);
        ring_set_put(s, i, RC_STEP * i, pos);
    }
    return 0;
}

/* C's rattled dissociation: 4 structures per RC (1-4 degree rotations), the 4th for testing. */
static int build_rattled(ring_set *s, int nd, unsigned long seed)
{
    dimer_ring_path path = dimer_ring_path_of(nd);
    double pos[3 * DR_MAX_ATOMS];
    sannip_rng rng;
    int i, j;
    if (ring_set_alloc(s, nd, 4 * N_RC_RATTLED)) return -1;
    sannip_rng_seed(&rng, (uint64_t)seed * 1000003u + (uint64_t)nd);
    for (i = 0; i < N_RC_RATTLED; i++)
        for (j = 0; j < 4; j++) {
            double rc = RC_STEP_RATTLED * i;
            dimer_ring_rattle(nd, path.b_ring, path.b_end, path.window_rattled, rc, 0.05, j + 1.0, &rng, pos);
            ring_set_put(s, 4 * i + j, rc, pos);
            s->is_test[4 * i + j] = j == 3;
        }
    return 0;
}

/* Deterministic starts of the rigid paths: anti-parallel dimers (+, -, +, ...) and, for an
   odd ring, two anti-parallel dimers and a non-magnetic one (+, -, 0). n x n_fixed x na x 3. */
static int fixed_starts(const ring_set *s, sannip_real **out)
{
    int nf = s->nd % 2 ? 2 : 1, i, f, a;
    sannip_real *x = (sannip_real *)calloc((size_t)s->n * nf * 3 * s->na, sizeof(sannip_real));
    if (!x) return -1;
    for (i = 0; i < s->n; i++)
        for (f = 0; f < nf; f++)
            for (a = 0; a < s->na; a++) {
                int dimer = a / 2;
                double m = dimer % 2 ? -0.5 : 0.5;
                if (f == 1 && dimer == s->nd - 1) m = 0;
                x[3 * ((size_t)i * nf * s->na + (size_t)f * s->na + a) + 2] = (sannip_real)m;
            }
    *out = x;
    return nf;
}

static int run_committee(ring_set *s, const dimer_ring_params *p, unsigned long seed, int rigid)
{
    sannip_rsc_config cfg = sannip_rsc_config_init();
    sannip_real *fixed = NULL;
    sannip_error err;
    sannip_result r;
    cfg.n_random = N_MEMBERS;
    cfg.seed = (uint64_t)seed * 7919u + (uint64_t)(2 * s->nd + rigid);
    if (rigid) {
        if ((cfg.n_fixed = fixed_starts(s, &fixed)) < 0) return -1;
        cfg.fixed_spins = fixed;
        cfg.early_stop = 1;       /* C: stop once the hypothesised ground state is reached */
    }
    r = sannip_rsc_run(&cfg, s->sys, s->n, dimer_ring_oracle, (void *)p, &s->com, &err);
    free(fixed);
    if (r != SANNIP_SUCCESS) { fprintf(stderr, "rsc_fig3: committee: %s\n", err.message); return -1; }
    return 0;
}

/* ---- (a) best-of-k along the rigid path ------------------------------------------------ */
/* err[i * N_MEMBERS + k - 1]: best of the first k random members minus the exact energy
   (NaN when none converged); meta[i]: the best of every member, fixed ones included. */
static void best_of_k_errors(const ring_set *s, double *err, double *meta)
{
    int i, k, b;
    for (i = 0; i < s->n; i++) {
        for (k = 1; k <= N_MEMBERS; k++) {
            double e = NAN;
            sannip_rsc_best_first(&s->com, i, k, &b, &e, NULL);
            err[i * N_MEMBERS + k - 1] = e - s->E[i];
        }
        if (meta) { double e = NAN; sannip_rsc_best(&s->com, i, NULL, 0, &b, &e, NULL); meta[i] = e; }
    }
}

/* Fraction of structures within GS_TOL/atom of the exact ground state, mean error over the
   structures with a converged member, and how many had none, for each k. */
typedef struct k_stats { double found[N_MEMBERS], mean[N_MEMBERS]; int none[N_MEMBERS]; } k_stats;
static void k_statistics(const ring_set *s, const double *err, k_stats *st)
{
    int i, k;
    for (k = 0; k < N_MEMBERS; k++) {
        int found = 0, cnt = 0;
        double sum = 0;
        st->none[k] = 0;
        for (i = 0; i < s->n; i++) {
            double e = err[i * N_MEMBERS + k];
            if (isnan(e)) { st->none[k]++; continue; }
            sum += e; cnt++;
            if (e <= GS_TOL * s->na) found++;
        }
        st->found[k] = (double)found / s->n;
        st->mean[k] = cnt ? sum / cnt : NAN;
    }
}

/* ---- (b), (c) models ----------------------------------------------------------------------- */
/* Appends the training structures of a best-of-k draw as extended XYZ (labels = chosen
   members) and returns how many had no converged member. */
static int training_text(const ring_set *s, int k, unsigned long seed, int draw, sannip_text *t, int *n_train)
{
    int *choice = (int *)malloc(sizeof(int) * (size_t)s->n), i, dropped = 0, written = 0;
    if (!choice) return -1;
    if (sannip_rsc_select(&s->com, k, (uint64_t)seed, draw, 0, choice, NULL) != SANNIP_SUCCESS) { free(choice); return -1; }
    for (i = 0; i < s->n; i++) {
        if (s->is_test[i]) choice[i] = -1;
        else if (choice[i] < 0) dropped++;
    }
    if (sannip_rsc_write_xyz(&s->com, s->sys, choice, t, &written, NULL) != SANNIP_SUCCESS) dropped = -1;
    *n_train += written;
    free(choice);
    return dropped;
}

static void model_template(sannip_model *m)
{
    int Zs[1] = { Z_S }, hid[2] = { 12, 12 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    sannip_model_init(m, NULL);
    sannip_descriptors_preset_bp(&m->desc, Zs, 1, 6.0, NULL);
    sannip_model_add_element(m, Z_S, 2, hid, act, NULL);
}

/* Energy RMSE per atom and force RMSE per component of model m on the structures of s
   selected by want (1 = test, 0 = train, -1 = all) against the exact ground state; optional
   predictions. */
static void model_errors(const sannip_model *m, sannip_workspace *ws, const ring_set *s, int want,
                         double *se, double *sf, int *ne, int *nf, double *pred)
{
    sannip_real F[3 * DR_MAX_ATOMS], E;
    int i, a;
    for (i = 0; i < s->n; i++) {
        double de;
        if (want >= 0 && s->is_test[i] != want) continue;
        if (sannip_model_compute(m, ws, &s->sys[i], &E, NULL, F, NULL, NULL) != SANNIP_SUCCESS) E = (sannip_real)NAN;
        if (pred) pred[i] = E;
        de = (E - s->E[i]) / s->na;
        *se += de * de; (*ne)++;
        for (a = 0; a < 3 * s->na; a++) { double d = F[a] - s->F[3 * (size_t)s->na * i + a]; *sf += d * d; }
        *nf += 3 * s->na;
    }
}

static void fit_one(fit_job *job, ring_set *rattled, ring_set *rigid, unsigned long seed, long epochs)
{
    sannip_text t;
    sannip_dataset d;
    sannip_model m;
    sannip_workspace ws;
    sannip_train_config cfg = sannip_train_config_init();
    sannip_train_report rep;
    double se = 0, sf = 0;
    int ne = 0, nf = 0, nd, first = job->set == 2 ? 0 : job->set, last = job->set == 2 ? 1 : job->set;
    job->ok = 0; job->n_train = job->n_dropped = 0;
    memset(&rep, 0, sizeof rep);
    sannip_text_init(&t, NULL);
    sannip_dataset_init(&d, NULL);
    for (nd = first; nd <= last; nd++) {
        int dr = training_text(&rattled[nd], job->k, seed, job->draw, &t, &job->n_train);
        if (dr < 0) goto done;
        job->n_dropped += dr;
    }
    if (t.failed || sannip_dataset_read_mem(&d, t.s, t.len, NULL) != SANNIP_SUCCESS) goto done;
    model_template(&m);
    cfg.epochs = (int)epochs; cfg.batch_size = 4; cfg.learning_rate = 5e-3; cfg.lr_decay = pow(0.02, 1.0 / epochs);
    cfg.energy_weight = 1; cfg.force_weight = 0.05; cfg.validation_fraction = SANNIP_OFF;
    cfg.raw_loss = 1;   /* weights chosen for the raw squared errors */
    cfg.field_weight = cfg.stress_weight = SANNIP_OFF;   /* energies and forces only */
    cfg.seed = (uint64_t)seed * 1000u + (uint64_t)(100 * job->set + job->draw);
    if (sannip_train(&m, &d, &cfg, &rep, NULL) == SANNIP_SUCCESS) {
        job->train_e = rep.train_rmse_e; job->train_f = rep.train_rmse_f;
        sannip_workspace_init(&ws, NULL);
        for (nd = first; nd <= last; nd++) model_errors(&m, &ws, &rattled[nd], 1, &se, &sf, &ne, &nf, NULL);
        job->test_e = sqrt(se / ne); job->test_f = sqrt(sf / nf);
        se = sf = 0; ne = nf = 0;
        for (nd = 0; nd < 2; nd++) {
            double se1 = 0, sf1 = 0;
            int ne1 = 0, nf1 = 0;
            model_errors(&m, &ws, &rigid[nd], -1, &se1, &sf1, &ne1, &nf1, job->pred[nd]);
            if (nd >= first && nd <= last) { se += se1; ne += ne1; }
        }
        job->rigid_e = sqrt(se / ne);
        sannip_workspace_uninit(&ws);
        job->ok = 1;
    }
    sannip_train_report_uninit(&rep);
    sannip_model_uninit(&m);
done:
    sannip_dataset_uninit(&d);
    sannip_text_uninit(&t);
}

/* mean and standard deviation (over n, population) of x[0], x[stride], ... */
static void mean_std(const double *x, int n, int stride, double *mean, double *sd)
{
    double s = 0, q = 0;
    int i;
    for (i = 0; i < n; i++) s += x[i * stride];
    s /= n;
    for (i = 0; i < n; i++) q += (x[i * stride] - s) * (x[i * stride] - s);
    *mean = s; *sd = n > 1 ? sqrt(q / n) : 0;
}

/* Adds to *failed and *run the members of structure i that failed and that ran. */
static void member_counts(const sannip_rsc_result *c, int i, int *failed, int *run)
{
    int k;
    for (k = 0; k < c->n_members; k++) {
        int st = c->status[i * c->n_members + k];
        if (st != SANNIP_RSC_SKIPPED) (*run)++;
        if (st != SANNIP_RSC_SKIPPED && st != SANNIP_RSC_CONVERGED) (*failed)++;
    }
}

/* Mean and spread over the models of repeat run (-1: any) of set s trained on best-of-KS[q]
   data, of their prediction at rigid point i (NaN when there are none). */
static void pred_stat(const fit_job *jobs, int n_jobs, int run, int s, int q, int i, double *m, double *sd)
{
    double x[N_DRAWS];
    int j, n = 0;
    for (j = 0; j < n_jobs && n < N_DRAWS; j++)
        if (jobs[j].set == s && jobs[j].k == KS[q] && jobs[j].ok && (run < 0 || jobs[j].run == run)) x[n++] = jobs[j].pred[s][i];
    if (n) mean_std(x, n, 1, m, sd); else *m = *sd = NAN;
}

/* ---- output ------------------------------------------------------------------------------ */
static int write_fig3a(const char *dir, ring_set *rigid, double *const *err, double *const *meta)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3a.csv", path, sizeof path);
    int s, i, k;
    if (!f) return -1;
    fprintf(f, "nd,rc,e_exact,e_meta");
    for (k = 1; k <= N_MEMBERS; k++) fprintf(f, ",err_%d", k);
    fprintf(f, ",failed,run\n");
    for (s = 0; s < 2; s++)
        for (i = 0; i < rigid[s].n; i++) {
            int failed = 0, run = 0;
            member_counts(&rigid[s].com, i, &failed, &run);
            fprintf(f, "%d,%.2f,%.10g,%.10g", rigid[s].nd, rigid[s].rc[i], rigid[s].E[i], meta[s][i]);
            for (k = 0; k < N_MEMBERS; k++) fprintf(f, ",%.6g", err[s][i * N_MEMBERS + k]);
            fprintf(f, ",%d,%d\n", failed, run);
        }
    return close_out(f, path);
}

static int write_fig3b(const char *dir, ring_set *rigid, const fit_job *jobs, int n_jobs)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3b.csv", path, sizeof path);
    int s, i, q;
    if (!f) return -1;
    fprintf(f, "nd,rc,e_exact");
    for (q = 0; q < N_K; q++) fprintf(f, ",mean_%d,std_%d", KS[q], KS[q]);
    fprintf(f, "\n");
    for (s = 0; s < 2; s++)
        for (i = 0; i < N_RIGID; i++) {
            fprintf(f, "%d,%.2f,%.10g", rigid[s].nd, rigid[s].rc[i], rigid[s].E[i]);
            for (q = 0; q < N_K; q++) {
                double m, sd;
                pred_stat(jobs, n_jobs, -1, s, q, i, &m, &sd);
                fprintf(f, ",%.10g,%.6g", m, sd);
            }
            fprintf(f, "\n");
        }
    return close_out(f, path);
}

/* Per set and k: mean and spread over the models of each error (meV/atom, eV/A). */
typedef struct set_k_errors { int n; double v[5][2]; double n_train, n_dropped; } set_k_errors;
static void collect_errors(const fit_job *jobs, int n_jobs, int set, int k, set_k_errors *o)
{
    double x[5][N_DRAWS];
    int j, q;
    o->n = 0; o->n_train = o->n_dropped = 0;
    for (j = 0; j < n_jobs; j++) {
        const fit_job *b = &jobs[j];
        if (b->set != set || b->k != k || !b->ok) continue;
        o->n_train += b->n_train; o->n_dropped += b->n_dropped;
        x[0][o->n] = 1e3 * b->train_e; x[1][o->n] = 1e3 * b->test_e; x[2][o->n] = b->test_f;
        x[3][o->n] = 1e3 * b->rigid_e; x[4][o->n] = b->train_f;
        o->n++;
    }
    if (o->n) { o->n_train /= o->n; o->n_dropped /= o->n; }
    for (q = 0; q < 5; q++) {
        if (o->n) mean_std(x[q], o->n, 1, &o->v[q][0], &o->v[q][1]);
        else o->v[q][0] = o->v[q][1] = NAN;
    }
}

static const char *set_name(int s) { return s == 0 ? "nd3" : s == 1 ? "nd4" : "combined"; }

static int write_fig3c(const char *dir, const fit_job *jobs, int n_jobs)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3c.csv", path, sizeof path);
    int s, q;
    if (!f) return -1;
    fprintf(f, "set,k,n_models,train_rmse_e,train_rmse_e_std,test_rmse_e,test_rmse_e_std,"
               "test_rmse_f,test_rmse_f_std,rigid_rmse_e,rigid_rmse_e_std,train_rmse_f,train_rmse_f_std\n");
    for (s = 0; s < N_SETS; s++)
        for (q = 0; q < N_K; q++) {
            set_k_errors o;
            int v;
            collect_errors(jobs, n_jobs, s, KS[q], &o);
            fprintf(f, "%s,%d,%d", set_name(s), KS[q], o.n);
            for (v = 0; v < 5; v++) fprintf(f, ",%.6g,%.6g", o.v[v][0], o.v[v][1]);
            fprintf(f, "\n");
        }
    return close_out(f, path);
}

/* Progress of the model fits: a line with the ETA at most every 10 s (any thread). */
typedef struct fit_progress { int n, done; time_t t0, last; } fit_progress;
static void job_done(fit_progress *p)
{
#ifdef _OPENMP
#pragma omp critical(rsc_fig3_progress)
#endif
    {
        time_t t = time(NULL);
        p->done++;
        if (t - p->last >= 10 && p->done < p->n) {
            printf("  %d of %d models trained, ETA %.0f s\n", p->done, p->n, (double)(t - p->t0) / p->done * (p->n - p->done));
            fflush(stdout);
            p->last = t;
        }
    }
}

/* Fig. 3 as DIR/rsc_fig3.png through examples/plot_rsc.py (plotting.h). */
static void draw_png(const char *argv0, const char *dir)
{
    char qd[8500], png[4200];
    snprintf(png, sizeof png, "%s/rsc_fig3.png", dir);
    if (shell_quote(dir, qd, sizeof qd)) return;
    plot_run(argv0, "plot_rsc.py", qd, png, "Fig. 3 (best-of-k errors, models, RMSE against k)");
}

static void print_summary(ring_set *rigid, ring_set *rattled, double *const *err, const fit_job *jobs, int n_jobs)
{
    int s, k, q, st;
    printf("(a) best-of-k along the rigid paths: fraction of structures within %.0f meV/atom of the exact\n"
           "    ground state, and mean error (eV); rattled sets in brackets\n", GS_TOL * 1e3);
    for (s = 0; s < 2; s++) {
        k_stats a, b;
        double *er = (double *)malloc(sizeof(double) * (size_t)rattled[s].n * N_MEMBERS);
        k_statistics(&rigid[s], err[s], &a);
        if (er) { best_of_k_errors(&rattled[s], er, NULL); k_statistics(&rattled[s], er, &b); free(er); }
        printf("  n_d = %d  k:", rigid[s].nd);
        for (k = 0; k < N_MEMBERS; k++) printf(" %5d", k + 1);
        printf("\n  found     ");
        for (k = 0; k < N_MEMBERS; k++) printf(" %5.2f", a.found[k]);
        printf("\n  [found]   ");
        for (k = 0; k < N_MEMBERS; k++) printf(" %5.2f", b.found[k]);
        printf("\n  mean err  ");
        for (k = 0; k < N_MEMBERS; k++) printf(" %5.3f", a.mean[k]);
        printf("\n  [mean err]");
        for (k = 0; k < N_MEMBERS; k++) printf(" %5.3f", b.mean[k]);
        printf("\n  no member converged among the first k (rigid): k=1 %d, k=15 %d\n", a.none[0], a.none[N_MEMBERS - 1]);
    }
    printf("  members (rigid, rattled):");
    for (s = 0; s < 2; s++) {
        printf(" n_d=%d:", rigid[s].nd);
        for (st = 0; st < SANNIP_RSC_STATUS_COUNT; st++) {
            static const char *name[] = { "converged", "not_converged", "nonfinite", "oracle_error", "skipped" };
            printf(" %s %ld/%ld", name[st], rigid[s].com.count[st], rattled[s].com.count[st]);
        }
        printf(";");
    }
    printf("\n  failed members per RC of the rattled sets (of %d):", 4 * N_MEMBERS);
    for (s = 0; s < 2; s++) {
        const sannip_rsc_result *c = &rattled[s].com;
        int i, kk;
        printf("\n    n_d = %d:", rattled[s].nd);
        for (i = 0; i < N_RC_RATTLED; i++) {
            int failed = 0, j;
            for (j = 0; j < 4; j++)
                for (kk = 0; kk < c->n_members; kk++) failed += c->status[(4 * i + j) * c->n_members + kk] != SANNIP_RSC_CONVERGED;
            if (failed) printf(" RC %.3f: %d", rattled[s].rc[4 * i], failed);
        }
    }
    printf("\n(c) RMSE over the models (mean +- spread over draws): energy meV/atom, forces eV/A\n");
    printf("  %-9s %3s %3s %16s %16s %16s %16s %14s\n", "set", "k", "n", "train_E", "test_E(exact)", "test_F(exact)", "rigid_E(exact)", "train(dropped)");
    for (s = 0; s < N_SETS; s++)
        for (q = 0; q < N_K; q++) {
            set_k_errors o;
            collect_errors(jobs, n_jobs, s, KS[q], &o);
            printf("  %-9s %3d %3d %7.2f +- %5.2f %7.2f +- %5.2f %7.3f +- %5.3f %7.2f +- %5.2f %8.1f (%.1f)\n", set_name(s), KS[q], o.n,
                   o.v[0][0], o.v[0][1], o.v[1][0], o.v[1][1], o.v[2][0], o.v[2][1], o.v[3][0], o.v[3][1], o.n_train, o.n_dropped);
        }
    printf("(b) isolated-dimer limit, RC = %.2f A: mean prediction - exact (eV), spread over models\n", rigid[0].rc[N_RIGID - 1]);
    for (s = 0; s < 2; s++) {
        printf("  n_d = %d:", rigid[s].nd);
        for (q = 0; q < N_K; q++) {
            double m, sd;
            pred_stat(jobs, n_jobs, -1, s, q, N_RIGID - 1, &m, &sd);
            if (!isnan(m)) printf("  best-of-%d %+.3f +- %.3f", KS[q], m - rigid[s].E[N_RIGID - 1], sd);
        }
        printf("\n");
    }
}

/* ---- repeats over seeds ------------------------------------------------------------------ */
/* One repeat of the pipeline: the data, committees and best-of-k errors of one seed. */
typedef struct seed_run {
    unsigned long seed;
    ring_set rigid[2], rattled[2];
    double *err[2], *meta[2];
    int built;
} seed_run;

static void seed_run_free(seed_run *r)
{
    int s;
    for (s = 0; s < r->built; s++) { ring_set_free(&r->rigid[s]); ring_set_free(&r->rattled[s]); }
    for (s = 0; s < 2; s++) { free(r->err[s]); free(r->meta[s]); }
}

/* The rings of both sizes, their committees and the best-of-k errors along the rigid paths. */
static int seed_run_data(seed_run *r, const dimer_ring_params *p)
{
    int s;
    for (s = 0; s < 2; s++) {
        int nd = s + 3;
        r->built = s + 1;
        if (build_rigid(&r->rigid[s], nd) || build_rattled(&r->rattled[s], nd, r->seed)) { fprintf(stderr, "rsc_fig3: out of memory\n"); return -1; }
        ring_set_exact(&r->rigid[s], p);
        ring_set_exact(&r->rattled[s], p);
        if (run_committee(&r->rigid[s], p, r->seed, 1) || run_committee(&r->rattled[s], p, r->seed, 0)) return -1;
        r->err[s] = (double *)malloc(sizeof(double) * N_RIGID * N_MEMBERS);
        r->meta[s] = (double *)malloc(sizeof(double) * N_RIGID);
        if (!r->err[s] || !r->meta[s]) { fprintf(stderr, "rsc_fig3: out of memory\n"); return -1; }
        best_of_k_errors(&r->rigid[s], r->err[s], r->meta[s]);
    }
    return 0;
}

/* One repeat's files in dir: the three CSVs of its models jobs[0..n_jobs) and the chosen
   best-of-15 training data. */
static int seed_run_files(seed_run *r, const char *dir, const fit_job *jobs, int n_jobs)
{
    int s;
    if (make_dirs(dir) != 0) { fprintf(stderr, "rsc_fig3: cannot create %s: %s\n", dir, strerror(errno)); return -1; }
    if (write_fig3a(dir, r->rigid, r->err, r->meta) || write_fig3b(dir, r->rigid, jobs, n_jobs) || write_fig3c(dir, jobs, n_jobs)) return -1;
    for (s = 0; s < 2; s++) {
        char path[4200];
        int *choice = (int *)malloc(sizeof(int) * (size_t)r->rattled[s].n), n_written = 0;
        sannip_error e;
        if (!choice) return -1;
        snprintf(path, sizeof path, "%s/rsc_best15_nd%d.xyz", dir, r->rattled[s].nd);
        sannip_rsc_select(&r->rattled[s].com, N_MEMBERS, r->seed, 0, 0, choice, NULL);
        if (sannip_rsc_save_xyz(&r->rattled[s].com, r->rattled[s].sys, choice, path, &n_written, &e) != SANNIP_SUCCESS) {
            fprintf(stderr, "rsc_fig3: %s\n", e.message); free(choice); return -1;
        }
        free(choice);
    }
    return 0;
}

/* Mean and sample standard deviation over the repeats of the finite x[0..n) (NaN: none). */
static void seed_stat(const double *x, int n, double *m, double *sd)
{
    double y[MAX_SEEDS];
    int i, k = 0;
    for (i = 0; i < n; i++) if (!isnan(x[i])) y[k++] = x[i];
    if (!k) { *m = *sd = NAN; return; }
    mean_std(y, k, 1, m, sd);
    *sd *= k > 1 ? sqrt((double)k / (k - 1)) : 0;
}

static int write_fig3a_seeds(const char *dir, const seed_run *runs, int n_runs)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3a.csv", path, sizeof path);
    int s, i, k, j;
    if (!f) return -1;
    fprintf(f, "nd,rc,e_exact");
    for (k = 1; k <= N_MEMBERS; k++) fprintf(f, ",err_%d", k);
    for (k = 1; k <= N_MEMBERS; k++) fprintf(f, ",sd_%d", k);
    fprintf(f, ",failed,run\n");
    for (s = 0; s < 2; s++)
        for (i = 0; i < N_RIGID; i++) {
            double m[N_MEMBERS], sd[N_MEMBERS], x[MAX_SEEDS];
            int failed = 0, run = 0;
            for (k = 0; k < N_MEMBERS; k++) {
                for (j = 0; j < n_runs; j++) x[j] = runs[j].err[s][i * N_MEMBERS + k];
                seed_stat(x, n_runs, &m[k], &sd[k]);
            }
            for (j = 0; j < n_runs; j++) member_counts(&runs[j].rigid[s].com, i, &failed, &run);
            fprintf(f, "%d,%.2f,%.10g", runs[0].rigid[s].nd, runs[0].rigid[s].rc[i], runs[0].rigid[s].E[i]);
            for (k = 0; k < N_MEMBERS; k++) fprintf(f, ",%.6g", m[k]);
            for (k = 0; k < N_MEMBERS; k++) fprintf(f, ",%.6g", sd[k]);
            fprintf(f, ",%d,%d\n", failed, run);
        }
    return close_out(f, path);
}

static int write_fig3b_seeds(const char *dir, const seed_run *runs, int n_runs, const fit_job *jobs, int n_jobs)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3b.csv", path, sizeof path);
    int s, i, q, j;
    if (!f) return -1;
    fprintf(f, "nd,rc,e_exact");
    for (q = 0; q < N_K; q++) fprintf(f, ",mean_%d,std_%d,seed_sd_%d", KS[q], KS[q], KS[q]);
    fprintf(f, "\n");
    for (s = 0; s < 2; s++)
        for (i = 0; i < N_RIGID; i++) {
            fprintf(f, "%d,%.2f,%.10g", runs[0].rigid[s].nd, runs[0].rigid[s].rc[i], runs[0].rigid[s].E[i]);
            for (q = 0; q < N_K; q++) {
                double m[MAX_SEEDS], sp[MAX_SEEDS], mm, msd, spm, spsd;
                for (j = 0; j < n_runs; j++) pred_stat(jobs, n_jobs, j, s, q, i, &m[j], &sp[j]);
                seed_stat(m, n_runs, &mm, &msd);
                seed_stat(sp, n_runs, &spm, &spsd);
                fprintf(f, ",%.10g,%.6g,%.6g", mm, spm, msd);
            }
            fprintf(f, "\n");
        }
    return close_out(f, path);
}

/* Per set and k, every error of set_k_errors: mean over the repeats of the per-repeat mean
   over the models, and its sd over the repeats (jobs: per models for each repeat, in order). */
static void seed_errors(const fit_job *jobs, int per, int n_runs, int set, int k, double v[5][2])
{
    double x[5][MAX_SEEDS];
    int j, q;
    for (j = 0; j < n_runs; j++) {
        set_k_errors o;
        collect_errors(jobs + (size_t)j * per, per, set, k, &o);
        for (q = 0; q < 5; q++) x[q][j] = o.v[q][0];
    }
    for (q = 0; q < 5; q++) seed_stat(x[q], n_runs, &v[q][0], &v[q][1]);
}

static int write_fig3c_seeds(const char *dir, const fit_job *jobs, int per, int n_runs)
{
    char path[4200];
    FILE *f = open_out(dir, "rsc_fig3c.csv", path, sizeof path);
    int s, q, v;
    if (!f) return -1;
    fprintf(f, "set,k,seeds,train_rmse_e,train_rmse_e_std,test_rmse_e,test_rmse_e_std,"
               "test_rmse_f,test_rmse_f_std,rigid_rmse_e,rigid_rmse_e_std,train_rmse_f,train_rmse_f_std\n");
    for (s = 0; s < N_SETS; s++)
        for (q = 0; q < N_K; q++) {
            double e[5][2];
            seed_errors(jobs, per, n_runs, s, KS[q], e);
            fprintf(f, "%s,%d,%d", set_name(s), KS[q], n_runs);
            for (v = 0; v < 5; v++) fprintf(f, ",%.6g,%.6g", e[v][0], e[v][1]);
            fprintf(f, "\n");
        }
    return close_out(f, path);
}

/* The headline numbers as mean +- sd over the repeats: best-of-k ground states found, test
   energy RMSE of the models, isolated-dimer limit. */
static void print_seed_summary(const seed_run *runs, int n_runs, const fit_job *jobs, int per)
{
    int s, q, j;
    printf("over %d seeds (%lu..%lu), mean +- sd:\n  best-of-k finds the exact ground state (rigid path):", n_runs, runs[0].seed, runs[n_runs - 1].seed);
    for (s = 0; s < 2; s++) {
        printf("\n    n_d = %d:", runs[0].rigid[s].nd);
        for (q = 0; q < N_K; q++) {
            double x[MAX_SEEDS], m, sd;
            for (j = 0; j < n_runs; j++) { k_stats a; k_statistics(&runs[j].rigid[s], runs[j].err[s], &a); x[j] = 100 * a.found[KS[q] - 1]; }
            seed_stat(x, n_runs, &m, &sd);
            printf("  best-of-%d %.0f +- %.0f %%", KS[q], m, sd);
        }
    }
    printf("\n  test energy RMSE vs exact (meV/atom; per seed the mean over its models):");
    for (s = 0; s < N_SETS; s++) {
        printf("\n    %-9s", set_name(s));
        for (q = 0; q < N_K; q++) { double v[5][2]; seed_errors(jobs, per, n_runs, s, KS[q], v); printf("  best-of-%d %.2f +- %.2f", KS[q], v[1][0], v[1][1]); }
    }
    printf("\n  isolated-dimer limit (RC = %.2f A), mean prediction - exact (eV):", runs[0].rigid[0].rc[N_RIGID - 1]);
    for (s = 0; s < 2; s++) {
        printf("\n    n_d = %d:", runs[0].rigid[s].nd);
        for (q = 0; q < N_K; q++) {
            double x[MAX_SEEDS], m, sd, spread;
            for (j = 0; j < n_runs; j++) { pred_stat(jobs, n_runs * per, j, s, q, N_RIGID - 1, &x[j], &spread); x[j] -= runs[j].rigid[s].E[N_RIGID - 1]; }
            seed_stat(x, n_runs, &m, &sd);
            printf("  best-of-%d %+.3f +- %.3f", KS[q], m, sd);
        }
    }
    printf("\n");
}

/* Takes "--seeds N" out of argv (tutorial.h's parser does not know it). -1 on a bad value. */
static int take_seeds(int *argc, char **argv, int *n)
{
    int i, j = 1;
    for (i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0) {
            char *end;
            long v = i + 1 < *argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= *argc || end == argv[i + 1] || *end || v < 1 || v > MAX_SEEDS) {
                fprintf(stderr, "rsc_fig3: --seeds wants an integer in 1..%d\n", MAX_SEEDS);
                return -1;
            }
            *n = (int)v; i++;
        } else argv[j++] = argv[i];
    }
    *argc = j;
    return 0;
}

/* The models of one repeat: every (set, k, draw); k = 15 has one draw (all members). */
static int make_jobs(fit_job *jobs, int run)
{
    int s, q, dr, n = 0;
    for (s = 0; s < N_SETS; s++)
        for (q = 0; q < N_K; q++)
            for (dr = 0; dr < (KS[q] == N_MEMBERS ? 1 : N_DRAWS); dr++) {
                if (jobs) { jobs[n].set = s; jobs[n].k = KS[q]; jobs[n].draw = dr; jobs[n].run = run; }
                n++;
            }
    return n;
}

int main(int argc, char **argv)
{
    options opt;
    dimer_ring_params p = dimer_ring_default();
    seed_run *runs = NULL;
    fit_job *jobs = NULL;
    fit_progress progress = { 0, 0, 0, 0 };
    int n_runs = 5, per = make_jobs(NULL, 0), n_jobs, j, rc = 1, po;
    if (take_seeds(&argc, argv, &n_runs)) return 2;
    po = parse_options(argc, argv, &opt);
    if (po) return po > 0 ? 0 : 2;
    if (make_dirs(opt.out) != 0) { fprintf(stderr, "rsc_fig3: cannot create %s: %s\n", opt.out, strerror(errno)); return 1; }
    runs = (seed_run *)calloc((size_t)n_runs, sizeof(seed_run));
    jobs = (fit_job *)calloc((size_t)n_runs * per, sizeof(fit_job));
    if (!runs || !jobs) { fprintf(stderr, "rsc_fig3: out of memory\n"); goto done; }
    for (j = 0; j < n_runs; j++) {
        runs[j].seed = opt.seed + (unsigned long)j;
        if (seed_run_data(&runs[j], &p)) goto done;
        make_jobs(jobs + (size_t)j * per, j);
    }
    n_jobs = n_runs * per;
    printf("training %d BP models (%d seeds x %d, %ld epochs each)\n", n_jobs, n_runs, per, opt.epochs);
    fflush(stdout);
    progress.n = n_jobs; progress.t0 = progress.last = time(NULL);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (j = 0; j < n_jobs; j++) {
        seed_run *r = &runs[jobs[j].run];
        fit_one(&jobs[j], r->rattled, r->rigid, r->seed, opt.epochs);
        job_done(&progress);
    }
    for (j = 0; j < n_jobs; j++) if (!jobs[j].ok) { fprintf(stderr, "rsc_fig3: model %d (seed %lu, set %s, k %d, draw %d) failed\n", j, runs[jobs[j].run].seed, set_name(jobs[j].set), jobs[j].k, jobs[j].draw); goto done; }
    for (j = 0; j < n_runs; j++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/seed_%lu", opt.out, runs[j].seed);
        if (seed_run_files(&runs[j], dir, jobs + (size_t)j * per, per)) goto done;
    }
    if (write_fig3a_seeds(opt.out, runs, n_runs) || write_fig3b_seeds(opt.out, runs, n_runs, jobs, n_jobs) || write_fig3c_seeds(opt.out, jobs, per, n_runs)) goto done;
    printf("seed %lu:\n", runs[0].seed);
    print_summary(runs[0].rigid, runs[0].rattled, runs[0].err, jobs, per);
    print_seed_summary(runs, n_runs, jobs, per);
    draw_png(argv[0], opt.out);
    rc = 0;
done:
    for (j = 0; runs && j < n_runs; j++) seed_run_free(&runs[j]);
    free(runs); free(jobs);
    return rc;
}
