/* field_efficiency.c - what effective-field labels are worth: a data-efficiency curve on toy
   iron (issue 14). For each seed, a pool of toy-iron structures (examples/toyiron_data.h:
   bcc 2x2x2 geometries in FM, perturbed-FM, PM and AFM states, with energies, forces and the
   field heff = -dE/dS) is shuffled; a fixed test set is held out, and a spin-aware model is
   trained on the first N of the rest drawn by spin state (fe_stratify), for every N of --sizes, with the field term (the
   default weight) and without it (--field-weight 0), from the same start. Printed: the test
   energy, force and field RMSE, mean +- standard deviation over the seeds; written: the
   per-seed values as CSV.

       bin/field_efficiency [--seeds K] [--sizes 8,16,32,64,128] [--test T] [--steps U]
                            [--out FILE.csv] [--quick]

   Everything changes with the seed: the data (geometries, spin draws), the split, the
   initialisation and the batch order. Same seed, same numbers, whatever the threads.
   Model: sannip_descriptors_preset_bp (T A.1 grid) and sannip_descriptors_preset_spin_scaled
   for |S| = 1.1 hbar, both at rc = 4 A (as bin/spin_accuracy), 2 x 12 tanh, Adam 3e-3,
   batch 4, energies + forces (+ fields) with the balanced default weights, no validation
   split (every structure trains; the best epoch is judged on the training loss). Every run
   takes the same number of optimiser steps (--steps, default 3000: epochs = steps x 4 / N),
   so small sets are trained as long as large ones. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "toyiron_data.h"
#include <math.h>
#include <time.h>

#define FE_MAX_SIZES 8
#define FE_MAX_SEEDS 64

typedef struct fe_opts { int seeds, sizes[FE_MAX_SIZES], n_sizes, test, steps; const char *out; } fe_opts;
typedef struct fe_errs { double e, f, h, seconds; } fe_errs;   /* test RMSEs: meV/atom, eV/A, eV/hbar */

