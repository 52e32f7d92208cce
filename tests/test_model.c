/* Models, files, kernels and networks.
   - save/load: sannip_model_save_mem -> load_mem gives bit-identical energies, per-atom
     energies, forces and virial, the same parameters and an identical re-saved text; the
     same through save_file/load_file (saving over an existing file, a save to an impossible
     path returns SANNIP_IO_ERROR and leaves nothing behind, a failed save keeps the old file);
   - descriptor definitions: format -> parse gives an identical basis for every kind and
     cutoff; n2p2 'symfunction_short' lines (types 2, 3, 9, 12, 13) with 'cutoff_type' parse
     to the expected kinds and parameters; the bp_fe preset (24 G2 + 18 G4, rc 6);
   - sannip_model_features equals the model's columns of sannip_descriptors_compute;
   - OpenMP: 1 and 2 threads give bit-identical results on 686 atoms;
   - kernels: sannip_gemm_nt/nn/tn against naive loops on odd sizes (panel remainders, k over
     several chunks) and leading dimensions;
   - networks: forward against a naive evaluation, backward_input against finite differences
     of forward for every activation, sannip_activation_eval derivatives against FD;
   - data sets and extended XYZ: sannip_dataset_append makes an independent deep copy (and
     leaves the set unchanged when an allocation fails, without leaks); sannip_write_xyz_ex
     with extra columns and key=value entries reads back (sannip_dataset_read_mem) to the same
     numbers, sannip_write_xyz is its thin form, bad columns/entries append nothing; a reader
     error names the structure and the line;
   - copies: sannip_model_copy of BP, class-convolution (with and without raw inputs) and
     multi-task models, with and without spin bases, and of a loaded model, saves to the same
     bytes and predicts bit for bit the same (energies, forces, virial, field); changing the
     copy leaves the original's text unchanged; with every allocation failing in turn (the
     counting allocator of tests/test_alloc.h), SANNIP_OUT_OF_MEMORY, an empty model, no leak. */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include "test_alloc.h"
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <sys/resource.h>
#define HAVE_RLIMIT 1
#endif

#define FE 26
#define NI 28

/* ---- structures --------------------------------------------------------------------------- */
typedef struct atoms { int n; sannip_real *pos; int *Z; sannip_real cell[9]; int pbc[3]; } atoms;

static void atoms_alloc(atoms *a, int n)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->pos = (sannip_real *)calloc(3 * (size_t)n + 3, sizeof(sannip_real));
    a->Z = (int *)calloc((size_t)n + 1, sizeof(int));
}
static void atoms_free(atoms *a) { free(a->pos); free(a->Z); memset(a, 0, sizeof *a); }
static sannip_system view(const atoms *a)
{
    sannip_system s;
    memset(&s, 0, sizeof s);
    s.n = a->n; s.pos = a->pos; s.Z = a->Z;
    memcpy(s.cell, a->cell, sizeof s.cell);
    memcpy(s.pbc, a->pbc, sizeof s.pbc);
    return s;
}
/* nc x nc x nc conventional bcc cells (a = 2.87 A) sheared into a triclinic cell, about
   a third of the atoms Ni, every atom jiggled by up to 0.1 A. */
static void bcc_block(atoms *a, int nc, sannip_rng *rng)
{
    const double lat = 2.87, shear[9] = { 1, 0, 0, 0.08, 1, 0, -0.05, 0.06, 1 };
    int i, j, k, b, c, n = 0;
    atoms_alloc(a, 2 * nc * nc * nc);
    for (i = 0; i < 9; i++) a->cell[i] = (sannip_real)(nc * lat * shear[i]);
    a->pbc[0] = a->pbc[1] = a->pbc[2] = 1;
    for (i = 0; i < nc; i++) for (j = 0; j < nc; j++) for (k = 0; k < nc; k++) for (b = 0; b < 2; b++) {
        double u[3] = { (i + 0.5 * b) / nc, (j + 0.5 * b) / nc, (k + 0.5 * b) / nc };
        for (c = 0; c < 3; c++)
            a->pos[3 * n + c] = (sannip_real)(u[0] * a->cell[c] + u[1] * a->cell[3 + c] + u[2] * a->cell[6 + c]
                                              + 0.2 * (sannip_rng_uniform(rng) - 0.5));
        a->Z[n] = sannip_rng_uniform(rng) < 0.35 ? NI : FE;
        n++;
    }
    a->Z[0] = FE; a->Z[1] = NI;
}

/* ---- a model with every basis kind ---------------------------------------------------------- */
static const char *model_bases =
    "# every basis kind and cutoff type\n"
    "g2  *  Fe cut=cos rc=4.5 eta=0.5 rs=1.0\n"
    "g2  Fe Zw cut=poly2 rc=4.6 alpha=0.3 eta=0.3 rs=0\n"
    "g2  Ni Ni cut=tanh rc=4.4 eta=1 rs=2.5\n"
    "g2  *  *  cut=hard rc=3.9 eta=0.2 rs=0\n"
    "g2  *  Ni cut=poly1 rc=4.2 alpha=0.5 eta=0.7 rs=1.5   # trailing comment\n"
    "\n"
    "g4  *  Fe Ni cut=poly3 rc=4.5 eta=0.02 lambda=-1 zeta=2\n"
    "g4  Fe Zw Zw cut=exp rc=4.7 alpha=0.2 eta=0.05 lambda=1 zeta=4 rs=0.5\n"
    "g5  Ni *  *  cut=tanhu rc=4.3 eta=0.03 lambda=1 zeta=1\n"
    "g5  *  Ni Fe cut=poly4 rc=4.8 eta=0.01 lambda=-1 zeta=2.5\n"
    "gf_radial   * Fe eta=0.5 rs=2 fb=1.2,2.6,2,2,2\n"
    "gf_biradial Fe * Ni eta=0.4 rs=2.5 eta2=0.6 rs2=3 fb=1.2,2.6,2,2,2 fb2=0.8,3,1.6,4,2\n"
    "gf_angular1 Ni * * eta=0.3 rs=2.4 eta2=0.5 rs2=2.8 eta_t=1.5 theta_s=0.3 fb=2,2.2,2.4,2,4 fb2=1.5,3.3,1.3,6,4\n"
    "gf_angular2 * Fe * eta_t=1 theta_s=1.1 fb=0.8,3,1.6,4,2 fb2=1.5,3.3,1.3,6,4\n";

static void build_model(sannip_model *m, sannip_rng *rng, const char *description)
{
    static const int hidden[2] = { 8, 7 }, actfe[2] = { SANNIP_ACT_TANH, SANNIP_ACT_SOFTPLUS },
                     actni[2] = { SANNIP_ACT_SWISH, SANNIP_ACT_SIGMOID };
    sannip_error err;
    int e, f;
    size_t k;
    sannip_model_init(m, NULL);
    CHECK(sannip_descriptors_parse(&m->desc, model_bases, &err) == SANNIP_SUCCESS, "parse bases: line %d: %s", err.line, err.message);
    CHECK(m->desc.n == 13, "%d bases parsed, expected 13", m->desc.n);
    CHECK(sannip_model_add_element(m, FE, 2, hidden, actfe, &err) == SANNIP_SUCCESS, "add Fe: %s", err.message);
    CHECK(sannip_model_add_element(m, NI, 2, hidden, actni, &err) == SANNIP_SUCCESS, "add Ni: %s", err.message);
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        for (k = 0; k < el->net.n_params; k++) el->net.params[k] = (sannip_real)(0.4 * sannip_rng_normal(rng));
        el->scaling = e ? SANNIP_SCALE_SCALECENTER : SANNIP_SCALE_STANDARD;
        el->smin = (sannip_real)-0.9; el->smax = (sannip_real)1.1;
        for (f = 0; f < el->n_features; f++) {
            double base = 0.5 + 3 * sannip_rng_uniform(rng);
            el->stats[f].min = (sannip_real)(base * 0.2);
            el->stats[f].max = (sannip_real)(base * 2.1);
            el->stats[f].mean = (sannip_real)base;
            el->stats[f].sigma = (sannip_real)(0.3 * base + 0.1 * sannip_rng_uniform(rng));
            el->stats[f].dev = (sannip_real)(1.2 * base);
        }
        el->energy_scale = (sannip_real)(0.7 + 0.1 * sannip_rng_uniform(rng));
        el->energy_offset = (sannip_real)(-3.1 - sannip_rng_uniform(rng));
    }
    if (description) {
        m->description = (char *)malloc(strlen(description) + 1);
        strcpy(m->description, description);
    }
    CHECK(sannip_model_finalize(m, &err) == SANNIP_SUCCESS, "finalize: %s", err.message);
}

