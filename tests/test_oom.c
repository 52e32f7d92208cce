/* Allocation-failure injection (issue 12): every pipeline of the library is run with the N-th
   allocation failing, for every N from 1 until a run completes without a failure
   (tests/test_alloc.h, oom_sweep_run). Each failed run must return SANNIP_OUT_OF_MEMORY with
   a message (err.code set), leave no block or byte allocated after the uninit calls, and not
   crash;
   the run without failure must give the same numbers as the default allocator.
   Pipelines: model load + compute + field + features + copy + save/load (memory, file,
   callbacks); n2p2 import (memory and directory, ../shared/peers when present) + compute +
   save; descriptor parse and presets; data read/write (extended XYZ, input.data, data sets,
   streaming readers, writers, files, callbacks); committee create/load/predict/rank/save;
   spin-local init, moves and set_spins, Monte Carlo (one chain, walkers, full-energy model);
   training with and without the derivative cache (and PCA); committee training; model
   construction with the fits, cache, gradient and PCA of a custom loop; the MC protocols;
   the random spin committee. One thread (the N-th allocation is then the same one in every
   run); the pipelines with per-thread allocations once more on two threads.
   The library is built here with SANNIP_MALLOC/REALLOC/FREE counting the default allocator's
   calls: a pipeline given an allocator must not use the default one (no bypass). */
#define _POSIX_C_SOURCE 200809L   /* mkdtemp for the file pipelines */
#include <stdlib.h>
#include <string.h>
static long default_calls;   /* calls of the default allocator (SANNIP_MALLOC/REALLOC) */
static void *oom_default_malloc(size_t n) { default_calls++; return malloc(n); }
static void *oom_default_realloc(void *p, size_t n) { default_calls++; return realloc(p, n); }
#define SANNIP_MALLOC(sz, ctx) ((void)(ctx), oom_default_malloc(sz))
#define SANNIP_REALLOC(p, sz, ctx) ((void)(ctx), oom_default_realloc(p, sz))
#define SANNIP_FREE(p, ctx) ((void)(ctx), free(p))
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "test.h"
#include "test_alloc.h"
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define FE 26
#define CO 27
#define NAT 16            /* atoms of the bcc cell */
#define NSTRUCT 6         /* structures of the training set */

/* ---- fixtures (built with the default allocator) -------------------------------------------- */
static const char *DEFS =
    "g2 * * cut=cos rc=4.2 eta=0.5 rs=2.5\n"
    "g4 * * * cut=cos rc=4.2 eta=0.02 lambda=-1 zeta=2\n"
    "spin_s1 * xi=2\n"
    "spin_s1g * eta=0.5 shift=1.2 xi=1\n"
    "spin_s2 * * cut=cos rc=4.2 xi=1\n"
    "spin_s3 * * cut=cos rc=4.2 xi=1\n"
    "spin_s2g Fe Co cut=cos rc=4.2 eta=0.3 shift=-1\n"
    "spin_s4g * * cut=cos rc=4.2 eta=0.3 shift=0\n"
    "spin_f1 * * cut=cos rc=4.2 eta=0.01 shift=8\n"
    "spin_f5 * * cut=cos rc=4.2 eps=0.01\n";

typedef struct cell { sannip_real pos[3 * NAT], spins[3 * NAT], cell[9]; int Z[NAT], pbc[3]; } cell;
static cell CELLS[NSTRUCT];
static char *MODEL_TXT, *COMMITTEE_TXT, *XYZ_TXT, *N2P2_TXT;   /* default allocator */
static size_t MODEL_LEN, COMMITTEE_LEN, XYZ_LEN, N2P2_LEN;
static char *ARCH_TXT[2];       /* class-convolution and multi-task models */
static size_t ARCH_LEN[2];
static const char *DEFS_ANY =   /* bases of any element pair (a multi-task model's) */
    "g2 * * cut=cos rc=4.2 eta=0.5 rs=2.5\nspin_s1 * xi=2\nspin_s2 * * cut=cos rc=4.2 xi=1\n";
static sannip_model MODEL;      /* MODEL_TXT loaded with the default allocator */
static sannip_model MODEL_CNN;  /* the same bases behind class-convolution networks */
static char DIR[64];            /* a temporary directory for the file pipelines */
static char *NN, *SC, *W1, *W8, N2P2_DIR[1024];   /* the water potential, when present */

