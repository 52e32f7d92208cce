/* Training benchmark of sannip_train.h: time per epoch of energy+force training on the n2p2
   water reference structures (../shared/peers/n2p2/H2O_RPBE-D3/input.data: 20 structures,
   2064 atoms, H and O, bohr/Hartree), against the same training step in PyTorch, and the
   training errors reached against those of n2p2's shipped potential.

   (a) n2p2's shipped potential, imported with sannip_n2p2_import_dir, evaluated on the 20
       structures: its energy/force RMSE against the references of input.data (checked
       against n2p2's own n2p2_predictions.data).
   (b) sannip: the same descriptor set (57 symmetry functions) and architecture (nf-25-25-1,
       tanh, tanh, linear) trained from scratch: sannip_train with fresh weights, fitted
       scalers and energy map, Adam, batches of BENCH_BATCH structures, loss per structure
       w_E ((E - E_ref)/N)^2 + w_F mean over 3N components of (F - F_ref)^2, no validation
       split, one thread. Time per epoch and the training errors reached, next to n2p2's.
   (c) export of the precomputed tensors (scaled features, their derivatives dX/dr = a dG/dr,
       neighbour indices, references, energy map, trained parameters and sannip's loss
       gradient of one batch) to build/bench_train_data.bin for bench/torch_train.py.
   (d) PyTorch (Debian's python3-torch; skipped with a hint when it is missing): the same
       networks, loss, optimiser, batch size, float64, one thread. It first checks that its
       loss and gradient at sannip's trained parameters equal sannip's (same computation),
       then times epochs after a warm-up one. Printed: the ratio torch / sannip per epoch.

   Usage: bench_train [epochs N] [lr X] [fw X] [ew X] [decay X] [batch N] [torch-epochs N] [notorch] [keep]
   (keep: leave build/bench_train_data.bin, ~150 MB, for running bench/torch_train.py by hand;
   SANNIP_PYTHON: the Python interpreter to use.)
   Prints figures only; exits non-zero when a call fails, never because of a time.
   See bench/README.md for what each figure means. */
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Training settings (command-line overridable). Found by a sweep on this data set: see
   bench/README.md. */
#define BENCH_EPOCHS 600
#define BENCH_LR 1e-2
#define BENCH_LR_DECAY 0.997
#define BENCH_FW 1.0
#define BENCH_EW 1.0
#define BENCH_BATCH 4
#define BENCH_SEED 1
#define TORCH_EPOCHS 10                /* timed PyTorch epochs (after one warm-up epoch) */
#define HA_MEV 27211.386               /* 1 Hartree in meV */
#define BOHR_A 0.529177210903          /* 1 bohr in Angstrom */
#define BUSY_SHARE 0.9
#define BENCH_PROG "bench_train"
#include "bench_util.h"
#define SPE_WINDOW 10                  /* epochs per window of the best sannip figure */
#define DATA_FILE "build/bench_train_data.bin"
#define TORCH_SCRIPT "bench/torch_train.py"

static int epochs = BENCH_EPOCHS, batch = BENCH_BATCH, torch_epochs = TORCH_EPOCHS, use_torch = 1, keep_data = 0;
static double lr = BENCH_LR, lr_decay = BENCH_LR_DECAY, fw = BENCH_FW, ew = BENCH_EW;


/* ---- the summary table ---------------------------------------------------------------- */

/* ---- errors of a model on the data set (sannip_model_compute, independent of training) -- */
typedef struct errs { double rmse_e, rmse_f, mae_e, mae_f, max_f; } errs;
static errs model_errors(const sannip_model *m, const sannip_dataset *d, const sannip_dataset *pred, double *max_pred_de, double *max_pred_df)
{
    sannip_workspace ws;
    sannip_error err;
    errs r;
    double se = 0, ae = 0, sf = 0, af = 0, nf = 0;
    int i, k, nmax = 0;
    sannip_real *F;
    memset(&r, 0, sizeof r);
    for (i = 0; i < d->n; i++) if (d->s[i].n > nmax) nmax = d->s[i].n;
    F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)nmax);
    sannip_workspace_init(&ws, NULL);
    if (max_pred_de) *max_pred_de = 0;
    if (max_pred_df) *max_pred_df = 0;
    for (i = 0; i < d->n; i++) {
        const sannip_structure *s = &d->s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E;
        double de;
        if (sannip_model_compute(m, &ws, &sys, &E, NULL, F, NULL, &err) != SANNIP_SUCCESS) die("sannip_model_compute", &err);
        de = (E - s->energy) / s->n;
        se += de * de; ae += fabs(de);
        for (k = 0; k < 3 * s->n; k++) {
            double df = F[k] - s->forces[k];
            sf += df * df; af += fabs(df); nf += 1;
            if (fabs(df) > r.max_f) r.max_f = fabs(df);
        }
        if (pred && i < pred->n && pred->s[i].n == s->n) {
            double x = fabs(E - pred->s[i].energy) / s->n;
            if (x > *max_pred_de) *max_pred_de = x;
            for (k = 0; k < 3 * s->n; k++) { x = fabs(F[k] - pred->s[i].forces[k]); if (x > *max_pred_df) *max_pred_df = x; }
        }
    }
    r.rmse_e = sqrt(se / d->n); r.mae_e = ae / d->n;
    r.rmse_f = sqrt(sf / nf); r.mae_f = af / nf;
    sannip_workspace_uninit(&ws);
    free(F);
    return r;
}