typedef struct result { sannip_real E, *eat, *F, W[9]; } result;
static void result_of(result *r, const sannip_model *m, sannip_workspace *ws, const atoms *a)
{
    sannip_system s = view(a);
    sannip_error err;
    r->eat = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n);
    r->F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)a->n);
    CHECK(sannip_model_compute(m, ws, &s, &r->E, r->eat, r->F, r->W, &err) == SANNIP_SUCCESS, "compute: %s", err.message);
}
static void result_free(result *r) { free(r->eat); free(r->F); }
static int result_same(const result *a, const result *b, int n)
{
    return memcmp(&a->E, &b->E, sizeof a->E) == 0 && memcmp(a->eat, b->eat, sizeof(sannip_real) * (size_t)n) == 0
        && memcmp(a->F, b->F, sizeof(sannip_real) * 3 * (size_t)n) == 0 && memcmp(a->W, b->W, sizeof a->W) == 0;
}
static int models_same(const sannip_model *a, const sannip_model *b)
{
    int e, f;
    if (a->n_elements != b->n_elements || a->desc.n != b->desc.n || a->cutoff != b->cutoff) return 0;
    for (e = 0; e < a->n_elements; e++) {
        const sannip_element_model *x = &a->el[e], *y = &b->el[e];
        if (x->Z != y->Z || x->n_features != y->n_features || x->scaling != y->scaling || x->smin != y->smin
            || x->smax != y->smax || x->energy_scale != y->energy_scale || x->energy_offset != y->energy_offset
            || x->net.n_params != y->net.n_params || x->net.n_layers != y->net.n_layers) return 0;
        if (memcmp(x->net.params, y->net.params, sizeof(sannip_real) * x->net.n_params) != 0) return 0;
        if (memcmp(x->net.sizes, y->net.sizes, sizeof x->net.sizes) != 0 || memcmp(x->net.act, y->net.act, sizeof(int) * (size_t)x->net.n_layers) != 0) return 0;
        for (f = 0; f < x->n_features; f++) {
            if (x->feature[f] != y->feature[f]) return 0;
            if (x->stats[f].min != y->stats[f].min || x->stats[f].max != y->stats[f].max || x->stats[f].mean != y->stats[f].mean
                || x->stats[f].sigma != y->stats[f].sigma || x->stats[f].dev != y->stats[f].dev) return 0;
            if (x->scale_a[f] != y->scale_a[f] || x->scale_c[f] != y->scale_c[f] || x->scale_d[f] != y->scale_d[f]) return 0;
        }
    }
    return strcmp(a->units_energy, b->units_energy) == 0 && strcmp(a->units_length, b->units_length) == 0;
}
static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static void test_save_load(const atoms *a, sannip_rng *rng)
{
    const char *path = "build/test_model_rt.sannip", *keep = "build/test_model_keep.sannip";
    sannip_model m, m2, m3;
    sannip_workspace ws;
    sannip_error err;
    result r0, r1;
    char *t1 = NULL, *t2 = NULL, *t3 = NULL, *file = NULL;
    size_t l1 = 0, l2 = 0, l3 = 0, lf = 0;
    sannip_result rr;
    int i, nfe = 0;

    build_model(&m, rng, NULL);
    strcpy(m.units_energy, "Ha"); strcpy(m.units_length, "Bohr");
    sannip_workspace_init(&ws, NULL);
    result_of(&r0, &m, &ws, a);

    /* memory */
    CHECK(sannip_model_save_mem(&m, &t1, &l1, &err) == SANNIP_SUCCESS, "save_mem: %s", err.message);
    CHECK(t1 && strlen(t1) == l1 && strncmp(t1, "sannip-model 1\n", 15) == 0, "saved text starts '%.20s'", t1 ? t1 : "(null)");
    sannip_model_init(&m2, NULL);
    rr = sannip_model_load_mem(&m2, t1, l1, &err);
    CHECK(rr == SANNIP_SUCCESS, "load_mem: %s (line %d)", err.message, err.line);
    CHECK(models_same(&m, &m2), "loaded model differs from the saved one");
    result_of(&r1, &m2, &ws, a);
    CHECK(result_same(&r0, &r1, a->n), "save_mem/load_mem: predictions not bit-identical (E %.17g vs %.17g)", (double)r0.E, (double)r1.E);
    result_free(&r1);
    CHECK(sannip_model_save_mem(&m2, &t2, &l2, &err) == SANNIP_SUCCESS, "re-save: %s", err.message);
    CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0, "re-saved text differs (%zu vs %zu bytes)", l1, l2);

    /* file: write, then save over the existing file */
    remove(path);
    CHECK(sannip_model_save_file(&m, path, &err) == SANNIP_SUCCESS, "save_file: %s", err.message);
    CHECK(!file_exists("build/test_model_rt.sannip.tmp"), "save_file left its temporary file behind");
    CHECK(sannip_read_file(path, NULL, &file, &lf, &err) == SANNIP_SUCCESS, "read back: %s", err.message);
    CHECK(file && lf == l1 && memcmp(file, t1, l1) == 0, "file content differs from save_mem (%zu vs %zu bytes)", lf, l1);
    sannip_free(NULL, file); file = NULL;
    sannip_model_init(&m3, NULL);
    CHECK(sannip_model_load_file(&m3, path, &err) == SANNIP_SUCCESS, "load_file: %s", err.message);
    CHECK(models_same(&m, &m3), "file-loaded model differs");
    result_of(&r1, &m3, &ws, a);
    CHECK(result_same(&r0, &r1, a->n), "save_file/load_file: predictions not bit-identical");
    result_free(&r1);
    for (i = 0; i < a->n; i++) nfe += a->Z[i] == FE;
    m.el[sannip_model_element_index(&m, FE)].energy_offset += 1;
    CHECK(sannip_model_save_file(&m, path, &err) == SANNIP_SUCCESS, "save over an existing file: %s", err.message);
    CHECK(sannip_model_load_file(&m3, path, &err) == SANNIP_SUCCESS, "load_file (2): %s", err.message);
    CHECK(models_same(&m, &m3), "model saved over an existing file does not read back");
    result_of(&r1, &m3, &ws, a);
    CHECK_NEAR(r1.E, r0.E + nfe, TOL(1e-10, 1e-4) * fabs(r0.E), "energy after shifting the Fe offset by 1 (%d Fe)", nfe);
    CHECK(memcmp(r1.F, r0.F, sizeof(sannip_real) * 3 * (size_t)a->n) == 0, "an energy offset changed the forces");
    result_free(&r1);
    CHECK(sannip_model_save_mem(&m, &t3, &l3, &err) == SANNIP_SUCCESS, "save_mem (3): %s", err.message);
    CHECK(sannip_read_file(path, NULL, &file, &lf, &err) == SANNIP_SUCCESS, "read back (2): %s", err.message);
    CHECK(file && lf == l3 && memcmp(file, t3, l3) == 0, "overwritten file holds the old model");
    sannip_free(NULL, file); file = NULL;
    m.el[sannip_model_element_index(&m, FE)].energy_offset -= 1;

    /* impossible path: SANNIP_IO_ERROR, nothing created */
    rr = sannip_model_save_file(&m, "build/no_such_dir/x.sannip", &err);
    CHECK(rr == SANNIP_IO_ERROR, "save to a missing directory returned %d (%s)", (int)rr, sannip_result_string(rr));
    CHECK(!file_exists("build/no_such_dir/x.sannip") && !file_exists("build/no_such_dir/x.sannip.tmp"), "a failed save left a file");
    rr = sannip_model_load_file(&m3, "build/no_such_dir/x.sannip", &err);
    CHECK(rr == SANNIP_MISSING_FILE || rr == SANNIP_IO_ERROR, "load of a missing file returned %d", (int)rr);

    /* a save that cannot write its temporary file keeps the existing file intact: a file size
       limit of 64 bytes blocks the write (the temporary has a unique name since issue 12, so a
       directory planted at PATH.tmp no longer blocks it: the save then succeeds) */
    remove(keep);
    CHECK(sannip_model_save_file(&m, keep, &err) == SANNIP_SUCCESS, "save %s: %s", keep, err.message);
#ifdef HAVE_RLIMIT
    {
        struct rlimit old, lim;
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
        lim = old; lim.rlim_cur = 64;
        CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit");
        rr = sannip_model_save_file(&m2, keep, &err);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, prev);
    }
    CHECK(rr == SANNIP_IO_ERROR, "save with a blocked temporary file returned %d", (int)rr);
    CHECK(sannip_read_file(keep, NULL, &file, &lf, &err) == SANNIP_SUCCESS && lf == l1 && memcmp(file, t1, l1) == 0,
          "a failed save damaged the existing file");
    sannip_free(NULL, file); file = NULL;
