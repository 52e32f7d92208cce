/* spin_accuracy.c - the thesis's accuracy comparison (Bloore section 4.2, Tables 4.1-4.3) on the
   toy-iron ground truth (examples/toyiron.h), plus a fixed-geometry spin-state test and a
   cross-validated comparison on real DFT data (NiO).

       bin/spin_accuracy [--quick] [--seed N] [--seeds N] [--truth extended|plain] [--members M]
                         [--epochs E] [--out DIR] (--help)

   Every part runs the whole pipeline (data, split, initialisation) for seeds seed..seed+N-1
   (--seeds, default 5; quick 2): the tables give mean +- sd over them, the *_seeds.csv files
   the per-seed values. The toy data come from the extended truth (toyiron_params_extended:
   biquadratic and three-spin exchange outside the spin bases' span) unless --truth plain.

   1. Three toy-iron subsets made by bin/gen_toyiron's generator (examples/toyiron_data.h,
      called in process, writes DIR/toyiron_SUBSET.xyz): `spin` (high spin variation: 10 geometries x
      33 spin states, T Table 4.2), `geo-spin` (high geometry and spin variation, T Table
      4.1) and `fm` (FM and perturbed FM only, high geometry variation, T Table 4.3). On
      each, four cases, each a committee ("bag") of M models (T4.2.1):
        BP      BP bases, BP network              SANNIP      BP + spin bases, BP network
        BP-CNN  BP bases, class convolution       SANNIP-CNN  BP + spin bases, class conv.
      with aggregate RMSE (T4.5), validation RMSE (T4.6), s/epoch, FOM (T4.7) and the FOM
      ratio to BP, next to the thesis's numbers.
   2. `states`: 150 bcc geometries, each in FM, PM and AFM; the geometries are split (not the
      structures): every third (50) is held out entirely, and a SANNIP committee trained on
      the other 100 predicts E_FM - E_PM and E_FM - E_AFM of each held-out geometry. BP is
      not trained: a spin-blind model predicts equal energies for the three states, so its
      error is the true difference itself.
   3. Real data, DFT NiO (non-collinear moments in mu_B): BP vs SANNIP (`sannip train
      --descriptors bp` and `bp+spin` with every other flag at its default), 5-fold
      cross-validated, next to the trivial predictors (training-mean energy, zero forces).
   Output: printed, and DIR/accuracy.md, DIR/accuracy.csv, DIR/states.csv, DIR/nio.csv (mean
   and sd over the seeds), DIR/accuracy_seeds.csv, DIR/states_seeds.csv, DIR/nio_seeds.csv
   (per seed; NiO per seed and fold) (default DIR: build/spin_accuracy). Everything except
   the timings (s/epoch, FOM, run times) is bit-identical for fixed seeds, whatever the
   number of threads.

   Choices (why; measured on the toy-iron subsets):
   - BP bases: sannip_descriptors_preset_bp (the T A.1 grid, 24 G2 + 18 G4, cosine cutoff,
     R_s scaled with rc) at rc = 4 A, not the thesis's 6 A. Every toy-iron interaction ends
     at 3.75 A (exchange) / 3.6 A (lattice); 4 A holds the first two shells of bcc (2.49,
     2.88 A) and fcc (2.59, 3.66 A). Descriptors cost ~8x less than at 6 A (17 instead of
     73 neighbours), and the fits are better: one SANNIP model on `spin`, 80 epochs:
     validation RMSE 5.7 meV/atom at 4 A, 8.6 at 4.5 A; 200 epochs at 6 A: 20.
   - Spin bases: only the generic presets, nothing placed on the truth's neighbour shells:
     sannip_descriptors_preset_spin_scaled (8 S1G + 12 S2G placed for the data's mean |S|,
     1.1 hbar, plus F4-F6) at the same rc (default), or the thesis's preset (T A.2, which
     assumes mu_B: S1G centres 0..3, S2G ramps) on the toy spins x 2 (--spin-preset thesis).
     (Earlier versions added a Heisenberg sum at 3.2 A that separated the first shell from
     the second; it is gone: it made the plain truth linear in the bases.)
   - Data: the subsets' geometries are rattled on a ramp (<u^2> ~ T, gen_toyiron's
     "temperatures") and strained, and their spins span FM, perturbed FM at four sigmas
     (spin temperatures), PM and AFM orders.
   - Network and training: 2 x 25 tanh (the thesis: ReLU; tanh trains faster with Adam and
     has smooth forces), Adam, batch 16, learning rate 3e-3 x 0.99 per epoch, validation
     fraction 0.2 (T4.2). The subsets train on energies only, as the thesis's tables are
     energy RMSEs (forces are dropped from the training views). The fixed-geometry
     committee also fits forces (weight 0.1): with one energy per structure the 240
     training structures pin the spin terms down poorly; forces carry J'(r) S_i.S_j.
     Validation RMSE of one model on `states` (210 geometries, 150 epochs) 4.8 -> 1.7
     meV/atom; held-out difference RMSEs of the quick run 1.2-3.0 meV/atom over seeds 1-6
     with forces, 2.7-4.8 over seeds 1-3 without.
     The thesis's 16000 epochs of SGD at 1e-4 do not fit in minutes; 100 epochs of Adam
     (60 in --quick) reach the tables below.
   - CNN: sannip_model_add_element_cnn without raw inputs (T3.2.3: one i_c -> i_c layer per
     class: radial, angular, spin).
   - NiO: exactly what `sannip train` does with default flags (bp preset at rc 6 A, the
     thesis's spin preset as it is for bp+spin, 2 x 25 tanh, modified scaling, and
     sannip_train_config_init: 300 epochs of Adam at 1e-3, batch 2, 20 % validation, the
     balanced loss), one model per fold; --quick trains 30 epochs at 3e-3 on 3 folds.
   - FOM = 1 / (s/epoch x validation RMSE in meV/atom) (T4.7, in the thesis's units).
   - Error bars: the sample standard deviation over the seeds of the whole pipeline. (The
     sampling error of one run's RMSE, RMSE / sqrt(2 N), is still in accuracy_seeds.csv as
     val_se; it understates the spread over seeds.)
   - Run time: --quick (M = 3, 60 epochs, smaller subsets: `spin` 2 repeats, `geo-spin` 24
     geometries, `fm` 30 geometries of 2^3 and 3^3 cells; 2 seeds) ~3 min of CPU; the full
     run ~40 min of CPU (5 seeds, NiO included).
*/
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "toyiron_data.h"        /* bin/gen_toyiron's generator, called in process */
#include "plotting.h"             /* the figures (examples/plot_accuracy.py), the learning-curve CSV */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/stat.h>

/* ---- settings ------------------------------------------------------------------------ */
typedef struct settings {
    int quick, members, epochs, epochs_states, epochs_nio, folds, batch;
    int parts;                    /* bit 0 subsets, 1 states, 2 NiO */
    int states_geometries;
    int seeds;                    /* whole-pipeline repeats with seeds seed, seed + 1, ... */
    int plain;                    /* 1: the plain toy truth (bilinear exchange), 0: the extended one */
    unsigned long long seed;
    const char *out, *nio, *argv0;
    double rc, rc_spin, lr, lr_decay, states_fw;
    int thesis_preset;            /* 1: sannip_descriptors_preset_spin_thesis on spins x 2 (mu_B) */
} settings;
#define MAX_SEEDS 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const sannip_error *err)
{
    fprintf(stderr, "spin_accuracy: %s%s%s\n", what, err ? ": " : "", err ? err->message : "");
    exit(1);
}
static void check(sannip_result r, const sannip_error *err, const char *what)
{
    if (r != SANNIP_SUCCESS) die(what, err);
}

