/* Extrapolation warnings (issue 14): a spin-aware model (BP + the thesis's spin bases) with
   its feature and moment ranges fitted on NiO frames (SHARED/data/nio_train.xyz); the
   training frames are not flagged (tol 0 and default), frames with 1.5x moments and a 0.9x
   compressed cell are, with the right count and worst value; the moment ranges survive
   save -> load, an older file without them loads with no moment test; bad input gets its
   code; the Monte Carlo cache and the opt-in test of a compute call give the same answer as
   a standalone feature pass; a committee reports its most extrapolating member. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "test.h"
#include <string.h>

#define NTRAIN 24

static sannip_dataset data;
static sannip_model model;

/* A BP + spin (thesis) model of Ni and O with scaling fitted on the first NTRAIN frames. */
static int setup(void)
{
    char path[512];
    sannip_error err;
    int Zs[2] = { 28, 8 }, hidden[1] = { 4 }, act[1] = { SANNIP_ACT_TANH }, i;
    snprintf(path, sizeof path, "%s/data/nio_train.xyz", test_shared());
    sannip_dataset_init(&data, NULL);
    if (sannip_dataset_read_file(&data, path, &err) != SANNIP_SUCCESS) { CHECK(0, "read %s: %s", path, err.message); return 0; }
    CHECK(data.n >= NTRAIN + 8, "%d NiO frames", data.n);
    sannip_model_init(&model, NULL);
    CHECK(sannip_descriptors_preset_bp(&model.desc, Zs, 2, 6, &err) == SANNIP_SUCCESS, "bp preset: %s", err.message);
    for (i = 0; i < 2; i++) CHECK(sannip_descriptors_preset_spin_thesis(&model.desc, Zs[i], 6, &err) == SANNIP_SUCCESS, "spin preset: %s", err.message);
    for (i = 0; i < 2; i++) CHECK(sannip_model_add_element(&model, Zs[i], 1, hidden, act, &err) == SANNIP_SUCCESS, "element: %s", err.message);
    CHECK(sannip_model_fit_scaling(&model, data.s, NTRAIN, &err) == SANNIP_SUCCESS, "fit scaling: %s", err.message);
    return test_failed == 0;
}

static sannip_extrapolation check(const sannip_model *m, const sannip_structure *s, double tol)
{
    sannip_workspace ws;
    sannip_extrapolation x;
    sannip_error err;
    sannip_system sys = sannip_structure_view(s);
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_extrapolation(m, &ws, &sys, (sannip_real)tol, &x, &err) == SANNIP_SUCCESS, "extrapolation: %s", err.message);
    sannip_workspace_uninit(&ws);
    return x;
}

/* Ni and O got moment ranges; the training frames lie inside every range, even at tol 0. */
static void test_in_range(void)
{
    int e, i, flagged0 = 0, flagged = 0;
    for (e = 0; e < model.n_elements; e++) {
        const sannip_element_model *el = &model.el[e];
        CHECK(el->has_moment_range && el->moment_min >= 0 && el->moment_min <= el->moment_max, "element %d moment range [%g, %g]", el->Z, (double)el->moment_min, (double)el->moment_max);
    }
    e = sannip_model_element_index(&model, 28);
    CHECK(model.el[e].moment_min > 1 && model.el[e].moment_max < 2.5, "Ni |S| in [%g, %g] mu_B", (double)model.el[e].moment_min, (double)model.el[e].moment_max);
    for (i = 0; i < NTRAIN; i++) {
        sannip_extrapolation x0 = check(&model, &data.s[i], 0), x = check(&model, &data.s[i], SANNIP_EXTRAPOLATION_TOL);
        flagged0 += x0.n_atoms; flagged += x.n_atoms;
        if (i == 0) CHECK(x.atom == -1 && x.n_values == 0 && x.excess == 0, "no worst value: atom %d", x.atom);
    }
    CHECK(flagged0 == 0 && flagged == 0, "training frames: %d atoms flagged at tol 0, %d at the default", flagged0, flagged);
}

/* Frame f with every spin scaled by k: every Ni atom leaves the moment range; the features
   the caller holds are the training ones, so only moments are tested. */