#endif
    CHECK(system("mkdir -p build/test_model_keep.sannip.tmp") == 0, "mkdir failed");
    rr = sannip_model_save_file(&m2, keep, &err);
    CHECK(rr == SANNIP_SUCCESS, "save next to a directory named PATH.tmp: %s", err.message);
    remove("build/test_model_keep.sannip.tmp");
    remove(keep); remove(path);

    /* the free-text description is part of the file and must survive a round trip */
    {
        sannip_model md, md2;
        char *s1 = NULL, *s2 = NULL;
        size_t n1 = 0, n2 = 0;
        build_model(&md, rng, "toy Fe-Ni model for tests\nsecond line of the description");
        CHECK(sannip_model_save_mem(&md, &s1, &n1, &err) == SANNIP_SUCCESS, "save_mem with description: %s", err.message);
        CHECK(s1 && strstr(s1, "toy Fe-Ni model for tests") != NULL, "description not written");
        sannip_model_init(&md2, NULL);
        CHECK(sannip_model_load_mem(&md2, s1, n1, &err) == SANNIP_SUCCESS, "load_mem with description: %s", err.message);
        CHECK(md2.description && strcmp(md2.description, md.description) == 0,
              "description lost on load: got '%s' (sannip_model_load_mem skips 'description' lines)", md2.description ? md2.description : "(null)");
        CHECK(sannip_model_save_mem(&md2, &s2, &n2, &err) == SANNIP_SUCCESS, "re-save with description: %s", err.message);
        CHECK(s2 && n1 == n2 && memcmp(s1, s2, n1) == 0, "model with a description: re-saved text differs (%zu vs %zu bytes)", n1, n2);
        sannip_free(NULL, s1); sannip_free(NULL, s2);
        sannip_model_uninit(&md); sannip_model_uninit(&md2);
    }

    /* load errors leave a usable empty model and name the line */
    {
        char *bad = (char *)malloc(l1 + 1);
        char *p;
        memcpy(bad, t1, l1 + 1);
        p = strstr(bad, "energy_map");
        if (p) p[0] = 'x';
        rr = sannip_model_load_mem(&m3, bad, l1, &err);
        CHECK(rr == SANNIP_PARSE_ERROR && err.line > 0, "corrupted model: result %d, line %d", (int)rr, err.line);
        CHECK(m3.n_elements == 0, "a failed load left %d elements", m3.n_elements);
        free(bad);
        rr = sannip_model_load_mem(&m3, t1, l1 / 2, &err);
        CHECK(rr != SANNIP_SUCCESS, "a truncated model loaded");
        memcpy(bad = (char *)malloc(l1 + 1), t1, l1 + 1);
        bad[13] = '9';   /* "sannip-model 9" */
        rr = sannip_model_load_mem(&m3, bad, l1, &err);
        CHECK(rr == SANNIP_BAD_VERSION, "unknown format version: result %d", (int)rr);
        free(bad);
    }

    sannip_free(NULL, t1); sannip_free(NULL, t2); sannip_free(NULL, t3);
    result_free(&r0);
    sannip_model_uninit(&m); sannip_model_uninit(&m2); sannip_model_uninit(&m3);
    sannip_workspace_uninit(&ws);
}

/* ---- descriptor definitions ------------------------------------------------------------------ */
static int cut_same(const sannip_cutoff *a, const sannip_cutoff *b)
{
    return a->type == b->type && a->rc == b->rc && a->alpha == b->alpha && a->eps_dn == b->eps_dn && a->rs == b->rs
        && a->eps_up == b->eps_up && a->xi_dn == b->xi_dn && a->xi_up == b->xi_up;
}
static int basis_same(const sannip_basis *a, const sannip_basis *b)
{
    return a->kind == b->kind && a->center == b->center && a->nbr[0] == b->nbr[0] && a->nbr[1] == b->nbr[1]
        && cut_same(&a->cut[0], &b->cut[0]) && cut_same(&a->cut[1], &b->cut[1]) && a->eta == b->eta && a->rs == b->rs
        && a->lambda == b->lambda && a->zeta == b->zeta && a->eta2 == b->eta2 && a->rs2 == b->rs2
        && a->eta_t == b->eta_t && a->theta_s == b->theta_s;
}

static void test_basis_roundtrip(sannip_rng *rng)
{
    static const int elems[4] = { SANNIP_ANY, FE, NI, 8 };
    sannip_descriptors d;
    sannip_basis b, p;
    sannip_cutoff cs;
    sannip_error err;
    char line[1024], line2[1024];
    int kind, t, q = 0, ok = 0, total = 0, r;
    sannip_descriptors_init(&d, NULL);
    for (kind = 1; kind < SANNIP_BASIS_KIND_COUNT; kind++) {
        int bp = kind == SANNIP_G2 || kind == SANNIP_G4 || kind == SANNIP_G5;
        int ncut = bp ? SANNIP_CUT_FSPLINE : 3;    /* BP kinds: every n2p2 cutoff type */
        if (sannip_basis_kind_flags(kind) & SANNIP_BASIS_SPIN) continue;   /* spin kinds: tests/test_spin.c */
        for (t = 0; t < ncut; t++, q++) {
            /* awkward numbers (random, full precision) so that the round trip must be exact */
            double u = sannip_rng_uniform(rng);
            memset(&b, 0, sizeof b);
            b.kind = kind; b.center = elems[q % 4]; b.nbr[0] = elems[(q + 1) % 4];
            if (sannip_basis_is_angular(&b)) b.nbr[1] = elems[(q + 2) % 4];
            if (bp && q % 3 == 0) b.nbr[0] = b.nbr[1] = SANNIP_ZWEIGHT;
            if (kind == SANNIP_G2 && q % 3 == 0) b.nbr[1] = 0;
            if (bp) {
                sannip_cutoff_make(&b.cut[0], t, (sannip_real)(4 + 2 * u), (sannip_real)(t % 2 ? 0.1 + 0.5 * u : 0), NULL);
            } else {
                sannip_cutoff_make_fspline(&b.cut[0], (sannip_real)(0.5 + u), (sannip_real)(1.6 + u), (sannip_real)(1 + 2 * u), 2 + 2 * t, 2, NULL);
                if (kind != SANNIP_GF_RADIAL)
                    sannip_cutoff_make_fspline(&b.cut[1], (sannip_real)(0.7 + u / 3), (sannip_real)(2.1 + u), (sannip_real)(1.3 + u), 4, 2 + 2 * t, NULL);
            }
            if (kind != SANNIP_GF_ANGULAR2) { b.eta = (sannip_real)(u * 1.37); b.rs = (sannip_real)(u * 3.1); }
            if (kind == SANNIP_G4 || kind == SANNIP_G5) { b.lambda = (sannip_real)(t % 2 ? 1 : -u); b.zeta = (sannip_real)(1 + 7 * u); }
            if (kind == SANNIP_GF_BIRADIAL || kind == SANNIP_GF_ANGULAR1) { b.eta2 = (sannip_real)(u / 7); b.rs2 = (sannip_real)(2.9 * u); }
            if (kind == SANNIP_GF_ANGULAR1 || kind == SANNIP_GF_ANGULAR2) { b.eta_t = (sannip_real)(3 * u); b.theta_s = (sannip_real)(3.14159 * u); }
            r = sannip_basis_check(&b, &err);
            CHECK(r == SANNIP_SUCCESS, "test basis %d invalid: %s", q, err.message);
            CHECK(sannip_basis_format(&b, line, sizeof line) > 0, "format basis %d", q);
            memset(&cs, 0, sizeof cs); cs.type = SANNIP_CUT_COS;
            memset(&err, 0, sizeof err);
            r = sannip_basis_parse(&p, line, &cs, &err);
            CHECK(r == SANNIP_SUCCESS, "parse '%s': %s", line, err.message);
            total++;
            if (r == SANNIP_SUCCESS && basis_same(&b, &p)) ok++;
            else CHECK(0, "format -> parse changed the basis: '%s'", line);
            CHECK(sannip_basis_format(&p, line2, sizeof line2) > 0 && strcmp(line, line2) == 0, "re-formatted line differs:\n  %s\n  %s", line, line2);
            CHECK(sannip_descriptors_add(&d, &p, &err) == SANNIP_SUCCESS, "add parsed basis: %s", err.message);
        }
    }
    CHECK(ok == total && total == 3 * 9 + 4 * 3, "%d of %d bases round-trip", ok, total);
    CHECK(sannip_basis_format(&b, line, 8) == -1, "format into a too small buffer did not return -1");
    printf("basis format/parse round trip: %d of %d bases identical\n", ok, total);
    sannip_descriptors_uninit(&d);
}