static void fe_die(const sannip_error *err, const char *what)
{
    fprintf(stderr, "field_efficiency: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static void fe_usage(void)
{
    printf("usage: bin/field_efficiency [--seeds K] [--sizes 8,16,32,64,128] [--test T] [--steps U]\n"
           "                            [--out FILE.csv] [--quick]\n"
           "Trains a spin-aware model on N toy-iron structures with and without the effective-field\n"
           "term for every N of --sizes and K seeds (default 5); prints the held-out energy, force\n"
           "and field RMSE (mean +- sd over seeds) and writes the per-seed values (default\n"
           "build/field_efficiency.csv). --test: held-out structures (default 40); --steps:\n"
           "optimiser steps of every run (batch 4; default 3000); --quick: 2 seeds, sizes 8,16,\n"
           "300 steps.\n");
}

static void fe_parse(int argc, char **argv, fe_opts *o)
{
    int i;
    o->seeds = 5; o->n_sizes = 5;
    for (i = 0; i < o->n_sizes; i++) o->sizes[i] = 8 << i;
    o->test = 40; o->steps = 3000; o->out = "build/field_efficiency.csv";
    for (i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) { fe_usage(); exit(0); }
        if (!strcmp(f, "--quick")) { o->seeds = 2; o->n_sizes = 2; o->steps = 300; continue; }
        if (!v) { fprintf(stderr, "field_efficiency: %s needs a value (--help)\n", f); exit(2); }
        i++;
        if (!strcmp(f, "--seeds")) o->seeds = atoi(v);
        else if (!strcmp(f, "--test")) o->test = atoi(v);
        else if (!strcmp(f, "--steps")) o->steps = atoi(v);
        else if (!strcmp(f, "--out")) o->out = v;
        else if (!strcmp(f, "--sizes")) {
            char *end; const char *p = v;
            for (o->n_sizes = 0; *p && o->n_sizes < FE_MAX_SIZES; p = *end == ',' ? end + 1 : end) {
                long n = strtol(p, &end, 10);
                if (end == p || n < 1) { fprintf(stderr, "field_efficiency: bad --sizes '%s'\n", v); exit(2); }
                o->sizes[o->n_sizes++] = (int)n;
            }
        } else { fprintf(stderr, "field_efficiency: unknown option %s (--help)\n", f); exit(2); }
    }
    if (o->seeds < 1 || o->seeds > FE_MAX_SEEDS || o->test < 1 || o->steps < 1 || o->n_sizes < 1) {
        fprintf(stderr, "field_efficiency: --seeds 1..%d, --test and --steps at least 1\n", FE_MAX_SEEDS); exit(2);
    }
}

/* The pool of one seed: bcc 2x2x2 geometries, each in FM, four perturbed-FM, PM and AFM
   states (7 structures per geometry), enough for the test set and the largest N. */
static void fe_pool(const fe_opts *o, int seed, sannip_dataset *d)
{
    toyiron_data_options to;
    toyiron_data_summary sum;
    sannip_text t;
    sannip_error err;
    int nmax = 0, k;
    for (k = 0; k < o->n_sizes; k++) if (o->sizes[k] > nmax) nmax = o->sizes[k];
    toyiron_data_defaults(&to);
    to.seed = (unsigned long long)seed;
    to.geometries = (o->test + nmax + 6) / 7 + 1;
    sannip_text_init(&t, NULL);
    if (toyiron_data_make(&to, &t, &sum, &err) != SANNIP_SUCCESS) fe_die(&err, "toy-iron data");
    sannip_dataset_init(d, NULL);
    if (sannip_dataset_read_mem(d, t.s, t.len, &err) != SANNIP_SUCCESS) fe_die(&err, "reading the toy-iron data");
    sannip_text_uninit(&t);
}

/* The spin-aware template (bases, 2 x 12 tanh network), weights drawn from seed. */
static void fe_model(sannip_model *m, uint64_t seed)
{
    static const int hidden[2] = { 12, 12 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    int Z = 26;
    sannip_error err;
    sannip_rng rng;
    sannip_model_init(m, NULL);
    if (sannip_descriptors_preset_bp(&m->desc, &Z, 1, 4, &err) || sannip_descriptors_preset_spin_scaled(&m->desc, Z, 4, (sannip_real)1.1, &err)
        || sannip_model_add_element(m, Z, 2, hidden, act, &err)) fe_die(&err, "model");
    sannip_rng_seed(&rng, seed);
    sannip_model_init_weights(m, &rng);
}

/* Test RMSEs of m on d->s[idx[0..n)]: energy per atom (meV), force and field components. */
static fe_errs fe_test(const sannip_model *m, const sannip_dataset *d, const int *idx, int n)
{
    sannip_workspace ws;
    sannip_error err;
    fe_errs r;
    double se = 0, sf = 0, sh = 0, nf = 0;
    int i, k;
    sannip_real *F = (sannip_real *)malloc(sizeof(sannip_real) * 6 * TOYIRON_MAX_ATOMS), *H = F + 3 * TOYIRON_MAX_ATOMS, E;
    sannip_workspace_init(&ws, NULL);
    for (i = 0; i < n; i++) {
        const sannip_structure *s = &d->s[idx[i]];
        sannip_system sys = sannip_structure_view(s);
        if (sannip_model_compute_field(m, &ws, &sys, &E, NULL, F, NULL, H, &err) != SANNIP_SUCCESS) fe_die(&err, "test prediction");
        se += pow((E - s->energy) / s->n, 2);
        for (k = 0; k < 3 * s->n; k++) { sf += pow(F[k] - s->forces[k], 2); sh += pow(H[k] - s->fields[k], 2); nf++; }
    }
    r.e = 1000 * sqrt(se / n); r.f = sqrt(sf / nf); r.h = sqrt(sh / nf); r.seconds = 0;
    free(F); sannip_workspace_uninit(&ws);
    return r;
}

/* One training run on the N structures tr[0..N) (a view data set), with or without the
   field term; its test errors. */
static fe_errs fe_run(const fe_opts *o, const sannip_dataset *pool, const int *tr, int N, const int *te, int seed, int fields)
{
    sannip_dataset view;
    sannip_train_config c = sannip_train_config_init();
    sannip_model m;
    sannip_error err;
    fe_errs r;
    clock_t t0 = clock();
    int i;
    sannip_dataset_init(&view, NULL);
    for (i = 0; i < N; i++) if (sannip_dataset_append(&view, &pool->s[tr[i]], &err)) fe_die(&err, "training view");
    fe_model(&m, 1000u + (uint64_t)seed);
    c.epochs = (o->steps * 4 + N - 1) / N; c.batch_size = 4; c.learning_rate = 3e-3; c.seed = (uint64_t)seed;
    c.validation_fraction = SANNIP_OFF; c.keep_weights = 1;
    c.field_weight = fields ? 1 : SANNIP_OFF;
    if (sannip_train(&m, &view, &c, NULL, &err) != SANNIP_SUCCESS) fe_die(&err, "training");
    r = fe_test(&m, pool, te, o->test);
    r.seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    sannip_model_uninit(&m); sannip_dataset_uninit(&view);
    return r;
}

/* The training order after the test set: the structures of perm (shuffled) drawn by spin
   state in the pool's proportions, blocks of FM, pFM, PM, pFM, AFM, pFM, pFM (1 : 4 : 1 : 1),
   each state's structures in their shuffled order. Every N >= 5 then sees every state (a
   plain random draw left seed 2's first 16 without a PM structure, and the model
   extrapolated on the PM test states), and each N's set is a prefix of the next one's. */
static void fe_stratify(const sannip_dataset *pool, const int *perm, int n, int *out)
{
    static const int block[7] = { TOYIRON_FM, TOYIRON_PFM, TOYIRON_PM, TOYIRON_PFM, TOYIRON_AFM, TOYIRON_PFM, TOYIRON_PFM };
    int *st = (int *)malloc(sizeof(int) * 2 * (size_t)n + 1), *next = st + n, i, k, got = 0;
    for (i = 0; i < n; i++) {   /* the state named by the frame's state= entry (-1: another) */
        const char *q = strstr(pool->s[perm[i]].comment, "state=");
        st[i] = -1;
        for (k = 0; q && k < TOYIRON_STATE_COUNT; k++) {
            size_t l = strlen(toyiron_state_names[k]);
            if (strncmp(q + 6, toyiron_state_names[k], l) == 0 && (q[6 + l] == ' ' || q[6 + l] == 0)) st[i] = k;
        }
    }
    for (k = 0; k < 7; k++) next[k] = 0;   /* per block slot: where its state's search resumes */
    while (got < n) {
        int before = got;
        for (k = 0; k < 7 && got < n; k++) {
            int j = next[k];
            while (j < n && (st[j] != block[k] || st[j] == -2)) j++;
            if (j < n) { out[got++] = perm[j]; st[j] = -2; }
            next[k] = j;
        }
        if (got == before) for (i = 0; i < n; i++) if (st[i] != -2) { out[got++] = perm[i]; st[i] = -2; }   /* other states last */
    }
    free(st);
}

static void fe_stats(const double *v, int n, double *mean, double *sd)
{
    int i;
    double s = 0, s2 = 0;
    for (i = 0; i < n; i++) s += v[i];
    *mean = s / n;
    for (i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(s2 / (n - 1)) : 0;
}

int main(int argc, char **argv)
{
    static double E[2][FE_MAX_SIZES][FE_MAX_SEEDS], Fo[2][FE_MAX_SIZES][FE_MAX_SEEDS], Hf[2][FE_MAX_SIZES][FE_MAX_SEEDS];
    fe_opts o;
    FILE *csv;
    double cpu = 0;
    int seed, k, w;
    fe_parse(argc, argv, &o);
    if (!(csv = fopen(o.out, "w"))) { fprintf(stderr, "field_efficiency: cannot write %s\n", o.out); return 1; }
    fprintf(csv, "seed,n_train,field_labels,test_rmse_e_meV_atom,test_rmse_f_eV_A,test_rmse_h_eV_hbar,cpu_seconds\n");
    for (seed = 1; seed <= o.seeds; seed++) {
        sannip_dataset pool;
        sannip_rng rng;
        int *perm, *order, i;
        fe_pool(&o, seed, &pool);
        perm = (int *)malloc(sizeof(int) * 2 * (size_t)pool.n);
        order = perm + pool.n;
        for (i = 0; i < pool.n; i++) perm[i] = i;
        sannip_rng_seed(&rng, (uint64_t)seed);
        for (i = pool.n - 1; i > 0; i--) { int j = (int)(sannip_rng_next(&rng) % (uint64_t)(i + 1)), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        fe_stratify(&pool, perm + o.test, pool.n - o.test, order);
        for (k = 0; k < o.n_sizes; k++) for (w = 0; w < 2; w++) {
            fe_errs r = fe_run(&o, &pool, order, o.sizes[k], perm, seed, w);
            E[w][k][seed - 1] = r.e; Fo[w][k][seed - 1] = r.f; Hf[w][k][seed - 1] = r.h; cpu += r.seconds;
            fprintf(csv, "%d,%d,%d,%.6g,%.6g,%.6g,%.3f\n", seed, o.sizes[k], w, r.e, r.f, r.h, r.seconds);
            fflush(csv);
        }
        printf("seed %d done (%d structures, %.0f s CPU so far)\n", seed, pool.n, cpu);
        fflush(stdout);
        free(perm); sannip_dataset_uninit(&pool);
    }
    fclose(csv);
    printf("\nheld-out toy iron (%d structures), mean +- sd over %d seeds, %d optimiser steps a run:\n", o.test, o.seeds, o.steps);
    printf("   N  fields | energy RMSE meV/atom | force RMSE eV/A    | field RMSE eV/hbar\n");
    for (k = 0; k < o.n_sizes; k++) for (w = 0; w < 2; w++) {
        double me, se, mf, sf, mh, sh;
        fe_stats(E[w][k], o.seeds, &me, &se); fe_stats(Fo[w][k], o.seeds, &mf, &sf); fe_stats(Hf[w][k], o.seeds, &mh, &sh);
        printf("%4d  %-6s | %8.3f +- %-8.3f  | %7.4f +- %-7.4f | %7.4f +- %-7.4f\n", o.sizes[k], w ? "yes" : "no", me, se, mf, sf, mh, sh);
    }
    /* the claim of issue 14: the energy RMSE without fields at N is reached with fields at N/2
       (means over the seeds, and seed by seed) */
    for (k = 0; k < o.n_sizes; k++) {
        int h, wins = 0, half = 0;
        for (seed = 0; seed < o.seeds; seed++) wins += E[1][k][seed] < E[0][k][seed];
        printf("N = %d: the field term lowers the energy RMSE for %d of %d seeds\n", o.sizes[k], wins, o.seeds);
        for (h = 0; h < o.n_sizes; h++) if (2 * o.sizes[h] == o.sizes[k]) {
            double mw, sw, mo, so;
            fe_stats(E[1][h], o.seeds, &mw, &sw); fe_stats(E[0][k], o.seeds, &mo, &so);
            for (seed = 0; seed < o.seeds; seed++) half += E[1][h][seed] <= E[0][k][seed];
            printf("  with fields at N = %d: %.3f meV/atom; without at N = %d: %.3f -> %s (seed by seed: %d of %d)\n", o.sizes[h], mw,
                   o.sizes[k], mo, mw <= mo ? "half as many suffice" : "half as many do not suffice", half, o.seeds);
        }
    }
    printf("per-seed values: %s; training CPU %.0f s\n", o.out, cpu);
    return 0;
}