/* ---- progress: wall time and errors of every epoch ------------------------------------- */
typedef struct trace {
    double t_start, *t_end, *rmse_e, *rmse_f, *loss;
    int n, cap;
} trace;
static int on_progress(const sannip_train_progress *p, void *user)
{
    trace *tr = (trace *)user;
    if (tr->n < tr->cap) {
        tr->t_end[tr->n] = now();
        tr->rmse_e[tr->n] = p->train_rmse_e;
        tr->rmse_f[tr->n] = p->train_rmse_f;
        tr->loss[tr->n] = p->loss;
        tr->n++;
    }
    return 0;
}

/* ---- export for bench/torch_train.py ------------------------------------------------- */
/* A sequence of records: name (48 bytes, NUL-padded), int64 dtype (0 float64, 1 int64),
   int64 ndim, int64 shape[ndim], then the data (row-major, little-endian host order). */
static int put(FILE *f, const char *name, int is_int, int ndim, const long long *shape, const void *data)
{
    char nm[48];
    long long hdr[2], count = 1;
    int k;
    memset(nm, 0, sizeof nm);
    snprintf(nm, sizeof nm, "%s", name);
    hdr[0] = is_int; hdr[1] = ndim;
    for (k = 0; k < ndim; k++) count *= shape[k];
    if (fwrite(nm, 1, sizeof nm, f) != sizeof nm || fwrite(hdr, sizeof hdr[0], 2, f) != 2
        || (ndim && fwrite(shape, sizeof shape[0], (size_t)ndim, f) != (size_t)ndim)) return 1;
    if (count && fwrite(data, 8, (size_t)count, f) != (size_t)count) return 1;
    return 0;
}
static int put_f1(FILE *f, const char *name, const double *x, long long n) { return put(f, name, 0, 1, &n, x); }
static int put_i1(FILE *f, const char *name, const long long *x, long long n) { return put(f, name, 1, 1, &n, x); }
static int put_scalar(FILE *f, const char *name, double x) { return put_f1(f, name, &x, 1); }

/* The cache stores each derivative row over its non-zero slot run; PyTorch gets dense
   per-atom slabs nf x (n_i + 1) x 3 (neighbour slots, then the atom): their total size,
   and (off != NULL) the slab offsets. */
static size_t dense_size(const sannip_model *m, const sannip_dataset *d, const sannip_feature_cache *c, int i, long long *off)
{
    const sannip_cache_entry *ce = &c->e[i];
    size_t t = 0;
    int a;
    for (a = 0; a < ce->n; a++) {
        const sannip_element_model *el = &m->el[sannip_model_element_index(m, d->s[i].Z[a])];
        if (off) off[a] = (long long)t;
        t += (size_t)el->n_features * (ce->nb_start[a + 1] - ce->nb_start[a] + 1) * 3;
    }
    if (off) off[ce->n] = (long long)t;
    return t;
}