static void test_n2p2_lines(void)
{
    const char *text =
        "# n2p2 settings file fragment\n"
        "number_of_elements 2\n"
        "elements Fe Ni\n"
        "cutoff_type 6 0.1\n"
        "symfunction_short Fe 2 Ni 0.5 1.2 5.5\n"
        "symfunction_short Fe 3 Fe Ni 0.01 -1 4 6.0\n"
        "symfunction_short Ni 3 Ni Ni 0.02 1 2 6.0 0.5\n"
        "symfunction_short Fe 9 Ni Fe 0.03 1 1 5.0\n"
        "symfunction_short Ni 12 0.4 2.0 5.5\n"
        "symfunction_short Fe 13 0.05 1.5 -1 2 6.5\n"
        "cutoff_type 2\n"
        "symfunction_short Ni 2 Fe 0.25 0.0 4.5\n";
    static const struct { int kind, center, n0, n1, ctype; double alpha, rc, eta, rs, lambda, zeta; } want[7] = {
        { SANNIP_G2, FE, NI, 0, SANNIP_CUT_POLY2, 0.1, 5.5, 0.5, 1.2, 0, 0 },
        { SANNIP_G4, FE, FE, NI, SANNIP_CUT_POLY2, 0.1, 6.0, 0.01, 0, -1, 4 },
        { SANNIP_G4, NI, NI, NI, SANNIP_CUT_POLY2, 0.1, 6.0, 0.02, 0.5, 1, 2 },
        { SANNIP_G5, FE, NI, FE, SANNIP_CUT_POLY2, 0.1, 5.0, 0.03, 0, 1, 1 },
        { SANNIP_G2, NI, SANNIP_ZWEIGHT, 0, SANNIP_CUT_POLY2, 0.1, 5.5, 0.4, 2.0, 0, 0 },
        { SANNIP_G4, FE, SANNIP_ZWEIGHT, SANNIP_ZWEIGHT, SANNIP_CUT_POLY2, 0.1, 6.5, 0.05, 1.5, -1, 2 },
        { SANNIP_G2, NI, FE, 0, SANNIP_CUT_TANHU, 0, 4.5, 0.25, 0, 0, 0 } };
    sannip_descriptors d;
    sannip_error err;
    sannip_result r;
    int k;
    sannip_descriptors_init(&d, NULL);
    r = sannip_descriptors_parse(&d, text, &err);
    CHECK(r == SANNIP_SUCCESS, "n2p2 lines: %s (line %d)", err.message, err.line);
    CHECK(d.n == 7, "n2p2 lines: %d bases, expected 7", d.n);
    for (k = 0; k < d.n && k < 7; k++) {
        const sannip_basis *b = &d.b[k];
        int ok = b->kind == want[k].kind && b->center == want[k].center && b->nbr[0] == want[k].n0
              && (want[k].kind == SANNIP_G2 || b->nbr[1] == want[k].n1)
              && b->cut[0].type == want[k].ctype && b->cut[0].alpha == (sannip_real)want[k].alpha
              && b->cut[0].rc == (sannip_real)want[k].rc && b->eta == (sannip_real)want[k].eta && b->rs == (sannip_real)want[k].rs
              && (want[k].kind == SANNIP_G2 || (b->lambda == (sannip_real)want[k].lambda && b->zeta == (sannip_real)want[k].zeta));
        CHECK(ok, "n2p2 line %d: got %s centre %d nbr %d %d cut %s alpha %g rc %g eta %g rs %g lambda %g zeta %g", k + 1,
              sannip_basis_kind_name(b->kind), b->center, b->nbr[0], b->nbr[1], sannip_cutoff_name(b->cut[0].type),
              (double)b->cut[0].alpha, (double)b->cut[0].rc, (double)b->eta, (double)b->rs, (double)b->lambda, (double)b->zeta);
    }
    sannip_descriptors_uninit(&d);
    /* unsupported type and a malformed number are errors that name the line */
    sannip_descriptors_init(&d, NULL);
    r = sannip_descriptors_parse(&d, "cutoff_type 1\nsymfunction_short Fe 2 Fe 0.1 0 5\nsymfunction_short Fe 21 Fe 0.1 0 5\n", &err);
    CHECK(r == SANNIP_UNSUPPORTED && err.line == 3, "n2p2 type 21: result %d line %d", (int)r, err.line);
    sannip_descriptors_uninit(&d);
    sannip_descriptors_init(&d, NULL);
    r = sannip_descriptors_parse(&d, "g2 * Fe cut=cos rc=5 eta=0.x rs=0\n", &err);
    CHECK(r == SANNIP_PARSE_ERROR && err.line == 1, "malformed eta: result %d line %d", (int)r, err.line);
    sannip_descriptors_uninit(&d);
}

static void test_preset(void)
{
    static const double reta[3] = { 1.5, 6.25, 25.0 }, aeta[3] = { 0.000357, 0.028569, 0.089277 }, xi[3] = { 1, 2, 4 };
    sannip_descriptors d;
    sannip_error err;
    int k, n2 = 0, n4 = 0, bad = 0, i, j, l;
    sannip_descriptors_init(&d, NULL);
    CHECK(sannip_descriptors_preset_bp_fe(&d, FE, &err) == SANNIP_SUCCESS, "preset: %s", err.message);
    for (k = 0; k < d.n; k++) {
        const sannip_basis *b = &d.b[k];
        n2 += b->kind == SANNIP_G2; n4 += b->kind == SANNIP_G4;
        if (b->cut[0].rc != 6 || b->cut[0].type != SANNIP_CUT_COS || b->center != FE || b->nbr[0] != FE) bad++;
        if (b->kind == SANNIP_G4 && b->nbr[1] != FE) bad++;
    }
    CHECK(d.n == 42 && n2 == 24 && n4 == 18, "bp_fe preset: %d bases, %d G2, %d G4", d.n, n2, n4);
    CHECK(bad == 0, "bp_fe preset: %d bases not Fe-Fe with a cos cutoff at 6 A", bad);
    /* the parameter grid of T A.1, each combination once */
    for (i = 0; i < 3; i++) for (j = 0; j < 8; j++) {
        int found = 0;
        for (k = 0; k < d.n; k++) found += d.b[k].kind == SANNIP_G2 && fabs(d.b[k].eta - reta[i]) < 1e-6 && fabs(d.b[k].rs - (1.5 + 0.5 * j)) < 1e-6;
        CHECK(found == 1, "G2 eta %g rs %g appears %d times", reta[i], 1.5 + 0.5 * j, found);
    }
    for (i = 0; i < 3; i++) for (j = 0; j < 2; j++) for (l = 0; l < 3; l++) {
        int found = 0;
        for (k = 0; k < d.n; k++) found += d.b[k].kind == SANNIP_G4 && fabs(d.b[k].eta - aeta[i]) < 1e-9 && d.b[k].lambda == (j ? 1 : -1) && d.b[k].zeta == xi[l];
        CHECK(found == 1, "G4 eta %g lambda %d zeta %g appears %d times", aeta[i], j ? 1 : -1, xi[l], found);
    }
    sannip_descriptors_uninit(&d);
}

/* ---- features and threads ----------------------------------------------------------------------- */
static void test_features(const sannip_model *m, const atoms *a)
{
    sannip_workspace ws;
    sannip_error err;
    sannip_system s = view(a);
    int stride = 0, nd = m->desc.n, e, i, f, bad = 0, zero_bad = 0, exact = 1;
    sannip_real *G1, *G2;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].n_features > stride) stride = m->el[e].n_features;
    stride += 2;   /* unused columns must be 0 */
    G1 = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n * stride);
    G2 = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n * nd);
    for (i = 0; i < a->n * stride; i++) G1[i] = (sannip_real)-12345;
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_features(m, &ws, &s, G1, stride, &err) == SANNIP_SUCCESS, "model_features: %s", err.message);
    CHECK(sannip_descriptors_compute(&m->desc, &ws, &s, G2, &err) == SANNIP_SUCCESS, "descriptors_compute: %s", err.message);
    for (i = 0; i < a->n; i++) {
        const sannip_element_model *el = &m->el[sannip_model_element_index(m, a->Z[i])];
        for (f = 0; f < el->n_features; f++) {
            sannip_real x = G1[(size_t)i * stride + f], y = G2[(size_t)i * nd + el->feature[f]];
            if (x != y) exact = 0;
            if (!(fabs(x - y) <= TOL(1e-12, 1e-5) * (fabs(y) + 1e-6))) bad++;
        }
        for (f = el->n_features; f < stride; f++) if (G1[(size_t)i * stride + f] != 0) zero_bad++;
        for (f = 0; f < nd; f++) if (!sannip_basis_applies(&m->desc.b[f], a->Z[i]) && G2[(size_t)i * nd + f] != 0) zero_bad++;
    }
    CHECK(bad == 0, "model_features differs from descriptors_compute in %d entries", bad);
    CHECK(zero_bad == 0, "%d unused feature columns are not 0", zero_bad);
    printf("model_features vs descriptors_compute (%d atoms): %s\n", a->n, exact ? "bit-identical" : "equal within tolerance");
    CHECK(sannip_model_features(m, &ws, &s, G1, 1, &err) == SANNIP_INVALID_ARGS, "a too small feature stride was accepted");
    free(G1); free(G2);
    sannip_workspace_uninit(&ws);
}