static sannip_system view(const cell *c)
{
    sannip_system s;
    memset(&s, 0, sizeof s);
    s.n = NAT; s.pos = (sannip_real *)c->pos; s.Z = (int *)c->Z; s.spins = (sannip_real *)c->spins;
    memcpy(s.cell, c->cell, sizeof s.cell); memcpy(s.pbc, c->pbc, sizeof s.pbc);
    return s;
}
/* 2x2x2 bcc Fe/Co cells, jiggled, random spins */
static void make_cells(void)
{
    sannip_rng rng;
    int k, i, j, l, b, x, n;
    sannip_rng_seed(&rng, 12);
    for (k = 0; k < NSTRUCT; k++) {
        cell *c = &CELLS[k];
        memset(c, 0, sizeof *c);
        for (i = 0; i < 3; i++) { c->cell[4 * i] = (sannip_real)(2 * 2.87); c->pbc[i] = 1; }
        n = 0;
        for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) for (l = 0; l < 2; l++) for (b = 0; b < 2; b++) {
            double f[3] = { i + 0.5 * b, j + 0.5 * b, l + 0.5 * b };
            for (x = 0; x < 3; x++) {
                c->pos[3 * n + x] = (sannip_real)(2.87 * f[x] + 0.3 * (sannip_rng_uniform(&rng) - 0.5));
                c->spins[3 * n + x] = (sannip_real)(1.4 * (sannip_rng_uniform(&rng) - 0.5) + (x == 2 ? 1.2 : 0));
            }
            c->Z[n] = (n % 3 == 1) ? CO : FE;
            n++;
        }
    }
}
static int build_fixtures(void)
{
    sannip_error err;
    sannip_rng rng;
    sannip_workspace ws;
    sannip_dataset d;
    sannip_committee com;
    sannip_text xyz, n2p2;
    int h[1] = { 4 }, act[1] = { SANNIP_ACT_TANH }, k, e;
    make_cells();
    sannip_model_init(&MODEL, NULL);
    if (sannip_descriptors_parse(&MODEL.desc, DEFS, &err) || sannip_model_add_element(&MODEL, FE, 1, h, act, &err)
        || sannip_model_add_element(&MODEL, CO, 1, h, act, &err)) { fprintf(stderr, "model: %s\n", err.message); return 0; }
    sannip_rng_seed(&rng, 7);
    sannip_model_init_weights(&MODEL, &rng);
    MODEL.description = (char *)malloc(40);   /* two lines: the loader appends (realloc) */
    if (!MODEL.description) return 0;
    strcpy(MODEL.description, "allocation-failure test\nsecond line");
    sannip_model_init(&MODEL_CNN, NULL);
    if (sannip_descriptors_parse(&MODEL_CNN.desc, DEFS, &err) || sannip_model_add_element_cnn(&MODEL_CNN, FE, 1, 1, h, act, &err)
        || sannip_model_add_element_cnn(&MODEL_CNN, CO, 0, 1, h, act, &err)) { fprintf(stderr, "cnn model: %s\n", err.message); return 0; }
    sannip_model_init_weights(&MODEL_CNN, &rng);
    if (sannip_model_save_mem(&MODEL_CNN, &ARCH_TXT[0], &ARCH_LEN[0], &err)) return 0;
    {
        sannip_model mt;
        sannip_model_init(&mt, NULL);
        if (sannip_descriptors_parse(&mt.desc, DEFS_ANY, &err) || sannip_model_add_element(&mt, FE, 1, h, act, &err)
            || sannip_model_add_element(&mt, CO, 1, h, act, &err) || sannip_model_make_multitask(&mt, 1, h, act, &err)) {
            fprintf(stderr, "multi-task model: %s\n", err.message); return 0;
        }
        sannip_model_init_weights(&mt, &rng);
        if (sannip_model_save_mem(&mt, &ARCH_TXT[1], &ARCH_LEN[1], &err)) return 0;
        sannip_model_uninit(&mt);
    }
    /* labels from the model itself, so training has finite, consistent data */
    sannip_workspace_init(&ws, NULL);
    sannip_dataset_init(&d, NULL);
    sannip_text_init(&xyz, NULL); sannip_text_init(&n2p2, NULL);
    for (k = 0; k < NSTRUCT; k++) {
        sannip_system sys = view(&CELLS[k]);
        sannip_structure s;
        sannip_structure_init(&s, NULL);
        if (sannip_structure_resize(&s, NAT, 1, 1, &err)) return 0;
        memcpy(s.pos, CELLS[k].pos, sizeof CELLS[k].pos); memcpy(s.spins, CELLS[k].spins, sizeof CELLS[k].spins);
        memcpy(s.Z, CELLS[k].Z, sizeof CELLS[k].Z); memcpy(s.cell, CELLS[k].cell, sizeof s.cell); memcpy(s.pbc, CELLS[k].pbc, sizeof s.pbc);
        if (!(s.fields = (sannip_real *)calloc(3 * NAT, sizeof(sannip_real)))) return 0;   /* (the default allocator's) */
        if (sannip_model_compute_field(&MODEL, &ws, &sys, &s.energy, NULL, s.forces, s.virial, sannip_descriptors_need_spins(&MODEL.desc) ? s.fields : NULL, &err)) { fprintf(stderr, "label: %s\n", err.message); return 0; }
        s.energy += (sannip_real)(0.01 * k);   /* not exactly representable by the model */
        s.has_energy = 1; s.has_virial = 1;
        snprintf(s.comment, sizeof s.comment, "cell %d", k);
        sannip_write_xyz(&xyz, &s, NULL, NULL, NULL, NULL);
        sannip_write_n2p2(&n2p2, &s, NULL, NULL);
        sannip_structure_uninit(&s);
    }
    sannip_workspace_uninit(&ws);
    sannip_dataset_uninit(&d);
    if (xyz.failed || n2p2.failed) return 0;
    XYZ_TXT = xyz.s; XYZ_LEN = xyz.len; N2P2_TXT = n2p2.s; N2P2_LEN = n2p2.len;   /* kept */
    if (sannip_model_save_mem(&MODEL, &MODEL_TXT, &MODEL_LEN, &err)) return 0;
    /* a committee of three members with different weights */
    sannip_committee_init(&com, NULL);
    if (sannip_committee_create(&com, &MODEL, 3, &err)) return 0;
    for (e = 1; e < 3; e++) { sannip_rng_seed(&rng, (uint64_t)(20 + e)); sannip_model_init_weights(&com.m[e], &rng); }
    if (sannip_committee_save_mem(&com, &COMMITTEE_TXT, &COMMITTEE_LEN, &err)) return 0;
    sannip_committee_uninit(&com);
    strcpy(DIR, "/tmp/sannip_oom_XXXXXX");
    if (!mkdtemp(DIR)) return 0;
    return 1;
}
static void load_water(void)
{
    char path[1100];
    const char *name[4] = { "input.nn", "scaling.data", "weights.001.data", "weights.008.data" };
    char **out[4];
    sannip_error err;
    int i;
    out[0] = &NN; out[1] = &SC; out[2] = &W1; out[3] = &W8;
    snprintf(N2P2_DIR, sizeof N2P2_DIR, "%s/peers/n2p2/H2O_RPBE-D3", test_shared());
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", N2P2_DIR, name[i]);
        if (sannip_read_file(path, NULL, out[i], NULL, &err)) { *out[i] = NULL; return; }
    }
}
static double sum_reals(const sannip_real *x, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)x[i];
    return s;
}
/* callbacks over a memory text (pieces of 1000 bytes) and into a text buffer */
typedef struct membuf { const char *s; size_t len, pos; } membuf;
static int mem_read(void *user, char *data, int size)
{
    membuf *b = (membuf *)user;
    size_t k = b->len - b->pos;
    if (k > (size_t)size) k = (size_t)size;
    if (k > 1000) k = 1000;
    memcpy(data, b->s + b->pos, k); b->pos += k;
    return (int)k;
}
static int sum_write(void *user, const char *data, size_t size)
{
    size_t i;
    unsigned long *h = (unsigned long *)user;
    for (i = 0; i < size; i++) *h = *h * 31 + (unsigned char)data[i];
    return 0;
}
static sannip_io_callbacks mem_io(void)
{
    sannip_io_callbacks io;
    memset(&io, 0, sizeof io); io.read = mem_read;
    return io;
}
#define TRY(call) do { if (r == SANNIP_SUCCESS) r = (call); } while (0)

