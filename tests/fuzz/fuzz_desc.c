/* libFuzzer harness: descriptor definition files (sannip_descriptors_parse), then the raw
   descriptors of a small structure, a model built on the set (one element per element the
   bases name; compute and model round trip) and the set's own round trip: the canonical
   lines (sannip_basis_format) parse to a set that formats to the same text
   (tests/fuzz/fuzz.h). Seeds: tests/fuzz/corpus/desc/. */
#include "fuzz.h"

/* The canonical text of d: one sannip_basis_format line per basis (malloc'ed). */
static char *fuzz_desc_text(const sannip_descriptors *d)
{
    size_t cap = 256 * (size_t)d->n + 1, len = 0;
    char *s = (char *)malloc(cap);
    int i, w;
    if (!s) fuzz_fail("out of memory", NULL);
    s[0] = 0;
    for (i = 0; i < d->n; i++) {
        w = sannip_basis_format(&d->b[i], s + len, cap - len - 1);
        if (w < 0 || (size_t)w >= 255) fuzz_fail("sannip_basis_format: a line longer than 255", NULL);
        len += (size_t)w;
        s[len++] = '\n'; s[len] = 0;
    }
    return s;
}

static void fuzz_desc_roundtrip(const sannip_descriptors *d)
{
    sannip_descriptors d2;
    sannip_error err;
    char *t1 = fuzz_desc_text(d), *t2;
    sannip_descriptors_init(&d2, NULL);
    if (sannip_descriptors_parse(&d2, t1, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s", t1); fuzz_fail("the canonical lines do not parse", err.message); }
    if (d2.n != d->n) fuzz_fail("the canonical lines give another number of bases", NULL);
    t2 = fuzz_desc_text(&d2);
    if (strcmp(t1, t2)) { fprintf(stderr, "%s----\n%s", t1, t2); fuzz_fail("format -> parse -> format differs", NULL); }
    free(t1); free(t2);
    sannip_descriptors_uninit(&d2);
}

/* The distinct elements the bases name (centres and neighbours), at most SANNIP_MAX_ELEMENTS. */
static int fuzz_desc_elements(const sannip_descriptors *d, int *Zs)
{
    int i, k, n = 0, z, j;
    for (i = 0; i < d->n && n < SANNIP_MAX_ELEMENTS; i++)
        for (k = 0; k < 3 && n < SANNIP_MAX_ELEMENTS; k++) {
            z = k == 0 ? d->b[i].center : d->b[i].nbr[k - 1];
            for (j = 0; j < n && Zs[j] != z; j++) {}
            if (z > 0 && j == n) Zs[n++] = z;
        }
    return n;
}

/* A model on the set: every named element, one tanh layer of 3, seeded weights. */
static sannip_result fuzz_desc_model(const sannip_descriptors *d, sannip_error *err)
{
    sannip_model m;
    sannip_rng rng;
    int Zs[SANNIP_MAX_ELEMENTS], nz, e, hid[1] = { 3 }, act[1] = { SANNIP_ACT_TANH };
    sannip_result r = SANNIP_SUCCESS;
    sannip_model_init(&m, NULL);
    nz = fuzz_desc_elements(d, Zs);
    if (nz == 0) { Zs[0] = 26; nz = 1; }
    for (e = 0; e < d->n && r == SANNIP_SUCCESS; e++) r = sannip_descriptors_add(&m.desc, &d->b[e], err);
    for (e = 0; e < nz && r == SANNIP_SUCCESS; e++) r = sannip_model_add_element(&m, Zs[e], 1, hid, act, err);
    if (r == SANNIP_SUCCESS) {
        sannip_rng_seed(&rng, 3);
        sannip_model_init_weights(&m, &rng);
        r = sannip_model_finalize(&m, err);
    }
    if (r == SANNIP_SUCCESS) r = fuzz_model_exercise(&m, err);
    sannip_model_uninit(&m);
    return r;
}

/* Raw descriptors of the whole set on a small structure of its elements. */
static sannip_result fuzz_desc_compute(const sannip_descriptors *d, sannip_error *err)
{
    fuzz_structure fs;
    int Zs[SANNIP_MAX_ELEMENTS], i;
    sannip_real rc = 0, *G;
    sannip_workspace ws;
    sannip_result r;
    for (i = 0; i < d->n; i++) if (sannip_basis_cutoff(&d->b[i]) > rc) rc = sannip_basis_cutoff(&d->b[i]);
    fuzz_structure_make(&fs, Zs, fuzz_desc_elements(d, Zs), rc);
    G = (sannip_real *)calloc((size_t)fs.sys.n * (size_t)d->n + 1, sizeof *G);
    if (!G) fuzz_fail("out of memory", NULL);
    sannip_workspace_init(&ws, NULL);
    r = sannip_descriptors_compute(d, &ws, &fs.sys, G, err);
    sannip_workspace_uninit(&ws);
    free(G);
    return r;
}

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    sannip_descriptors d;
    sannip_result r;
    char *text = fuzz_cstr(data, size);
    sannip_descriptors_init(&d, NULL);
    r = sannip_descriptors_parse(&d, text, err);
    if (r == SANNIP_SUCCESS && d.n > 0 && d.n <= 512) {
        fuzz_desc_roundtrip(&d);
        r = fuzz_desc_compute(&d, err);
        if (r == SANNIP_SUCCESS) r = fuzz_desc_model(&d, err);
    }
    sannip_descriptors_uninit(&d);
    free(text);
    return r;
}