static void test_large_moments(int f, double k)
{
    sannip_structure *s = &data.s[f];
    sannip_workspace ws;
    sannip_extrapolation x;
    sannip_error err;
    sannip_system sys = sannip_structure_view(s);
    sannip_real *G = (sannip_real *)calloc((size_t)s->n * 64, sizeof(sannip_real)), *S = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    int a, nni = 0, expect = 0, worst = -1;
    double worst_ex = 0, tol = SANNIP_EXTRAPOLATION_TOL;
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_features(&model, &ws, &sys, G, 64, &err) == SANNIP_SUCCESS, "features: %s", err.message);
    for (a = 0; a < 3 * s->n; a++) S[a] = (sannip_real)(k * s->spins[a]);
    for (a = 0; a < s->n; a++) {   /* the rule written out: |S| > max + tol (max - min) */
        const sannip_element_model *el = &model.el[sannip_model_element_index(&model, s->Z[a])];
        double mag = sqrt(S[3 * a] * S[3 * a] + S[3 * a + 1] * S[3 * a + 1] + S[3 * a + 2] * S[3 * a + 2]);
        double w = el->moment_max - el->moment_min, ex = (mag - el->moment_max) / w;
        nni += s->Z[a] == 28;
        if (ex > tol) { expect++; if (ex > worst_ex) { worst_ex = ex; worst = a; } }
    }
    CHECK(sannip_model_check_range(&model, s->n, s->Z, G, 64, S, (sannip_real)tol, &x, &err) == SANNIP_SUCCESS, "check: %s", err.message);
    CHECK(x.n_atoms == expect && expect >= nni && nni > 0, "%gx moments: %d atoms flagged, expected %d (%d Ni)", k, x.n_atoms, expect, nni);
    CHECK(x.n_values == x.n_atoms, "%d values for %d atoms (moments only)", x.n_values, x.n_atoms);
    CHECK(x.atom == worst && x.feature == SANNIP_FEATURE_MOMENT && x.basis == -1 && x.Z == s->Z[worst], "worst: atom %d feature %d (expected atom %d, the moment)", x.atom, x.feature, worst);
    CHECK_NEAR(x.excess, worst_ex, TOL(1e-12, 1e-4) * worst_ex, "excess of the worst moment");
    CHECK(x.value > x.max && x.min == model.el[sannip_model_element_index(&model, x.Z)].moment_min, "value %g outside [%g, %g]", (double)x.value, (double)x.min, (double)x.max);
    /* the whole pass: the spin features grow too (S1 ~ |S|^2), so every magnetic atom is flagged */
    {
        sannip_real *keep = s->spins;
        s->spins = S;
        x = check(&model, s, tol);
        s->spins = keep;
        CHECK(x.n_atoms >= expect && x.excess >= worst_ex, "%gx moments, full pass: %d atoms (>= %d), worst excess %g", k, x.n_atoms, expect, (double)x.excess);
        CHECK(x.feature == SANNIP_FEATURE_MOMENT || sannip_basis_is_spin(&model.desc.b[x.basis]), "worst is a moment or a spin feature (basis %d)", x.basis);
    }
    sannip_workspace_uninit(&ws);
    free(G); free(S);
}

/* Frame f with its cell and positions scaled by k: every atom's radial features leave their
   ranges; the worst is a geometric feature. */