static void test_threads(const sannip_model *m, const atoms *a)
{
#ifdef _OPENMP
    sannip_workspace ws1, ws2;
    result r1, r2, r3;
    int nt0 = omp_get_max_threads(), same;
    sannip_workspace_init(&ws1, NULL);
    sannip_workspace_init(&ws2, NULL);
    omp_set_num_threads(1);
    result_of(&r1, m, &ws1, a);
    omp_set_num_threads(2);
    result_of(&r2, m, &ws2, a);
    omp_set_num_threads(3);
    result_of(&r3, m, &ws1, a);     /* reused (and regrown) workspace */
    omp_set_num_threads(nt0);
    same = result_same(&r1, &r2, a->n);
    CHECK(same, "1 vs 2 threads: results not bit-identical (E %.17g vs %.17g)", (double)r1.E, (double)r2.E);
    CHECK(result_same(&r1, &r3, a->n), "1 vs 3 threads: results not bit-identical (E %.17g vs %.17g)", (double)r1.E, (double)r3.E);
    CHECK(memcmp(&r1.E, &r2.E, sizeof r1.E) == 0, "1 vs 2 threads: energy differs");
    CHECK(memcmp(r1.eat, r2.eat, sizeof(sannip_real) * (size_t)a->n) == 0, "1 vs 2 threads: atom energies differ");
    CHECK(memcmp(r1.F, r2.F, sizeof(sannip_real) * 3 * (size_t)a->n) == 0, "1 vs 2 threads: forces differ");
    CHECK(memcmp(r1.W, r2.W, sizeof r1.W) == 0, "1 vs 2 threads: virial differs");
    {
        sannip_system s = view(a);
        sannip_error err;
        int stride = 16;
        sannip_real *G1 = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n * stride), *G2 = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n * stride);
        omp_set_num_threads(1);
        CHECK(sannip_model_features(m, &ws1, &s, G1, stride, &err) == SANNIP_SUCCESS, "features: %s", err.message);
        omp_set_num_threads(2);
        CHECK(sannip_model_features(m, &ws2, &s, G2, stride, &err) == SANNIP_SUCCESS, "features: %s", err.message);
        omp_set_num_threads(nt0);
        CHECK(memcmp(G1, G2, sizeof(sannip_real) * (size_t)a->n * stride) == 0, "1 vs 2 threads: features differ");
        free(G1); free(G2);
    }
    printf("OpenMP: %d atoms, 1/2/3 threads %s\n", a->n, same ? "bit-identical" : "DIFFER");
    result_free(&r1); result_free(&r2); result_free(&r3);
    sannip_workspace_uninit(&ws1);
    sannip_workspace_uninit(&ws2);
#else
    (void)m; (void)a;
    printf("OpenMP: not compiled in, thread test skipped\n");
#endif
}

/* ---- kernels ------------------------------------------------------------------------------------ */
static void fill(sannip_real *x, size_t n, sannip_rng *rng)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = (sannip_real)(2 * sannip_rng_uniform(rng) - 1);
}
static void test_gemm(sannip_rng *rng)
{
    /* 16-column panels with a remainder, k in several 128-term chunks (gemm_nt), k not a
       multiple of the 4 rows nn/tn take per pass */
    static const int dims[9][3] = { { 7, 13, 5 }, { 1, 1, 1 }, { 4, 4, 4 }, { 9, 11, 17 }, { 16, 3, 8 }, { 5, 9, 1 }, { 13, 7, 33 },
                                    { 10, 37, 300 }, { 66, 25, 57 } };
    int q, op;
    for (q = 0; q < 9; q++) for (op = 0; op < 3; op++) {
        int m = dims[q][0], n = dims[q][1], k = dims[q][2], i, j, p;
        /* leading dimensions larger than the rows, so strides are honoured */
        int lda = (op == 2 ? m : k) + 3, ldb = (op == 0 ? k : n) + 2, ldc = n + 5;
        size_t na = (size_t)(op == 2 ? k : m) * lda, nb = (size_t)(op == 0 ? n : k) * ldb, nc = (size_t)m * ldc;
        sannip_real *A = (sannip_real *)malloc(sizeof(sannip_real) * na), *B = (sannip_real *)malloc(sizeof(sannip_real) * nb);
        sannip_real *C = (sannip_real *)malloc(sizeof(sannip_real) * nc), *C0 = (sannip_real *)malloc(sizeof(sannip_real) * nc);
        double err = 0;
        fill(A, na, rng); fill(B, nb, rng); fill(C, nc, rng);
        memcpy(C0, C, sizeof(sannip_real) * nc);
        if (op == 0) sannip_gemm_nt(m, n, k, A, lda, B, ldb, C, ldc);
        else if (op == 1) sannip_gemm_nn(m, n, k, A, lda, B, ldb, C, ldc);
        else sannip_gemm_tn(m, n, k, A, lda, B, ldb, C, ldc);
        for (i = 0; i < m; i++) {
            for (j = 0; j < n; j++) {
                double s = C0[(size_t)i * ldc + j];
                for (p = 0; p < k; p++) {
                    double a = op == 2 ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
                    double b = op == 0 ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
                    s += a * b;
                }
                if (fabs(s - C[(size_t)i * ldc + j]) > err) err = fabs(s - C[(size_t)i * ldc + j]);
            }
            for (j = n; j < ldc; j++) if (C[(size_t)i * ldc + j] != C0[(size_t)i * ldc + j]) err = 1e300;   /* padding untouched */
        }
        CHECK(err <= TOL(1e-13, 1e-5) * (k + 1), "gemm_%s %dx%dx%d: max error %g", op == 0 ? "nt" : op == 1 ? "nn" : "tn", m, n, k, err);
        free(A); free(B); free(C); free(C0);
    }
}

/* ---- networks ----------------------------------------------------------------------------------- */
static void test_activations(void)
{
    static const double xs[10] = { -3.1, -1.3, -0.2, 0.4, 1.7, 2.9, 0.05, -0.6, 40, -40 };
    const double h = TOL(1e-6, 1e-2);
    int act, q;
    for (act = 0; act < SANNIP_ACT_COUNT; act++) {
        double err = 0;
        CHECK(sannip_activation_parse(sannip_activation_name(act)) == act, "activation %d: name '%s' does not parse back", act, sannip_activation_name(act));
        for (q = 0; q < 10; q++) {
            double x = xs[q], fd, dd;
            sannip_real d, y = sannip_activation_eval(act, (sannip_real)x, &d);
            if (act == SANNIP_ACT_RELU && fabs(x) < 2 * h) continue;
            if ((act == SANNIP_ACT_EXP || act == SANNIP_ACT_HARMONIC || act == SANNIP_ACT_COS) && fabs(x) > 30) continue;
            fd = ((double)sannip_activation_eval(act, (sannip_real)(x + h), NULL) - sannip_activation_eval(act, (sannip_real)(x - h), NULL)) / (2 * h);
            dd = fabs(fd - d) / (1 + fabs(d));
            if (dd > err) err = dd;
            CHECK(isfinite(y) && isfinite(d), "activation %s at %g: %g, %g", sannip_activation_name(act), x, (double)y, (double)d);
        }
        CHECK(err <= TOL(1e-7, 2e-3), "activation %s: derivative differs from FD by %g (relative)", sannip_activation_name(act), err);
    }
    CHECK(sannip_activation_parse("no-such-activation") == -1, "unknown activation name accepted");
}

static void test_networks(sannip_rng *rng)
{
    const int sizes[4] = { 5, 7, 6, 3 }, batch = 4;
    const double h = TOL(1e-6, 1e-2);
    int act;
    for (act = 0; act < SANNIP_ACT_COUNT; act++) {
        sannip_network net;
        sannip_error err;
        int acts[3] = { act, act, SANNIP_ACT_LINEAR }, l, b, i, o;
        size_t k, nw;
        sannip_real X[4 * 5], Y[4 * 3], dY[4 * 3], dX[4 * 5], Yp[4 * 3], Ym[4 * 3], *work;
        double err_fd = 0, scale = 0, ferr = 0;
        sannip_real *work2;
        int nkink = 0;
        if (act == SANNIP_ACT_LINEAR) acts[1] = SANNIP_ACT_TANH;
        CHECK(sannip_network_init(&net, 3, sizes, acts, NULL, &err) == SANNIP_SUCCESS, "network_init: %s", err.message);
        /* exp compounds over two layers: smaller weights keep its outputs where float central
           differences resolve them */
        for (k = 0; k < net.n_params; k++) net.params[k] = (sannip_real)((act == SANNIP_ACT_EXP ? 0.3 : 0.6) * sannip_rng_normal(rng));
        fill(X, 20, rng); fill(dY, 12, rng);
        nw = sannip_network_work_size(&net, batch);
        work = (sannip_real *)malloc(sizeof(sannip_real) * (nw + 1));
        work2 = (sannip_real *)malloc(sizeof(sannip_real) * (nw + 1));
        sannip_network_forward(&net, batch, X, Y, work);
        /* forward against a naive evaluation */
        for (b = 0; b < batch; b++) {
            double in[8], out[8];
            int ni = sizes[0];
            for (i = 0; i < ni; i++) in[i] = X[b * 5 + i];
            for (l = 0; l < 3; l++) {
                const sannip_real *W = sannip_network_weights(&net, l), *bi = sannip_network_biases(&net, l);
                for (o = 0; o < sizes[l + 1]; o++) {
                    double z = bi[o];
                    for (i = 0; i < ni; i++) z += (double)W[o * ni + i] * in[i];
                    out[o] = sannip_activation_eval(acts[l], (sannip_real)z, NULL);
                }
                ni = sizes[l + 1];
                for (o = 0; o < ni; o++) in[o] = out[o];
            }
            for (o = 0; o < 3; o++) if (fabs(in[o] - Y[b * 3 + o]) / (1 + fabs(in[o])) > ferr) ferr = fabs(in[o] - Y[b * 3 + o]) / (1 + fabs(in[o]));
        }
        CHECK(ferr <= TOL(1e-12, 1e-4), "network (%s) forward differs from a naive evaluation by %g", sannip_activation_name(act), ferr);
        sannip_network_backward_input(&net, batch, dY, dX, work);
        /* L = sum dY . Y; dL/dX by central differences of forward (for relu, only where no unit
           switches on or off within x +- h: a difference across the kink is not a derivative) */
        for (b = 0; b < batch; b++) for (i = 0; i < 5; i++) {
            sannip_real x = X[b * 5 + i];
            double Lp = 0, Lm = 0, fd;
            int kink = 0;
            X[b * 5 + i] = (sannip_real)(x + h); sannip_network_forward(&net, batch, X, Yp, work);
            if (act == SANNIP_ACT_RELU) memcpy(work2, work, sizeof(sannip_real) * nw);
            X[b * 5 + i] = (sannip_real)(x - h); sannip_network_forward(&net, batch, X, Ym, work);
            X[b * 5 + i] = x;
            if (act == SANNIP_ACT_RELU) {
                size_t q, off = 0;
                for (l = 0; l < 3; l++) {   /* y' blocks: 0 or 1 */
                    size_t blk = (size_t)batch * sizes[l + 1];
                    for (q = 0; q < blk; q++) kink |= work[off + blk + q] != work2[off + blk + q];
                    off += 2 * blk;
                }
                if (kink) { nkink++; continue; }
            }
            for (o = 0; o < 12; o++) { Lp += (double)dY[o] * Yp[o]; Lm += (double)dY[o] * Ym[o]; }
            fd = (Lp - Lm) / (2 * h);
            if (fabs(fd - dX[b * 5 + i]) > err_fd) err_fd = fabs(fd - dX[b * 5 + i]);
            if (fabs(dX[b * 5 + i]) > scale) scale = fabs(dX[b * 5 + i]);
        }
        CHECK(err_fd <= TOL(1e-7, 1e-2) * (scale + 1e-3), "network (%s): backward_input differs from FD by %g (max |dX| %g)", sannip_activation_name(act), err_fd, scale);
        CHECK(nkink <= 5, "network (%s): %d of 20 inputs cross a kink within h: too few checked", sannip_activation_name(act), nkink);
        free(work); free(work2);
        sannip_network_uninit(&net);
    }
}