static void print_usage(FILE *f)
{
    fprintf(f,
        "usage: spin_accuracy [options]\n"
        "Reproduces the thesis's accuracy comparison (Tables 4.1-4.3: BP, BP-CNN, SANNIP, SANNIP-CNN)\n"
        "on toy-iron data, the fixed-geometry spin-state energy differences, and a k-fold BP vs SANNIP\n"
        "comparison on DFT NiO.\n"
        "  --quick            reduced run (for make demo / tests): M = 3, fewer epochs, smaller subsets\n"
        "  --seed N           seed of the first repeat: data, split and initialisation (default 1)\n"
        "  --seeds N          repeats of the whole pipeline with seeds seed..seed+N-1; tables give\n"
        "                     mean +- sd over them (default 5; quick 2)\n"
        "  --truth T          extended (default: biquadratic and three-spin terms outside the spin\n"
        "                     bases' span, toyiron_params_extended) or plain (bilinear exchange)\n"
        "  --members M        models per committee (default 5; quick 3)\n"
        "  --epochs E         training epochs of the subset committees (default 100; quick 60)\n"
        "  --states-epochs E  training epochs of the fixed-geometry committee (default 250; quick 150)\n"
        "  --states-fw W      force weight of the fixed-geometry committee's training (default 0.1)\n"
        "  --states-geometries G  geometries of the fixed-geometry study, every third held out (default 150)\n"
        "  --out DIR          output directory (default build/spin_accuracy)\n"
        "  --nio FILE         NiO data (default $SANNIP_SHARED/data/nio_train.xyz, SANNIP_SHARED\n"
        "                     defaulting to ../shared); 'none' skips the NiO part. NiO trains with\n"
        "                     sannip train's defaults (300 epochs; quick: 30 at 3e-3, 3 folds)\n"
        "  --spin-preset P    scaled (default: 8 S1G + 12 S2G scaled to the mean |S|, F4-F6) or thesis\n"
        "                     (T A.2, which assumes mu_B: the toy spins are multiplied by 2)\n"
        "  --rc R             cutoff of the BP and spin bases for toy iron in A (default 4.0)\n"

        "  --parts LIST       what to run, comma-separated from subsets, states, nio (default all)\n"
        "  --help             this text\n");
}

static void parse(int argc, char **argv, settings *s)
{
    static char outbuf[1024], niobuf[1024];
    const char *shared = getenv("SANNIP_SHARED");
    int i, members = 0, epochs = 0, states_epochs = 0, states_geometries = 0, seeds = 0;
    memset(s, 0, sizeof *s);
    s->seed = 1; s->out = "build/spin_accuracy"; s->rc = 4.0;
    s->batch = 16; s->lr = 3e-3; s->lr_decay = 0.99; s->folds = 5; s->parts = 7; s->states_fw = 0.1;
    snprintf(niobuf, sizeof niobuf, "%s/data/nio_train.xyz", shared ? shared : "../shared");
    s->nio = niobuf;
    for (i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) { print_usage(stdout); exit(0); }
        if (!strcmp(f, "--quick")) { s->quick = 1; continue; }
        if (!v) { fprintf(stderr, "spin_accuracy: %s needs a value (see --help)\n", f); exit(2); }
        i++;
        if (!strcmp(f, "--seed")) {
            errno = 0;
            s->seed = strtoull(v, &end, 10);
            if (v[0] == '-' || end == v || *end || errno) { fprintf(stderr, "spin_accuracy: bad --seed '%s'\n", v); exit(2); }
        } else if (!strcmp(f, "--seeds")) {
            seeds = (int)strtol(v, &end, 10);
            if (end == v || *end || seeds < 1 || seeds > MAX_SEEDS) { fprintf(stderr, "spin_accuracy: --seeds must be 1..%d\n", MAX_SEEDS); exit(2); }
        } else if (!strcmp(f, "--truth")) {
            if (!strcmp(v, "plain")) s->plain = 1;
            else if (strcmp(v, "extended")) { fprintf(stderr, "spin_accuracy: --truth must be extended or plain\n"); exit(2); }
        } else if (!strcmp(f, "--members")) {
            members = (int)strtol(v, &end, 10);
            if (end == v || *end || members < 1 || members > 100) { fprintf(stderr, "spin_accuracy: --members must be 1..100\n"); exit(2); }
        } else if (!strcmp(f, "--epochs")) {
            epochs = (int)strtol(v, &end, 10);
            if (end == v || *end || epochs < 1 || epochs > 1000000) { fprintf(stderr, "spin_accuracy: --epochs must be 1..1000000\n"); exit(2); }
        } else if (!strcmp(f, "--states-epochs")) {
            states_epochs = (int)strtol(v, &end, 10);
            if (end == v || *end || states_epochs < 1 || states_epochs > 1000000) { fprintf(stderr, "spin_accuracy: --states-epochs must be 1..1000000\n"); exit(2); }
        } else if (!strcmp(f, "--states-fw")) {
            s->states_fw = strtod(v, &end);
            if (end == v || *end || !(s->states_fw >= 0 && s->states_fw <= 100)) { fprintf(stderr, "spin_accuracy: --states-fw must be in [0, 100]\n"); exit(2); }
        } else if (!strcmp(f, "--states-geometries")) {
            states_geometries = (int)strtol(v, &end, 10);
            if (end == v || *end || states_geometries < 3 || states_geometries > 3000) { fprintf(stderr, "spin_accuracy: --states-geometries must be 3..3000\n"); exit(2); }
        } else if (!strcmp(f, "--out")) {
            snprintf(outbuf, sizeof outbuf, "%s", v); s->out = outbuf;
        } else if (!strcmp(f, "--nio")) {
            snprintf(niobuf, sizeof niobuf, "%s", v); s->nio = strcmp(v, "none") ? niobuf : NULL;
        } else if (!strcmp(f, "--spin-preset")) {
            if (!strcmp(v, "thesis")) s->thesis_preset = 1;
            else if (strcmp(v, "scaled")) { fprintf(stderr, "spin_accuracy: --spin-preset must be scaled or thesis\n"); exit(2); }
        } else if (!strcmp(f, "--rc")) {
            s->rc = strtod(v, &end);
            if (end == v || *end || !(s->rc >= 3 && s->rc <= 8)) { fprintf(stderr, "spin_accuracy: --rc must be in [3, 8]\n"); exit(2); }
        } else if (!strcmp(f, "--parts")) {
            s->parts = (strstr(v, "subsets") ? 1 : 0) | (strstr(v, "states") ? 2 : 0) | (strstr(v, "nio") ? 4 : 0);
            if (!s->parts) { fprintf(stderr, "spin_accuracy: --parts takes a list of subsets, states, nio\n"); exit(2); }
        } else { fprintf(stderr, "spin_accuracy: unknown option %s (see --help)\n", f); exit(2); }
    }
    s->rc_spin = s->rc;
    s->members = members ? members : s->quick ? 3 : 5;
    s->seeds = seeds ? seeds : s->quick ? 2 : 5;
    s->epochs = epochs ? epochs : s->quick ? 60 : 100;
    s->epochs_states = states_epochs ? states_epochs : s->quick ? 150 : 250;
    s->states_geometries = states_geometries ? states_geometries : 150;    /* every third held out: 50 */
    s->epochs_nio = s->quick ? 30 : 100;
    if (s->quick) s->folds = 3;
}

/* ---- data ---------------------------------------------------------------------------- */
/* Writes the toy-iron set of o to path with bin/gen_toyiron's generator (byte-identical to
   the program's output for the same options, and the same report line), then reads it. */
static void generate(const toyiron_data_options *o, const char *path, sannip_dataset *d)
{
    toyiron_data_summary sum;
    sannip_error err;
    if (toyiron_data_write(o, path, &sum, &err) != SANNIP_SUCCESS) {
        fprintf(stderr, "gen_toyiron: %s\n", err.message);
        die("toy-iron generator failed", NULL);
    }
    toyiron_data_report(stderr, "gen_toyiron", o, &sum, path);
    sannip_dataset_init(d, NULL);
    check(sannip_dataset_read_file(d, path, &err), &err, path);
}
/* The options of a subset: its preset with the run's seed. */
static void subset_options(toyiron_data_options *o, const settings *st, const char *subset)
{
    toyiron_data_defaults(o);
    toyiron_data_preset(o, subset);
    o->seed = st->seed;
    o->extended = !st->plain;
}

/* A view of structures idx[0..n) of src (NULL: all), sharing their arrays; without forces
   unless keep_forces (energy-only training and energy-only reports). Free with view_free,
   never with sannip_dataset_uninit. */