static void test_compressed(int f, double k)
{
    sannip_structure c;
    sannip_extrapolation x;
    sannip_error err;
    const sannip_structure *s = &data.s[f];
    int a;
    sannip_structure_init(&c, NULL);
    CHECK(sannip_structure_resize(&c, s->n, 0, 1, &err) == SANNIP_SUCCESS, "resize: %s", err.message);
    for (a = 0; a < s->n; a++) c.Z[a] = s->Z[a];
    for (a = 0; a < 3 * s->n; a++) { c.pos[a] = (sannip_real)(k * s->pos[a]); c.spins[a] = s->spins[a]; }
    for (a = 0; a < 9; a++) c.cell[a] = (sannip_real)(k * s->cell[a]);
    for (a = 0; a < 3; a++) c.pbc[a] = s->pbc[a];
    x = check(&model, &c, SANNIP_EXTRAPOLATION_TOL);
    CHECK(x.n_atoms == s->n, "%gx cell: %d of %d atoms flagged", k, x.n_atoms, s->n);
    CHECK(x.atom >= 0 && x.feature >= 0 && x.basis == model.el[sannip_model_element_index(&model, x.Z)].feature[x.feature]
          && !sannip_basis_is_spin(&model.desc.b[x.basis]) && x.excess > 1, "worst: atom %d feature %d basis %d excess %g", x.atom, x.feature, x.basis, (double)x.excess);
    CHECK(x.value < x.min || x.value > x.max, "worst value %g outside [%g, %g]", (double)x.value, (double)x.min, (double)x.max);
    x = check(&model, s, SANNIP_EXTRAPOLATION_TOL);
    CHECK(x.n_atoms == 0, "the uncompressed training frame: %d atoms", x.n_atoms);
    sannip_structure_uninit(&c);
}

/* Held-out frames of the same data: how many atoms the default flags (printed; the count is
   data, not a pass criterion), and a stricter tolerance never flags fewer. */
static void test_held_out(void)
{
    int i, n0 = 0, n1 = 0, atoms = 0;
    for (i = NTRAIN; i < data.n; i++) {
        sannip_extrapolation x0 = check(&model, &data.s[i], 0), x1 = check(&model, &data.s[i], SANNIP_EXTRAPOLATION_TOL);
        n0 += x0.n_atoms; n1 += x1.n_atoms; atoms += data.s[i].n;
        CHECK(x1.n_atoms <= x0.n_atoms && x1.n_values <= x0.n_values, "frame %d: tol %g flags %d atoms, tol 0 %d", i + 1, SANNIP_EXTRAPOLATION_TOL, x1.n_atoms, x0.n_atoms);
    }
    printf("held-out NiO frames %d..%d (%d atoms): flagged %d at tol 0, %d at tol %g\n", NTRAIN + 1, data.n, atoms, n0, n1, SANNIP_EXTRAPOLATION_TOL);
}

/* save -> load keeps the ranges bit for bit; a file without 'moment_range' (older) loads and
   tests features only; a malformed line is a parse error naming its line. */
static void test_files(void)
{
    sannip_model b, old;
    sannip_error err;
    char *text = NULL, *cut, *p;
    size_t len = 0;
    int e, lines = 0;
    sannip_extrapolation x;
    sannip_structure *s = &data.s[NTRAIN];
    sannip_real *keep = s->spins, *S = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    CHECK(sannip_model_save_mem(&model, &text, &len, &err) == SANNIP_SUCCESS, "save: %s", err.message);
    sannip_model_init(&b, NULL); sannip_model_init(&old, NULL);
    CHECK(sannip_model_load_mem(&b, text, len, &err) == SANNIP_SUCCESS, "load: %s", err.message);
    for (e = 0; e < model.n_elements; e++)
        CHECK(b.el[e].has_moment_range && b.el[e].moment_min == model.el[e].moment_min && b.el[e].moment_max == model.el[e].moment_max, "element %d: moment range after load", e);
    /* the older form: the same text without its moment_range lines */
    cut = (char *)malloc(len + 1);
    for (p = text, cut[0] = 0; *p; ) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, "moment_range", 12) != 0) strncat(cut, p, n); else lines++;
        p += n;
    }
    CHECK(lines == 2, "%d moment_range lines (Ni, O)", lines);
    CHECK(sannip_model_load_mem(&old, cut, strlen(cut), &err) == SANNIP_SUCCESS, "load without moment ranges: %s", err.message);
    CHECK(!old.el[0].has_moment_range && !old.el[1].has_moment_range, "no moment range in an older file");
    for (e = 0; e < 3 * s->n; e++) S[e] = (sannip_real)(1.5 * keep[e]);
    s->spins = S;
    x = check(&old, s, SANNIP_EXTRAPOLATION_TOL);
    CHECK(x.n_atoms > 0 && x.feature != SANNIP_FEATURE_MOMENT, "older file: flagged by features only (%d atoms, feature %d)", x.n_atoms, x.feature);
    {
        sannip_extrapolation xb = check(&b, s, SANNIP_EXTRAPOLATION_TOL), xa = check(&model, s, SANNIP_EXTRAPOLATION_TOL);
        CHECK(xb.n_atoms == xa.n_atoms && xb.atom == xa.atom && xb.feature == xa.feature && xb.excess == xa.excess, "loaded model flags as the original (%d vs %d)", xb.n_atoms, xa.n_atoms);
    }
    s->spins = keep;
    /* a malformed range */
    p = strstr(text, "moment_range");
    if (p) {
        p[13] = '-';   /* a negative minimum */
        CHECK(sannip_model_load_mem(&old, text, len, &err) == SANNIP_PARSE_ERROR && err.line > 0 && strstr(err.message, "moment_range"), "bad moment_range: %s (line %d)", err.message, err.line);
    }
    sannip_free(&model.alloc, text); free(cut); free(S);
    sannip_model_uninit(&b); sannip_model_uninit(&old);
}