static int export_data(const char *path, const sannip_model *m, const sannip_dataset *d, const sannip_feature_cache *c,
                       const double *grad, double gloss, const int *gidx, int gn, const errs *trained)
{
    FILE *f = fopen(path, "wb");
    int e, i, a, k, bad = 0, fmax = c->fmax;
    size_t np = sannip_model_get_params(m, NULL), q;
    double *buf;
    long long *ibuf, nmax = 0, shape[3];
    if (!f) return 1;
    for (i = 0; i < d->n; i++) {
        size_t nn = dense_size(m, d, c, i, NULL);
        if ((long long)nn > nmax) nmax = (long long)nn;
        if ((long long)c->e[i].nb_start[c->e[i].n] + 1 > nmax) nmax = (long long)c->e[i].nb_start[c->e[i].n] + 1;
        if ((long long)d->s[i].n * (fmax + 1) > nmax) nmax = (long long)d->s[i].n * (fmax + 1);
    }
    if ((long long)np > nmax) nmax = (long long)np;
    buf = (double *)malloc(sizeof(double) * (size_t)(nmax + 64));
    ibuf = (long long *)malloc(sizeof(long long) * (size_t)(nmax + 64));
    if (!buf || !ibuf) { fclose(f); free(buf); free(ibuf); return 1; }
    bad |= put_scalar(f, "n_structures", d->n);
    bad |= put_scalar(f, "n_elements", m->n_elements);
    bad |= put_scalar(f, "energy_weight", ew);
    bad |= put_scalar(f, "force_weight", fw);
    bad |= put_scalar(f, "learning_rate", lr);
    bad |= put_scalar(f, "batch_size", batch);
    bad |= put_scalar(f, "fmax", fmax);
    for (e = 0; e < m->n_elements; e++) {
        const sannip_element_model *el = &m->el[e];
        char nm[48];
        long long sizes[SANNIP_MAX_LAYERS + 1], acts[SANNIP_MAX_LAYERS];
        int l;
        for (l = 0; l <= el->net.n_layers; l++) sizes[l] = el->net.sizes[l];
        for (l = 0; l < el->net.n_layers; l++) acts[l] = el->net.act[l];
        snprintf(nm, sizeof nm, "e%d.Z", e); bad |= put_scalar(f, nm, el->Z);
        snprintf(nm, sizeof nm, "e%d.sizes", e); bad |= put_i1(f, nm, sizes, el->net.n_layers + 1);
        snprintf(nm, sizeof nm, "e%d.act", e); bad |= put_i1(f, nm, acts, el->net.n_layers);
        snprintf(nm, sizeof nm, "e%d.energy_scale", e); bad |= put_scalar(f, nm, el->energy_scale);
        snprintf(nm, sizeof nm, "e%d.energy_offset", e); bad |= put_scalar(f, nm, el->energy_offset);
    }
    for (q = 0; q < np; q++) buf[q] = 0;
    {
        sannip_real *p = (sannip_real *)malloc(sizeof(sannip_real) * (np + 1));
        if (!p) bad = 1;
        else { sannip_model_get_params(m, p); for (q = 0; q < np; q++) buf[q] = p[q]; free(p); }
    }
    bad |= put_f1(f, "params", buf, (long long)np);
    bad |= put_f1(f, "grad_check.grad", grad, (long long)np);
    bad |= put_scalar(f, "grad_check.loss", gloss);
    for (i = 0; i < gn; i++) ibuf[i] = gidx[i];
    bad |= put_i1(f, "grad_check.structures", ibuf, gn);
    bad |= put_scalar(f, "sannip.train_rmse_e", trained->rmse_e);
    bad |= put_scalar(f, "sannip.train_rmse_f", trained->rmse_f);
    for (i = 0; i < d->n && !bad; i++) {
        const sannip_structure *s = &d->s[i];
        const sannip_cache_entry *ce = &c->e[i];
        char nm[48];
        size_t nd = dense_size(m, d, c, i, NULL), off;
        int n = s->n;
        for (a = 0; a < n; a++) ibuf[a] = sannip_model_element_index(m, s->Z[a]);
        snprintf(nm, sizeof nm, "s%d.elem", i); bad |= put_i1(f, nm, ibuf, n);
        snprintf(nm, sizeof nm, "s%d.E", i); bad |= put_scalar(f, nm, s->energy);
        for (k = 0; k < 3 * n; k++) buf[k] = s->forces[k];
        shape[0] = n; shape[1] = 3;
        snprintf(nm, sizeof nm, "s%d.F", i); bad |= put(f, nm, 0, 2, shape, buf);
        /* scaled features x = a (G - c) + d (columns past the element's n_features: 0) */
        for (a = 0; a < n; a++) {
            const sannip_element_model *el = &m->el[ibuf[a]];
            for (k = 0; k < fmax; k++)
                buf[(size_t)a * fmax + k] = k < el->n_features
                    ? (double)(el->scale_a[k] * (ce->G[(size_t)a * (fmax + 1) + k] - el->scale_c[k]) + el->scale_d[k]) : 0.0;
        }
        shape[0] = n; shape[1] = fmax;
        snprintf(nm, sizeof nm, "s%d.X", i); bad |= put(f, nm, 0, 2, shape, buf);
        /* dX/dr = a dG/dr: per atom nf x (n_i + 1) x 3, neighbour slots then the atom itself,
           expanded from the cache's slot runs */
        dense_size(m, d, c, i, ibuf + n + 1);
        for (q = 0; q < nd; q++) buf[q] = 0;
        for (a = 0; a < n; a++) {
            const sannip_element_model *el = &m->el[ibuf[a]];
            size_t nsl = ce->nb_start[a + 1] - ce->nb_start[a] + 1, sl, r0 = ce->frow[a];
            off = (size_t)ibuf[n + 1 + a];
            for (k = 0; k < el->n_features; k++) {
                const sannip_real *row = ce->dG + ce->row_off[r0 + k], *u = ce->U + 3 * ce->nb_start[a];
                size_t lo = (size_t)ce->row_lo[r0 + k], len = (size_t)ce->row_hi[r0 + k] - lo;
                double *o = buf + off + (size_t)k * nsl * 3;
                int rad = ce->row_rad[r0 + k];   /* radial row: dG/dr_j = s_j u_ij */
                for (sl = 0; sl < 3 * len; sl++)
                    o[3 * lo + sl] = (double)(el->scale_a[k] * (rad ? row[sl / 3] * u[3 * lo + sl] : row[sl]));
                if (!rad) len *= 3;
                for (sl = 0; sl < 3; sl++) o[3 * (nsl - 1) + sl] = (double)(el->scale_a[k] * row[len + sl]);
            }
        }
        snprintf(nm, sizeof nm, "s%d.dX", i); bad |= put_f1(f, nm, buf, (long long)nd);
        for (a = 0; a <= n; a++) ibuf[a] = ibuf[n + 1 + a];
        snprintf(nm, sizeof nm, "s%d.dg_off", i); bad |= put_i1(f, nm, ibuf, n + 1);
        for (a = 0; a <= n; a++) ibuf[a] = (long long)ce->nb_start[a];
        snprintf(nm, sizeof nm, "s%d.nb_start", i); bad |= put_i1(f, nm, ibuf, n + 1);
        for (q = 0; q < ce->nb_start[n]; q++) ibuf[q] = ce->nb[q];
        snprintf(nm, sizeof nm, "s%d.nb", i); bad |= put_i1(f, nm, ibuf, (long long)ce->nb_start[n]);
    }
    free(buf); free(ibuf);
    if (fclose(f) != 0) bad = 1;
    return bad;
}