/* ---- data sets and extended XYZ ------------------------------------------------------------ */

/* A 5-atom periodic structure with forces, spins, charges, energy, virial, weight, comment. */
static void sample_structure(sannip_structure *s, sannip_rng *rng)
{
    sannip_error err;
    int i;
    sannip_structure_init(s, NULL);
    CHECK(sannip_structure_resize(s, 5, 1, 1, &err) == SANNIP_SUCCESS, "%s", err.message);
    s->charges = (sannip_real *)calloc(5, sizeof(sannip_real));
    for (i = 0; i < 15; i++) {
        s->pos[i] = (sannip_real)(4 * sannip_rng_uniform(rng));
        s->forces[i] = (sannip_real)(sannip_rng_uniform(rng) - 0.5);
        s->spins[i] = (sannip_real)(2 * sannip_rng_uniform(rng) - 1);
    }
    for (i = 0; i < 5; i++) { s->Z[i] = i % 2 ? NI : FE; s->charges[i] = (sannip_real)(0.1 * i); }
    for (i = 0; i < 9; i++) { s->cell[i] = (sannip_real)(i % 4 == 0 ? 4.1 + 0.1 * i : 0.01 * i); s->virial[i] = (sannip_real)(0.3 * i - 1); }
    s->pbc[0] = s->pbc[1] = s->pbc[2] = 1;
    s->energy = (sannip_real)-12.25; s->has_energy = 1; s->has_virial = 1; s->weight = 2;
    strcpy(s->comment, "sample");
}
static int same_reals(const sannip_real *a, const sannip_real *b, int n)
{
    int i;
    if (!a || !b) return a == b;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

static void test_dataset_append(sannip_rng *rng)
{
    sannip_structure s;
    sannip_dataset d;
    sannip_error err;
    sannip_allocator a;
    counter cnt;
    int fail_at, oom = 0, leaks = 0, kept = 0;
    sample_structure(&s, rng);
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_dataset_append(&d, &s, &err) == SANNIP_SUCCESS && d.n == 1, "append: %s", err.message);
    CHECK(sannip_dataset_append(&d, &s, &err) == SANNIP_SUCCESS && d.n == 2, "second append: %s", err.message);
    if (d.n == 2) {
        const sannip_structure *c = &d.s[1];
        int same = c->n == 5 && same_reals(c->pos, s.pos, 15) && same_reals(c->forces, s.forces, 15) && same_reals(c->spins, s.spins, 15)
                && same_reals(c->charges, s.charges, 5) && same_reals(c->cell, s.cell, 9) && same_reals(c->virial, s.virial, 9)
                && memcmp(c->Z, s.Z, 5 * sizeof(int)) == 0 && c->energy == s.energy && c->has_energy && c->has_virial
                && c->weight == s.weight && c->pbc[2] == 1 && strcmp(c->comment, "sample") == 0;
        CHECK(same, "the appended copy differs from the structure");
        CHECK(c->pos != s.pos && c->Z != s.Z && c->forces != s.forces && c->spins != s.spins && c->charges != s.charges, "the copy shares arrays");
    }
    /* the copies outlive the original */
    free(s.charges); s.charges = NULL;
    sannip_structure_uninit(&s);
    CHECK(d.n == 2 && d.s[0].pos[14] == d.s[1].pos[14] && d.s[0].Z[4] == FE, "copies after freeing the original");
    s.n = 3;   /* no positions */
    CHECK(sannip_dataset_append(&d, &s, &err) == SANNIP_INVALID_ARGS && d.n == 2, "a structure without positions was appended");
    CHECK(sannip_dataset_append(&d, NULL, &err) == SANNIP_INVALID_ARGS && d.n == 2, "NULL structure");
    sannip_dataset_uninit(&d);
    CHECK(d.n == 0 && d.s == NULL, "uninit leaves an empty set");

    /* out of memory at every allocation: the set is unchanged and nothing leaks */
    sample_structure(&s, rng);
    a = counting(&cnt);   /* tests/test_alloc.h: fails at the fail_at-th call */
    for (fail_at = 1; fail_at <= 8; fail_at++) {
        sannip_result r;
        memset(&cnt, 0, sizeof cnt);
        cnt.fail_at = fail_at;
        sannip_dataset_init(&d, &a);
        r = sannip_dataset_append(&d, &s, NULL);
        if (r == SANNIP_OUT_OF_MEMORY) { oom++; if (d.n == 0) kept++; }
        else if (r == SANNIP_SUCCESS && d.n == 1) kept++;
        sannip_dataset_uninit(&d);
        if (cnt.live != 0) leaks++;
    }
    CHECK(oom == 6 && kept == 8 && leaks == 0, "append under failing allocations: %d out of memory (6 expected), %d consistent of 8, %d leaking", oom, kept, leaks);
    free(s.charges); s.charges = NULL;
    sannip_structure_uninit(&s);
}