static void test_bad_input(void)
{
    sannip_workspace ws;
    sannip_extrapolation x;
    sannip_error err;
    sannip_system sys = sannip_structure_view(&data.s[0]);
    sannip_real G[64] = { 0 };
    int Z = 26;
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_extrapolation(&model, &ws, &sys, -1, &x, &err) == SANNIP_BAD_PARAMETER, "tol -1: %s", err.message);
    CHECK(sannip_model_extrapolation(&model, &ws, &sys, (sannip_real)NAN, &x, &err) == SANNIP_BAD_PARAMETER, "tol NaN: %s", err.message);
    CHECK(sannip_model_extrapolation(&model, &ws, NULL, 0, &x, &err) == SANNIP_INVALID_ARGS, "NULL system");
    CHECK(sannip_model_check_range(&model, 1, &Z, G, 64, NULL, 0, &x, &err) == SANNIP_UNKNOWN_ELEMENT && strstr(err.message, "Fe"), "Fe: %s", err.message);
    Z = 28;
    CHECK(sannip_model_check_range(&model, 1, &Z, G, 2, NULL, 0, &x, &err) == SANNIP_INVALID_ARGS, "stride 2: %s", err.message);
    CHECK(sannip_model_moment_range_add(&model, 1, &Z, NULL, &err) == SANNIP_INVALID_ARGS, "NULL spins");
    G[0] = (sannip_real)NAN;
    CHECK(sannip_model_moment_range_add(&model, 1, &Z, G, &err) == SANNIP_NONFINITE, "NaN spin: %s", err.message);
    sannip_workspace_uninit(&ws);
}

/* The Monte Carlo cache (sannip_spin_local) holds the raw features of the current spins: the
   test on them agrees with a fresh pass, before and after moves that grow one moment. */
static void test_mc_cache(void)
{
    sannip_spin_local L;
    sannip_error err;
    sannip_extrapolation xc, xf;
    sannip_structure *s = &data.s[1];
    sannip_system sys = sannip_structure_view(s);
    sannip_real S[3], *keep = s->spins, *cur;
    int a = 0;
    CHECK(sannip_spin_local_init(&L, &model, &sys, NULL, &err) == SANNIP_SUCCESS, "spin_local: %s", err.message);
    CHECK(sannip_model_check_range(&model, L.n, L.Z, L.G, L.fmax, L.spins, SANNIP_EXTRAPOLATION_TOL, &xc, &err) == SANNIP_SUCCESS && xc.n_atoms == 0, "cache of a training frame: %d atoms", xc.n_atoms);
    while (s->Z[a] != 28) a++;
    S[0] = 2 * s->spins[3 * a]; S[1] = 2 * s->spins[3 * a + 1]; S[2] = 2 * s->spins[3 * a + 2];
    CHECK(sannip_spin_local_accept(&L, a, S) == SANNIP_SUCCESS, "accept");
    CHECK(sannip_model_check_range(&model, L.n, L.Z, L.G, L.fmax, L.spins, SANNIP_EXTRAPOLATION_TOL, &xc, &err) == SANNIP_SUCCESS, "check cache: %s", err.message);
    cur = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    memcpy(cur, L.spins, sizeof(sannip_real) * 3 * (size_t)s->n);
    s->spins = cur;
    xf = check(&model, s, SANNIP_EXTRAPOLATION_TOL);
    s->spins = keep;
    CHECK(xc.n_atoms == xf.n_atoms && xc.n_atoms > 1 && xc.atom == xf.atom && xc.feature == xf.feature, "one doubled moment: cache %d atoms (worst %d/%d), fresh pass %d (worst %d/%d)",
          xc.n_atoms, xc.atom, xc.feature, xf.n_atoms, xf.atom, xf.feature);
    CHECK_NEAR(xc.excess, xf.excess, TOL(1e-9, 1e-3) * xf.excess, "worst excess, cache vs fresh");
    free(cur);
    sannip_spin_local_uninit(&L);
}