/* ---- 1. model: load, compute, field, features, copy, save and load (memory, file, callbacks) */
static sannip_result pipe_model(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_model m, m2, m3;
    sannip_workspace ws;
    sannip_system sys = view(&CELLS[0]);
    sannip_real E = 0, E2 = 0, F[3 * NAT], V[9], H[3 * NAT], G[NAT * 40];
    sannip_result r = SANNIP_SUCCESS;
    char *text = NULL, path[128];
    size_t len = 0;
    unsigned long hash = 0;
    membuf mb;
    sannip_io_callbacks io = mem_io();
    int k;
    (void)user;
    snprintf(path, sizeof path, "%s/model.sannip", DIR);
    sannip_model_init(&m, a); sannip_model_init(&m2, a); sannip_model_init(&m3, a);
    sannip_workspace_init(&ws, a);
    TRY(sannip_model_load_mem(&m, MODEL_TXT, MODEL_LEN, err));
    TRY(sannip_model_compute(&m, &ws, &sys, &E, NULL, F, V, err));
    TRY(sannip_model_compute_field(&m, &ws, &sys, &E, NULL, F, V, H, err));
    TRY(sannip_model_features(&m, &ws, &sys, G, 40, err));
    TRY(sannip_descriptors_compute(&m.desc, &ws, &sys, G, err));
    TRY(sannip_model_copy(&m2, &m, err));
    TRY(sannip_model_save_mem(&m2, &text, &len, err));
    if (r == SANNIP_SUCCESS && (len != MODEL_LEN || memcmp(text, MODEL_TXT, len) != 0)) E += 1000;   /* shows in sig */
    TRY(sannip_model_save_file(&m2, path, err));
    TRY(sannip_model_load_file(&m3, path, err));
    TRY(sannip_model_save_callbacks(&m3, sum_write, &hash, err));
    mb.s = MODEL_TXT; mb.len = MODEL_LEN; mb.pos = 0;
    TRY(sannip_model_load_callbacks(&m2, &io, &mb, err));
    TRY(sannip_model_compute_field(&m2, &ws, &sys, &E2, NULL, NULL, NULL, H, err));
    sannip_free(&m2.alloc, text);
    text = NULL;
    sannip_model_uninit(&m3);   /* (copy overwrites its destination) */
    for (k = 0; k < 2; k++) {   /* the other architectures: load, copy, compute, save */
        TRY(sannip_model_load_mem(&m, ARCH_TXT[k], ARCH_LEN[k], err));
        TRY(sannip_model_copy(&m3, &m, err));
        TRY(sannip_model_compute_field(&m3, &ws, &sys, &E2, NULL, F, NULL, H, err));
        TRY(sannip_model_save_mem(&m3, &text, &len, err));
        if (r == SANNIP_SUCCESS && (len != ARCH_LEN[k] || memcmp(text, ARCH_TXT[k], len) != 0)) E += 1000;
        sannip_free(&m3.alloc, text);
        text = NULL;
        sannip_model_uninit(&m3);
    }
    sannip_workspace_uninit(&ws);
    sannip_model_uninit(&m); sannip_model_uninit(&m2); sannip_model_uninit(&m3);
    *sig = (double)E + (double)E2 + sum_reals(F, 3 * NAT) + sum_reals(H, 3 * NAT) + sum_reals(V, 9) + (double)(hash % 1000003);
    return r;
}

/* ---- 2. n2p2 import (memory and directory) + save + load + compute -------------------------- */
static sannip_result pipe_n2p2(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_model m, m2;
    sannip_workspace ws;
    sannip_structure s;
    sannip_system sys;
    sannip_real E = 0, F[3 * 8];
    sannip_result r = SANNIP_SUCCESS;
    const char *w[2];
    char *text = NULL;
    size_t len = 0;
    /* a water dimer in a periodic 8 A box */
    static const char *data = "begin\nlattice 8 0 0\nlattice 0 8 0\nlattice 0 0 8\n"
        "atom 1.0 1.0 1.0 O 0 0 0 0 0\natom 1.8 1.3 1.0 H 0 0 0 0 0\natom 0.6 1.7 1.2 H 0 0 0 0 0\n"
        "atom 4.0 3.5 3.8 O 0 0 0 0 0\natom 4.7 3.9 3.3 H 0 0 0 0 0\natom 3.3 4.1 4.1 H 0 0 0 0 0\n"
        "energy 0\ncharge 0\nend\n";
    size_t pos = 0;
    int line = 0;
    (void)user;
    w[0] = W1; w[1] = W8;
    sannip_model_init(&m, a); sannip_model_init(&m2, a);
    sannip_workspace_init(&ws, a);
    sannip_structure_init(&s, a);
    TRY(sannip_n2p2_import_mem(&m, NN, SC, w, 2, err));
    TRY(sannip_model_save_mem(&m, &text, &len, err));
    TRY(sannip_model_load_mem(&m2, text, len, err));
    TRY(sannip_n2p2_import_dir(&m, N2P2_DIR, err));
    TRY(sannip_read_n2p2(&s, data, strlen(data), &pos, &line, err));
    if (r == SANNIP_SUCCESS) {
        sys = sannip_structure_view(&s);
        r = sannip_model_compute(&m2, &ws, &sys, &E, NULL, F, NULL, err);
        TRY(sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, err));
    }
    sannip_free(&m.alloc, text);
    sannip_structure_uninit(&s);
    sannip_workspace_uninit(&ws);
    sannip_model_uninit(&m); sannip_model_uninit(&m2);
    *sig = (double)E + sum_reals(F, 18);
    return r;
}

