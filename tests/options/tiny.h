/* tiny.h - a two-element model built in code (no files) and its energy on six atoms in a
   periodic cell: shared by the option-matrix programs (tests/test_options.sh). Uses the
   public API only; valid C99 and C++. Include after sannip.h. */
#ifndef TINY_H
#define TINY_H
#include <string.h>

static const char *const TINY_DESC =
    "g2 H H cut=cos rc=4 eta=0.5 rs=0\n"
    "g2 H O cut=cos rc=4 eta=0.5 rs=1\n"
    "g4 H H O cut=cos rc=4 eta=0.1 lambda=1 zeta=2\n"
    "g2 O H cut=cos rc=4 eta=0.5 rs=0\n"
    "g2 O O cut=tanh rc=4 eta=0.3 rs=0\n"
    "g4 O H H cut=poly2 rc=4 alpha=0.2 eta=0.1 lambda=-1 zeta=1\n";

/* Builds the model: H and O networks 3-4-1 (tanh), deterministic weights, minmax scaling. */
static sannip_result tiny_model(sannip_model *m, sannip_error *err)
{
    int hid[1] = { 4 }, act[1] = { SANNIP_ACT_TANH }, e, f;
    size_t k;
    sannip_rng rng;
    sannip_result r;
    if ((r = sannip_descriptors_parse(&m->desc, TINY_DESC, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_model_add_element(m, 1, 1, hid, act, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_model_add_element(m, 8, 1, hid, act, err)) != SANNIP_SUCCESS) return r;
    sannip_rng_seed(&rng, 5);
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        for (k = 0; k < el->net.n_params; k++) el->net.params[k] = (sannip_real)(0.3 * sannip_rng_normal(&rng));
        el->scaling = SANNIP_SCALE_MINMAX;
        for (f = 0; f < el->n_features; f++) { el->stats[f].min = 0; el->stats[f].max = (sannip_real)(2 + f); el->stats[f].mean = 1; }
    }
    return sannip_model_finalize(m, err);
}

/* Six atoms (two waters) in a periodic 6 A cube. */
static sannip_system tiny_system(void)
{
    static const sannip_real pos[18] = { 1.0, 1.0, 1.0,  1.8, 1.3, 1.0,  0.6, 1.7, 1.2,
                                         4.0, 3.5, 3.8,  4.7, 3.9, 3.3,  3.3, 4.1, 4.1 };
    static const int Z[6] = { 8, 1, 1, 8, 1, 1 };
    sannip_system s;
    memset(&s, 0, sizeof s);
    s.n = 6; s.pos = pos; s.Z = Z;
    s.cell[0] = s.cell[4] = s.cell[8] = 6;
    s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
    return s;
}

/* Energy of tiny_system() with the tiny model, after a save/load round trip through memory
   (E2 must equal E). *fsum receives sum of forces (~0 by Newton's third law). */
static sannip_result tiny_energy(const sannip_allocator *alloc, double *E, double *E2, double *fsum, sannip_error *err)
{
    sannip_model m, m2;
    sannip_workspace ws;
    sannip_system sys = tiny_system();
    sannip_real e = 0, e2 = 0, F[18], W[9];
    char *text = NULL;
    size_t len = 0;
    int i;
    sannip_result r;
    sannip_model_init(&m, alloc); sannip_model_init(&m2, alloc);
    sannip_workspace_init(&ws, alloc);
    r = tiny_model(&m, err);
    if (r == SANNIP_SUCCESS) r = sannip_model_compute(&m, &ws, &sys, &e, NULL, F, W, err);
    if (r == SANNIP_SUCCESS) {
        *fsum = 0;
        for (i = 0; i < 18; i++) *fsum += F[i];
        r = sannip_model_save_mem(&m, &text, &len, err);
    }
    if (r == SANNIP_SUCCESS) r = sannip_model_load_mem(&m2, text, len, err);
    if (r == SANNIP_SUCCESS) r = sannip_model_compute(&m2, &ws, &sys, &e2, NULL, F, NULL, err);
    if (text) sannip_free(&m.alloc, text);
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m2); sannip_model_uninit(&m);
    *E = e; *E2 = e2;
    return r;
}
#endif