static void view_make(sannip_dataset *v, const sannip_dataset *src, const int *idx, int n, int keep_forces)
{
    int i;
    memset(v, 0, sizeof *v);
    v->s = (sannip_structure *)calloc((size_t)n + 1, sizeof(sannip_structure));
    if (!v->s) die("out of memory", NULL);
    for (i = 0; i < n; i++) {
        v->s[i] = src->s[idx ? idx[i] : i];
        if (!keep_forces) v->s[i].forces = NULL;
    }
    v->n = v->cap = n;
    v->alloc = src->alloc;
}
static void view_free(sannip_dataset *v) { free(v->s); memset(v, 0, sizeof *v); }

static void scale_spins(sannip_dataset *d, double k)
{
    int i, a;
    for (i = 0; i < d->n; i++) if (d->s[i].spins) for (a = 0; a < 3 * d->s[i].n; a++) d->s[i].spins[a] = (sannip_real)(k * d->s[i].spins[a]);
}
/* The sorted distinct elements of d. */
static int elements(const sannip_dataset *d, int *Zs)
{
    int i, a, k, nz = 0;
    for (i = 0; i < d->n; i++) for (a = 0; a < d->s[i].n; a++) {
        int z = d->s[i].Z[a];
        for (k = 0; k < nz && Zs[k] != z; k++) {}
        if (k == nz && nz < SANNIP_MAX_ELEMENTS) Zs[nz++] = z;
    }
    for (i = 1; i < nz; i++) for (a = i; a > 0 && Zs[a - 1] > Zs[a]; a--) { int t = Zs[a]; Zs[a] = Zs[a - 1]; Zs[a - 1] = t; }
    return nz;
}
/* An integer tag "key=N" of a structure's comment line (gen_toyiron's tags); -1 if absent. */
static int tag_int(const sannip_structure *s, const char *key)
{
    const char *p = strstr(s->comment, key);
    return p ? atoi(p + strlen(key)) : -1;
}
static int tag_is(const sannip_structure *s, const char *keyval)
{
    const char *p = strstr(s->comment, keyval);
    size_t n = strlen(keyval);
    return p && (p[n] == ' ' || p[n] == 0);
}

/* ---- models -------------------------------------------------------------------------- */
enum { CASE_BP, CASE_BP_CNN, CASE_SANNIP, CASE_SANNIP_CNN, N_CASES };
static const char *case_names[N_CASES] = { "BP", "BP-CNN", "SANNIP", "SANNIP-CNN" };

typedef struct model_spec {
    int spin, cnn;
    double rc, rc_spin, smag;
    int thesis_preset, scaling;           /* scaling: sannip_scaling of every element */
    int shells;                           /* 1: also sannip_descriptors_preset_spin_shells (bp+spin) */
} model_spec;

/* The template of one case: BP bases (T A.1 grid) for every element, spin bases if asked,
   a 2 x 25 tanh network (plain or class convolution) per element. */