/* ---- 3. descriptor definitions: parse (text and callbacks), presets -------------------------- */
static sannip_result pipe_descriptors(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_descriptors d, d2;
    sannip_result r = SANNIP_SUCCESS;
    sannip_io_callbacks io = mem_io();
    membuf mb;
    int Zs[2] = { FE, CO };
    (void)user;
    sannip_descriptors_init(&d, a); sannip_descriptors_init(&d2, a);
    TRY(sannip_descriptors_parse(&d, DEFS, err));
    mb.s = DEFS; mb.len = strlen(DEFS); mb.pos = 0;
    TRY(sannip_descriptors_parse_callbacks(&d2, &io, &mb, err));
    TRY(sannip_descriptors_preset_bp_fe(&d, FE, err));
    TRY(sannip_descriptors_preset_bp(&d2, Zs, 2, (sannip_real)5, err));
    TRY(sannip_descriptors_preset_sannip(&d, FE, err));
    TRY(sannip_descriptors_preset_spin_thesis(&d2, CO, (sannip_real)5, err));
    *sig = d.n + 1000.0 * d2.n;
    sannip_descriptors_uninit(&d); sannip_descriptors_uninit(&d2);
    return r;
}

/* ---- 4. data: read and write extended XYZ and input.data ------------------------------------ */
static sannip_result write_both(sannip_text *t, sannip_text *u, const sannip_dataset *d, sannip_error *err)
{
    int k;
    sannip_real H[3 * NAT];
    sannip_xyz_column col;
    sannip_xyz_info info;
    memset(H, 0, sizeof H);
    col.name = "heff"; col.width = 3; col.values = H;
    memset(&info, 0, sizeof info); info.key = "note"; info.text = "oom test";
    for (k = 0; k < d->n; k++) {
        sannip_result r = sannip_write_xyz_ex(t, &d->s[k], NULL, NULL, NULL, &col, d->s[k].n == NAT ? 1 : 0, &info, 1, err);
        if (r) return r;
        sannip_write_n2p2(u, &d->s[k], NULL, NULL);
        if (u->failed) {   /* a void writer: the documented signal is t->failed */
            err->code = SANNIP_OUT_OF_MEMORY;
            snprintf(err->message, sizeof err->message, "sannip_write_n2p2: the text buffer could not grow");
            return SANNIP_OUT_OF_MEMORY;
        }
    }
    return SANNIP_SUCCESS;
}
static double dataset_sig(const sannip_dataset *d)
{
    double s = d->n;
    int k;
    for (k = 0; k < d->n; k++)
        s += (double)d->s[k].energy + sum_reals(d->s[k].pos, 3 * (size_t)d->s[k].n)
           + (d->s[k].forces ? sum_reals(d->s[k].forces, 3 * (size_t)d->s[k].n) : 0)
           + (d->s[k].spins ? sum_reals(d->s[k].spins, 3 * (size_t)d->s[k].n) : 0);
    return s;
}
static sannip_result pipe_data(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_dataset d, d2;
    sannip_structure s;
    sannip_text t, u;
    sannip_result r = SANNIP_SUCCESS;
    sannip_io_callbacks io = mem_io();
    membuf mb;
    char path[128], *file = NULL;
    size_t pos = 0, flen = 0;
    int line = 0;
    (void)user;
    snprintf(path, sizeof path, "%s/data.xyz", DIR);
    sannip_dataset_init(&d, a); sannip_dataset_init(&d2, a);
    sannip_structure_init(&s, a);
    sannip_text_init(&t, a); sannip_text_init(&u, a);
    TRY(sannip_dataset_read_mem(&d, XYZ_TXT, XYZ_LEN, err));
    TRY(sannip_dataset_read_mem(&d, N2P2_TXT, N2P2_LEN, err));
    TRY(sannip_read_xyz(&s, XYZ_TXT, XYZ_LEN, &pos, &line, err));
    TRY(sannip_dataset_append(&d, &s, err));
    pos = 0; line = 0;
    TRY(sannip_read_n2p2(&s, N2P2_TXT, N2P2_LEN, &pos, &line, err));
    TRY(sannip_structure_resize(&s, 3, 1, 1, err));
    if (r == SANNIP_SUCCESS) {   /* three Co atoms on a line, no cell */
        int i;
        for (i = 0; i < 3; i++) { s.Z[i] = CO; s.pos[3 * i] = (sannip_real)(2.5 * i); s.spins[3 * i + 2] = 1; }
        s.energy = -1; s.has_energy = 1;
    }
    TRY(sannip_dataset_append(&d, &s, err));
    if (r == SANNIP_SUCCESS) r = write_both(&t, &u, &d, err);
    TRY(sannip_dataset_read_mem(&d2, t.s, t.len, err));
    TRY(sannip_dataset_read_mem(&d2, u.s, u.len, err));
    mb.s = XYZ_TXT; mb.len = XYZ_LEN; mb.pos = 0;
    TRY(sannip_dataset_read_callbacks(&d2, &io, &mb, err));
    if (r == SANNIP_SUCCESS) r = sannip_write_file_atomic(path, XYZ_TXT, XYZ_LEN, err);
    TRY(sannip_dataset_read_file(&d2, path, err));
    TRY(sannip_read_file(path, a, &file, &flen, err));
    *sig = dataset_sig(&d) + 1000 * dataset_sig(&d2) + (double)flen;
    sannip_free(a, file);
    sannip_text_uninit(&t); sannip_text_uninit(&u);
    sannip_structure_uninit(&s);
    sannip_dataset_uninit(&d); sannip_dataset_uninit(&d2);
    return r;
}