static void test_xyz_writer(sannip_rng *rng)
{
    sannip_structure s;
    sannip_dataset d;
    sannip_text t, u;
    sannip_error err;
    sannip_real ea[5], H[15], E = (sannip_real)-3.5, spread = (sannip_real)0.125;
    sannip_xyz_column col[2];
    sannip_xyz_info info[4];
    size_t len;
    int i;
    sample_structure(&s, rng);
    for (i = 0; i < 5; i++) ea[i] = (sannip_real)(-0.7 * i);
    for (i = 0; i < 15; i++) H[i] = (sannip_real)(0.01 * i - 0.05);
    memset(col, 0, sizeof col); memset(info, 0, sizeof info);
    col[0].name = "energies"; col[0].width = 1; col[0].values = ea;
    col[1].name = "heff"; col[1].width = 3; col[1].values = H;
    info[0].key = "geometry"; info[0].text = "7"; info[0].first = 1;
    info[1].key = "state"; info[1].text = "afm++"; info[1].first = 1;
    info[2].key = "energy_spread"; info[2].width = 1; info[2].values = &spread;
    info[3].key = "note"; info[3].text = "two words";
    sannip_text_init(&t, NULL);
    CHECK(sannip_write_xyz_ex(&t, &s, &E, NULL, NULL, col, 2, info, 4, &err) == SANNIP_SUCCESS, "write_xyz_ex: %s", err.message);
    CHECK(t.s && strncmp(t.s, "5\ngeometry=7 state=afm++ Lattice=\"", 34) == 0, "entries first on the comment line: %.60s", t.s ? t.s : "");
    CHECK(t.s && strstr(t.s, "Properties=species:S:1:pos:R:3:forces:R:3:magmoms:R:3:energies:R:1:heff:R:3 energy=-3.5 virial=\""),
          "Properties with the extra columns: %.300s", t.s ? t.s : "");
    CHECK(t.s && strstr(t.s, " pbc=\"T T T\" energy_spread=0.125 note=\"two words\"\n"), "entries after pbc: %.400s", t.s ? t.s : "");
    /* reads back to the same numbers */
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_dataset_read_mem(&d, t.s, t.len, &err) == SANNIP_SUCCESS && d.n == 1, "read back: %s", err.message);
    if (d.n == 1) {
        const sannip_structure *c = &d.s[0];
        CHECK(c->n == 5 && same_reals(c->pos, s.pos, 15) && same_reals(c->forces, s.forces, 15) && same_reals(c->spins, s.spins, 15)
              && same_reals(c->cell, s.cell, 9) && same_reals(c->virial, s.virial, 9) && c->energy == E && c->Z[1] == NI,
              "extended XYZ round trip changed a number");
        CHECK(strstr(c->comment, "geometry=7 state=afm++") == c->comment, "comment: %s", c->comment);
    }
    sannip_dataset_uninit(&d);
    /* sannip_write_xyz is the form with an energies column */
    sannip_text_init(&u, NULL);
    sannip_write_xyz(&u, &s, &E, NULL, NULL, ea);
    t.len = 0;
    CHECK(sannip_write_xyz_ex(&t, &s, &E, NULL, NULL, col, 1, NULL, 0, NULL) == SANNIP_SUCCESS && t.len == u.len && memcmp(t.s, u.s, u.len) == 0,
          "sannip_write_xyz differs from sannip_write_xyz_ex with an energies column");
    /* bad columns and entries append nothing */
    len = t.len;
    col[1].width = 10;
    CHECK(sannip_write_xyz_ex(&t, &s, NULL, NULL, NULL, col, 2, NULL, 0, &err) == SANNIP_INVALID_ARGS && t.len == len, "width 10 accepted");
    col[1].width = 3; col[1].name = "he:ff";
    CHECK(sannip_write_xyz_ex(&t, &s, NULL, NULL, NULL, col, 2, NULL, 0, &err) == SANNIP_INVALID_ARGS && t.len == len, "a name with ':' accepted");
    info[3].text = "say \"hi\"";
    CHECK(sannip_write_xyz_ex(&t, &s, NULL, NULL, NULL, NULL, 0, info, 4, &err) == SANNIP_INVALID_ARGS && t.len == len, "a text with quotes accepted");
    info[3].text = NULL; info[3].width = 0;
    CHECK(sannip_write_xyz_ex(&t, &s, NULL, NULL, NULL, NULL, 0, info, 4, &err) == SANNIP_INVALID_ARGS && t.len == len, "an entry without a value accepted");
    CHECK(sannip_write_xyz_ex(&t, &s, NULL, NULL, NULL, NULL, -1, NULL, 0, &err) == SANNIP_INVALID_ARGS && t.len == len, "a negative count accepted");
    /* a reader error names the structure and the line: the third frame is cut short */
    t.len = 0;
    sannip_write_xyz(&t, &s, NULL, NULL, NULL, NULL);
    sannip_write_xyz(&t, &s, NULL, NULL, NULL, NULL);
    sannip_text_printf(&t, "5\nProperties=species:S:1:pos:R:3\nFe 0 0 0\nFe 1 1 1\n");
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_dataset_read_mem(&d, t.s, t.len, &err) == SANNIP_TRUNCATED && strncmp(err.message, "structure 3: ", 13) == 0 && d.n == 2,
          "third frame cut short: result %d, %d structures, '%s'", (int)err.code, d.n, err.message);
    sannip_dataset_uninit(&d);
    sannip_text_uninit(&t); sannip_text_uninit(&u);
    free(s.charges); s.charges = NULL;
    sannip_structure_uninit(&s);
}

/* ---- model copies ------------------------------------------------------------------------------ */
/* Bases for every central element (a multi-task network needs the same features for all),
   then spin bases of the three bracket families. */
static const char *copy_bases =
    "g2  *  Fe cut=cos rc=4.5 eta=0.5 rs=1.0\n"
    "g2  *  *  cut=hard rc=3.9 eta=0.2 rs=0\n"
    "g2  *  Ni cut=poly1 rc=4.2 alpha=0.5 eta=0.7 rs=1.5\n"
    "g4  *  Fe Ni cut=poly3 rc=4.5 eta=0.02 lambda=-1 zeta=2\n"
    "g5  *  *  *  cut=tanhu rc=4.3 eta=0.03 lambda=1 zeta=1\n"
    "gf_radial   * Fe eta=0.5 rs=2 fb=1.2,2.6,2,2,2\n";
static const char *copy_spin_bases =
    "spin_s1 * xi=2\n"
    "spin_s2 * * cut=cos rc=4.5 xi=1\n"
    "spin_s3g * * cut=cos rc=4.2 eta=0.7 shift=0.2\n";
enum { ARCH_BP, ARCH_CNN, ARCH_CNN_RAW, ARCH_MULTITASK, ARCH_COUNT };
static const char *const arch_name[ARCH_COUNT] = { "BP", "class convolution", "class convolution + raw", "multi-task" };

/* A copy of text made with allocator a (the model frees its description with it). */
static char *alloc_strdup(const sannip_allocator *a, const char *text)
{
    size_t n = strlen(text) + 1;
    char *p = (char *)(a && a->alloc_fn ? a->alloc_fn(n, a->user_data) : malloc(n));
    if (p) memcpy(p, text, n);
    return p;
}
/* A model of architecture arch (with spin bases when spin) with allocator a: random
   parameters, statistics and energy maps, another scaling per element, units and a
   two-line description. */
static void build_arch(sannip_model *m, int arch, int spin, const sannip_allocator *a, sannip_rng *rng)
{
    static const int hidden[2] = { 5, 4 }, act[2] = { SANNIP_ACT_TANH, SANNIP_ACT_SOFTPLUS };
    sannip_error err;
    int e, f, Z[2] = { FE, NI };
    size_t k;
    sannip_model_init(m, a);
    CHECK(sannip_descriptors_parse(&m->desc, copy_bases, &err) == SANNIP_SUCCESS, "parse bases: %s", err.message);
    if (spin) CHECK(sannip_descriptors_parse(&m->desc, copy_spin_bases, &err) == SANNIP_SUCCESS, "parse spin bases: %s", err.message);
    for (e = 0; e < 2; e++) {
        sannip_result r = arch == ARCH_CNN || arch == ARCH_CNN_RAW ? sannip_model_add_element_cnn(m, Z[e], arch == ARCH_CNN_RAW, 2, hidden, act, &err)
                                                                  : sannip_model_add_element(m, Z[e], 2, hidden, act, &err);
        CHECK(r == SANNIP_SUCCESS, "%s: add element %d: %s", arch_name[arch], Z[e], err.message);
    }
    if (arch == ARCH_MULTITASK) CHECK(sannip_model_make_multitask(m, 2, hidden, act, &err) == SANNIP_SUCCESS, "make_multitask: %s", err.message);
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        for (k = 0; k < el->net.n_params; k++) el->net.params[k] = (sannip_real)(0.4 * sannip_rng_normal(rng));
        el->scaling = e ? SANNIP_SCALE_MINMAX : SANNIP_SCALE_MODIFIED;
        el->smin = (sannip_real)-0.8; el->smax = (sannip_real)0.9;
        for (f = 0; f < el->n_features; f++) {
            double base = 0.5 + 3 * sannip_rng_uniform(rng);
            el->stats[f].min = (sannip_real)(base * 0.2); el->stats[f].max = (sannip_real)(base * 2.1);
            el->stats[f].mean = (sannip_real)base; el->stats[f].sigma = (sannip_real)(0.3 * base);
            el->stats[f].dev = (sannip_real)(1.2 * base);
        }
        el->energy_scale = (sannip_real)(0.7 + 0.1 * sannip_rng_uniform(rng));
        el->energy_offset = (sannip_real)(-3.1 - sannip_rng_uniform(rng));
    }
    strcpy(m->units_energy, "Ha"); strcpy(m->units_length, "Bohr");
    m->description = alloc_strdup(a, "copy test\nsecond line");
    CHECK(sannip_model_finalize(m, &err) == SANNIP_SUCCESS, "finalize: %s", err.message);
}
/* The saved text of m (caller frees with m's allocator). */
static char *saved(const sannip_model *m, size_t *len)
{
    sannip_error err;
    char *t = NULL;
    *len = 0;
    CHECK(sannip_model_save_mem(m, &t, len, &err) == SANNIP_SUCCESS, "save_mem: %s", err.message);
    return t;
}
/* 1 when the saved text of m is exactly t (len bytes). */
static int saves_as(const sannip_model *m, const char *t, size_t len)
{
    size_t l;
    char *u = saved(m, &l);
    int same = t && u && l == len && memcmp(t, u, len) == 0;
    sannip_free(&m->alloc, u);
    return same;
}
/* Energy, per-atom energies, forces, virial and (spin models) field of a and b bit for bit. */
static int predict_same(const sannip_model *a, const sannip_model *b, const atoms *at, const sannip_real *spins)
{
    sannip_workspace ws;
    sannip_system s = view(at);
    sannip_error err;
    size_t n = (size_t)at->n;
    sannip_real *x = (sannip_real *)calloc(2 * 8 * n + 18, sizeof(sannip_real)), *y = x + 8 * n + 9, Ea = 0, Eb = 0;
    int same;
    s.spins = spins;
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_compute_field(a, &ws, &s, &Ea, x, x + n, x + 4 * n, spins ? x + 4 * n + 9 : NULL, &err) == SANNIP_SUCCESS, "compute: %s", err.message);
    CHECK(sannip_model_compute_field(b, &ws, &s, &Eb, y, y + n, y + 4 * n, spins ? y + 4 * n + 9 : NULL, &err) == SANNIP_SUCCESS, "compute (copy): %s", err.message);
    same = memcmp(&Ea, &Eb, sizeof Ea) == 0 && memcmp(x, y, sizeof(sannip_real) * (8 * n + 9)) == 0;
    sannip_workspace_uninit(&ws);
    free(x);
    return same;
}
/* A copy saves to the same bytes, predicts the same bit for bit and shares nothing: changing
   the copy's weights, statistics and description leaves the original's text as it was. */