static int same_result(const sannip_extrapolation *a, const sannip_extrapolation *b)
{
    return a->n_atoms == b->n_atoms && a->n_values == b->n_values && a->atom == b->atom && a->Z == b->Z && a->feature == b->feature
        && a->basis == b->basis && a->value == b->value && a->min == b->min && a->max == b->max && a->excess == b->excess;
}
/* The opt-in test of a compute call (ws.extrapolation) equals the standalone pass, for a
   training frame, 1.5x moments and a 0.9x cell, energy-only or with forces and field; a
   domain call counts its centres only; a bad tolerance is refused. */
static void test_compute_hook(void)
{
    sannip_structure *s = &data.s[3];
    sannip_workspace ws;
    sannip_extrapolation x, ref;
    sannip_error err;
    sannip_real E, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n), *H = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    sannip_real *S = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n), *P = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    sannip_real cell[9], *keep_s = s->spins, *keep_p = s->pos;
    int *mask = (int *)calloc((size_t)s->n, sizeof(int)), k, a, half = 0;
    sannip_workspace_init(&ws, NULL);
    ws.extrapolation = &x;   /* tolerance 0: the default */
    for (k = 0; k < 3 * s->n; k++) { S[k] = (sannip_real)(1.5 * keep_s[k]); P[k] = (sannip_real)(0.9 * keep_p[k]); }
    memcpy(cell, s->cell, sizeof cell);
    for (k = 0; k < 3; k++) {
        sannip_system sys;
        if (k == 1) s->spins = S;
        if (k == 2) { s->spins = keep_s; s->pos = P; for (a = 0; a < 9; a++) s->cell[a] = (sannip_real)(0.9 * cell[a]); }
        sys = sannip_structure_view(s);
        ref = check(&model, s, SANNIP_EXTRAPOLATION_TOL);
        CHECK(sannip_model_compute(&model, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_SUCCESS, "compute: %s", err.message);
        CHECK(same_result(&x, &ref) && (k == 0) == (x.n_atoms == 0), "case %d, energy only: %d atoms (standalone %d), worst %d/%d", k, x.n_atoms, ref.n_atoms, x.atom, x.feature);
        memset(&x, 0x55, sizeof x);
        CHECK(sannip_model_compute_field(&model, &ws, &sys, &E, NULL, F, NULL, H, &err) == SANNIP_SUCCESS, "compute_field: %s", err.message);
        CHECK(same_result(&x, &ref), "case %d, forces and field: %d atoms (standalone %d)", k, x.n_atoms, ref.n_atoms);
        if (k == 2) {   /* the first half of the atoms are centres */
            for (a = 0; a < s->n / 2; a++) mask[a] = 1;
            CHECK(sannip_model_compute_domain(&model, &ws, &sys, mask, &E, NULL, F, NULL, NULL, &err) == SANNIP_SUCCESS, "domain: %s", err.message);
            half = s->n / 2;
            CHECK(x.n_atoms == half && x.atom < s->n / 2, "domain: %d of %d centres flagged (all compressed), worst atom %d", x.n_atoms, half, x.atom);
        }
    }
    s->pos = keep_p; memcpy(s->cell, cell, sizeof cell);
    {
        sannip_system sys = sannip_structure_view(s);
        ws.extrapolation_tol = (sannip_real)SANNIP_EXACTLY(0);   /* n2p2's rule */
        s->spins = S; sys = sannip_structure_view(s);
        ref = check(&model, s, 0);
        CHECK(sannip_model_compute(&model, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_SUCCESS && same_result(&x, &ref), "SANNIP_EXACTLY(0): %d atoms, tol 0 standalone %d", x.n_atoms, ref.n_atoms);
        s->spins = keep_s; sys = sannip_structure_view(s);
        ws.extrapolation_tol = -2;
        CHECK(sannip_model_compute(&model, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_BAD_PARAMETER, "tol -2 in the workspace: %s", err.message);
        ws.extrapolation = NULL;
        CHECK(sannip_model_compute(&model, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_SUCCESS, "no test asked for: the tolerance is not read");
    }
    sannip_workspace_uninit(&ws);
    free(F); free(H); free(S); free(P); free(mask);
}

/* A committee whose members fitted their ranges on different frames: sannip_committee_predict
   reports its most extrapolating member (most atoms outside, then the largest excess) in
   either member order, and leaves ws->extrapolation pointing where it did. */
static void test_committee(void)
{
    sannip_committee cm;
    sannip_workspace ws;
    sannip_extrapolation x, xa, xb, *want;
    sannip_error err;
    sannip_real E;
    int order, f, seen = 0;
    sannip_committee_init(&cm, NULL);
    CHECK(sannip_committee_create(&cm, &model, 2, &err) == SANNIP_SUCCESS, "committee: %s", err.message);
    sannip_workspace_init(&ws, NULL);
    for (order = 0; order < 2 && test_failed == 0; order++) {
        sannip_model *a = &cm.m[order], *b = &cm.m[1 - order];   /* a: the first NTRAIN frames, b: the next 8 */
        CHECK(sannip_model_fit_scaling(a, data.s, NTRAIN, &err) == SANNIP_SUCCESS && sannip_model_fit_scaling(b, data.s + NTRAIN, 8, &err) == SANNIP_SUCCESS, "fit: %s", err.message);
        for (f = 0; f < 4; f++) {
            sannip_system sys = sannip_structure_view(&data.s[f]);
            xa = check(a, &data.s[f], SANNIP_EXTRAPOLATION_TOL); xb = check(b, &data.s[f], SANNIP_EXTRAPOLATION_TOL);
            {   /* the first member in committee order unless the second has strictly more */
                sannip_extrapolation *x0 = order == 0 ? &xa : &xb, *x1 = order == 0 ? &xb : &xa;
                want = (x1->n_atoms > x0->n_atoms || (x1->n_atoms == x0->n_atoms && x1->excess > x0->excess)) ? x1 : x0;
            }
            ws.extrapolation = &x;
            CHECK(sannip_committee_predict(&cm, &ws, &sys, &E, NULL, NULL, NULL, NULL, &err) == SANNIP_SUCCESS, "predict: %s", err.message);
            CHECK(ws.extrapolation == &x, "the workspace's extrapolation pointer is restored");
            CHECK(same_result(&x, want), "order %d frame %d: committee %d atoms, members %d (first NTRAIN) and %d (next 8)", order, f, x.n_atoms, xa.n_atoms, xb.n_atoms);
            seen += xa.n_atoms == 0 && xb.n_atoms > 0;
        }
    }
    CHECK(seen > 0, "some training frame lies outside the other member's ranges only (%d)", seen);
    sannip_workspace_uninit(&ws);
    sannip_committee_uninit(&cm);
}

int main(void)
{
    if (setup()) {
        test_in_range();
        test_large_moments(0, 1.5);
        test_large_moments(NTRAIN - 1, 1.5);
        test_compressed(0, 0.9);
        test_compressed(5, 0.9);
        test_held_out();
        test_files();
        test_bad_input();
        test_mc_cache();
        test_compute_hook();
        test_committee();
    }
    sannip_model_uninit(&model);
    sannip_dataset_uninit(&data);
    return test_report("test_extrapolation");
}