/* ---- 5. committee: load, predict, rank, save (memory, file, callbacks), create --------------- */
static sannip_result pipe_committee(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_committee c, c2;
    sannip_model tmpl;
    sannip_workspace ws;
    sannip_dataset d;
    sannip_system sys = view(&CELLS[1]);
    sannip_real E = 0, dE = 0, as[NAT], F[3 * NAT], dF[3 * NAT], spread[NSTRUCT];
    sannip_result r = SANNIP_SUCCESS;
    sannip_io_callbacks io = mem_io();
    membuf mb;
    char *text = NULL, path[128];
    size_t len = 0;
    unsigned long hash = 0;
    int order[NSTRUCT];
    (void)user;
    memset(spread, 0, sizeof spread);
    snprintf(path, sizeof path, "%s/committee.sannip", DIR);
    sannip_committee_init(&c, a); sannip_committee_init(&c2, a);
    sannip_model_init(&tmpl, a);
    sannip_workspace_init(&ws, a);
    sannip_dataset_init(&d, a);
    TRY(sannip_committee_load_mem(&c, COMMITTEE_TXT, COMMITTEE_LEN, err));
    TRY(sannip_committee_predict(&c, &ws, &sys, &E, &dE, as, F, dF, err));
    TRY(sannip_dataset_read_mem(&d, XYZ_TXT, XYZ_LEN, err));
    TRY(sannip_committee_rank(&c, &d, order, spread, err));
    TRY(sannip_committee_save_mem(&c, &text, &len, err));
    if (r == SANNIP_SUCCESS && (len != COMMITTEE_LEN || memcmp(text, COMMITTEE_TXT, len) != 0)) E += 1000;
    TRY(sannip_committee_save_file(&c, path, err));
    TRY(sannip_committee_load_file(&c2, path, err));
    TRY(sannip_committee_save_callbacks(&c2, sum_write, &hash, err));
    mb.s = COMMITTEE_TXT; mb.len = COMMITTEE_LEN; mb.pos = 0;
    TRY(sannip_committee_load_callbacks(&c2, &io, &mb, err));
    TRY(sannip_model_load_mem(&tmpl, MODEL_TXT, MODEL_LEN, err));
    TRY(sannip_committee_load_mem(&c2, MODEL_TXT, MODEL_LEN, err));   /* a committee of one */
    if (r == SANNIP_SUCCESS && c2.n != 1) E += 1000;
    TRY(sannip_committee_create(&c2, &tmpl, 2, err));
    TRY(sannip_committee_predict(&c2, &ws, &sys, &E, NULL, NULL, NULL, NULL, err));
    sannip_free(&c.alloc, text);
    sannip_dataset_uninit(&d);
    sannip_workspace_uninit(&ws);
    sannip_model_uninit(&tmpl);
    sannip_committee_uninit(&c); sannip_committee_uninit(&c2);
    *sig = (double)E + (double)dE + sum_reals(F, 3 * NAT) + sum_reals(dF, 3 * NAT) + sum_reals(spread, NSTRUCT)
         + (double)(hash % 1000003);
    return r;
}

