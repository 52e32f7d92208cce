/* Training: analytic loss gradients (energy and force terms) against central differences,
   the data-set readers' errors, and bit-identical training with 1 and 2 threads. */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "test.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* A small Ni/O model with G2 and G4 bases restricted by element. */
static void small_model(sannip_model *m, int act)
{
    static const char *defs =
        "g2 * Ni cut=cos rc=4.5 eta=0.5 rs=2.0\n"
        "g2 * O  cut=cos rc=4.5 eta=1.0 rs=2.1\n"
        "g2 * *  cut=tanhu rc=4.5 eta=0.2 rs=3.0\n"
        "g4 * Ni O cut=cos rc=4.5 eta=0.05 lambda=1 zeta=2\n"
        "g4 * * * cut=cos rc=4.5 eta=0.02 lambda=-1 zeta=1\n"
        "g5 * O O cut=poly2 rc=4.5 eta=0.03 lambda=1 zeta=4\n";
    int hid[2] = { 6, 5 }, acts[2];
    sannip_error err;
    sannip_rng rng;
    acts[0] = acts[1] = act;
    sannip_model_init(m, NULL);
    CHECK(sannip_descriptors_parse(&m->desc, defs, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_add_element(m, 8, 2, hid, acts, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_add_element(m, 28, 2, hid, acts, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_rng_seed(&rng, 7);
    sannip_model_init_weights(m, &rng);
}

/* Loss of one structure as sannip_structure_gradient defines it, from sannip_model_compute. */
static double loss_of(sannip_model *m, const sannip_structure *s, double ew, double fw)
{
    sannip_workspace ws; sannip_error err; sannip_system sys = sannip_structure_view(s);
    sannip_real E, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    double lf = 0, dE; int k;
    sannip_workspace_init(&ws, NULL);
    sannip_model_compute(m, &ws, &sys, &E, NULL, F, NULL, &err);
    for (k = 0; k < 3 * s->n; k++) { double d = F[k] - s->forces[k]; lf += d * d; }
    dE = (E - s->energy) / s->n;
    free(F); sannip_workspace_uninit(&ws);
    return s->weight * (ew * dE * dE + fw * lf / (3.0 * s->n));
}

static void gradient_check(const sannip_dataset *d, int act, const char *name)
{
    sannip_model m; sannip_error err;
    size_t np, q; sannip_real *g, *p; double L, worst = 0, scale = 0; int term;
    small_model(&m, act);
    CHECK(sannip_model_fit_scaling(&m, d->s, d->n, &err) == SANNIP_SUCCESS, "%s", err.message);
    /* energy map left at scale 1, offset 0: large residuals exercise every term */
    np = sannip_model_get_params(&m, NULL);
    g = (sannip_real *)calloc(np, sizeof(sannip_real)); p = (sannip_real *)calloc(np, sizeof(sannip_real));
    for (term = 0; term < 3; term++) {
        double ew = term == 1 ? 0 : 1, fw = term == 0 ? 0 : 3;
        worst = 0; scale = 0;
        memset(g, 0, sizeof(sannip_real) * np);
        CHECK(sannip_structure_gradient(&m, &d->s[0], ew, fw, &L, g, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK_NEAR(L, loss_of(&m, &d->s[0], ew, fw), TOL(1e-12, 1e-4) * (fabs(L) + 1e-12), "%s: loss value", name);
        sannip_model_get_params(&m, p);
        for (q = 0; q < np; q += (np > 120 ? 3 : 1)) {
            double h = TOL(1e-6, 2e-3) * (fabs(p[q]) + 0.1), lp, lm, fd;
            sannip_real keep = p[q];
            p[q] = keep + (sannip_real)h; sannip_model_set_params(&m, p); lp = loss_of(&m, &d->s[0], ew, fw);
            p[q] = keep - (sannip_real)h; sannip_model_set_params(&m, p); lm = loss_of(&m, &d->s[0], ew, fw);
            p[q] = keep; sannip_model_set_params(&m, p);
            fd = (lp - lm) / (2 * h);
            if (fabs(fd - g[q]) > worst) worst = fabs(fd - g[q]);
            if (fabs(fd) > scale) scale = fabs(fd);
        }
        CHECK(worst <= TOL(2e-6, 5e-2) * scale + TOL(1e-12, 1e-6), "%s, %s term: analytic vs FD gradient, max diff %.3g (max |grad| %.3g)",
              name, term == 0 ? "energy" : term == 1 ? "force" : "energy+force", worst, scale);
        printf("gradient %-9s %-12s max |analytic - FD| %.3g of max |grad| %.3g\n", name, term == 0 ? "energy" : term == 1 ? "force" : "energy+force", worst, scale);
    }
    free(g); free(p); sannip_model_uninit(&m);
}

int main(void)
{
    char path[1024]; sannip_dataset d, small; sannip_error err; int i;
    snprintf(path, sizeof path, "%s/data/nio_train.xyz", test_shared());
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_dataset_read_file(&d, path, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(d.n == 120, "nio_train.xyz: %d structures", d.n);
    CHECK(d.n > 0 && d.s[0].n == 32 && d.s[0].forces && d.s[0].spins && d.s[0].has_energy, "NiO frame fields");
    /* gradients on a 3-structure subset */
    sannip_dataset_init(&small, NULL);
    {
        char *text; size_t len, pos = 0; int line = 0, k;
        sannip_read_file(path, NULL, &text, &len, &err);
        for (k = 0; k < 3; k++) {
            small.s = (sannip_structure *)realloc(small.s, sizeof(sannip_structure) * (size_t)(k + 1));
            sannip_structure_init(&small.s[k], NULL);
            CHECK(sannip_read_xyz(&small.s[k], text, len, &pos, &line, &err) == SANNIP_SUCCESS, "%s", err.message);
            small.n = k + 1; small.cap = k + 1;
        }
        free(text);
    }
    gradient_check(&small, SANNIP_ACT_TANH, "tanh");
    gradient_check(&small, SANNIP_ACT_SOFTPLUS, "softplus");
    gradient_check(&small, SANNIP_ACT_SWISH, "swish");
    gradient_check(&small, SANNIP_ACT_SIGMOID, "sigmoid");
    /* training is reproducible and thread-independent */
    {
        sannip_model a, b; sannip_train_config c = sannip_train_config_init(); sannip_train_report ra, rb;
        size_t np; sannip_real *pa, *pb;
        c.epochs = 3; c.batch_size = 4; c.seed = 11;
        small_model(&a, SANNIP_ACT_TANH); small_model(&b, SANNIP_ACT_TANH);
#ifdef _OPENMP
        omp_set_num_threads(1);
#endif
        CHECK(sannip_train(&a, &d, &c, &ra, &err) == SANNIP_SUCCESS, "%s", err.message);
#ifdef _OPENMP
        omp_set_num_threads(2);
#endif
        CHECK(sannip_train(&b, &d, &c, &rb, &err) == SANNIP_SUCCESS, "%s", err.message);
        np = sannip_model_get_params(&a, NULL);
        pa = (sannip_real *)malloc(sizeof(sannip_real) * np); pb = (sannip_real *)malloc(sizeof(sannip_real) * np);
        sannip_model_get_params(&a, pa); sannip_model_get_params(&b, pb);
        CHECK(memcmp(pa, pb, sizeof(sannip_real) * np) == 0, "1 and 2 threads give different models");
        CHECK(ra.val_rmse_f == rb.val_rmse_f && ra.n_val == 24, "reports differ (val %d)", ra.n_val);
        printf("training 3 epochs: train force RMSE %.4f, validation %.4f eV/A; cache %.1f MB\n", ra.train_rmse_f, ra.val_rmse_f, ra.cache_bytes / 1e6);
        free(pa); free(pb); sannip_train_report_free(&ra); sannip_train_report_free(&rb);
        sannip_model_uninit(&a); sannip_model_uninit(&b);
    }
    for (i = 0; i < small.n; i++) sannip_structure_uninit(&small.s[i]);
    free(small.s);
    sannip_dataset_uninit(&d);
    return test_report("test_train");
}