/* ---- PyTorch ------------------------------------------------------------------------- */
/* The first interpreter that imports torch and numpy: $SANNIP_PYTHON when set (alone), else
   python3 on PATH, then Debian's /usr/bin/python3 (PATH may lead to another Python first). */
static const char *find_python(void)
{
    static const char *cands[] = { "python3", "/usr/bin/python3" };
    const char *env = getenv("SANNIP_PYTHON");
    size_t k, n = sizeof cands / sizeof cands[0];
    if (env && *env) { cands[0] = env; n = 1; }
    for (k = 0; k < n; k++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import torch, numpy' >/dev/null 2>&1", cands[k]);
        if (system(cmd) == 0) return cands[k];
    }
    return NULL;
}
typedef struct torch_out { double spe, spe_eval, best, best_eval, share, grad_rel, loss_rel, rmse_e_rel, rmse_f_rel, load_s; int ok; char version[32]; } torch_out;
static torch_out run_torch(const char *py)
{
    torch_out t;
    char cmd[512], line[1024];
    FILE *p;
    memset(&t, 0, sizeof t);
    t.share = 1;
    t.spe = t.spe_eval = t.best = t.best_eval = t.grad_rel = t.loss_rel = t.rmse_e_rel = t.rmse_f_rel = -1;
    snprintf(cmd, sizeof cmd, "%s %s %s --epochs %d 2>&1", py, TORCH_SCRIPT, DATA_FILE, torch_epochs);
    fflush(stdout);
    if (!(p = popen(cmd, "r"))) { printf("    could not run %s\n", cmd); return t; }
    while (fgets(line, sizeof line, p)) {
        double x;
        char v[32];
        printf("    | %s", line);
        if (sscanf(line, "TORCH seconds_per_epoch %lf", &x) == 1) t.spe = x;
        else if (sscanf(line, "TORCH seconds_per_epoch_with_eval %lf", &x) == 1) t.spe_eval = x;
        else if (sscanf(line, "TORCH best_seconds_per_epoch %lf", &x) == 1) t.best = x;
        else if (sscanf(line, "TORCH best_seconds_per_epoch_with_eval %lf", &x) == 1) t.best_eval = x;
        else if (sscanf(line, "TORCH grad_check max_rel_diff %lf", &x) == 1) t.grad_rel = x;
        else if (sscanf(line, "TORCH loss_check rel_diff %lf", &x) == 1) t.loss_rel = x;
        else if (sscanf(line, "TORCH rmse_check rel_diff %lf %lf", &x, &t.rmse_f_rel) == 2) t.rmse_e_rel = x;
        else if (sscanf(line, "TORCH load_seconds %lf", &x) == 1) t.load_s = x;
        else if (sscanf(line, "TORCH cpu_share %lf", &x) == 1) t.share = x;
        else if (sscanf(line, "TORCH version %31s", v) == 1) snprintf(t.version, sizeof t.version, "%s", v);
        fflush(stdout);
    }
    t.ok = pclose(p) == 0 && t.spe > 0 && t.spe_eval > 0 && t.best > 0 && t.best_eval > 0;
    return t;
}

