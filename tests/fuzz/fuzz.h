/* fuzz.h - shared by the libFuzzer harnesses of tests/fuzz/ (one per loader).
   A harness defines
       static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err);
   and includes this file, which turns fuzz_one into
     - LLVMFuzzerTestOneInput (built with clang -fsanitize=fuzzer: `make fuzz`), or
     - under FUZZ_REPLAY, a main that runs fuzz_one over every file (or directory of files)
       named on its command line and prints "PATH: RESULT_NAME [message]" for each
       (tests/test_fuzz_replay.sh builds it with ASan + UBSan and checks the codes).
   After a successful load fuzz_one computes energy, per-atom energies, forces, virial,
   effective field and features on a small structure and checks that save -> load -> save
   gives the same bytes: a mismatch aborts, which the fuzzer reports as a crash. Uses the
   public API only. */
#ifndef SANNIP_FUZZ_H
#define SANNIP_FUZZ_H
#define SANNIP_IMPLEMENTATION
#include "../../sannip_train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harness's entry (defined after this file is included). */
static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err);

/* Structures with more atoms are read but not computed (keeps one run in milliseconds). */
#define FUZZ_MAX_ATOMS 64

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* A NUL-terminated copy of data[0..size) (the parsers that take C strings), malloc'ed. */
static char *fuzz_cstr(const char *data, size_t size)
{
    char *s = (char *)malloc(size + 1);
    if (!s) fuzz_fail("out of memory", NULL);
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* A small test structure of up to 2 atoms per element of Zs[0..nz) (at least 2 atoms):
   deterministic positions and spins (|S| ~ 2); periodic 7 A cube when rc <= 8, else a
   cluster (no periodic images, so a huge cutoff costs nothing). */
typedef struct fuzz_structure {
    sannip_system sys;
    sannip_real pos[3 * 2 * SANNIP_MAX_ELEMENTS], spins[3 * 2 * SANNIP_MAX_ELEMENTS];
    int Z[2 * SANNIP_MAX_ELEMENTS];
} fuzz_structure;

static void fuzz_structure_make(fuzz_structure *fs, const int *Zs, int nz, sannip_real rc)
{
    int i, a, n = 0, k;
    sannip_rng rng;
    memset(fs, 0, sizeof *fs);
    sannip_rng_seed(&rng, 12);
    if (nz < 1) { static const int fe = 26; Zs = &fe; nz = 1; }
    if (nz > SANNIP_MAX_ELEMENTS) nz = SANNIP_MAX_ELEMENTS;
    for (k = 0; k < 2; k++)
        for (i = 0; i < nz; i++, n++) {
            fs->Z[n] = Zs[i];
            /* a jittered simple-cubic grid of spacing 1.75 A: no two atoms closer than ~1.1 A */
            for (a = 0; a < 3; a++) {
                int g = (n >> (2 * a)) & 3;
                fs->pos[3 * n + a] = (sannip_real)(0.4 + 1.75 * g + 0.3 * sannip_rng_uniform(&rng));
                fs->spins[3 * n + a] = (sannip_real)(2.0 * sannip_rng_uniform(&rng) - 1.0);
            }
        }
    fs->sys.n = n; fs->sys.pos = fs->pos; fs->sys.Z = fs->Z; fs->sys.spins = fs->spins;
    if (rc <= 8) {
        fs->sys.cell[0] = fs->sys.cell[4] = fs->sys.cell[8] = 7;
        fs->sys.pbc[0] = fs->sys.pbc[1] = fs->sys.pbc[2] = 1;
    }
}

/* The elements of a model, for fuzz_structure_make. */
static int fuzz_model_elements(const sannip_model *m, int *Zs)
{
    int e;
    for (e = 0; e < m->n_elements; e++) Zs[e] = m->el[e].Z;
    return m->n_elements;
}

/* Energy, per-atom energies, forces, virial, field (spin-aware models) and features of m on
   sys, with a fresh workspace. Returns the first failing result; *energy gets E. */
static sannip_result fuzz_compute(const sannip_model *m, const sannip_system *sys, sannip_real *energy,
                                  sannip_error *err)
{
    sannip_workspace ws;
    sannip_real *buf;
    int n = sys->n, stride = 1, e;
    sannip_result r;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].n_features > stride) stride = m->el[e].n_features;
    buf = (sannip_real *)calloc((size_t)n * (5 + 3 + 3 + (size_t)stride) + 9, sizeof *buf);
    if (!buf) fuzz_fail("out of memory", NULL);
    sannip_workspace_init(&ws, NULL);
    *energy = 0;
    if (sannip_descriptors_need_spins(&m->desc) && sys->spins)
        r = sannip_model_compute_field(m, &ws, sys, energy, buf, buf + n, buf + 4 * n, buf + 4 * n + 9, err);
    else
        r = sannip_model_compute(m, &ws, sys, energy, buf, buf + n, buf + 4 * n, err);
    if (r == SANNIP_SUCCESS) r = sannip_model_features(m, &ws, sys, buf + 7 * n + 9, stride, err);
    sannip_workspace_uninit(&ws);
    free(buf);
    return r;
}