/* ---- 6. spin-local: init, moves, set_spins; Monte Carlo on it ------------------------------- */
static sannip_result spin_local_moves(const sannip_allocator *a, const sannip_model *m, double *sig, sannip_error *err);
static sannip_result pipe_spin_local(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    double s1 = 0, s2 = 0;
    sannip_result r = spin_local_moves(a, &MODEL, &s1, err);
    (void)user;
    TRY(spin_local_moves(a, &MODEL_CNN, &s2, err));
    *sig = s1 + 1000 * s2;
    return r;
}
static sannip_result spin_local_moves(const sannip_allocator *a, const sannip_model *m, double *sig, sannip_error *err)
{
    sannip_spin_local L;
    sannip_system sys = view(&CELLS[2]);
    sannip_result r;
    sannip_rng rng;
    double dE = 0, acc = 0;
    int k;
    r = sannip_spin_local_init(&L, m, &sys, a, err);
    if (r) return r;   /* documented: L holds nothing on failure */
    sannip_rng_seed(&rng, 3);
    for (k = 0; k < 40 && r == SANNIP_SUCCESS; k++) {
        sannip_real s[3];
        int i = k % NAT;
        s[0] = (sannip_real)(sannip_rng_uniform(&rng) - 0.5); s[1] = (sannip_real)0.3; s[2] = (sannip_real)1.1;
        r = sannip_spin_local_delta(&L, i, s, &dE);
        acc += dE;
        if (r == SANNIP_SUCCESS && k % 2) r = sannip_spin_local_accept(&L, i, s);
    }
    if (r && err && err->code != r) { err->code = r; snprintf(err->message, sizeof err->message, "spin-local move"); }
    TRY(sannip_spin_local_set_spins(&L, CELLS[3].spins, err));
    *sig = acc + sannip_spin_local_energy(&L);
    sannip_spin_local_uninit(&L);
    return r;
}
static sannip_mc_config small_mc_config(void)
{
    sannip_mc_config cfg = sannip_mc_config_init(300);
    cfg.equil = 2; cfg.length = 4; cfg.n_blocks = 2;
    return cfg;
}
static sannip_result pipe_mc(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_spin_local L[2];
    sannip_mc mc;
    sannip_mc_model mm[2];
    sannip_mc_config cfg = small_mc_config();
    sannip_mc_stats st, pooled;
    sannip_system sys = view(&CELLS[4]);
    sannip_result r = SANNIP_SUCCESS;
    sannip_rng rng;
    const sannip_real *init[2];
    int ok[2] = { 0, 0 }, w;
    (void)user;
    memset(&st, 0, sizeof st); memset(&pooled, 0, sizeof pooled);
    memset(&mc, 0, sizeof mc);
    if (a) cfg.alloc = *a;
    for (w = 0; w < 2 && r == SANNIP_SUCCESS; w++) {
        r = sannip_spin_local_init(&L[w], &MODEL, &sys, a, err);
        ok[w] = r == SANNIP_SUCCESS;
        if (ok[w]) { mm[w] = sannip_spin_local_mc_model(&L[w]); init[w] = CELLS[4 + w].spins; }
    }
    sannip_rng_seed(&rng, 5);
    if (r == SANNIP_SUCCESS) {
        r = sannip_mc_init(&mc, &mm[0], CELLS[4].spins, &cfg, &rng, a, err);
        TRY(sannip_mc_run(&mc, &st, err));
        sannip_mc_uninit(&mc);
    }
    TRY(sannip_mc_walkers(mm, 2, init, &cfg, 9, NULL, &pooled, NULL, err));
    for (w = 0; w < 2; w++) if (ok[w]) sannip_spin_local_uninit(&L[w]);
    *sig = st.e.mean + st.m.mean + pooled.e.mean + pooled.m.mean;
    return r;
}
/* the full-energy adapter around a model computation, with its own workspace */
typedef struct full_ctx { sannip_workspace ws; } full_ctx;
static sannip_result full_energy(void *user, int n, const sannip_real *spins, double *E)
{
    full_ctx *f = (full_ctx *)user;
    sannip_system s = view(&CELLS[5]);
    sannip_real e = 0;
    sannip_result r;
    s.spins = spins; s.n = n;
    r = sannip_model_compute_field(&MODEL, &f->ws, &s, &e, NULL, NULL, NULL, NULL, NULL);
    *E = e;
    return r;
}
static sannip_result pipe_mc_full(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_mc_full full;
    sannip_mc mc;
    sannip_mc_model mm;
    sannip_mc_config cfg = small_mc_config();
    sannip_mc_stats st;
    sannip_result r;
    sannip_rng rng;
    full_ctx fc;
    (void)user;
    memset(&st, 0, sizeof st);
    if (a) cfg.alloc = *a;
    sannip_workspace_init(&fc.ws, a);
    r = sannip_mc_full_init(&full, NAT, CELLS[5].spins, full_energy, &fc, a, err);
    if (r == SANNIP_SUCCESS) {
        mm = sannip_mc_full_model(&full);
        sannip_rng_seed(&rng, 6);
        r = sannip_mc_init(&mc, &mm, CELLS[5].spins, &cfg, &rng, a, err);
        TRY(sannip_mc_run(&mc, &st, err));
        sannip_mc_uninit(&mc);
        sannip_mc_full_uninit(&full);
    }
    sannip_workspace_uninit(&fc.ws);
    *sig = st.e.mean + st.m.mean;
    return r;
}

/* ---- 7. training, committee training -------------------------------------------------------- */
typedef struct train_opts { int cache, pca, ekf; } train_opts;
static sannip_train_config small_train_config(void)
{
    sannip_train_config cfg = sannip_train_config_init();
    cfg.epochs = 2; cfg.batch_size = 2; cfg.validation_fraction = 0.34; cfg.seed = 3;
    return cfg;
}
static double params_sig(const sannip_model *m)
{
    double s = 0;
    int e;
    for (e = 0; e < m->n_elements; e++) {
        const sannip_network *net = sannip_model_network(m, e);
        s += sum_reals(net->params, net->n_params);
    }
    return s;
}
static sannip_result pipe_train(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    const train_opts *o = (const train_opts *)user;
    sannip_model m;
    sannip_dataset d;
    sannip_train_config cfg = small_train_config();
    sannip_train_report rep;
    sannip_result r = SANNIP_SUCCESS;
    memset(&rep, 0, sizeof rep);
    cfg.recompute_derivatives = !o->cache; cfg.pca = o->pca;
    if (o->ekf) cfg.optimizer = SANNIP_OPT_EKF;
    sannip_model_init(&m, a);
    sannip_dataset_init(&d, a);
    TRY(sannip_model_load_mem(&m, MODEL_TXT, MODEL_LEN, err));
    TRY(sannip_dataset_read_mem(&d, XYZ_TXT, XYZ_LEN, err));
    TRY(sannip_train(&m, &d, &cfg, &rep, err));
    *sig = params_sig(&m) + rep.train_rmse_e + rep.train_rmse_f + rep.epochs_run + (rep.val_index ? rep.val_index[0] : -1);
    sannip_train_report_uninit(&rep);
    sannip_dataset_uninit(&d);
    sannip_model_uninit(&m);
    return r;
}
static sannip_result pipe_committee_train(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_committee c;
    sannip_model tmpl;
    sannip_dataset d;
    sannip_train_config cfg = small_train_config();
    sannip_committee_report rep;
    sannip_result r = SANNIP_SUCCESS;
    (void)user;
    memset(&rep, 0, sizeof rep);
    cfg.epochs = 1;
    sannip_committee_init(&c, a);
    sannip_model_init(&tmpl, a);
    sannip_dataset_init(&d, a);
    TRY(sannip_model_load_mem(&tmpl, MODEL_TXT, MODEL_LEN, err));
    TRY(sannip_dataset_read_mem(&d, XYZ_TXT, XYZ_LEN, err));
    TRY(sannip_committee_create(&c, &tmpl, 2, err));
    TRY(sannip_committee_train(&c, &d, &cfg, &rep, err));
    *sig = (c.n == 2 ? params_sig(&c.m[0]) + params_sig(&c.m[1]) : 0) + rep.agg_rmse_e + rep.val_rmse_f + rep.epochs_run;
    sannip_dataset_uninit(&d);
    sannip_model_uninit(&tmpl);
    sannip_committee_uninit(&c);
    return r;
}

