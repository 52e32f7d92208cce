/* A host code that copies sannip.h alone runs any model file, spin-aware or not: the golden
   spin-aware class-convolution model (tests/golden/spin_cnn.sannip: spin bases S1G, S2G,
   F4-F6 beside the BP grid) loaded and evaluated with nothing but sannip.h, its energies,
   forces and effective field equal to those that bin/sannip (all three headers) wrote into
   tests/golden/spin_cnn.pred.xyz, for all 12 NiO frames. */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include <string.h>

/* Column c (0-based) of atom line a of frame k of an extended XYZ text. */
static double xyz_column(const char *text, int k, int a, int c)
{
    const char *p = text;
    int f, skip;
    for (f = 0; f <= k; f++) {
        int n = atoi(p);
        skip = f < k ? n + 2 : a + 2;
        while (skip-- > 0) { p = strchr(p, '\n'); if (!p) return NAN; p++; }
    }
    while (c-- > 0) { while (*p == ' ') p++; while (*p && *p != ' ' && *p != '\n') p++; }
    return strtod(p, NULL);
}

int main(void)
{
    sannip_model m;
    sannip_workspace ws;
    sannip_dataset d;
    sannip_error err;
    char *text = NULL;
    size_t len = 0;
    int k, i, a, frames = 0;
    sannip_model_init(&m, NULL);
    sannip_workspace_init(&ws, NULL);
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_model_load_file(&m, "tests/golden/spin_cnn.sannip", &err) == SANNIP_SUCCESS, "load: %s", err.message);
    CHECK(sannip_descriptors_need_spins(&m.desc), "the golden model should be spin-aware");
    CHECK(sannip_dataset_read_file(&d, "tests/golden/spin_cnn.pred.xyz", &err) == SANNIP_SUCCESS && d.n == 12, "read: %s", err.message);
    CHECK(sannip_read_file("tests/golden/spin_cnn.pred.xyz", NULL, &text, &len, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (k = 0; text && k < d.n; k++) {
        const sannip_structure *s = &d.s[k];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E = 0, *F = (sannip_real *)calloc(3 * (size_t)s->n, sizeof(sannip_real)), *H = (sannip_real *)calloc(3 * (size_t)s->n, sizeof(sannip_real));
        double worst = 0;
        CHECK(s->spins != NULL, "frame %d has no spins", k + 1);
        if (sannip_model_compute_field(&m, &ws, &sys, &E, NULL, F, NULL, H, &err) != SANNIP_SUCCESS) { CHECK(0, "compute frame %d: %s", k + 1, err.message); free(F); free(H); continue; }
        CHECK_NEAR(E, s->energy, TOL(1e-12, 1e-5) * fabs(s->energy), "frame %d energy", k + 1);
        for (i = 0; i < s->n; i++) for (a = 0; a < 3; a++) {
            double f = F[3 * i + a] - s->forces[3 * i + a], h = H[3 * i + a] - xyz_column(text, k, i, 10 + a);
            if (fabs(f) > worst) worst = fabs(f);
            if (fabs(h) > worst) worst = fabs(h);
        }
#ifndef SANNIP_FLOAT
        CHECK(worst <= 1e-12, "frame %d: forces/field differ from the golden prediction by %.3g", k + 1, worst);
#else
        /* not compared in float: this barely trained model's forces on O atoms (moments ~1e-4
           among antiparallel Ni) differ by O(1) eV/A between float and double, with today's
           headers and the previous main's alike: the conditioning problem of issue 14 (item 2),
           not an evaluation difference between one header and three */
        (void)worst;
#endif
        frames++;
        free(F); free(H);
    }
    CHECK(frames == 12, "%d of 12 frames evaluated", frames);
    (void)test_shared;
    sannip_free(NULL, text);
    sannip_dataset_uninit(&d); sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
    return test_report("test_core_only");
}
