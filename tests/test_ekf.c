/* The extended Kalman filter optimiser (SANNIP_OPT_EKF): one update against the filter's
   equations worked by hand (one and two measurements), Jacobian rows (energy, force
   components) against central differences, training that learns, bit-identical with 1 and 2
   threads, a failed run keeping the best model, and the refusals (size, settings). */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "test.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* A small Ni/O model (G2 and G4 bases, 2 x 6 tanh) with scalers fitted on d's structures. */
static void small_model(sannip_model *m, const sannip_dataset *d)
{
    static const char *defs =
        "g2 * Ni cut=cos rc=4.5 eta=0.5 rs=2.0\n"
        "g2 * O  cut=cos rc=4.5 eta=1.0 rs=2.1\n"
        "g2 * *  cut=tanhu rc=4.5 eta=0.2 rs=3.0\n"
        "g4 * Ni O cut=cos rc=4.5 eta=0.05 lambda=1 zeta=2\n"
        "g4 * * * cut=cos rc=4.5 eta=0.02 lambda=-1 zeta=1\n";
    int hid[2] = { 6, 6 }, acts[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    sannip_error err;
    sannip_rng rng;
    sannip_model_init(m, NULL);
    CHECK(sannip_descriptors_parse(&m->desc, defs, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_add_element(m, 8, 2, hid, acts, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_add_element(m, 28, 2, hid, acts, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_rng_seed(&rng, 3);
    sannip_model_init_weights(m, &rng);
    CHECK(sannip_model_fit_scaling(m, d->s, d->n < 5 ? d->n : 5, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_fit_energy(m, d, NULL, d->n, &err) == SANNIP_SUCCESS, "%s", err.message);
}

/* One update with one measurement on two parameters, worked by hand:
   P = [[2, .5], [.5, 1]], h = (1, 2), X = P h = (3, 2.5), a = h.X + r = 8 + r,
   w += X xi / a, P = (P - X X^T / a) / lambda + q I. Then two measurements against
   K = P H^T (H P H^T + r I)^-1 with the 2 x 2 inverse written out. */
static void update_by_hand(void)
{
    double P[4] = { 2, 0.5, 0.5, 1 }, H[4] = { 1, 2, -1, 0.5 }, xi[2] = { 0.3, -0.2 }, work[4], rn = 0.7, lam = 0.9, q = 0.01, a;
    sannip_real w[2] = { 1, -1 };
    a = 8 + rn;
    CHECK(sannip_ekf_update(P, w, H, xi, 2, 1, rn, lam, q, work) == SANNIP_SUCCESS, "one-row update");
    CHECK_NEAR(w[0], 1 + 3 * 0.3 / a, TOL(1e-15, 1e-6), "w0 after one measurement");
    CHECK_NEAR(w[1], -1 + 2.5 * 0.3 / a, TOL(1e-15, 1e-6), "w1 after one measurement");
    CHECK_NEAR(P[0], (2 - 9 / a) / lam + q, 1e-15, "P00");
    CHECK_NEAR(P[1], (0.5 - 7.5 / a) / lam, 1e-15, "P01");
    CHECK_NEAR(P[3], (1 - 6.25 / a) / lam + q, 1e-15, "P11");
    CHECK(P[1] == P[2], "P symmetric to the bit: %.17g vs %.17g", P[1], P[2]);
    {   /* two rows: X = P H^T (2 x 2), A = H X + lambda I, K = X A^-1 */
        double P0[4] = { 2, 0.5, 0.5, 1 }, X[4], A[4], det, Ai[4], K[4], Pn[4];
        int i, j, r;
        sannip_real w2[2] = { 1, -1 };
        memcpy(P, P0, sizeof P0);
        for (i = 0; i < 2; i++) for (r = 0; r < 2; r++) X[2 * i + r] = P0[2 * i] * H[2 * r] + P0[2 * i + 1] * H[2 * r + 1];
        for (r = 0; r < 2; r++) for (j = 0; j < 2; j++) A[2 * r + j] = H[2 * r] * X[j] + H[2 * r + 1] * X[2 + j] + (r == j ? rn : 0);
        det = A[0] * A[3] - A[1] * A[2];
        Ai[0] = A[3] / det; Ai[1] = -A[1] / det; Ai[2] = -A[2] / det; Ai[3] = A[0] / det;
        for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) K[2 * i + j] = X[2 * i] * Ai[j] + X[2 * i + 1] * Ai[2 + j];
        for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) Pn[2 * i + j] = (P0[2 * i + j] - (K[2 * i] * X[2 * j] + K[2 * i + 1] * X[2 * j + 1])) / lam + (i == j ? q : 0);
        CHECK(sannip_ekf_update(P, w2, H, xi, 2, 2, rn, lam, q, work) == SANNIP_SUCCESS, "two-row update");
        for (i = 0; i < 2; i++) CHECK_NEAR(w2[i], (i ? -1 : 1) + K[2 * i] * xi[0] + K[2 * i + 1] * xi[1], TOL(1e-14, 1e-6), "w%d after two measurements", i);
        for (i = 0; i < 4; i++) CHECK_NEAR(P[i], Pn[i], 1e-13, "P[%d] after two measurements", i);
        CHECK(P[1] == P[2], "P symmetric to the bit after two rows");
    }
    CHECK(sannip_ekf_update(P, w, H, xi, 2, 0, rn, lam, q, work) == SANNIP_INVALID_ARGS, "k = 0");
    CHECK(sannip_ekf_update(P, w, H, xi, 2, SANNIP_EKF_MAX_ROWS + 1, rn, lam, q, work) == SANNIP_INVALID_ARGS, "k too large");
    CHECK(sannip_ekf_update(P, w, H, xi, 2, 1, rn, 0, q, work) == SANNIP_INVALID_ARGS, "lambda 0");
    CHECK(sannip_ekf_update(P, w, H, xi, 2, 1, 0, lam, q, work) == SANNIP_INVALID_ARGS, "r 0");
    {   /* a non-finite measurement changes nothing */
        double Pk[4], bad = NAN;
        sannip_real wk[2];
        memcpy(Pk, P, sizeof P); wk[0] = w[0]; wk[1] = w[1];
        CHECK(sannip_ekf_update(P, w, H, &bad, 2, 1, rn, lam, q, work) == SANNIP_NONFINITE, "NaN error");
        CHECK(memcmp(Pk, P, sizeof P) == 0 && wk[0] == w[0] && wk[1] == w[1], "P and w unchanged after a refused update");
    }
}

/* Energy of s, or force component row, under parameters p. */
static double value_of(sannip_model *m, const sannip_structure *s, int row)
{
    sannip_workspace ws; sannip_error err; sannip_system sys = sannip_structure_view(s);
    sannip_real E, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
    double v;
    sannip_workspace_init(&ws, NULL);
    sannip_model_compute(m, &ws, &sys, &E, NULL, F, NULL, &err);
    v = row < 0 ? (double)E : (double)F[row];
    free(F); sannip_workspace_uninit(&ws);
    return v;
}
/* Jacobian rows (energy and three force components) against central differences. */
static void jacobian_rows(sannip_model *m, const sannip_structure *s)
{
    int rows[4] = { -1, 0, 3 * 7 + 2, 3 * s->n - 1 }, k;
    size_t np = sannip_model_get_params(m, NULL), q;
    sannip_real *J = (sannip_real *)calloc(np, sizeof(sannip_real)), *p = (sannip_real *)calloc(np, sizeof(sannip_real));
    sannip_error err;
    int e;
    for (e = 0; e < m->n_elements; e++) m->el[e].energy_offset = 0;   /* (the Jacobian does not see them; the differences of
                                                                   E ~ 170 eV would drown in float rounding) */
    sannip_model_get_params(m, p);
    for (k = 0; k < 4; k++) {
        double v = 0, worst = 0, scale = 0;
        CHECK(sannip_structure_jacobian(m, s, rows[k], &v, J, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK_NEAR(v, value_of(m, s, rows[k]), TOL(1e-10, 1e-4) * (fabs(v) + 1e-3), "row %d: value", rows[k]);
        for (q = 0; q < np; q += test_quick() ? 7 : 1) {
            double h = TOL(1e-5, 2e-3) * (fabs(p[q]) + 0.1), fd;
            sannip_real keep = p[q];
            p[q] = keep + (sannip_real)h; sannip_model_set_params(m, p); fd = value_of(m, s, rows[k]);
            p[q] = keep - (sannip_real)h; sannip_model_set_params(m, p); fd -= value_of(m, s, rows[k]);
            p[q] = keep; sannip_model_set_params(m, p);
            fd /= 2 * h;
            if (fabs(fd - J[q]) > worst) worst = fabs(fd - J[q]);
            if (fabs(fd) > scale) scale = fabs(fd);
        }
        CHECK(scale > 0, "row %d does not depend on the parameters", rows[k]);
        CHECK(worst <= TOL(1e-6, 5e-2) * scale + TOL(1e-12, 1e-6), "row %d: analytic vs FD Jacobian, max diff %.3g (max |dv/dp| %.3g)", rows[k], worst, scale);
        printf("Jacobian row %3d: max |analytic - FD| %.3g of max %.3g\n", rows[k], worst, scale);
    }
    CHECK(sannip_structure_jacobian(m, s, 3 * s->n, NULL, J, &err) == SANNIP_INVALID_ARGS && strstr(err.message, "row") != NULL, "row past the end: %s", err.message);
    CHECK(sannip_structure_jacobian(m, s, -2, NULL, J, &err) == SANNIP_INVALID_ARGS, "row -2");
    free(J); free(p);
}

/* After epoch 2 the callback spoils a structure's reference energy: the next energy update
   is not finite, and training must stop with the best model of the completed epochs. */
static int spoil_after_two(const sannip_train_progress *pr, void *user)
{
    sannip_dataset *d = (sannip_dataset *)user;
    int i;
    if (pr->epoch == 2) for (i = 0; i < d->n; i++) d->s[i].energy = NAN;
    return 0;
}

static size_t params_of(const sannip_model *m, sannip_real **p)
{
    size_t np = sannip_model_get_params(m, NULL);
    *p = (sannip_real *)malloc(sizeof(sannip_real) * np);
    sannip_model_get_params(m, *p);
    return np;
}

static void training(sannip_dataset *d)
{
    sannip_model a, b, c0;
    sannip_train_config c = sannip_train_config_init();
    sannip_train_report ra, rb;
    sannip_error err;
    sannip_real *pa, *pb;
    size_t np;
    double zero = 0, nz = 0, before;
    int k, i;
    memset(&ra, 0, sizeof ra); memset(&rb, 0, sizeof rb);
    c.optimizer = SANNIP_OPT_EKF; c.epochs = test_quick() ? 2 : 6; c.seed = 11; c.ekf_force_fraction = 0.05;
    small_model(&a, d); small_model(&b, d); small_model(&c0, d);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK(sannip_train(&a, d, &c, &ra, &err) == SANNIP_SUCCESS, "%s", err.message);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    CHECK(sannip_train(&b, d, &c, &rb, &err) == SANNIP_SUCCESS, "%s", err.message);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    np = params_of(&a, &pa); params_of(&b, &pb);
    CHECK(memcmp(pa, pb, sizeof(sannip_real) * np) == 0, "EKF: 1 and 2 threads give different models");
    CHECK(ra.val_rmse_e == rb.val_rmse_e && ra.val_rmse_f == rb.val_rmse_f, "EKF: reports differ with threads");
    /* it learns: the held-out forces beat the zero predictor, and the energies the start */
    for (k = 0; k < ra.n_val; k++) { const sannip_structure *s = &d->s[ra.val_index[k]]; for (i = 0; i < 3 * s->n; i++) { zero += (double)s->forces[i] * s->forces[i]; nz++; } }
    zero = sqrt(zero / nz);
    {
        sannip_train_config c1 = c; sannip_train_report r1;
        memset(&r1, 0, sizeof r1);
        c1.epochs = 1; c1.ekf_force_fraction = 1e-9;   /* one force update: about the start */
        CHECK(sannip_train(&c0, d, &c1, &r1, &err) == SANNIP_SUCCESS, "%s", err.message);
        before = r1.val_rmse_f;
        sannip_train_report_uninit(&r1);
    }
    printf("EKF %d epochs: validation force RMSE %.4f eV/A (zero forces %.4f, after one epoch of energies %.4f), energy %.3f meV/atom\n",
           c.epochs, ra.val_rmse_f, zero, before, 1000 * ra.val_rmse_e);
    CHECK(ra.val_rmse_f < zero, "EKF: validation force RMSE %.4g vs zero predictor %.4g", ra.val_rmse_f, zero);
    CHECK(ra.val_rmse_f < before, "EKF: validation force RMSE %.4g after %d epochs, %.4g after one of energies", ra.val_rmse_f, c.epochs, before);
    CHECK(ra.best_epoch >= 1 && ra.epochs_run == c.epochs, "best epoch %d of %d", ra.best_epoch, ra.epochs_run);
    free(pa); free(pb);
    sannip_train_report_uninit(&ra); sannip_train_report_uninit(&rb);
    /* a failed run keeps the best: epochs 1-2 as in a clean 2-epoch run, then NaN energies */
    {
        sannip_model e2, ef; sannip_train_config c2 = c; sannip_train_report rf; double *keep = (double *)malloc(sizeof(double) * d->n);
        memset(&rf, 0, sizeof rf);
        small_model(&e2, d); small_model(&ef, d);
        c2.epochs = 2;
        CHECK(sannip_train(&e2, d, &c2, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (i = 0; i < d->n; i++) keep[i] = d->s[i].energy;
        c2.epochs = 5; c2.progress = spoil_after_two; c2.user = d;
        CHECK(sannip_train(&ef, d, &c2, &rf, &err) == SANNIP_NONFINITE, "spoilt run: %s", err.message);
        CHECK(strstr(err.message, "Kalman") != NULL && strstr(err.message, "epoch 3") != NULL, "message: %s", err.message);
        for (i = 0; i < d->n; i++) d->s[i].energy = keep[i];
        CHECK(rf.epochs_run == 2, "spoilt run: %d epochs completed", rf.epochs_run);
        np = params_of(&e2, &pa); params_of(&ef, &pb);
        CHECK(memcmp(pa, pb, sizeof(sannip_real) * np) == 0, "the failed run does not keep the best model of its first two epochs");
        free(pa); free(pb); free(keep);
        sannip_train_report_uninit(&rf);
        sannip_model_uninit(&e2); sannip_model_uninit(&ef);
    }
    {   /* a given split (validation_last): the last structures validate, with Adam too */
        sannip_train_config cv = sannip_train_config_init(); sannip_train_report rv; int ok = 1;
        memset(&rv, 0, sizeof rv);
        cv.epochs = 1; cv.validation_last = 5; cv.validation_fraction = 0.5;
        CHECK(sannip_train(&a, d, &cv, &rv, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(rv.n_val == 5 && rv.n_train == d->n - 5, "given split: %d validate, %d train", rv.n_val, rv.n_train);
        for (k = 0; k < rv.n_val; k++) if (rv.val_index[k] != d->n - 5 + k) ok = 0;
        CHECK(ok, "given split: the validation set is not the last 5 structures");
        sannip_train_report_uninit(&rv);
    }
    sannip_model_uninit(&a); sannip_model_uninit(&b); sannip_model_uninit(&c0);
}

/* Refusals: a model above SANNIP_EKF_MAX_PARAMS, settings out of range, an unknown optimiser. */
static void refusals(sannip_dataset *d)
{
    sannip_model big, m;
    sannip_train_config c = sannip_train_config_init();
    sannip_error err;
    int hid[2] = { 100, 100 }, acts[2] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH };
    sannip_model_init(&big, NULL);
    sannip_descriptors_parse(&big.desc, "g2 * * cut=cos rc=4.5 eta=0.5 rs=2.0\n", &err);
    sannip_model_add_element(&big, 8, 2, hid, acts, &err);
    sannip_model_add_element(&big, 28, 2, hid, acts, &err);
    c.optimizer = SANNIP_OPT_EKF; c.epochs = 1;
    CHECK(sannip_model_get_params(&big, NULL) > SANNIP_EKF_MAX_PARAMS, "the big model is not big");
    CHECK(sannip_train(&big, d, &c, NULL, &err) == SANNIP_TOO_BIG && strstr(err.message, "SANNIP_EKF_MAX_PARAMS") != NULL, "big model: %s", err.message);
    small_model(&m, d);
    c.ekf_lambda = 1.5;
    CHECK(sannip_train(&m, d, &c, NULL, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "lambda 1.5") != NULL, "lambda 1.5: %s", err.message);
    c.ekf_lambda = 0; c.ekf_epsilon = -1;
    CHECK(sannip_train(&m, d, &c, NULL, &err) == SANNIP_BAD_PARAMETER, "epsilon -1: %s", err.message);
    c.ekf_epsilon = 0; c.ekf_rows = SANNIP_EKF_MAX_ROWS + 1;
    CHECK(sannip_train(&m, d, &c, NULL, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "rows 17") != NULL, "rows 17: %s", err.message);
    c.ekf_rows = 0; c.validation_last = d->n;
    CHECK(sannip_train(&m, d, &c, NULL, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "validation_last") != NULL, "validation_last = n: %s", err.message);
    c.validation_last = 0; c.optimizer = 7;
    CHECK(sannip_train(&m, d, &c, NULL, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "optimizer 7") != NULL, "optimizer 7: %s", err.message);
    sannip_model_uninit(&big); sannip_model_uninit(&m);
}

int main(void)
{
    char path[1024]; sannip_dataset d; sannip_error err; sannip_model m; int i;
    snprintf(path, sizeof path, "%s/data/nio_train.xyz", test_shared());
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_dataset_read_file(&d, path, &err) == SANNIP_SUCCESS, "%s", err.message);
    if (d.n > 24) { for (i = 24; i < d.n; i++) sannip_structure_uninit(&d.s[i]); d.n = 24; }   /* 24 structures */
    update_by_hand();
    if (d.n > 0) {
        small_model(&m, &d);
        jacobian_rows(&m, &d.s[0]);
        sannip_model_uninit(&m);
        training(&d);
        refusals(&d);
    }
    sannip_dataset_uninit(&d);
    return test_report("test_ekf");
}