/* model construction and the training pieces a custom loop uses: add_element (dense and
   class-convolution), multi-task, scaling and energy fits, feature cache, gradient, PCA */
static sannip_result pipe_build(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_model m, mt;
    sannip_dataset d;
    sannip_feature_cache fc;
    sannip_rng rng;
    sannip_result r = SANNIP_SUCCESS;
    sannip_real *grad = NULL;
    double loss = 0;
    int h[2] = { 5, 3 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    (void)user;
    sannip_model_init(&m, a); sannip_model_init(&mt, a);
    sannip_dataset_init(&d, a);
    sannip_feature_cache_init(&fc, a);
    sannip_rng_seed(&rng, 4);
    TRY(sannip_dataset_read_mem(&d, XYZ_TXT, XYZ_LEN, err));
    TRY(sannip_descriptors_parse(&m.desc, DEFS, err));
    TRY(sannip_model_add_element(&m, FE, 2, h, act, err));
    TRY(sannip_model_add_element_cnn(&m, CO, 1, 1, h, act, err));
    TRY(sannip_descriptors_parse(&mt.desc, DEFS_ANY, err));
    TRY(sannip_model_add_element(&mt, FE, 1, h, act, err));
    TRY(sannip_model_add_element(&mt, CO, 1, h, act, err));
    TRY(sannip_model_make_multitask(&mt, 2, h, act, err));
    if (r == SANNIP_SUCCESS) { sannip_model_init_weights(&m, &rng); sannip_model_init_weights(&mt, &rng); }
    TRY(sannip_model_fit_scaling(&m, d.s, d.n, err));
    TRY(sannip_model_fit_energy(&m, &d, NULL, d.n, err));
    TRY(sannip_feature_cache_build(&fc, &m, &d, 1, err));
    TRY(sannip_model_pca_init(&m, &fc, &d, NULL, d.n, 2, err));
    if (r == SANNIP_SUCCESS) {
        grad = (sannip_real *)calloc(sannip_model_n_params(&m), sizeof *grad);   /* the test's own memory */
        r = sannip_structure_gradient(&m, &d.s[0], 1, 1, &loss, grad, err);
    }
    TRY(sannip_model_fit_scaling(&mt, d.s, d.n, err));
    TRY(sannip_structure_gradient(&mt, &d.s[1], 1, 0.5, &loss, grad, err));
    *sig = params_sig(&m) + params_sig(&mt) + loss + (grad ? sum_reals(grad, sannip_model_n_params(&m)) : 0);
    free(grad);
    sannip_feature_cache_uninit(&fc);
    sannip_dataset_uninit(&d);
    sannip_model_uninit(&m); sannip_model_uninit(&mt);
    return r;
}

/* the walker protocols (hysteresis, Curie scan) on the Heisenberg model, CSV output */
static sannip_result pipe_mc_protocols(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_mc_heisenberg h[2];
    sannip_mc_model mm[2];
    sannip_mc_config cfg = small_mc_config();
    sannip_mc_stats st[2];
    sannip_text t;
    sannip_result r = SANNIP_SUCCESS;
    const sannip_real *starts[2];
    double temps[2] = { 1.0, 2.0 };
    int w, ok[2] = { 0, 0 };
    (void)user;
    memset(st, 0, sizeof st);
    if (a) cfg.alloc = *a;
    cfg.kB = 1;
    sannip_text_init(&t, a);
    for (w = 0; w < 2 && r == SANNIP_SUCCESS; w++) {
        r = sannip_mc_heisenberg_init(&h[w], 3, 1.0, a, err);
        ok[w] = r == SANNIP_SUCCESS;
        if (ok[w]) { mm[w] = sannip_mc_heisenberg_model(&h[w]); starts[w] = h[w].spins; }
    }
    TRY(sannip_mc_hysteresis(mm, 2, starts, &cfg, 3, st, err));
    TRY(sannip_mc_curie_scan(mm, 2, starts[0], 2, temps, 1, &cfg, 4, st, NULL, err));
    TRY(sannip_mc_write_csv(&t, 2, st, err));
    *sig = st[0].e.mean + st[1].m.mean + (double)t.len;
    for (w = 0; w < 2; w++) if (ok[w]) sannip_mc_heisenberg_uninit(&h[w]);
    sannip_text_uninit(&t);
    return r;
}

/* ---- 8. random spin committee --------------------------------------------------------------- */
static int toy_oracle(sannip_rsc_call *call, void *user)
{
    int i, n = call->sys->n;
    double e = 0;
    (void)user;
    for (i = 0; i < 3 * n; i++) { call->spins[i] = call->initial_spins[i]; e += (double)(call->spins[i] * call->spins[i]); }
    call->energy = e - call->structure;
    call->converged = call->member % 3 != 2;
    if (call->forces) { for (i = 0; i < 3 * n; i++) call->forces[i] = (sannip_real)(0.1 * i); call->has_forces = 1; }
    return 0;
}
static sannip_result pipe_rsc(const sannip_allocator *a, void *user, double *sig, sannip_error *err)
{
    sannip_rsc_config cfg = sannip_rsc_config_init();
    sannip_rsc_result res;
    sannip_system sys[2];
    sannip_text t;
    sannip_result r = SANNIP_SUCCESS;
    int choice[2] = { -1, -1 }, nw = 0;
    char path[128];
    sannip_real fixed[2 * 3 * NAT];
    snprintf(path, sizeof path, "%s/rsc.xyz", DIR);
    sys[0] = view(&CELLS[0]); sys[1] = view(&CELLS[1]);
    memcpy(fixed, CELLS[0].spins, sizeof CELLS[0].spins); memcpy(fixed + 3 * NAT, CELLS[1].spins, sizeof CELLS[1].spins);
    cfg.n_random = 4;
    if (user) { cfg.n_fixed = 1; cfg.fixed_spins = fixed; cfg.early_stop = 1; cfg.vector_spins = 1; }
    sannip_rsc_result_init(&res, a);
    sannip_text_init(&t, a);
    TRY(sannip_rsc_run(&cfg, sys, 2, toy_oracle, NULL, &res, err));
    TRY(sannip_rsc_select(&res, 3, 1, 0, 0, choice, err));
    TRY(sannip_rsc_write_xyz(&res, sys, choice, &t, &nw, err));
    TRY(sannip_rsc_save_xyz(&res, sys, NULL, path, &nw, err));
    *sig = choice[0] + 10.0 * choice[1] + nw + (double)t.len;
    sannip_text_uninit(&t);
    sannip_rsc_result_uninit(&res);
    return r;
}

/* ---- the sweeps ------------------------------------------------------------------------------ */
/* One thread, so that the N-th allocation is the same one in every run; threads = 2 sweeps
   the pipelines whose threads allocate (per-thread scratch) a second time. */
static void sweep_threads(const char *name, oom_pipeline run, void *user, int threads)
{
    oom_sweep s;
    sannip_error err;
    sannip_result r;
    double ref = 0;
    long before;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    if (threads > 1) return;
#endif
    memset(&err, 0, sizeof err);
    r = run(NULL, user, &ref, &err);   /* reference: the default allocator */
    CHECK(r == SANNIP_SUCCESS, "%s with the default allocator: %s", name, err.message);
    if (r) return;
    before = default_calls;
    oom_sweep_run(run, user, SANNIP_SUCCESS, ref, 200000, &s);
    CHECK(s.done && s.final == SANNIP_SUCCESS, "%s: the run without failures gave %s: %s", name,
          sannip_result_string(s.final), s.message);
    CHECK(s.sig == ref, "%s: counting allocator result %.17g, default allocator %.17g", name, s.sig, ref);
    CHECK(s.points > 0, "%s: no allocation through the given allocator", name);
    CHECK(s.leaks == 0, "%s: %ld runs leaked, the first when allocation %ld failed", name, s.leaks, s.first_leak);
    CHECK(s.wrong == 0, "%s: %ld runs gave another code or result, the first when allocation %ld failed: %s (%s)", name,
          s.wrong, s.first_wrong, sannip_result_string(s.wrong_code), s.message);
    CHECK(s.nomsg == 0, "%s: %ld failures without a message (or err.code), the first when allocation %ld failed", name,
          s.nomsg, s.first_nomsg);
    CHECK(default_calls == before, "%s: %ld calls of the default allocator although one was given", name, default_calls - before);
    printf("%s%s: %ld allocation points, every failure handled (%ld absorbed)\n", name, threads > 1 ? " (2 threads)" : "",
           s.points, s.absorbed);
}
static void sweep(const char *name, oom_pipeline run, void *user) { sweep_threads(name, run, user, 1); }

int main(void)
{
    train_opts cached = { 1, 0, 0 }, recomputed = { 0, 0, 0 }, pca = { 1, 2, 0 }, ekf = { 1, 0, 1 };
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!build_fixtures()) { CHECK(0, "fixtures"); return test_report("test_oom"); }
    load_water();
    sweep("model load + compute + field + features + copy + save/load (dense, class-convolution, multi-task)", pipe_model, NULL);
    if (NN && SC && W1 && W8) sweep("n2p2 import (memory, directory) + save + load + compute", pipe_n2p2, NULL);
    else printf("n2p2 import: skipped (no %s)\n", N2P2_DIR);
    sweep("descriptor parse + presets", pipe_descriptors, NULL);
    sweep("data read/write (XYZ, input.data, data sets, files, callbacks)", pipe_data, NULL);
    sweep("committee load + predict + rank + save + create", pipe_committee, NULL);
    sweep("spin-local init + moves + set_spins (dense and class-convolution networks)", pipe_spin_local, NULL);
    sweep("Monte Carlo on spin-local (chain, walkers)", pipe_mc, NULL);
    sweep("Monte Carlo on the full-energy model", pipe_mc_full, NULL);
    sweep("training, derivative cache", pipe_train, &cached);
    sweep("training, derivatives recomputed", pipe_train, &recomputed);
    sweep("training, cache + PCA initialisation", pipe_train, &pca);
    sweep("training, extended Kalman filter", pipe_train, &ekf);
    sweep("committee training", pipe_committee_train, NULL);
    sweep("model construction + scaling/energy fits + cache + gradient + PCA", pipe_build, NULL);
    sweep("Monte Carlo protocols (hysteresis, Curie scan, CSV) on the Heisenberg model", pipe_mc_protocols, NULL);
    sweep("random spin committee", pipe_rsc, NULL);
    sweep("random spin committee, fixed members, early stop, vector spins", pipe_rsc, &cached);
    sweep_threads("Monte Carlo on spin-local (chain, walkers)", pipe_mc, NULL, 2);
    sweep_threads("training, derivative cache", pipe_train, &cached, 2);
    sweep_threads("training, extended Kalman filter", pipe_train, &ekf, 2);
    sweep_threads("committee training", pipe_committee_train, NULL, 2);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR);
        CHECK(system(cmd) == 0, "removing %s", DIR);
    }
    sannip_model_uninit(&MODEL); sannip_model_uninit(&MODEL_CNN);
    free(MODEL_TXT); free(COMMITTEE_TXT); free(ARCH_TXT[0]); free(ARCH_TXT[1]); free(XYZ_TXT); free(N2P2_TXT);
    free(NN); free(SC); free(W1); free(W8);
    return test_report("test_oom");
}