static void copy_case(int arch, int spin, const atoms *at, const sannip_real *spins, sannip_rng *rng)
{
    sannip_model src, dst;
    sannip_error err;
    char *t;
    size_t len;
    int e;
    build_arch(&src, arch, spin, NULL, rng);
    t = saved(&src, &len);
    CHECK(sannip_model_copy(&dst, &src, &err) == SANNIP_SUCCESS, "%s%s: copy: %s", arch_name[arch], spin ? " + spin" : "", err.message);
    CHECK(saves_as(&dst, t, len), "%s%s: the copy saves to other bytes", arch_name[arch], spin ? " + spin" : "");
    CHECK(predict_same(&src, &dst, at, spin ? spins : NULL), "%s%s: the copy predicts otherwise", arch_name[arch], spin ? " + spin" : "");
    for (e = 0; e < dst.n_elements; e++) {
        CHECK(dst.el[e].feature != src.el[e].feature && dst.el[e].stats != src.el[e].stats && dst.el[e].scale_a != src.el[e].scale_a
              && (!src.el[e].net.params || dst.el[e].net.params != src.el[e].net.params), "%s: element %d shares memory", arch_name[arch], e);
        if (dst.el[e].net.params) dst.el[e].net.params[0] += 1;
        dst.el[e].stats[0].mean += 1;
        dst.el[e].scale_c[0] += 1;
    }
    dst.desc.b[0].eta *= 2;
    dst.description[0] = 'X';
    CHECK(saves_as(&src, t, len), "%s%s: changing the copy changed the original", arch_name[arch], spin ? " + spin" : "");
    CHECK(!saves_as(&dst, t, len), "%s%s: the changed copy still saves as the original", arch_name[arch], spin ? " + spin" : "");
    sannip_free(NULL, t);
    sannip_model_uninit(&src); sannip_model_uninit(&dst);
}
/* Every allocation of a copy failing in turn: SANNIP_OUT_OF_MEMORY with a message, dst an
   initialised empty model, and no block left behind. */
static void copy_alloc_failures(int arch, sannip_rng *rng)
{
    counter c;
    sannip_allocator a;
    sannip_model src, dst;
    sannip_error err;
    long calls, live, k;
    char *t;
    size_t len;
    int clean = 1;
    memset(&c, 0, sizeof c);
    a = counting(&c);
    build_arch(&src, arch, 1, &a, rng);
    t = saved(&src, &len);
    live = c.live; calls = c.calls;
    CHECK(sannip_model_copy(&dst, &src, &err) == SANNIP_SUCCESS, "copy with a counting allocator: %s", err.message);
    calls = c.calls - calls;
    CHECK(calls > 2 * src.n_elements && dst.alloc.user_data == &c, "%s: a copy made %ld allocations, or not with src's allocator", arch_name[arch], calls);
    sannip_model_uninit(&dst);
    CHECK(c.live == live, "%s: a copy and its uninit leave %ld blocks", arch_name[arch], c.live - live);
    for (k = 1; k <= calls; k++) {
        sannip_result r;
        memset(&err, 0, sizeof err);
        c.fail_at = c.calls + k;
        r = sannip_model_copy(&dst, &src, &err);
        clean = clean && r == SANNIP_OUT_OF_MEMORY && err.code == SANNIP_OUT_OF_MEMORY && err.message[0] && c.live == live
                && dst.n_elements == 0 && dst.desc.n == 0 && !dst.desc.b && !dst.description && dst.alloc.user_data == &c;
        if (r == SANNIP_SUCCESS) sannip_model_uninit(&dst);
    }
    CHECK(clean, "%s: a failing allocation in a copy was not handled cleanly (%ld points)", arch_name[arch], calls);
    c.fail_at = 0;
    CHECK(sannip_model_copy(&dst, &src, &err) == SANNIP_SUCCESS && saves_as(&dst, t, len), "%s: copy after the failures", arch_name[arch]);
    sannip_model_uninit(&dst);
    sannip_free(&a, t);
    sannip_model_uninit(&src);
    CHECK(c.live == 0, "%s: %ld blocks left", arch_name[arch], c.live);
}
static void test_copy(const atoms *at, sannip_rng *rng)
{
    sannip_model empty, dst, loaded;
    sannip_real *spins = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)at->n);
    sannip_error err;
    char *t;
    size_t len, i;
    int arch, spin;
    for (i = 0; i < 3 * (size_t)at->n; i++) spins[i] = (sannip_real)(2 * sannip_rng_uniform(rng) - 1);
    for (arch = 0; arch < ARCH_COUNT; arch++) for (spin = 0; spin < 2; spin++) copy_case(arch, spin, at, spins, rng);
    /* an empty model, and a model made by the loader */
    sannip_model_init(&empty, NULL);
    t = saved(&empty, &len);
    CHECK(sannip_model_copy(&dst, &empty, &err) == SANNIP_SUCCESS && saves_as(&dst, t, len), "copy of an empty model");
    sannip_free(NULL, t); sannip_model_uninit(&dst);
    build_arch(&empty, ARCH_CNN_RAW, 1, NULL, rng);
    t = saved(&empty, &len);
    sannip_model_init(&loaded, NULL);
    CHECK(sannip_model_load_mem(&loaded, t, len, &err) == SANNIP_SUCCESS, "load: %s", err.message);
    CHECK(sannip_model_copy(&dst, &loaded, &err) == SANNIP_SUCCESS && saves_as(&dst, t, len), "copy of a loaded model");
    CHECK(predict_same(&empty, &dst, at, spins), "copy of a loaded model predicts otherwise");
    sannip_free(NULL, t);
    sannip_model_uninit(&dst); sannip_model_uninit(&loaded);
    /* bad arguments */
    CHECK(sannip_model_copy(NULL, &empty, &err) == SANNIP_INVALID_ARGS && sannip_model_copy(&dst, NULL, &err) == SANNIP_INVALID_ARGS, "copy with NULL");
    CHECK(sannip_model_copy(&empty, &empty, &err) == SANNIP_INVALID_ARGS && empty.n_elements == 2, "copy onto itself");
    sannip_model_uninit(&empty);
    for (arch = 0; arch < ARCH_COUNT; arch++) copy_alloc_failures(arch, rng);
    free(spins);
}

int main(void)
{
    static const double tric[9] = { 9.1, 0, 0, 1.4, 8.7, 0, -0.9, 1.2, 9.4 };
    sannip_rng rng;
    atoms small, big;
    sannip_model m;
    int i, c;

    sannip_rng_seed(&rng, 777);
    /* a 30-atom triclinic structure: jiggled grid points, Fe and Ni */
    atoms_alloc(&small, 30);
    for (c = 0; c < 9; c++) small.cell[c] = (sannip_real)tric[c];
    small.pbc[0] = small.pbc[1] = small.pbc[2] = 1;
    for (i = 0; i < 30; i++) {
        double u[3] = { (i % 3 + 0.5) / 3 + 0.04 * (sannip_rng_uniform(&rng) - 0.5), ((i / 3) % 5 + 0.5) / 5 + 0.03 * (sannip_rng_uniform(&rng) - 0.5),
                        (i / 15 + 0.5) / 2 + 0.05 * (sannip_rng_uniform(&rng) - 0.5) };
        for (c = 0; c < 3; c++) small.pos[3 * i + c] = (sannip_real)(u[0] * tric[c] + u[1] * tric[3 + c] + u[2] * tric[6 + c]);
        small.Z[i] = i % 3 == 1 ? NI : FE;
    }
    bcc_block(&big, 7, &rng);   /* 686 atoms */

    test_save_load(&small, &rng);
    test_basis_roundtrip(&rng);
    test_n2p2_lines();
    test_preset();
    build_model(&m, &rng, NULL);
    test_features(&m, &small);
    test_features(&m, &big);
    test_threads(&m, &big);
    test_gemm(&rng);
    test_activations();
    test_networks(&rng);
    test_dataset_append(&rng);
    test_xyz_writer(&rng);
    test_copy(&small, &rng);

    sannip_model_uninit(&m);
    atoms_free(&small); atoms_free(&big);
    return test_report("test_model");
}