/* save -> load -> save of a model: the two texts must be byte-identical (the text holds
   every parameter exactly, so the reloaded model predicts the same bits). */
static void fuzz_model_roundtrip(const sannip_model *m)
{
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    sannip_model m2;
    sannip_error err;
    if (sannip_model_save_mem(m, &t1, &l1, &err) != SANNIP_SUCCESS) fuzz_fail("save of a loaded model failed", err.message);
    sannip_model_init(&m2, NULL);
    if (sannip_model_load_mem(&m2, t1, l1, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", t1); fuzz_fail("the saved model does not load", err.message); }
    if (sannip_model_save_mem(&m2, &t2, &l2, &err) != SANNIP_SUCCESS) fuzz_fail("second save failed", err.message);
    if (l1 != l2 || memcmp(t1, t2, l1)) { fprintf(stderr, "%s\n----\n%s\n", t1, t2); fuzz_fail("save -> load -> save differs", NULL); }
    sannip_free(&m->alloc, t1); sannip_free(&m2.alloc, t2);
    sannip_model_uninit(&m2);
}

/* Everything a harness does with a model that loaded: compute on a small structure of its
   elements, then the round trip. Returns the compute result (a model may load and still
   refuse the structure, e.g. a cutoff beyond the limits). */
static sannip_result fuzz_model_exercise(const sannip_model *m, sannip_error *err)
{
    fuzz_structure fs;
    int Zs[SANNIP_MAX_ELEMENTS];
    sannip_real e0 = 0;
    sannip_result r;
    fuzz_structure_make(&fs, Zs, fuzz_model_elements(m, Zs), m->cutoff);
    r = fuzz_compute(m, &fs.sys, &e0, err);
    fuzz_model_roundtrip(m);
    return r;
}

#ifdef FUZZ_REPLAY
/* ---- replay driver: fuzz_one over files ------------------------------------------------- */
#include <dirent.h>
#include <sys/stat.h>

static int fuzz_replay_file(const char *path)
{
    sannip_error err;
    char *data = NULL;
    size_t len = 0;
    sannip_result r;
    memset(&err, 0, sizeof err);
    if (sannip_read_file(path, NULL, &data, &len, &err) != SANNIP_SUCCESS) {
        printf("%s: cannot read (%s)\n", path, err.message);
        return 1;
    }
    memset(&err, 0, sizeof err);
    /* an exact-size heap copy, so ASan sees a read past the input's end */
    {
        char *exact = (char *)malloc(len ? len : 1);
        if (!exact) fuzz_fail("out of memory", NULL);
        if (len) memcpy(exact, data, len);
        sannip_free(NULL, data);
        r = fuzz_one(exact, len, &err);
        free(exact);
    }
    printf("%s: %.*s%s%s\n", path, (int)strcspn(sannip_result_string(r), ":"), sannip_result_string(r),
           r == SANNIP_SUCCESS ? "" : " ", r == SANNIP_SUCCESS ? "" : err.message);
    return 0;
}

static int fuzz_replay_path(const char *path)
{
    struct stat st;
    DIR *dir;
    struct dirent *ent;
    char sub[4096];
    int bad = 0;
    if (stat(path, &st) != 0) { printf("%s: missing\n", path); return 1; }
    if (!S_ISDIR(st.st_mode)) return fuzz_replay_file(path);
    if (!(dir = opendir(path))) { printf("%s: cannot open\n", path); return 1; }
    while ((ent = readdir(dir)) != NULL) {
        if (ent->d_name[0] == '.') continue;
        snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
        bad |= fuzz_replay_path(sub);
    }
    closedir(dir);
    return bad;
}

int main(int argc, char **argv)
{
    int i, bad = 0;
    for (i = 1; i < argc; i++) bad |= fuzz_replay_path(argv[i]);
    return bad;
}
#else
#ifdef __cplusplus
extern "C"
#endif
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    sannip_error err;
    if (size > 256 * 1024) return 0;   /* beyond -max_len anyway */
    (void)fuzz_one((const char *)data, size, &err);
    return 0;
}
#endif
#endif