int main(int argc, char **argv)
{
    const char *shared = getenv("SANNIP_SHARED");
    char dir[1024], path[1200];
    sannip_dataset d, pred;
    sannip_model ref, m;
    sannip_error err;
    sannip_train_config cfg;
    sannip_train_report rep;
    sannip_feature_cache cache;
    trace tr;
    errs en, es;
    double t_all = now(), t0, c0, wall, share, spe_clock, spe_best, max_de = 0, max_df = 0, *grad = NULL, gloss = 0;
    int i, natoms = 0, nH = 0, nO = 0, gidx[64], gn;
    size_t np, q;
    sannip_real *g = NULL;
    const char *py = NULL;
    torch_out to;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "notorch") == 0) use_torch = 0;
        else if (strcmp(a, "keep") == 0) keep_data = 1;
        else if (v && strcmp(a, "epochs") == 0) { epochs = atoi(v); i++; }
        else if (v && strcmp(a, "torch-epochs") == 0) { torch_epochs = atoi(v); i++; }
        else if (v && strcmp(a, "lr") == 0) { lr = atof(v); i++; }
        else if (v && strcmp(a, "fw") == 0) { fw = atof(v); i++; }
        else if (v && strcmp(a, "ew") == 0) { ew = atof(v); i++; }
        else if (v && strcmp(a, "decay") == 0) { lr_decay = atof(v); i++; }
        else if (v && strcmp(a, "batch") == 0) { batch = atoi(v); i++; }
        else { fprintf(stderr, "usage: bench_train [epochs N] [lr X] [fw X] [ew X] [decay X] [batch N] [torch-epochs N] [notorch] [keep]\n"); return 2; }
    }
    if (epochs < 1 || batch < 1 || batch > 64 || !(lr > 0) || !(fw > 0) || torch_epochs < 1) { fprintf(stderr, "bench_train: settings out of range\n"); return 2; }
    if (!shared) shared = "../shared";
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    printf("bench_train: sannip %d.%d.%d, %s, training with 1 thread\n", SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR,
           SANNIP_VERSION_PATCH, sizeof(sannip_real) == 8 ? "double" : "float");
    print_load("at start");

    /* ---- data and n2p2's errors ---- */
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", shared);
    snprintf(path, sizeof path, "%s/input.data", dir);
    sannip_dataset_init(&d, NULL);
    if (sannip_dataset_read_file(&d, path, &err) != SANNIP_SUCCESS) die(path, &err);
    if (sannip_dataset_check(&d, 1, &err) != SANNIP_SUCCESS) die(path, &err);
    for (i = 0; i < d.n; i++) {
        int a;
        natoms += d.s[i].n;
        for (a = 0; a < d.s[i].n; a++) { nH += d.s[i].Z[a] == 1; nO += d.s[i].Z[a] == 8; }
    }
    snprintf(path, sizeof path, "%s/n2p2_predictions.data", dir);
    sannip_dataset_init(&pred, NULL);
    if (sannip_dataset_read_file(&pred, path, &err) != SANNIP_SUCCESS) die(path, &err);
    sannip_model_init(&ref, NULL);
    if (sannip_n2p2_import_dir(&ref, dir, &err) != SANNIP_SUCCESS) die("import n2p2 water", &err);
    en = model_errors(&ref, &d, &pred, &max_de, &max_df);
    printf("\n(a) data: %s/input.data, %d structures, %d atoms (%d H, %d O), %d force components; Hartree and bohr\n",
           dir, d.n, natoms, nH, nO, 3 * natoms);
    printf("    n2p2's shipped potential (%d bases, cutoff %g bohr) on these structures:\n", ref.desc.n, (double)ref.cutoff);
    printf("      energy RMSE %.4g Ha/atom (%.3f meV/atom), force RMSE %.4g Ha/bohr (%.2f meV/A) per component\n",
           en.rmse_e, en.rmse_e * HA_MEV, en.rmse_f, en.rmse_f * HA_MEV / BOHR_A);
    printf("      (sannip's evaluation of it vs n2p2's own n2p2_predictions.data: max |dE| %.2g Ha/atom, max |dF| %.2g Ha/bohr)\n", max_de, max_df);
    record("n2p2 potential: energy RMSE on the 20 structures", en.rmse_e * HA_MEV, "meV/atom", 1);
    record("n2p2 potential: force RMSE on the 20 structures", en.rmse_f * HA_MEV / BOHR_A, "meV/A", 1);

    /* ---- (b) sannip training from scratch ---- */
    sannip_model_init(&m, NULL);
    if (sannip_n2p2_import_dir(&m, dir, &err) != SANNIP_SUCCESS) die("import n2p2 water", &err);
    cfg = sannip_train_config_init();
    cfg.optimizer = SANNIP_OPT_ADAM;
    cfg.epochs = epochs;
    cfg.batch_size = batch;
    cfg.learning_rate = lr;
    cfg.lr_decay = lr_decay;
    cfg.energy_weight = SANNIP_EXACTLY(ew);
    cfg.force_weight = SANNIP_EXACTLY(fw);
    cfg.validation_fraction = SANNIP_OFF;
    cfg.raw_loss = 1;   /* the loss PyTorch computes, weights as they are */
    cfg.field_weight = cfg.stress_weight = SANNIP_OFF;   /* (PyTorch's loss has neither term) */
    cfg.keep_weights = 0;
    cfg.keep_scaling = 0;
    cfg.recompute_derivatives = 0;
    cfg.seed = BENCH_SEED;
    memset(&tr, 0, sizeof tr);
    tr.cap = epochs;
    tr.t_end = (double *)calloc((size_t)epochs * 4, sizeof(double));
    if (!tr.t_end) die("out of memory", NULL);
    tr.rmse_e = tr.t_end + epochs; tr.rmse_f = tr.rmse_e + epochs; tr.loss = tr.rmse_f + epochs;
    cfg.progress = on_progress; cfg.user = &tr;
    np = sannip_model_get_params(&m, NULL);
    printf("\n(b) sannip_train from scratch: %d-25-25-1 (H) and %d-25-25-1 (O) tanh networks, %zu parameters; Adam lr %g (decay %g/epoch),\n"
           "    batch %d structures, w_E %g, w_F %g, %d epochs, no validation split, 1 thread\n",
           m.el[0].n_features, m.el[1].n_features, np, lr, lr_decay, batch, ew, fw, epochs);
    fflush(stdout);
    t0 = now(); c0 = cpu_now();
    tr.t_start = t0;
    if (sannip_train(&m, &d, &cfg, &rep, &err) != SANNIP_SUCCESS) die("sannip_train", &err);
    wall = now() - t0;
    share = (cpu_now() - c0) / wall;
    /* own clock: mean interval between the ends of consecutive epochs (epoch 1 excluded: it
       follows the cache build), each interval = shuffle + updates + training-set errors */
    spe_clock = tr.n >= 2 ? (tr.t_end[tr.n - 1] - tr.t_end[0]) / (tr.n - 1) : wall / (tr.n > 0 ? tr.n : 1);
    /* and the best window of SPE_WINDOW consecutive epochs: the figure least inflated by
       other work on the machine (PyTorch's counterpart: its best epoch) */
    spe_best = spe_clock;
    for (i = 0; i + SPE_WINDOW < tr.n; i++)
        if ((tr.t_end[i + SPE_WINDOW] - tr.t_end[i]) / SPE_WINDOW < spe_best) spe_best = (tr.t_end[i + SPE_WINDOW] - tr.t_end[i]) / SPE_WINDOW;
    for (i = 0; i < tr.n; i++)
        if (i == 0 || i + 1 == tr.n || (i + 1) % (epochs >= 100 ? epochs / 10 : 10) == 0)
            printf("    epoch %4d  %6.2f s  loss %.4g  train RMSE E %.4g meV/atom, F %.4g meV/A\n", i + 1, tr.t_end[i] - t0, tr.loss[i],
                   tr.rmse_e[i] * HA_MEV, tr.rmse_f[i] * HA_MEV / BOHR_A);
    printf("    wall %.2f s for %d epochs (set-up: scaling fit + feature cache %.2f s, cache %.0f MB)%s\n", wall, rep.epochs_run,
           tr.n ? tr.t_end[0] - t0 - spe_clock : 0, rep.cache_bytes / 1e6, busy(share));
    printf("    seconds per epoch: %.4f (report.seconds_per_epoch), %.4f (own clock, mean of epochs 2..%d), %.4f (best %d-epoch window)\n",
           rep.seconds_per_epoch, spe_clock, tr.n, spe_best, SPE_WINDOW);
    printf("      an epoch = %d updates over %d structures; the training-set errors come from those passes (no extra pass)\n",
           (d.n + batch - 1) / batch, d.n);
    record("sannip s/epoch (report)", rep.seconds_per_epoch, "s", share);
    record("sannip s/epoch (own clock)", spe_clock, "s", share);
    record("sannip s/epoch (best 10-epoch window)", spe_best, "s", share);
    record("sannip s/epoch per atom", spe_best / natoms * 1e6, "us/atom", share);

    es = model_errors(&m, &d, NULL, NULL, NULL);
    printf("    trained model (best epoch %d), errors by sannip_model_compute on the 20 structures:\n", rep.best_epoch);
    printf("      energy RMSE %.4g Ha/atom (%.3f meV/atom) vs n2p2 %.3f meV/atom: sannip/n2p2 %.2f%s\n", es.rmse_e, es.rmse_e * HA_MEV,
           en.rmse_e * HA_MEV, es.rmse_e / en.rmse_e, es.rmse_e <= 2 * en.rmse_e ? " (within 2x)" : " (NOT within 2x)");
    printf("      force RMSE  %.4g Ha/bohr (%.2f meV/A) vs n2p2 %.2f meV/A: sannip/n2p2 %.2f%s\n", es.rmse_f, es.rmse_f * HA_MEV / BOHR_A,
           en.rmse_f * HA_MEV / BOHR_A, es.rmse_f / en.rmse_f, es.rmse_f <= 2 * en.rmse_f ? " (within 2x)" : " (NOT within 2x)");
    printf("      (report: energy RMSE %.4g, force RMSE %.4g; MAE %.4g Ha/atom, %.4g Ha/bohr)\n", rep.train_rmse_e, rep.train_rmse_f, rep.train_mae_e, rep.train_mae_f);
    record("sannip trained: train energy RMSE", es.rmse_e * HA_MEV, "meV/atom", 1);
    record("sannip trained: train force RMSE", es.rmse_f * HA_MEV / BOHR_A, "meV/A", 1);
    record("energy RMSE sannip / n2p2", es.rmse_e / en.rmse_e, "x", 1);
    record("force RMSE sannip / n2p2", es.rmse_f / en.rmse_f, "x", 1);

    /* ---- (c) export: features of the trained model's scalers, and one batch's gradient
       (only when PyTorch will read them, or "keep" asks for the file) ---- */
    if (use_torch) py = find_python();
    if (!py && !keep_data) goto torch;
    t0 = now();
    g = (sannip_real *)calloc(np + 1, sizeof(sannip_real));
    grad = (double *)calloc(np + 1, sizeof(double));
    if (!g || !grad) die("out of memory", NULL);
    gn = batch < d.n ? batch : d.n;
    for (i = 0; i < gn; i++) {
        double L = 0;
        gidx[i] = i;
        if (sannip_structure_gradient(&m, &d.s[i], ew, fw, &L, g, &err) != SANNIP_SUCCESS) die("sannip_structure_gradient", &err);
        gloss += L / gn;
    }
    for (q = 0; q < np; q++) grad[q] = g[q] / gn;   /* the batch mean, as sannip_train's update uses */
    sannip_feature_cache_init(&cache, NULL);
    if (sannip_feature_cache_build(&cache, &m, &d, 1, &err) != SANNIP_SUCCESS) die("feature cache", &err);
    if (export_data(DATA_FILE, &m, &d, &cache, grad, gloss, gidx, gn, &es)) {
        fprintf(stderr, "bench_train: cannot write %s (run from the project root: make bench)\n", DATA_FILE);
        return 1;
    }
    {
        FILE *f = fopen(DATA_FILE, "rb");
        long sz = 0;
        if (f) { fseek(f, 0, SEEK_END); sz = ftell(f); fclose(f); }
        printf("\n(c) exported the precomputed tensors to %s (%.0f MB, %.2f s)\n", DATA_FILE, sz / 1e6, now() - t0);
    }
    sannip_feature_cache_uninit(&cache);

    /* ---- (d) PyTorch ---- */