static void make_template(sannip_model *m, const sannip_dataset *d, const model_spec *ms)
{
    static const int hidden[2] = { 25, 25 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    int Zs[SANNIP_MAX_ELEMENTS] = { 0 }, nz = elements(d, Zs), i;
    sannip_error err;
    sannip_model_init(m, NULL);
    check(sannip_descriptors_preset_bp(&m->desc, Zs, nz, (sannip_real)ms->rc, &err), &err, "BP preset");
    for (i = 0; ms->spin && i < nz; i++) {
        if (ms->thesis_preset) check(sannip_descriptors_preset_spin_thesis(&m->desc, Zs[i], (sannip_real)ms->rc_spin, &err), &err, "thesis spin preset");
        else check(sannip_descriptors_preset_spin_scaled(&m->desc, Zs[i], (sannip_real)ms->rc_spin, (sannip_real)ms->smag, &err), &err, "scaled spin preset");
        if (ms->shells) check(sannip_descriptors_preset_spin_shells(&m->desc, Zs[i], (sannip_real)ms->rc_spin, &err), &err, "spin shell ladder");
    }
    for (i = 0; i < nz; i++) {
        check(ms->cnn ? sannip_model_add_element_cnn(m, Zs[i], 0, 2, hidden, act, &err)
                      : sannip_model_add_element(m, Zs[i], 2, hidden, act, &err), &err, "network");
        m->el[i].scaling = ms->scaling;
    }
}

/* Progress of one training stage (member 0 of a committee reports): a line with the epoch
   and the ETA at most every 10 s, and the learning curve into curve when it is open. */
typedef struct stage_progress { char label[96]; double t0, last; FILE *curve; } stage_progress;
static int on_progress(const sannip_train_progress *p, void *user)
{
    stage_progress *sp = (stage_progress *)user;
    double t = now();
    if (sp->curve) learning_curve_row(sp->curve, p, t - sp->t0);
    if (t - sp->last >= 10 && p->epoch < p->epochs) {
        printf("    %s: epoch %d/%d, ETA %.0f s\n", sp->label, p->epoch, p->epochs, p->eta_seconds);
        sp->last = t;
    }
    return 0;
}
static void stage_begin(stage_progress *sp, const char *label)
{
    snprintf(sp->label, sizeof sp->label, "%s", label);
    sp->t0 = sp->last = now();
    sp->curve = NULL;
}

static sannip_train_config train_config(const settings *st, int epochs, double force_weight, uint64_t seed, stage_progress *sp)
{
    sannip_train_config c = sannip_train_config_init();
    c.progress = on_progress; c.user = sp;
    c.optimizer = SANNIP_OPT_ADAM;
    c.epochs = epochs;
    c.batch_size = st->batch;
    c.learning_rate = st->lr;
    c.lr_decay = st->lr_decay;
    c.force_weight = SANNIP_EXACTLY(force_weight);
    c.raw_loss = 1;   /* weights as set here (NiO's var(F)/var(E/N) is the default loss's rule written out) */
    c.field_weight = c.stress_weight = SANNIP_OFF;   /* energies (and forces) only, as measured */
    c.validation_fraction = 0.2;
    c.seed = seed;
    return c;
}

/* ---- 1. the three subsets x four cases ------------------------------------------------ */
typedef struct case_result {
    double agg, val, val_se, spe, fom;   /* meV/atom, meV/atom, meV/atom, s, 1/(s meV/atom) */
    int n_params;
} case_result;

/* Thesis Tables 4.1-4.3 (agg RMSE, val RMSE meV/atom, s/epoch, FOM ratio), per case. */
typedef struct thesis_row { double agg, val, spe, ratio; } thesis_row;
typedef struct subset_def {
    const char *name, *label, *table;
    thesis_row thesis[N_CASES];
} subset_def;
static const subset_def subsets[3] = {
    { "spin", "high spin variation", "T Table 4.2",
      { { 31.65, 31.90, 0.837, 1.00 }, { 31.67, 31.00, 2.26, 0.381 }, { 2.35, 2.75, 0.858, 11.3 }, { 2.44, 2.60, 2.76, 3.72 } } },
    { "geo-spin", "high geometry and spin variation", "T Table 4.1",
      { { 57.00, 57.76, 10.2, 1.00 }, { 56.72, 57.50, 27.0, 0.378 }, { 13.72, 15.56, 10.4, 3.63 }, { 11.18, 12.83, 30.5, 1.50 } } },
    { "fm", "high geometry, low spin variation (FM only)", "T Table 4.3",
      { { 28.52, 30.28, 4.01, 1.00 }, { 24.63, 26.22, 10.9, 0.426 }, { 15.47, 17.50, 4.22, 1.64 }, { 13.97, 17.16, 12.6, 0.561 } } },
};

static double predict_per_atom(const sannip_committee *c, sannip_workspace *ws, const sannip_structure *s);
/* Committee mean against the truth for every structure of d: rows of DIR/parity.csv. */
static void parity_rows(sannip_text *t, const char *subset, const char *cname, const sannip_committee *c, const sannip_dataset *d)
{
    sannip_workspace ws;
    int i;
    sannip_workspace_init(&ws, NULL);
    for (i = 0; i < d->n; i++)
        sannip_text_printf(t, "%s,%s,%d,%.9g,%.9g\n", subset, cname, i + 1, (double)d->s[i].energy / d->s[i].n, predict_per_atom(c, &ws, &d->s[i]));
    sannip_workspace_uninit(&ws);
}
static case_result run_case(const settings *st, const sannip_dataset *d, const model_spec *ms, int epochs, const char *subset, int cs,
                            sannip_text *parity)
{
    sannip_model tmpl;
    sannip_committee c;
    sannip_committee_report rep;
    stage_progress sp;
    sannip_train_config cfg = train_config(st, epochs, 0, st->seed, &sp);
    sannip_error err;
    case_result cr;
    char label[96], path[1200];
    long nval;
    snprintf(label, sizeof label, "%s %s", subset, case_names[cs]);
    stage_begin(&sp, label);
    snprintf(path, sizeof path, "%s/curves/%s_%s.csv", st->out, subset, case_names[cs]);
    if (parity && (sp.curve = fopen(path, "w")) != NULL) learning_curve_header(sp.curve, "eV", "Angstrom");
    make_template(&tmpl, d, ms);
    sannip_committee_init(&c, NULL);
    check(sannip_committee_create(&c, &tmpl, st->members, &err), &err, "committee");
    check(sannip_committee_train(&c, d, &cfg, &rep, &err), &err, "committee training");
    if (sp.curve) fclose(sp.curve);
    if (parity && (cs == CASE_BP || cs == CASE_SANNIP)) parity_rows(parity, subset, case_names[cs], &c, d);
    memset(&cr, 0, sizeof cr);
    cr.agg = 1e3 * rep.agg_rmse_e;
    cr.val = 1e3 * rep.val_rmse_e;
    nval = (long)st->members * (long)floor(0.2 * d->n + 0.5);
    if (nval > d->n) nval = d->n;
    cr.val_se = cr.val / sqrt(2.0 * (double)nval);
    cr.spe = rep.seconds_per_epoch;
    cr.fom = cr.spe > 0 && cr.val > 0 ? 1 / (cr.spe * cr.val) : 0;
    cr.n_params = (int)sannip_model_n_params(&tmpl);
    sannip_committee_uninit(&c);
    sannip_model_uninit(&tmpl);
    return cr;
}

/* ---- 2. fixed-geometry spin-state differences ----------------------------------------- */
enum { ST_IDX_FM, ST_IDX_PM, ST_IDX_AFM };
typedef struct states_result {
    int n_geo, n_train_geo, n_held;
    double rmse_pm[2], rmse_afm[2];      /* [0] SANNIP, [1] BP; meV/atom */
    double val;                           /* the SANNIP committee's validation RMSE, meV/atom */
    double seconds;
} states_result;

/* Committee mean energy per atom of structure s. */
static double predict_per_atom(const sannip_committee *c, sannip_workspace *ws, const sannip_structure *s)
{
    sannip_system sys = sannip_structure_view(s);
    sannip_real E = 0;
    sannip_error err;
    check(sannip_committee_predict(c, ws, &sys, &E, NULL, NULL, NULL, NULL, &err), &err, "prediction");
    return (double)E / s->n;
}

/* Structure index of every (geometry, state) of the states subset, from gen_toyiron's
   geometry= and state= tags: idx[3 g + state]. Returns the number of geometries. */
static int states_index(const sannip_dataset *d, int **idx_out)
{
    int i, g, n_geo = 0, *idx;
    for (i = 0; i < d->n; i++) if (tag_int(&d->s[i], "geometry=") + 1 > n_geo) n_geo = tag_int(&d->s[i], "geometry=") + 1;
    idx = (int *)malloc(sizeof(int) * (3 * (size_t)n_geo + 1));
    if (!idx) die("out of memory", NULL);
    for (g = 0; g < 3 * n_geo; g++) idx[g] = -1;
    for (i = 0; i < d->n; i++) {
        int geo = tag_int(&d->s[i], "geometry="), s = tag_is(&d->s[i], "state=fm") ? ST_IDX_FM : tag_is(&d->s[i], "state=pm") ? ST_IDX_PM
                : tag_is(&d->s[i], "state=afm") ? ST_IDX_AFM : -1;
        if (geo < 0 || s < 0) die("states subset: a structure without geometry= / state= tags", NULL);
        idx[3 * geo + s] = i;
    }
    for (g = 0; g < 3 * n_geo; g++) if (idx[g] < 0) die("states subset: a geometry lacks one of fm, pm, afm", NULL);
    *idx_out = idx;
    return n_geo;
}
/* Every third geometry (g = 2, 5, 8, ...) is held out: they span gen_toyiron's rattling ramp. */
static int held_out(int g) { return g % 3 == 2; }

/* SANNIP: a committee trained on the training geometries predicts the three states of
   every held-out geometry. BP is not trained: a spin-blind model predicts one energy for the
   three states of a geometry, so its difference errors are the reference differences. */
static states_result run_states(const settings *st, const sannip_dataset *d)
{
    states_result sr;
    int *idx, *train, ntr = 0, g, k;
    double t0 = now(), se[2][2] = { { 0, 0 }, { 0, 0 } };
    sannip_dataset tv;
    sannip_workspace ws;
    model_spec ms;
    sannip_model tmpl;
    sannip_committee c;
    sannip_committee_report rep;
    stage_progress sp;
    sannip_train_config cfg = train_config(st, st->epochs_states, st->states_fw, st->seed + 1000, &sp);
    sannip_error err;
    memset(&sr, 0, sizeof sr);
    sr.n_geo = states_index(d, &idx);
    train = (int *)malloc(sizeof(int) * ((size_t)d->n + 1));
    if (!train) die("out of memory", NULL);
    for (g = 0; g < sr.n_geo; g++) {
        if (held_out(g)) { sr.n_held++; continue; }
        for (k = 0; k < 3; k++) train[ntr++] = idx[3 * g + k];
    }
    sr.n_train_geo = sr.n_geo - sr.n_held;
    view_make(&tv, d, train, ntr, st->states_fw > 0);
    memset(&ms, 0, sizeof ms);
    ms.spin = 1; ms.rc = st->rc; ms.rc_spin = st->rc_spin; ms.smag = sannip_spin_mean_magnitude(d->s, d->n);
    ms.thesis_preset = st->thesis_preset;
    make_template(&tmpl, &tv, &ms);
    stage_begin(&sp, "states committee");
    sannip_committee_init(&c, NULL);
    check(sannip_committee_create(&c, &tmpl, st->members, &err), &err, "committee");
    check(sannip_committee_train(&c, &tv, &cfg, &rep, &err), &err, "committee training (states)");
    sr.val = 1e3 * rep.val_rmse_e;
    sannip_workspace_init(&ws, NULL);
    for (g = 0; g < sr.n_geo; g++) {
        double e[3], r[3];
        int s;
        if (!held_out(g)) continue;
        for (s = 0; s < 3; s++) {
            const sannip_structure *x = &d->s[idx[3 * g + s]];
            e[s] = predict_per_atom(&c, &ws, x);
            r[s] = (double)x->energy / x->n;
        }
        /* predicted minus reference E_FM - E_X per atom; BP predicts E_FM - E_X = 0 */
        for (k = 0; k < 2; k++) {
            se[0][k] += pow((e[0] - e[1 + k]) - (r[0] - r[1 + k]), 2);
            se[1][k] += pow(r[0] - r[1 + k], 2);
        }
    }
    for (k = 0; k < 2; k++) {
        sr.rmse_pm[k] = 1e3 * sqrt(se[k][0] / sr.n_held);
        sr.rmse_afm[k] = 1e3 * sqrt(se[k][1] / sr.n_held);
    }
    sannip_workspace_uninit(&ws);
    sannip_committee_uninit(&c);
    sannip_model_uninit(&tmpl);
    view_free(&tv);
    free(idx); free(train);
    sr.seconds = now() - t0;
    return sr;
}

/* ---- 3. NiO, k-fold cross-validation ------------------------------------------------- */
enum { NIO_BP, NIO_SANNIP, NIO_TRIVIAL, NIO_N };
static const char *nio_names[NIO_N] = { "BP", "SANNIP", "trivial" };
/* One repeat (seed) of the cross-validation: RMSEs pooled over the held-out folds, so every
   structure counts once. */
typedef struct nio_result {
    int folds, n, atoms;
    double e[NIO_N], f[NIO_N];  /* [BP, SANNIP, trivial]: meV/atom, eV/A */
    double energy_weight;       /* effective w_E of the default loss (sannip_loss_weights), mean over folds */
    double seconds;
} nio_result;

/* Mean and sample standard deviation of x[0..n) into out[0], out[1] (sd 0 for n = 1). */
static void mean_sd(const double *x, int n, double *out)
{
    double s = 0, q = 0;
    int i;
    for (i = 0; i < n; i++) s += x[i];
    s /= n;
    for (i = 0; i < n; i++) q += (x[i] - s) * (x[i] - s);
    out[0] = s; out[1] = n > 1 ? sqrt(q / (n - 1)) : 0;
}

/* Energy (per atom) and force squared errors of model m (NULL: the trivial predictor,
   energy per atom e0 and zero forces) over structures te[0..n); adds to se, sf, nf. */
static void test_errors(const sannip_model *m, double e0, const sannip_dataset *d, const int *te, int n,
                        sannip_workspace *ws, double *se, double *sf, long *nf)
{
    int i, a;
    for (i = 0; i < n; i++) {
        const sannip_structure *s = &d->s[te[i]];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E = (sannip_real)(e0 * s->n), *F = (sannip_real *)calloc(3 * (size_t)s->n, sizeof(sannip_real));
        sannip_error err;
        if (!F) die("out of memory", NULL);
        if (m) check(sannip_model_compute_field(m, ws, &sys, &E, NULL, F, NULL, NULL, &err), &err, "NiO prediction");
        *se += pow(((double)E - s->energy) / s->n, 2);
        for (a = 0; a < 3 * s->n; a++) *sf += pow((double)F[a] - s->forces[a], 2);
        *nf += 3 * s->n;
        free(F);
    }
}

/* One model trained on tv as `sannip train --descriptors bp|bp+spin` with every other flag at
   its default would train it (bp preset and the thesis's spin preset at rc 6 A, moments in
   mu_B, with the S2 shell ladder, 2 x 25 tanh, modified scaling, sannip_train_config_init: Adam 1e-3, 300 epochs,
   batch 2, 20 % validation, balanced loss), then tested on te[0..nte) of d. */
static void nio_fit_test(const settings *st, const sannip_dataset *tv, const sannip_dataset *d, const int *te, int nte, int spin,
                         uint64_t seed, const char *label, sannip_workspace *ws, double *se, double *sf, long *nf)
{
    model_spec ms;
    sannip_model m;
    stage_progress sp;
    sannip_train_config cfg = sannip_train_config_init();
    sannip_error err;
    cfg.seed = seed; cfg.progress = on_progress; cfg.user = &sp;
    if (st->quick) { cfg.epochs = st->epochs_nio; cfg.learning_rate = 3e-3; }   /* 30 epochs at 1e-3 leave forces worse than zero */
    stage_begin(&sp, label);
    memset(&ms, 0, sizeof ms);
    ms.spin = spin; ms.rc = 6; ms.rc_spin = 6; ms.thesis_preset = 1; ms.shells = 1; ms.scaling = SANNIP_SCALE_MODIFIED;
    make_template(&m, tv, &ms);
    check(sannip_train(&m, tv, &cfg, NULL, &err), &err, "NiO training");
    test_errors(&m, 0, d, te, nte, ws, se, sf, nf);
    sannip_model_uninit(&m);
}

/* A seeded shuffle of 0..n-1 into perm (the folds are its contiguous slices). */
static void shuffled(int *perm, int n, uint64_t seed)
{
    sannip_rng rng;
    int i;
    sannip_rng_seed(&rng, seed);
    for (i = 0; i < n; i++) perm[i] = i;
    for (i = n - 1; i > 0; i--) { int j = (int)(sannip_rng_next(&rng) % (uint64_t)(i + 1)), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
}

/* One repeat: split (seed + 2000), a BP and a SANNIP model per fold (seed + 3000 + fold) and
   the trivial predictor (training-fold mean energy per atom, zero forces); a row per fold
   and predictor into rows (predictor,seed,fold,structures,energy_rmse,force_rmse). */
static nio_result run_nio(const settings *st, const sannip_dataset *d, unsigned long long seed, sannip_text *rows)
{
    nio_result nr;
    double se[NIO_N] = { 0, 0, 0 }, sf[NIO_N] = { 0, 0, 0 }, t0 = now(), we, wf;
    long nf[NIO_N] = { 0, 0, 0 };
    int *perm = (int *)malloc(sizeof(int) * (3 * (size_t)d->n + 1)), *tr = perm + d->n, *te = tr + d->n, fold, i, k;
    sannip_workspace ws;
    memset(&nr, 0, sizeof nr);
    nr.folds = st->folds; nr.n = d->n; nr.atoms = d->s[0].n;
    if (!perm) die("out of memory", NULL);
    if (d->n < nr.folds) die("NiO: fewer structures than folds", NULL);
    shuffled(perm, d->n, seed + 2000);
    sannip_workspace_init(&ws, NULL);
    for (fold = 0; fold < nr.folds; fold++) {
        int lo = (int)((long)d->n * fold / nr.folds), hi = (int)((long)d->n * (fold + 1) / nr.folds), ntr = 0, nte = 0;
        double mean_e = 0;
        sannip_dataset tv;
        for (i = 0; i < d->n; i++) { if (i >= lo && i < hi) te[nte++] = perm[i]; else tr[ntr++] = perm[i]; }
        view_make(&tv, d, tr, ntr, 1);
        for (i = 0; i < ntr; i++) mean_e += (double)d->s[tr[i]].energy / d->s[tr[i]].n / ntr;
        sannip_loss_weights(d, tr, ntr, NULL, &we, &wf);
        nr.energy_weight += we / nr.folds;
        for (k = 0; k < NIO_N; k++) {
            double fse = 0, fsf = 0;
            long fnf = 0;
            char label[96];
            snprintf(label, sizeof label, "NiO seed %llu fold %d/%d, %s", seed, fold + 1, nr.folds, nio_names[k]);
            if (k == NIO_TRIVIAL) test_errors(NULL, mean_e, d, te, nte, &ws, &fse, &fsf, &fnf);
            else nio_fit_test(st, &tv, d, te, nte, k == NIO_SANNIP, seed + 3000 + (uint64_t)fold, label, &ws, &fse, &fsf, &fnf);
            sannip_text_printf(rows, "%s,%llu,%d,%d,%.6g,%.6g\n", nio_names[k], seed, fold, nte, 1e3 * sqrt(fse / nte), sqrt(fsf / (double)fnf));
            se[k] += fse; sf[k] += fsf; nf[k] += fnf;
        }
        view_free(&tv);
    }
    for (k = 0; k < NIO_N; k++) { nr.e[k] = 1e3 * sqrt(se[k] / d->n); nr.f[k] = sqrt(sf[k] / (double)nf[k]); }
    sannip_workspace_uninit(&ws);
    free(perm);
    nr.seconds = now() - t0;
    return nr;
}

/* ---- the three parts and their output ------------------------------------------------- */
static void path_in(char *buf, size_t size, const char *dir, const char *name) { snprintf(buf, size, "%s/%s", dir, name); }

static void write_text(const char *dir, const char *name, const sannip_text *t)
{
    char path[1200];
    sannip_error err;
    if (t->failed) die("out of memory", NULL);
    path_in(path, sizeof path, dir, name);
    check(sannip_write_file_atomic(path, t->s ? t->s : "", t->len, &err), &err, path);
}

static int count_atoms(const sannip_dataset *d)
{
    int i, n = 0;
    for (i = 0; i < d->n; i++) n += d->s[i].n;
    return n;
}

/* The statistics of one table entry over the repeats: what of case c in the results
   cr[k * N_CASES + c] of repeat k (one subset). */
enum { Q_AGG, Q_VAL, Q_RATIO, Q_SPE, Q_FOM, Q_FOM_RATIO, N_Q };
static const char *q_names[N_Q] = { "agg_rmse", "val_rmse", "val_ratio", "s_per_epoch", "fom", "fom_ratio" };
static double case_value(const case_result *cr, int c, int what)
{
    switch (what) {
    case Q_AGG: return cr[c].agg;
    case Q_VAL: return cr[c].val;
    case Q_RATIO: return cr[CASE_BP].val / cr[c].val;     /* BP / case: > 1 when the case is better */
    case Q_SPE: return cr[c].spe;
    case Q_FOM: return cr[c].fom;
    default: return cr[c].fom / cr[CASE_BP].fom;
    }
}
static void case_stat(const case_result *cr, int seeds, int c, int what, double out[2])
{
    double x[MAX_SEEDS];
    int k;
    for (k = 0; k < seeds; k++) x[k] = case_value(cr + (size_t)k * N_CASES, c, what);
    mean_sd(x, seeds, out);
}
static double thesis_value(const subset_def *sd, int c, int what)
{
    const thesis_row *t = sd->thesis;
    return what == Q_AGG ? t[c].agg : what == Q_VAL ? t[c].val : what == Q_RATIO ? t[0].val / t[c].val : what == Q_SPE ? t[c].spe
         : what == Q_FOM ? 1 / (t[c].spe * t[c].val) : t[c].ratio;
}

/* The markdown table of one subset: mean +- sd over the repeats, the thesis's in parentheses. */
static void table_md(sannip_text *md, const subset_def *sd, const case_result *cr, int seeds, int n_struct, int n_atoms)
{
    static const char *rows[N_Q] = { "agg. RMSE (meV/atom)", "val. RMSE (meV/atom)", "val. RMSE ratio BP / case", "s/epoch", "FOM", "FOM / FOM(BP)" };
    int c, q;
    sannip_text_printf(md, "\n### %s (`%s`, %d structures, %d atoms per seed; %s)\n\n", sd->label, sd->name, n_struct, n_atoms, sd->table);
    sannip_text_printf(md, "| | BP | BP-CNN | SANNIP | SANNIP-CNN |\n|---|---|---|---|---|\n| bases | BP | BP | SANNIP | SANNIP |\n| NN type | BP NN | CNN | BP NN | CNN |\n");
    sannip_text_printf(md, "| parameters |");
    for (c = 0; c < N_CASES; c++) sannip_text_printf(md, " %d |", cr[c].n_params);
    for (q = 0; q < N_Q; q++) {
        sannip_text_printf(md, "\n| %s |", rows[q]);
        for (c = 0; c < N_CASES; c++) {
            double ms[2];
            case_stat(cr, seeds, c, q, ms);
            sannip_text_printf(md, q == Q_AGG || q == Q_VAL || q == Q_RATIO ? " %.2f ± %.2f (%.2f) |" : " %.3g ± %.2g (%.3g) |",
                               ms[0], ms[1], thesis_value(sd, c, q));
        }
    }
    sannip_text_printf(md, "\n");
}

/* One repeat of the subsets study at st->seed into cr[s][c]; the parity rows and learning
   curves of the first repeat only (parity NULL for the others). */
static void subsets_once(const settings *st, case_result cr[3][N_CASES], int *n_struct, int *n_atoms, sannip_text *parity, sannip_text *rows)
{
    int s, c;
    for (s = 0; s < 3; s++) {
        toyiron_data_options o;
        sannip_dataset d, v;
        char name[96], path[1200];
        double t0 = now(), smag;
        snprintf(name, sizeof name, "toyiron_%s_seed%llu.xyz", subsets[s].name, st->seed);
        path_in(path, sizeof path, st->out, name);
        subset_options(&o, st, subsets[s].name);
        if (st->quick) {         /* smaller subsets: fewer repeats / geometries, no 4x4x4 cells */
            if (s == 0) o.repeats = 2;
            else if (s == 1) o.geometries = 24;
            else { o.geometries = 30; o.sizes[0] = 2; o.sizes[1] = 3; o.n_sizes = 2; }
        }
        generate(&o, path, &d);
        if (st->thesis_preset) scale_spins(&d, 2);
        view_make(&v, &d, NULL, d.n, 0);
        smag = sannip_spin_mean_magnitude(d.s, d.n);
        for (c = 0; c < N_CASES; c++) {
            model_spec ms;
            memset(&ms, 0, sizeof ms);
            ms.spin = c >= CASE_SANNIP; ms.cnn = c == CASE_BP_CNN || c == CASE_SANNIP_CNN;
            ms.rc = st->rc; ms.rc_spin = st->rc_spin; ms.smag = smag; ms.thesis_preset = st->thesis_preset;
            cr[s][c] = run_case(st, &v, &ms, st->epochs, subsets[s].name, c, parity);
            printf("  seed %llu %-9s %-11s agg %8.3f  val %8.3f +- %6.3f meV/atom   %.4f s/epoch\n", st->seed, subsets[s].name, case_names[c],
                   cr[s][c].agg, cr[s][c].val, cr[s][c].val_se, cr[s][c].spe);
        }
        for (c = 0; c < N_CASES; c++)
            sannip_text_printf(rows, "%s,%s,%llu,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", subsets[s].name, case_names[c], st->seed, d.n,
                               count_atoms(&d), cr[s][c].n_params, cr[s][c].agg, cr[s][c].val, cr[s][c].val_se, case_value(cr[s], c, Q_RATIO),
                               cr[s][c].spe, cr[s][c].fom, case_value(cr[s], c, Q_FOM_RATIO));
        printf("  seed %llu %s: BP / SANNIP validation RMSE %.3g (thesis %.3g); %.1f s\n", st->seed, subsets[s].name,
               case_value(cr[s], CASE_SANNIP, Q_RATIO), thesis_value(&subsets[s], CASE_SANNIP, Q_RATIO), now() - t0);
        n_struct[s] = d.n; n_atoms[s] = count_atoms(&d);
        view_free(&v);
        sannip_dataset_uninit(&d);
    }
}

/* accuracy.csv: a row per subset and case, mean and sd over the repeats of every entry,
   the thesis's values last. */
static void subsets_csv(const settings *st, sannip_text *csv, const case_result *cr, int s, int n_struct)
{
    int c, q;
    for (c = 0; c < N_CASES; c++) {
        sannip_text_printf(csv, "%s,%s,%d,%d,%d,%d,%d", subsets[s].name, case_names[c], st->seeds, n_struct, st->members, st->epochs, cr[c].n_params);
        for (q = 0; q < N_Q; q++) {
            double ms[2];
            case_stat(cr, st->seeds, c, q, ms);
            sannip_text_printf(csv, ",%.6g,%.6g", ms[0], ms[1]);
        }
        for (q = 0; q < N_Q; q++) sannip_text_printf(csv, ",%.6g", thesis_value(&subsets[s], c, q));
        sannip_text_printf(csv, "\n");
    }
}

static void part_subsets(const settings *st, sannip_text *md, sannip_text *csv, sannip_text *rows, sannip_text *parity)
{
    case_result *cr = (case_result *)calloc((size_t)st->seeds * 3 * N_CASES, sizeof(case_result)), *one;
    double t_start = now();
    int s, k, q, n_struct[3], n_atoms[3];
    if (!cr) die("out of memory", NULL);
    one = (case_result *)calloc(3 * N_CASES * (size_t)st->seeds, sizeof(case_result));
    if (!one) die("out of memory", NULL);
    sannip_text_printf(parity, "subset,case,structure,reference,predicted\n");
    sannip_text_printf(rows, "subset,case,seed,structures,atoms,parameters,agg_rmse,val_rmse,val_se,val_ratio,s_per_epoch,fom,fom_ratio\n");
    sannip_text_printf(csv, "subset,case,seeds,structures,members,epochs,parameters");
    for (q = 0; q < N_Q; q++) sannip_text_printf(csv, ",%s_mean,%s_sd", q_names[q], q_names[q]);
    for (q = 0; q < N_Q; q++) sannip_text_printf(csv, ",thesis_%s", q_names[q]);
    sannip_text_printf(csv, "\n");
    for (k = 0; k < st->seeds; k++) {
        settings sk = *st;
        case_result (*r)[N_CASES] = (case_result (*)[N_CASES])(cr + (size_t)k * 3 * N_CASES);
        sk.seed = st->seed + (unsigned long long)k;
        subsets_once(&sk, r, n_struct, n_atoms, k == 0 ? parity : NULL, rows);
    }
    /* regroup per subset: one[s][k][c] */
    for (k = 0; k < st->seeds; k++) for (s = 0; s < 3; s++)
        memcpy(one + ((size_t)s * st->seeds + k) * N_CASES, cr + ((size_t)k * 3 + s) * N_CASES, N_CASES * sizeof(case_result));
    sannip_text_printf(md, "\n## BP vs SANNIP, with and without the class-convolution network (T Tables 4.1-4.3)\n\n"
                           "Committees of %d models, %d epochs each; mean ± sd over %d seeds (data, split, initialisation), the\n"
                           "thesis's (Fe DFT; s/epoch on a cluster node) in parentheses. FOM = 1/(s/epoch x val. RMSE in meV/atom)\n"
                           "(T4.7); s/epoch and FOM are timings of this run. Per-seed values: accuracy_seeds.csv.\n",
                       st->members, st->epochs, st->seeds);
    for (s = 0; s < 3; s++) {
        table_md(md, &subsets[s], one + (size_t)s * st->seeds * N_CASES, st->seeds, n_struct[s], n_atoms[s]);
        subsets_csv(st, csv, one + (size_t)s * st->seeds * N_CASES, s, n_struct[s]);
    }
    sannip_text_printf(md, "\nThree subsets x four cases x %d seeds: %.0f s.\n", st->seeds, now() - t_start);
    printf("three subsets x four cases x %d seeds: %.1f s\n", st->seeds, now() - t_start);
    free(cr); free(one);
}

/* The states study over the repeats: per-seed rows, mean +- sd in the table. */
static void part_states(const settings *st, sannip_text *md, sannip_text *csv, sannip_text *rows)
{
    double v[4][MAX_SEEDS], ms[4][2];   /* SANNIP FM-PM, FM-AFM, val; BP FM-PM; BP FM-AFM in bp[] */
    double bp[2][MAX_SEEDS], bms[2][2];
    states_result sr;
    int k, q, n_atoms = 0;
    memset(&sr, 0, sizeof sr);
    sannip_text_printf(rows, "model,seed,geometries,held_out,rmse_fm_pm,rmse_fm_afm,val_rmse\n");
    for (k = 0; k < st->seeds; k++) {
        sannip_dataset d;
        toyiron_data_options o;
        settings sk = *st;
        char name[96], path[1200];
        sk.seed = st->seed + (unsigned long long)k;
        snprintf(name, sizeof name, "toyiron_states_seed%llu.xyz", sk.seed);
        path_in(path, sizeof path, st->out, name);
        subset_options(&o, &sk, "states");
        o.geometries = st->states_geometries;
        generate(&o, path, &d);
        if (st->thesis_preset) scale_spins(&d, 2);
        sr = run_states(&sk, &d);
        n_atoms = count_atoms(&d) / 3;
        v[0][k] = sr.rmse_pm[0]; v[1][k] = sr.rmse_afm[0]; v[2][k] = sr.val; bp[0][k] = sr.rmse_pm[1]; bp[1][k] = sr.rmse_afm[1];
        printf("states, seed %llu: %d geometries (%d for training, %d held out), RMSE of E_FM - E_PM %.3f meV/atom (SANNIP), %.3f (BP);"
               " of E_FM - E_AFM %.3f (SANNIP), %.3f (BP); %.1f s\n", sk.seed, sr.n_geo, sr.n_train_geo, sr.n_held, sr.rmse_pm[0], sr.rmse_pm[1],
               sr.rmse_afm[0], sr.rmse_afm[1], sr.seconds);
        sannip_text_printf(rows, "SANNIP,%llu,%d,%d,%.6g,%.6g,%.6g\nBP,%llu,%d,%d,%.6g,%.6g,-1\n", sk.seed, sr.n_geo, sr.n_held, sr.rmse_pm[0],
                           sr.rmse_afm[0], sr.val, sk.seed, sr.n_geo, sr.n_held, sr.rmse_pm[1], sr.rmse_afm[1]);
        sannip_dataset_uninit(&d);
    }
    for (q = 0; q < 3; q++) mean_sd(v[q], st->seeds, ms[q]);
    for (q = 0; q < 2; q++) mean_sd(bp[q], st->seeds, bms[q]);
    sannip_text_printf(md, "\n## Spin-state energy differences at fixed geometry (`states`)\n\n"
                           "%d bcc geometries (%d atoms), each in FM, PM and AFM; %d geometries (every third) held out entirely, %d for\n"
                           "training (committees of %d, %d epochs). RMSE over the held-out geometries of the predicted minus the true\n"
                           "energy difference per atom, mean ± sd over %d seeds.\n\n"
                           "| | SANNIP | BP |\n|---|---|---|\n"
                           "| E_FM - E_PM (meV/atom) | %.3f ± %.3f | %.1f ± %.1f |\n| E_FM - E_AFM (meV/atom) | %.3f ± %.3f | %.1f ± %.1f |\n",
                       sr.n_geo, n_atoms, sr.n_held, sr.n_train_geo, st->members, st->epochs_states, st->seeds,
                       ms[0][0], ms[0][1], bms[0][0], bms[0][1], ms[1][0], ms[1][1], bms[1][0], bms[1][1]);
    sannip_text_printf(md, "| val. RMSE of the committee (meV/atom) | %.3f ± %.3f | - |\n\n"
                           "BP cannot see spins: it predicts one energy for the three states of a geometry, so its predicted\n"
                           "differences are 0 and its RMSE is the RMS of the true differences (no BP committee is trained).\n", ms[2][0], ms[2][1]);
    sannip_text_printf(csv, "model,seeds,geometries,held_out,rmse_fm_pm_mean,rmse_fm_pm_sd,rmse_fm_afm_mean,rmse_fm_afm_sd,val_rmse_mean,val_rmse_sd\n"
                            "SANNIP,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\nBP,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,-1,0\n",
                       st->seeds, sr.n_geo, sr.n_held, ms[0][0], ms[0][1], ms[1][0], ms[1][1], ms[2][0], ms[2][1],
                       st->seeds, sr.n_geo, sr.n_held, bms[0][0], bms[0][1], bms[1][0], bms[1][1]);
}

/* nio.csv: a row per predictor, mean and sd over the repeats of its cross-validated RMSEs
   and of their ratios to SANNIP's (energy: predictor / SANNIP; forces: SANNIP / predictor). */
static void nio_summary(const settings *st, const nio_result *nr, sannip_text *md, sannip_text *csv)
{
    int k, j;
    sannip_text_printf(csv, "predictor,seeds,folds,energy_rmse_mean,energy_rmse_sd,force_rmse_mean,force_rmse_sd,"
                            "energy_ratio_mean,energy_ratio_sd,force_ratio_mean,force_ratio_sd\n");
    for (k = 0; k < NIO_N; k++) {
        double x[4][MAX_SEEDS], ms[4][2];
        for (j = 0; j < st->seeds; j++) {
            x[0][j] = nr[j].e[k]; x[1][j] = nr[j].f[k];
            x[2][j] = nr[j].e[k] / nr[j].e[NIO_SANNIP]; x[3][j] = nr[j].f[NIO_SANNIP] / nr[j].f[k];
        }
        for (j = 0; j < 4; j++) mean_sd(x[j], st->seeds, ms[j]);
        sannip_text_printf(csv, "%s,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", nio_names[k], st->seeds, nr[0].folds,
                           ms[0][0], ms[0][1], ms[1][0], ms[1][1], ms[2][0], ms[2][1], ms[3][0], ms[3][1]);
        sannip_text_printf(md, "| %s | %.3f ± %.3f | %.2f ± %.2f | %.4f ± %.4f | %.2f ± %.2f |\n",
                           k == NIO_TRIVIAL ? "trivial (training-mean energy, zero forces)" : nio_names[k],
                           ms[0][0], ms[0][1], ms[2][0], ms[2][1], ms[1][0], ms[1][1], ms[3][0], ms[3][1]);
        printf("NiO %-8s energy RMSE %.3f +- %.3f meV/atom (x %.2f +- %.2f SANNIP's), force RMSE %.4f +- %.4f eV/A\n", nio_names[k],
               ms[0][0], ms[0][1], ms[2][0], ms[2][1], ms[1][0], ms[1][1]);
    }
}

static void part_nio(const settings *st, sannip_text *md, sannip_text *csv, sannip_text *rows)
{
    sannip_dataset d;
    sannip_error err;
    nio_result nr[MAX_SEEDS];
    double ew = 0, t0 = now();
    FILE *f = fopen(st->nio, "r");
    int k;
    if (!f) { printf("NiO: %s not found, skipped\n", st->nio); return; }
    fclose(f);
    sannip_dataset_init(&d, NULL);
    check(sannip_dataset_read_file(&d, st->nio, &err), &err, st->nio);
    sannip_text_printf(rows, "predictor,seed,fold,structures,energy_rmse,force_rmse\n");
    for (k = 0; k < st->seeds; k++) {
        nr[k] = run_nio(st, &d, st->seed + (unsigned long long)k, rows);
        ew += nr[k].energy_weight / st->seeds;
        printf("NiO seed %llu: %d-fold energy RMSE BP %.3f, SANNIP %.3f, training mean %.3f meV/atom; force RMSE BP %.4f, SANNIP %.4f,"
               " zero %.4f eV/A; %.1f s\n", st->seed + (unsigned long long)k, nr[k].folds, nr[k].e[0], nr[k].e[1], nr[k].e[2],
               nr[k].f[0], nr[k].f[1], nr[k].f[2], nr[k].seconds);
    }
    sannip_text_printf(md, "\n## NiO (DFT, %d frames of %d atoms), %d-fold cross-validation, energies and forces\n\n"
                           "One model per fold and method, trained as `bin/sannip train --descriptors bp|bp+spin` with every other flag\n"
                           "at its default (%d epochs, Adam %g, batch %d, 20 %% validation, rc 6 A, 2 x 25 tanh, modified scaling\n"
                           "with spreads floored at %g A x RMS |dG/dR|, balanced loss: effective energy weight %.0f); SANNIP = bp+spin (the thesis's spin preset, T A.2, moments\n"
                           "in mu_B). RMSEs pooled over the held-out folds; mean ± sd over %d seeds (split, initialisation).\n"
                           "Ratio: energy RMSE / SANNIP's; force ratio: SANNIP's force RMSE / the predictor's (< 1: SANNIP's forces better).\n\n"
                           "| | energy RMSE (meV/atom) | / SANNIP | force RMSE (eV/A) | SANNIP / it |\n|---|---|---|---|---|\n",
                       nr[0].n, nr[0].atoms, nr[0].folds, st->quick ? st->epochs_nio : sannip_train_config_init().epochs,
                       st->quick ? 3e-3 : sannip_train_config_init().learning_rate, sannip_train_config_init().batch_size,
                       0.1, ew, st->seeds);
    nio_summary(st, nr, md, csv);
    if (st->quick) sannip_text_printf(md, "\n(quick run: %d epochs at learning rate 3e-3, not the defaults)\n", st->epochs_nio);
    sannip_text_printf(md, "\n%d seeds x %d folds: %.0f s.\n", st->seeds, nr[0].folds, now() - t0);
    sannip_dataset_uninit(&d);
}

/* The figures: the tables as bars (with the states and NiO parts when they ran), the parity
   of BP and SANNIP committees on each set, and a learning curve per set (plotting.h). */
static void draw_plots(const settings *st)
{
    char qo[2500], args[30000], png[1200], path[1200], q[2500], title[256];
    int s, c;
    if (shell_quote(st->out, qo, sizeof qo)) return;
    path_in(png, sizeof png, st->out, "accuracy.png");
    snprintf(args, sizeof args, "tables %s -o %s/accuracy.png", qo, qo);
    plot_run(st->argv0, "plot_accuracy.py", args, png, "BP vs SANNIP validation RMSE (T Tables 4.1-4.3), state differences, NiO");
    path_in(png, sizeof png, st->out, "parity.png");
    snprintf(args, sizeof args, "sets %s -o %s/parity.png", qo, qo);
    plot_run(st->argv0, "plot_accuracy.py", args, png, "parity of the BP and SANNIP committees");
    for (s = 0; s < 3; s++) {
        size_t n;
        snprintf(title, sizeof title, "'learning curves, %s\n(first member of each committee; validation solid, training dashed)'", subsets[s].label);
        n = (size_t)snprintf(args, sizeof args, "curves");
        for (c = 0; c < N_CASES && n < sizeof args; c++) {
            snprintf(path, sizeof path, "%s/curves/%s_%s.csv", st->out, subsets[s].name, case_names[c]);
            if (shell_quote(path, q, sizeof q)) return;
            n += (size_t)snprintf(args + n, sizeof args - n, " %s --label %s", q, case_names[c]);
        }
        snprintf(png, sizeof png, "%s/learning_curves_%s.png", st->out, subsets[s].name);
        if (shell_quote(png, q, sizeof q) || n >= sizeof args) return;
        snprintf(args + n, sizeof args - n, " --title %s -o %s", title, q);
        plot_run(st->argv0, "plot_accuracy.py", args, png, subsets[s].label);
    }
}

int main(int argc, char **argv)
{
    settings st;
    sannip_text md, csv[3], rows[3], parity;
    static const char *csv_names[3] = { "accuracy.csv", "states.csv", "nio.csv" };
    static const char *rows_names[3] = { "accuracy_seeds.csv", "states_seeds.csv", "nio_seeds.csv" };
    double t_start = now();
    int k;

    parse(argc, argv, &st);
    st.argv0 = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdir(st.out, 0777) != 0 && errno != EEXIST) { fprintf(stderr, "spin_accuracy: cannot create %s\n", st.out); return 1; }
    {
        char cdir[1200];
        path_in(cdir, sizeof cdir, st.out, "curves");
        if (mkdir(cdir, 0777) != 0 && errno != EEXIST) { fprintf(stderr, "spin_accuracy: cannot create %s\n", cdir); return 1; }
    }
    sannip_text_init(&md, NULL); sannip_text_init(&parity, NULL);
    for (k = 0; k < 3; k++) { sannip_text_init(&csv[k], NULL); sannip_text_init(&rows[k], NULL); }
    sannip_text_printf(&md, "# SANNIP vs BP on toy iron (bin/spin_accuracy, seeds %llu..%llu, %s run)\n\n"
                            "Adam (learning rate %g, x %g per epoch), batch %d, validation fraction 0.2, 2 x 25 tanh networks,\n"
                            "energies only. Toy iron (%s truth): BP bases = T A.1 grid (24 G2 + 18 G4) at rc = %g A; SANNIP = those + %s",
                       st.seed, st.seed + (unsigned long long)st.seeds - 1, st.quick ? "quick" : "full", st.lr, st.lr_decay, st.batch, st.plain ? "plain" : "extended", st.rc,
                       st.thesis_preset ? "the thesis's 20 spin bases (T A.2; spins converted to mu_B)" : "sannip_descriptors_preset_spin_scaled (8 S1G + 12 S2G for the mean |S|, F4-F6)");
    sannip_text_printf(&md, ".\n");
    printf("%s", md.s);
    if (st.parts & 1) part_subsets(&st, &md, &csv[0], &rows[0], &parity);
    if (st.parts & 2) part_states(&st, &md, &csv[1], &rows[1]);
    if ((st.parts & 4) && st.nio) part_nio(&st, &md, &csv[2], &rows[2]);
    sannip_text_printf(&md, "\nRun time: %.0f s.\n", now() - t_start);
    write_text(st.out, "accuracy.md", &md);
    for (k = 0; k < 3; k++) if ((st.parts & 1 << k) && rows[k].len) { write_text(st.out, csv_names[k], &csv[k]); write_text(st.out, rows_names[k], &rows[k]); }
    if (st.parts & 1) write_text(st.out, "parity.csv", &parity);
    printf("\n%s", md.s);
    printf("-> %s/accuracy.md and the CSV files (learning curves in %s/curves/)\n", st.out, st.out);
    if (st.parts & 1) draw_plots(&st);
    printf("spin_accuracy: %.1f s\n", now() - t_start);
    sannip_text_uninit(&md); sannip_text_uninit(&parity);
    for (k = 0; k < 3; k++) { sannip_text_uninit(&csv[k]); sannip_text_uninit(&rows[k]); }
    return 0;
}