torch:
    printf("\n(d) PyTorch: the same step (precomputed features and dX/dr, same networks, loss, Adam, batch %d, float64, 1 thread)\n", batch);
    memset(&to, 0, sizeof to);
    if (!use_torch) printf("    skipped (notorch)\n");
    else if (!py) printf("    skipped: no python3 with torch and numpy (Debian: apt-get install python3-torch python3-numpy;\n"
                         "    or SANNIP_PYTHON=/path/to/python3); only the sannip figure is reported\n");
    else {
        to = run_torch(py);
        if (!to.ok) printf("    %s %s failed: no PyTorch figure\n", py, TORCH_SCRIPT);
        else {
            int same = to.grad_rel >= 0 && to.grad_rel < 1e-6 && to.loss_rel >= 0 && to.loss_rel < 1e-9;
            printf("    same computation: loss rel. diff %.2g, gradient max rel. diff %.2g vs sannip_structure_gradient; training RMSE rel. diff E %.2g, F %.2g: %s\n",
                   to.loss_rel, to.grad_rel, to.rmse_e_rel, to.rmse_f_rel, same ? "OK" : "MISMATCH");
            /* sannip_train's epoch is the updates alone (its training errors come from the same
               forward passes), so the like-for-like figure is PyTorch's updates alone */
            double r = to.best / spe_best, sh = share < to.share ? share : to.share;
            printf("    seconds per epoch        %10s %10s\n", "best", "mean");
            printf("    PyTorch steps only       %10.4f %10.4f%s\n", to.best, to.spe, busy(to.share));
            printf("    PyTorch steps + errors   %10.4f %10.4f   (updates, then a separate training-set error pass)\n", to.best_eval, to.spe_eval);
            printf("    sannip epoch             %10.4f %10.4f%s   (updates; errors from the same passes)\n", spe_best, spe_clock, busy(share));
            printf("    torch / sannip per epoch (updates): %.2fx (best; mean %.2fx) %s\n", r, to.spe / spe_clock,
                   r >= 5 ? "(target >= 5x: met)" : "(target >= 5x: NOT met)");
            printf("    torch steps + error pass / sannip: %.2fx\n", to.best_eval / spe_best);
            record("torch s/epoch (steps only, best)", to.best, "s", to.share);
            record("torch s/epoch (steps + errors, best)", to.best_eval, "s", to.share);
            record("torch / sannip per epoch", r, "x", sh);
            record("torch steps + errors / sannip", to.best_eval / spe_best, "x", sh);
            record("torch vs sannip gradient max rel diff", to.grad_rel, "1", 1);
        }
    }

    if (!keep_data) remove(DATA_FILE);   /* 150 MB; "keep" leaves it for bench/torch_train.py */
    printf("\n");
    print_load("at end");
    printf("\nfigure, value, unit\n");
    for (i = 0; i < n_rows; i++)
        printf("%s, %.4g, %s%s\n", rows[i].name, rows[i].value, rows[i].unit, rows[i].share < BUSY_SHARE ? " *" : "");
    printf("total run time %.1f s\n", now() - t_all);
    free(tr.t_end); free(g); free(grad);   /* NULL when the export was skipped */
    sannip_train_report_uninit(&rep);
    sannip_model_uninit(&m); sannip_model_uninit(&ref);
    sannip_dataset_uninit(&d); sannip_dataset_uninit(&pred);
    return 0;
}
