/* Spin Monte Carlo (sannip_spin.h, SPEC 11, T4.3): detailed balance against exact
   two-spin integrals (vector and collinear spins, fixed and drawn magnitudes, zeroth- and
   first-order moves); the incremental magnetisation and energy against recomputed sums; the
   naive full-energy adapter and the built-in Heisenberg model giving the same chain; seed
   reproducibility and thread-count independence of parallel walkers; bad input; the T_c
   helpers on synthetic curves; and a short Binder-crossing check of the simple cubic
   Heisenberg model (k_B T_c = 1.443 J, Holm & Janke 1993). */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "test.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- helpers -------------------------------------------------------------------------- */
/* E = -J S_0 . S_1 for two spins (user: &J). */
static sannip_result pair_energy(void *user, int n, const sannip_real *s, double *E)
{
    double J = *(const double *)user;
    if (n != 2) return SANNIP_INVALID_ARGS;
    *E = -J * ((double)s[0] * s[3] + (double)s[1] * s[4] + (double)s[2] * s[5]);
    return SANNIP_SUCCESS;
}

/* E = -h S_z for one spin in a field along z (user: &h): not rotation invariant, so a
   proposal biased in direction shows up in <e>. */
static sannip_result field_energy(void *user, int n, const sannip_real *s, double *E)
{
    if (n != 1) return SANNIP_INVALID_ARGS;
    *E = -*(const double *)user * s[2];
    return SANNIP_SUCCESS;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }
static int same_value(sannip_mc_value a, sannip_mc_value b) { return same_double(a.mean, b.mean) && same_double(a.err, b.err); }
/* Bitwise equality of every estimate and counter. */
static int same_stats(const sannip_mc_stats *a, const sannip_mc_stats *b)
{
    return same_value(a->m, b->m) && same_value(a->ratio, b->ratio) && same_value(a->polar, b->polar) &&
           same_value(a->e, b->e) && same_value(a->chi, b->chi) && same_value(a->cv, b->cv) &&
           same_value(a->u4, b->u4) && same_double(a->acceptance, b->acceptance) &&
           same_double(a->step, b->step) && a->attempted == b->attempted && a->accepted == b->accepted &&
           a->samples == b->samples && a->blocks == b->blocks;
}

/* Simpson's rule of f over [a, b] with 2k intervals. */
static double simpson(double (*f)(double, const double *), const double *p, double a, double b, int k)
{
    double h = (b - a) / (2 * k), s = f(a, p) + f(b, p);
    int i;
    for (i = 1; i < 2 * k; i++) s += f(a + i * h, p) * (i & 1 ? 4 : 2);
    return s * h / 3;
}
/* Two unit spins at coupling x = beta J: the relative angle has density ~ e^{x c}, c = cos. */
static double w_pair(double c, const double *x) { return exp(x[0] * c); }
static double m_pair(double c, const double *x) { return sqrt((1 + c) / 2) * exp(x[0] * c); }

/* Runs a single chain from spins with cfg and the given model; returns its stats. */
static sannip_mc_stats run_chain(const sannip_mc_model *model, const sannip_real *spins, const sannip_mc_config *cfg,
                                 uint64_t seed)
{
    sannip_mc mc; sannip_rng rng; sannip_error err; sannip_mc_stats st;
    memset(&st, 0, sizeof st);
    sannip_mc_rng_stream(seed, 0, &rng);
    CHECK(sannip_mc_init(&mc, model, spins, cfg, &rng, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_mc_run(&mc, &st, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_mc_uninit(&mc);
    return st;
}

/* |mean - exact| within 4.5 sigma, and sigma small enough that the check means something. */
static void check_mc_value(sannip_mc_value v, double exact, double max_err, const char *what)
{
    CHECK(v.err > 0 && v.err < max_err, "%s: error bar %g (want (0, %g))", what, v.err, max_err);
    CHECK(fabs(v.mean - exact) <= 4.5 * v.err, "%s: %.6f +- %.6f vs exact %.6f (%.1f sigma)", what, v.mean, v.err, exact,
          fabs(v.mean - exact) / v.err);
}

/* ---- (1) detailed balance: tiny systems against exact integrals ---------------------- */
/* Runs zeroth- and first-order chains (base config, seeds seed, seed + 1) on the full-energy
   function fn of n spins from s0 and checks <e> = E/n (and <m> unless exact_m is NaN). */
static void check_exact(sannip_mc_energy_fn fn, void *user, int n, const sannip_real *s0, sannip_mc_config base,
                        double exact_e, double exact_m, double max_err, const char *what, uint64_t seed)
{
    sannip_mc_full a; sannip_error err; int mv;
    char label[128];
    CHECK(sannip_mc_full_init(&a, n, s0, fn, user, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (mv = 0; mv < 2; mv++) {
        sannip_mc_model model = sannip_mc_full_model(&a);
        sannip_mc_config cfg = base;
        sannip_mc_stats st;
        cfg.move = mv;
        st = run_chain(&model, s0, &cfg, seed + mv);
        snprintf(label, sizeof label, "%s, %s: <e>", what, mv ? "first order" : "zeroth order");
        check_mc_value(st.e, exact_e, max_err, label);
        if (exact_m == exact_m) {
            snprintf(label, sizeof label, "%s, %s: <m>", what, mv ? "first order" : "zeroth order");
            check_mc_value(st.m, exact_m, max_err, label);
        }
        CHECK(st.acceptance > 0.2 && st.acceptance < 1, "%s: acceptance %g", what, st.acceptance);
    }
    sannip_mc_full_uninit(&a);
}

/* A config at temperature T (in units of the coupling) with long runs. */
static sannip_mc_config exact_config(double T, int64_t length)
{
    sannip_mc_config cfg = sannip_mc_config_init(T);
    cfg.kB = 1; cfg.equil = 1000; cfg.length = length;
    return cfg;
}

/* Two unit spins, E = -J S0.S1: <cos theta> = coth(bJ) - 1/(bJ); e = -J cos/2 and
   m = |S0 + S1|/2 = sqrt((1 + cos)/2), averaged with the weight e^{bJ cos}. */
static void test_two_unit_spins(void)
{
    double J = 1, x = 1.0, cth = cosh(x) / sinh(x) - 1 / x;
    double mexact = simpson(m_pair, &x, -1, 1, 2000) / simpson(w_pair, &x, -1, 1, 2000);
    sannip_real s0[6] = { 0, 0, 1, 0, 0, 1 };
    check_exact(pair_energy, &J, 2, s0, exact_config(J / x, 200000), -J * cth / 2, mexact, 0.004, "two unit spins", 11);
}

/* One unit spin in a field: <cos theta> = coth(beta h) - 1/(beta h) (Langevin). */
static void test_spin_in_field(void)
{
    double h = 1, bh = 2;
    sannip_real s0[3] = { 0, 0, -1 };
    check_exact(field_energy, &h, 1, s0, exact_config(h / bh, 400000), -h * (cosh(bh) / sinh(bh) - 1 / bh), NAN, 0.003,
                "spin in a field", 41);
}

/* Magnitudes drawn from mu = U[lo, hi]: the chain samples e^{-beta E} mu(a) mu(b) dOmega dOmega,
   so with x = beta J a b: Z(a, b) ~ sinh(x)/x and <cos | a, b> = coth x - 1/x. */
static void test_two_spins_drawn_magnitudes(void)
{
    const double lo = 0.5, hi = 1.5, bJ = 1.5;
    double J = 1, num = 0, den = 0;
    sannip_real s0[6] = { 0, 0, 1, 0, 0, -1 };
    sannip_mc_config cfg = exact_config(J / bJ, 200000);
    int i, j, K = 400;
    for (i = 0; i < K; i++)          /* midpoint rule over (a, b) */
        for (j = 0; j < K; j++) {
            double ma = lo + (hi - lo) * (i + 0.5) / K, mb = lo + (hi - lo) * (j + 0.5) / K, xx = bJ * ma * mb;
            double z = sinh(xx) / xx, L = cosh(xx) / sinh(xx) - 1 / xx;
            num += -J * ma * mb * L * z; den += z;
        }
    cfg.magnitude = SANNIP_MC_MAG_UNIFORM; cfg.mag_a = lo; cfg.mag_b = hi;
    check_exact(pair_energy, &J, 2, s0, cfg, num / den / 2, NAN, 0.005, "drawn magnitudes", 21);
}

/* Collinear (Ising-like) pair: <s0 s1> = tanh(beta J) for fixed unit magnitudes; zeroth
   order draws the sign, first order flips it. */
static void test_two_collinear_spins(void)
{
    double J = 1, bJ = 0.7;
    sannip_real s0[6] = { 0, 0, 1, 0, 0, -1 }, bad[6] = { 0.1, 0, 1, 0, 0, 1 };
    sannip_mc_config cfg = exact_config(J / bJ, 100000);
    sannip_mc_full a; sannip_mc_model model; sannip_mc mc; sannip_rng rng; sannip_error err;
    cfg.collinear = 1;
    check_exact(pair_energy, &J, 2, s0, cfg, -J * tanh(bJ) / 2, NAN, 0.005, "collinear pair", 31);
    sannip_mc_full_init(&a, 2, s0, pair_energy, &J, NULL, &err);
    model = sannip_mc_full_model(&a);
    sannip_rng_seed(&rng, 1);
    CHECK(sannip_mc_init(&mc, &model, bad, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "collinear start with x != 0 accepted");
    sannip_mc_full_uninit(&a);
}

/* The Heisenberg model's local dE equals the difference of full energies. */
static void test_heisenberg_delta(void)
{
    sannip_mc_heisenberg h; sannip_mc_config cfg = sannip_mc_config_init(1); sannip_error err; sannip_rng rng;
    sannip_mc_model model; sannip_real *s, *t, sn[3];
    double E0 = 0, E1 = 0, dE = 0, worst = 0;
    int i, k, a, n, sub[64];
    CHECK(sannip_mc_heisenberg_init(&h, 3, 0.7, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    n = h.n;
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * n);
    t = (sannip_real *)malloc(sizeof(sannip_real) * 3 * n);
    sannip_rng_seed(&rng, 5);
    cfg.magnitude = SANNIP_MC_MAG_UNIFORM; cfg.mag_a = 0.5; cfg.mag_b = 2;
    CHECK(sannip_mc_spins_start(SANNIP_MC_START_PM, n, 1, NULL, &cfg, &rng, s, &err) == SANNIP_SUCCESS, "%s", err.message);
    model = sannip_mc_heisenberg_model(&h);
    CHECK(model.set_spins(model.user, s) == SANNIP_SUCCESS, "set_spins");
    for (i = 0; i < 200; i++) {
        k = (int)(sannip_rng_uniform(&rng) * n);
        for (a = 0; a < 3; a++) sn[a] = (sannip_real)(2 * sannip_rng_uniform(&rng) - 1);
        model.delta(model.user, k, sn, &dE);
        memcpy(t, s, sizeof(sannip_real) * 3 * n);
        memcpy(t + 3 * k, sn, sizeof sn);
        sannip_mc_heisenberg_energy(&h, n, s, &E0);
        sannip_mc_heisenberg_energy(&h, n, t, &E1);
        if (fabs(dE - (E1 - E0)) > worst) worst = fabs(dE - (E1 - E0));
    }
    CHECK(worst < 1e-12, "local dE vs full-energy difference: %g", worst);
    free(s); free(t);
    sannip_mc_heisenberg_uninit(&h);
    /* AFM start on the sublattices (even L): every bond antiparallel, E = +3 J n, m = 0 */
    CHECK(sannip_mc_heisenberg_init(&h, 4, 0.7, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    n = h.n;
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * n);
    sannip_mc_heisenberg_sublattice(&h, sub);
    CHECK(sannip_mc_spins_start(SANNIP_MC_START_AFM, n, 1, sub, NULL, NULL, s, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_mc_heisenberg_energy(&h, n, s, &E0);
    CHECK_NEAR(E0, 3 * 0.7 * n, 1e-12, "AFM energy");
    CHECK(sannip_spin_magnetization_ratio(n, s) == 0, "AFM net spin");
    CHECK(sannip_mc_spins_start(SANNIP_MC_START_FM, n, 1, NULL, NULL, NULL, s, &err) == SANNIP_SUCCESS, "%s", err.message);
    sannip_mc_heisenberg_energy(&h, n, s, &E0);
    CHECK_NEAR(E0, -3 * 0.7 * n, 1e-12, "FM energy");
    free(s);
    sannip_mc_heisenberg_uninit(&h);
}

/* ---- (2) incremental magnetisation and energy ----------------------------------------- */
static void test_incremental_sums(void)
{
    int variant;
    for (variant = 0; variant < 2; variant++) {
        sannip_mc_heisenberg h; sannip_mc_model model; sannip_mc mc; sannip_rng rng; sannip_error err;
        sannip_mc_config cfg = sannip_mc_config_init(1.2);
        sannip_real *s;
        double M[3] = { 0, 0, 0 }, tot = 0, E = 0, Mn;
        int i, a, sw;
        CHECK(sannip_mc_heisenberg_init(&h, 5, 1, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        model = sannip_mc_heisenberg_model(&h);
        s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * h.n);
        cfg.kB = 1;
        if (variant) { cfg.move = SANNIP_MC_ZEROTH; cfg.magnitude = SANNIP_MC_MAG_NORMAL; cfg.mag_a = 1.1; cfg.mag_b = 0.2; }
        sannip_rng_seed(&rng, 77);
        sannip_mc_spins_start(SANNIP_MC_START_PM, h.n, 1, NULL, &cfg, &rng, s, &err);
        CHECK(sannip_mc_init(&mc, &model, s, &cfg, &rng, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (sw = 0; sw < 2000; sw++) sannip_mc_sweep(&mc, &err);
        CHECK(mc.accepted > 10000, "only %lld accepted moves", (long long)mc.accepted);
        for (i = 0; i < h.n; i++) {
            for (a = 0; a < 3; a++) M[a] += mc.spins[3 * i + a];
            tot += sqrt((double)mc.spins[3 * i] * mc.spins[3 * i] + (double)mc.spins[3 * i + 1] * mc.spins[3 * i + 1] +
                        (double)mc.spins[3 * i + 2] * mc.spins[3 * i + 2]);
        }
        for (a = 0; a < 3; a++) CHECK_NEAR(mc.M[a], M[a], 1e-9, "incremental M[%d] after %lld moves", a, (long long)mc.accepted);
        CHECK_NEAR(mc.sum_mag, tot, TOL(1e-9, 1e-3), "incremental sum |S|");
        CHECK(memcmp(mc.spins, h.spins, sizeof(sannip_real) * 3 * h.n) == 0, "chain and model spins differ");
        sannip_mc_heisenberg_energy(&h, h.n, mc.spins, &E);
        CHECK_NEAR(mc.E, E, 1e-9 * fabs(E), "incremental energy");
        Mn = sqrt(mc.M[0] * mc.M[0] + mc.M[1] * mc.M[1] + mc.M[2] * mc.M[2]);
        CHECK_NEAR(Mn / mc.sum_mag, sannip_spin_magnetization_ratio(h.n, mc.spins), TOL(1e-12, 1e-5), "ratio vs sannip_spin_magnetization_ratio");
        if (variant == 0) {   /* fixed magnitudes stay 1 (no drift from rounding) */
            double worst = 0;
            for (i = 0; i < h.n; i++) {
                double m = sqrt((double)mc.spins[3 * i] * mc.spins[3 * i] + (double)mc.spins[3 * i + 1] * mc.spins[3 * i + 1] +
                                (double)mc.spins[3 * i + 2] * mc.spins[3 * i + 2]);
                if (fabs(m - 1) > worst) worst = fabs(m - 1);
            }
            CHECK(worst < TOL(1e-14, 3e-7), "fixed magnitudes drifted by %g", worst);
        }
        CHECK(sannip_mc_resync(&mc, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(mc.E == E, "resync energy");
        sannip_mc_uninit(&mc);
        sannip_mc_heisenberg_uninit(&h);
        free(s);
    }
}

/* ---- (3) naive full-energy adapter == built-in model ---------------------------------- */
static void test_adapter_same_chain(void)
{
    int mv;
    for (mv = 0; mv < 2; mv++) {
        sannip_mc_heisenberg h1, h2; sannip_mc_full a; sannip_mc_model m1, m2; sannip_error err;
        sannip_mc mc1, mc2; sannip_rng rng; sannip_mc_stats st1, st2;
        sannip_mc_config cfg = sannip_mc_config_init(1.4);
        sannip_real *s;
        cfg.kB = 1; cfg.move = mv; cfg.equil = 100; cfg.length = 300;
        sannip_mc_heisenberg_init(&h1, 4, 1, NULL, &err);
        sannip_mc_heisenberg_init(&h2, 4, 1, NULL, &err);
        s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * h1.n);
        sannip_rng_seed(&rng, 3);
        sannip_mc_spins_start(SANNIP_MC_START_PM, h1.n, 1, NULL, NULL, &rng, s, &err);
        CHECK(sannip_mc_full_init(&a, h2.n, NULL, sannip_mc_heisenberg_energy, &h2, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        m1 = sannip_mc_heisenberg_model(&h1);
        m2 = sannip_mc_full_model(&a);
        sannip_mc_rng_stream(99, 0, &rng);
        CHECK(sannip_mc_init(&mc1, &m1, s, &cfg, &rng, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(sannip_mc_init(&mc2, &m2, s, &cfg, &rng, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(sannip_mc_run(&mc1, &st1, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(sannip_mc_run(&mc2, &st2, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(mc1.accepted == mc2.accepted && mc1.accepted > 1000, "accepted %lld vs %lld", (long long)mc1.accepted, (long long)mc2.accepted);
        CHECK(memcmp(mc1.spins, mc2.spins, sizeof(sannip_real) * 3 * h1.n) == 0, "different chains (move %d)", mv);
        CHECK(same_value(st1.m, st2.m) && same_value(st1.u4, st2.u4) && same_double(st1.step, st2.step), "magnetisation statistics differ");
        CHECK_NEAR(st1.e.mean, st2.e.mean, 1e-12, "energy of the two models");
        CHECK_NEAR(mc1.E, a.E, 1e-10, "engine energy vs adapter's full energy");
        sannip_mc_uninit(&mc1); sannip_mc_uninit(&mc2);
        sannip_mc_full_uninit(&a);
        sannip_mc_heisenberg_uninit(&h1); sannip_mc_heisenberg_uninit(&h2);
        free(s);
    }
}

/* Zero-means-default: a zeroed config with T, kB and the lengths set runs the chain of
   sannip_mc_config_init's (same moves, same steps, same statistics). */
static void test_zero_config(void)
{
    sannip_mc_heisenberg h; sannip_mc_model m; sannip_error err; sannip_rng rng;
    sannip_mc mc1, mc2; sannip_mc_stats st1, st2;
    sannip_mc_config c1 = sannip_mc_config_init(1.3), c2;
    sannip_real *s;
    memset(&c2, 0, sizeof c2);
    c1.kB = 1; c1.equil = 150; c1.length = 200;
    c2.T = 1.3; c2.kB = 1; c2.equil = 150; c2.length = 200;
    sannip_mc_heisenberg_init(&h, 4, 1, NULL, &err);
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * h.n);
    sannip_rng_seed(&rng, 5);
    sannip_mc_spins_start(SANNIP_MC_START_PM, h.n, 1, NULL, NULL, &rng, s, &err);
    m = sannip_mc_heisenberg_model(&h);
    sannip_mc_rng_stream(7, 0, &rng);
    CHECK(sannip_mc_init(&mc1, &m, s, &c1, &rng, NULL, &err) == SANNIP_SUCCESS && sannip_mc_run(&mc1, &st1, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_mc_init(&mc2, &m, s, &c2, &rng, NULL, &err) == SANNIP_SUCCESS && sannip_mc_run(&mc2, &st2, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(mc1.accepted == mc2.accepted && same_double(st1.step, st2.step) && st1.step != 0.5 && same_value(st1.m, st2.m),
          "zeroed config: accepted %lld vs %lld, step %g vs %g (adapted from 0.5)", (long long)mc1.accepted, (long long)mc2.accepted, st1.step, st2.step);
    CHECK(memcmp(mc1.spins, mc2.spins, sizeof(sannip_real) * 3 * h.n) == 0, "zeroed config: different chains");
    sannip_mc_uninit(&mc1); sannip_mc_uninit(&mc2);
    c2.no_adapt = 1;     /* the step stays at the default 0.5 */
    CHECK(sannip_mc_init(&mc2, &m, s, &c2, &rng, NULL, &err) == SANNIP_SUCCESS && sannip_mc_run(&mc2, &st2, &err) == SANNIP_SUCCESS && st2.step == 0.5,
          "no_adapt: step %g", st2.step);
    sannip_mc_uninit(&mc2);
    sannip_mc_heisenberg_uninit(&h);
    free(s);
}

/* ---- (4) reproducibility and thread-count independence -------------------------------- */
#define NW 4
static void run_walkers(sannip_mc_stats *per, sannip_mc_stats *pooled, sannip_real *fin, uint64_t seed, int threads)
{
    sannip_mc_heisenberg h[NW]; sannip_mc_model models[NW]; const sannip_real *init[NW];
    sannip_mc_config cfg = sannip_mc_config_init(1.5); sannip_error err; sannip_rng rng;
    sannip_real *s;
    int w, nt0 = 1;
    (void)threads;
#ifdef _OPENMP
    nt0 = omp_get_max_threads();
    omp_set_num_threads(threads);
#endif
    for (w = 0; w < NW; w++) { sannip_mc_heisenberg_init(&h[w], 4, 1, NULL, &err); models[w] = sannip_mc_heisenberg_model(&h[w]); }
    s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * h[0].n * 2);
    sannip_rng_seed(&rng, 8);
    sannip_mc_spins_start(SANNIP_MC_START_FM, h[0].n, 1, NULL, NULL, NULL, s, &err);
    sannip_mc_spins_start(SANNIP_MC_START_PM, h[0].n, 1, NULL, NULL, &rng, s + 3 * h[0].n, &err);
    for (w = 0; w < NW; w++) init[w] = s + 3 * h[0].n * (w & 1);
    cfg.kB = 1; cfg.equil = 200; cfg.length = 600;
    CHECK(sannip_mc_walkers(models, NW, init, &cfg, seed, per, pooled, fin, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (w = 0; w < NW; w++) sannip_mc_heisenberg_uninit(&h[w]);
    free(s);
#ifdef _OPENMP
    omp_set_num_threads(nt0);
#endif
    (void)nt0;
}

static void test_reproducible(void)
{
    sannip_mc_stats p1[NW], p2[NW], p3[NW], q1, q2, q3, single;
    sannip_real *f1 = (sannip_real *)malloc(sizeof(sannip_real) * 3 * 64 * NW);
    sannip_real *f2 = (sannip_real *)malloc(sizeof(sannip_real) * 3 * 64 * NW);
    sannip_mc_heisenberg h; sannip_mc_model model; sannip_mc_config cfg = sannip_mc_config_init(1.5); sannip_error err;
    sannip_real s[3 * 64];
    int w, same = 1;
    run_walkers(p1, &q1, f1, 42, 1);
    run_walkers(p2, &q2, f2, 42, 2);
    for (w = 0; w < NW; w++) same &= same_stats(&p1[w], &p2[w]);
    CHECK(same, "per-walker stats differ between 1 and 2 threads");
    CHECK(same_stats(&q1, &q2), "pooled stats differ between 1 and 2 threads");
    CHECK(memcmp(f1, f2, sizeof(sannip_real) * 3 * 64 * NW) == 0, "final spins differ between 1 and 2 threads");
    CHECK(q1.attempted == NW * 600 * 64 && q1.samples == NW * 600, "pooled counters %lld %lld", (long long)q1.attempted, (long long)q1.samples);
    CHECK(!same_stats(&p1[0], &p1[2]), "walkers 0 and 2 (same start) share a stream");
    run_walkers(p3, &q3, NULL, 43, 2);
    CHECK(!same_double(q3.m.mean, q1.m.mean), "another seed gave the same chain");
    /* walker 0 == a single chain on stream (seed, 0) */
    sannip_mc_heisenberg_init(&h, 4, 1, NULL, &err);
    model = sannip_mc_heisenberg_model(&h);
    sannip_mc_spins_start(SANNIP_MC_START_FM, h.n, 1, NULL, NULL, NULL, s, &err);
    cfg.kB = 1; cfg.equil = 200; cfg.length = 600;
    single = run_chain(&model, s, &cfg, 42);
    CHECK(same_stats(&single, &p1[0]), "walker 0 differs from a single chain with stream (seed, 0)");
    /* hysteresis = walkers with per-start output */
    {
        sannip_mc_heisenberg hh[NW]; sannip_mc_model models[NW]; const sannip_real *init[NW]; sannip_mc_stats hs[NW];
        sannip_real *st = (sannip_real *)malloc(sizeof(sannip_real) * 3 * 64 * 2);
        sannip_rng rng;
        for (w = 0; w < NW; w++) { sannip_mc_heisenberg_init(&hh[w], 4, 1, NULL, &err); models[w] = sannip_mc_heisenberg_model(&hh[w]); }
        sannip_rng_seed(&rng, 8);
        sannip_mc_spins_start(SANNIP_MC_START_FM, 64, 1, NULL, NULL, NULL, st, &err);
        sannip_mc_spins_start(SANNIP_MC_START_PM, 64, 1, NULL, NULL, &rng, st + 3 * 64, &err);
        for (w = 0; w < NW; w++) init[w] = st + 3 * 64 * (w & 1);
        CHECK(sannip_mc_hysteresis(models, NW, init, &cfg, 42, hs, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (w = 0; w < NW; w++) CHECK(same_stats(&hs[w], &p1[w]), "hysteresis start %d differs from walker %d", w, w);
        for (w = 0; w < NW; w++) sannip_mc_heisenberg_uninit(&hh[w]);
        free(st);
    }
    sannip_mc_heisenberg_uninit(&h);
    free(f1); free(f2);
}

/* ---- runs: accepted-move stopping, adaptation, samples, scans ------------------------- */
typedef struct sample_log { int n[2]; int64_t last_sweep; int bad_order; } sample_log;
static void log_sample(void *user, const sannip_mc_sample *s)
{
    sample_log *l = (sample_log *)user;
    if (s->phase == 1 && l->n[1] == 0 && l->n[0] > 0) l->last_sweep = -1;
    if (s->sweep <= l->last_sweep) l->bad_order = 1;
    l->last_sweep = s->sweep;
    l->n[s->phase]++;
}

static void test_runs(void)
{
    sannip_mc_heisenberg h; sannip_mc_model model; sannip_error err; sannip_mc mc; sannip_rng rng;
    sannip_mc_config cfg = sannip_mc_config_init(0.5);
    sannip_mc_stats st, scan[4], scan0[4];
    sannip_real s[3 * 64], fin[3 * 64];
    sample_log log;
    double temps[4] = { 0.5, 1.0, 2.0, 4.0 };
    int t;
    sannip_mc_heisenberg_init(&h, 4, 1, NULL, &err);
    model = sannip_mc_heisenberg_model(&h);
    sannip_mc_spins_start(SANNIP_MC_START_FM, h.n, 1, NULL, NULL, NULL, s, &err);
    cfg.kB = 1;
    /* stop on accepted moves (T4.3.1 step 5) */
    cfg.unit = SANNIP_MC_ACCEPTED; cfg.equil = 500; cfg.length = 5000; cfg.no_adapt = 1;
    st = run_chain(&model, s, &cfg, 1);
    CHECK(st.accepted == 5000 && !st.hit_limit, "accepted %lld (want 5000)", (long long)st.accepted);
    /* step adaptation during equilibration brings the acceptance near its target */
    cfg = sannip_mc_config_init(0.5);
    cfg.kB = 1; cfg.step = 3; cfg.equil = 300; cfg.length = 1000;
    memset(&log, 0, sizeof log);
    cfg.on_sample = log_sample; cfg.sample_user = &log; cfg.measure_every = 2;
    sannip_mc_rng_stream(1, 0, &rng);
    sannip_mc_init(&mc, &model, s, &cfg, &rng, NULL, &err);
    CHECK(sannip_mc_run(&mc, &st, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(st.step < 1 && st.step == mc.step, "adapted step %g", st.step);
    CHECK(fabs(st.acceptance - 0.5) < 0.1, "acceptance %g after adaptation to 0.5", st.acceptance);
    CHECK(log.n[0] == 150 && log.n[1] == 500 && !log.bad_order, "samples: %d equilibration, %d production", log.n[0], log.n[1]);
    CHECK(st.samples == 500 && st.blocks >= 32 && st.blocks <= 65, "samples %lld in %d batches", (long long)st.samples, st.blocks);
    CHECK(st.m.mean > 0.8 && st.ratio.mean == st.m.mean, "m = %g, ratio %g at T = 0.5 J", st.m.mean, st.ratio.mean);
    CHECK(st.polar.mean > 0 && st.polar.mean < 0.5, "polar variance %g", st.polar.mean);
    sannip_mc_uninit(&mc);
    /* Curie scan, FM start (T4.3.3): magnetisation falls with temperature */
    cfg = sannip_mc_config_init(1);
    cfg.kB = 1; cfg.equil = 200; cfg.length = 1000; cfg.skip_polar = 1;
    CHECK(sannip_mc_curie_scan(&model, 1, s, 4, temps, 1, &cfg, 5, scan, fin, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (t = 0; t < 4; t++) CHECK(scan[t].T == temps[t] && scan[t].kT == temps[t], "scan temperature %d", t);
    for (t = 0; t + 1 < 4; t++) CHECK(scan[t].m.mean > scan[t + 1].m.mean, "m(%g) = %g <= m(%g) = %g", temps[t], scan[t].m.mean, temps[t + 1], scan[t + 1].m.mean);
    CHECK(scan[0].m.mean > 0.8 && scan[3].m.mean < 0.35, "m from %g to %g", scan[0].m.mean, scan[3].m.mean);
    CHECK(scan[1].e.mean < scan[2].e.mean && scan[2].cv.mean > 0 && scan[1].chi.mean > 0, "energy and fluctuations");
    CHECK(scan[0].polar.mean != scan[0].polar.mean, "skip_polar leaves polar NaN");
    CHECK(memcmp(fin, h.spins, sizeof fin) == 0, "final spins are the model's");
    CHECK(sannip_mc_curie_scan(&model, 1, s, 4, temps, 0, &cfg, 5, scan0, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(same_stats(&scan0[0], &scan[0]) && !same_stats(&scan0[1], &scan[1]), "carry changes only later temperatures");
    /* CSV of the scan */
    {
        sannip_text txt; int lines = 0; size_t i; double T1 = 0;
        sannip_text_init(&txt, NULL);
        CHECK(sannip_mc_write_csv(&txt, 4, scan, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (i = 0; i < txt.len; i++) lines += txt.s[i] == '\n';
        CHECK(lines == 5 && strncmp(txt.s, "T,kT,m,m_err,", 13) == 0, "CSV: %d lines", lines);
        CHECK(sscanf(strchr(txt.s, '\n') + 1, "%lf", &T1) == 1 && T1 == 0.5, "first CSV row");
        sannip_text_uninit(&txt);
    }
    sannip_mc_heisenberg_uninit(&h);
}

/* Low-temperature equipartition: around the FM ground state (e = -3J) each spin has two
   quadratic modes, less the two of the global rotation, which costs no energy:
   <e> = -3 J + kT (1 - 1/n) and the specific heat per spin c = 1 - 1/n (+ O(T)). Checks the
   energy bookkeeping and the fluctuation estimator of c. */
static void test_equipartition(void)
{
    sannip_mc_heisenberg h; sannip_mc_model model; sannip_error err;
    sannip_mc_config cfg = sannip_mc_config_init(0.01);
    sannip_mc_stats st;
    sannip_real s[3 * 64];
    sannip_mc_heisenberg_init(&h, 4, 1, NULL, &err);
    model = sannip_mc_heisenberg_model(&h);
    sannip_mc_spins_start(SANNIP_MC_START_FM, h.n, 1, NULL, NULL, NULL, s, &err);
    cfg.kB = 1; cfg.equil = 500; cfg.length = 20000; cfg.skip_polar = 1;
    st = run_chain(&model, s, &cfg, 4);
    check_mc_value(st.e, -3 + 0.01 * (1 - 1.0 / 64), 1e-4, "low-T energy per spin");
    check_mc_value(st.cv, 1 - 1.0 / 64, 0.05, "low-T specific heat per spin");
    sannip_mc_heisenberg_uninit(&h);
}

/* ---- T_c helpers on synthetic data ---------------------------------------------------- */
static void test_tc_helpers(void)
{
    double T[6] = { 1.0, 1.1, 1.2, 1.3, 1.4, 1.5 }, ua[6], ub[6], ea[6], eb[6], chi[6], Tc, dTc, d2;
    sannip_error err;
    int i;
    for (i = 0; i < 6; i++) {   /* crossing of two lines at 1.234 */
        ua[i] = 0.6 - 2.0 * (T[i] - 1.234); ub[i] = 0.6 - 5.0 * (T[i] - 1.234);
        ea[i] = 0.01; eb[i] = 0.02;
        chi[i] = 10 - 30 * (T[i] - 1.27) * (T[i] - 1.27);
    }
    CHECK(sannip_mc_binder_crossing(6, T, ua, ea, ub, eb, 0, &Tc, &dTc, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK_NEAR(Tc, 1.234, 1e-12, "crossing of two lines");
    /* two bracketing points 1.2, 1.3: d = 3 (T - 1.234); sigma_d^2 = 5e-4 at both;
       T* = T0 + h d0/(d0 - d1) => var = h^2 (d1^2 + d0^2) sigma_d^2 / (d0 - d1)^4 */
    {
        double d0 = 3 * (1.2 - 1.234), d1 = 3 * (1.3 - 1.234), h = 0.1;
        double ex = h * sqrt((d1 * d1 + d0 * d0) * 5e-4) / ((d0 - d1) * (d0 - d1));
        CHECK_NEAR(dTc, ex, 1e-12, "crossing error by propagation");
    }
    CHECK(sannip_mc_binder_crossing(6, T, ua, NULL, ub, NULL, 0, &Tc, &d2, &err) == SANNIP_SUCCESS && d2 == 0, "no errors -> 0");
    /* a fit over the whole grid: still exact on lines; the error shrinks with more points */
    CHECK(sannip_mc_binder_crossing(6, T, ua, ea, ub, eb, 9, &Tc, &d2, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK_NEAR(Tc, 1.234, 1e-12, "crossing of two lines, fit over the grid");
    CHECK(d2 > 0 && d2 < dTc, "fit error %g vs interpolation error %g", d2, dTc);
    ub[3] = ua[3] + 0.001;   /* noise: a second sign change -> fitted line over the span */
    CHECK(sannip_mc_binder_crossing(6, T, ua, ea, ub, eb, 0, &Tc, &dTc, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(Tc > 1.2 && Tc < 1.4 && dTc > 0, "noisy crossing %g +- %g", Tc, dTc);
    for (i = 0; i < 6; i++) ub[i] = ua[i] + 0.1;
    CHECK(sannip_mc_binder_crossing(6, T, ua, ea, ub, eb, 1, &Tc, &dTc, &err) == SANNIP_ERROR, "no crossing accepted");
    CHECK(sannip_mc_binder_crossing(6, T, ua, ea, ub, eb, -1, &Tc, &dTc, &err) == SANNIP_BAD_PARAMETER, "half_width < 0");
    CHECK(sannip_mc_chi_peak(6, T, chi, NULL, &Tc, &dTc, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK_NEAR(Tc, 1.27, 1e-12, "susceptibility peak of a parabola");
    CHECK(sannip_mc_chi_peak(6, T, chi, ea, &Tc, &dTc, &err) == SANNIP_SUCCESS && dTc > 0 && dTc < 0.01, "peak error %g", dTc);
    for (i = 0; i < 6; i++) chi[i] = T[i];
    CHECK(sannip_mc_chi_peak(6, T, chi, NULL, &Tc, &dTc, &err) == SANNIP_ERROR && Tc == 1.5, "peak at the grid's end");
}

/* ---- (5) bad input -------------------------------------------------------------------- */
static sannip_result nan_delta(void *u, int k, const sannip_real *s, double *dE) { (void)u; (void)k; (void)s; *dE = NAN; return SANNIP_SUCCESS; }
static sannip_result inf_delta(void *u, int k, const sannip_real *s, double *dE) { (void)u; (void)k; (void)s; *dE = INFINITY; return SANNIP_SUCCESS; }
static sannip_result fail_delta(void *u, int k, const sannip_real *s, double *dE) { (void)u; (void)k; (void)s; (void)dE; return SANNIP_IO_ERROR; }

static void test_bad_input(void)
{
    sannip_mc_heisenberg h; sannip_mc_model model, bad; sannip_mc mc; sannip_rng rng; sannip_error err;
    sannip_mc_config cfg = sannip_mc_config_init(1), c;
    sannip_mc_stats st;
    sannip_real s[3 * 8], sn[3 * 8];
    const sannip_real *init[2];
    double temps[3] = { 1, 0, 2 }, T2[2] = { 1, 1 }, u2[2] = { 0, 1 };
    sannip_mc_full a;
    int i;
    sannip_mc_heisenberg_init(&h, 2, 1, NULL, &err);
    model = sannip_mc_heisenberg_model(&h);
    sannip_mc_spins_start(SANNIP_MC_START_FM, 8, 1, NULL, NULL, NULL, s, &err);
    sannip_rng_seed(&rng, 1);
    cfg.kB = 1;
    init[0] = init[1] = s;
    CHECK(sannip_mc_init(&mc, NULL, s, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "NULL model");
    CHECK(sannip_mc_init(&mc, &model, NULL, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "NULL spins");
    CHECK(sannip_mc_init(&mc, &model, s, NULL, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "NULL config");
    CHECK(sannip_mc_init(&mc, &model, s, &cfg, NULL, NULL, &err) == SANNIP_INVALID_ARGS, "NULL rng");
    bad = model; bad.delta = NULL;
    CHECK(sannip_mc_init(&mc, &bad, s, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "model without delta");
    bad = model; bad.n = 0;
    CHECK(sannip_mc_init(&mc, &bad, s, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "n = 0");
    bad.n = -3;
    CHECK(sannip_mc_init(&mc, &bad, s, &cfg, &rng, NULL, &err) == SANNIP_INVALID_ARGS, "n < 0");
    memcpy(sn, s, sizeof s); sn[7] = NAN;
    CHECK(sannip_mc_init(&mc, &model, sn, &cfg, &rng, NULL, &err) == SANNIP_NONFINITE, "NaN spin");
    {
        double Ts[4] = { 0, -1, NAN, INFINITY };
        for (i = 0; i < 4; i++) {
            c = cfg; c.T = Ts[i];
            CHECK(sannip_mc_init(&mc, &model, s, &c, &rng, NULL, &err) == SANNIP_BAD_PARAMETER, "T = %g accepted", Ts[i]);
        }
    }
    {
        double steps[3] = { SANNIP_OFF, -0.1, NAN };   /* 0 is the default step */
        for (i = 0; i < 3; i++) {
            c = cfg; c.step = steps[i];
            CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "step %g accepted", steps[i]);
        }
    }
    c = cfg; c.kB = -1; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "kB < 0");
    c = cfg; c.kB = NAN; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "kB NaN");
    c = cfg; c.move = 7; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "move 7");
    c = cfg; c.unit = 5; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "unit 5");
    c = cfg; c.length = SANNIP_OFF; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "length none");
    c = cfg; c.equil = -2; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "equil < 0 (other than SANNIP_OFF)");
    c = cfg; c.measure_every = SANNIP_OFF; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "measure_every none");
    c = cfg; c.n_blocks = 1; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "1 block");
    c = cfg; c.n_blocks = SANNIP_MC_MAX_BLOCKS + 1; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "too many blocks");
    c = cfg; c.target_acceptance = 1; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "target 1");
    c = cfg; c.magnitude = SANNIP_MC_MAG_UNIFORM; c.mag_a = 2; c.mag_b = 1;
    CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "uniform a > b");
    c = cfg; c.magnitude = SANNIP_MC_MAG_NORMAL; c.mag_a = 1; c.mag_b = 0;
    CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "normal sigma 0");
    c = cfg; c.magnitude = 9; CHECK(sannip_mc_config_check(&c, &err) == SANNIP_BAD_PARAMETER, "magnitude mode 9");
    CHECK(sannip_mc_config_check(NULL, &err) == SANNIP_INVALID_ARGS, "NULL config");
    /* a valid chain: bad temperature leaves it unchanged */
    CHECK(sannip_mc_init(&mc, &model, s, &cfg, &rng, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    {
        double beta = mc.beta;
        CHECK(sannip_mc_set_temperature(&mc, NAN, &err) == SANNIP_BAD_PARAMETER && mc.beta == beta, "set T NaN");
        CHECK(sannip_mc_set_temperature(&mc, -2, &err) == SANNIP_BAD_PARAMETER && mc.beta == beta, "set T < 0");
    }
    CHECK(sannip_mc_set_spins(&mc, sn, &err) == SANNIP_NONFINITE, "set NaN spins");
    sannip_mc_uninit(&mc);
    CHECK(sannip_mc_attempt(&mc, NULL, &err) == SANNIP_INVALID_ARGS, "attempt on an uninitialised chain");
    CHECK(sannip_mc_run(NULL, &st, &err) == SANNIP_INVALID_ARGS, "run NULL");
    /* model failures propagate; NaN dE is an error, +inf dE a rejection */
    bad = model; bad.delta = nan_delta;
    sannip_mc_init(&mc, &bad, s, &cfg, &rng, NULL, &err);
    CHECK(sannip_mc_sweep(&mc, &err) == SANNIP_NONFINITE, "NaN dE");
    sannip_mc_uninit(&mc);
    bad.delta = fail_delta;
    sannip_mc_init(&mc, &bad, s, &cfg, &rng, NULL, &err);
    CHECK(sannip_mc_sweep(&mc, &err) == SANNIP_IO_ERROR, "model error passed on");
    sannip_mc_uninit(&mc);
    bad.delta = inf_delta;
    c = cfg; c.unit = SANNIP_MC_ACCEPTED; c.equil = SANNIP_OFF; c.length = 10; c.max_sweeps = 5;
    sannip_mc_init(&mc, &bad, s, &c, &rng, NULL, &err);
    CHECK(sannip_mc_run(&mc, &st, &err) == SANNIP_SUCCESS && st.hit_limit && st.accepted == 0 && st.attempted == 40,
          "accepted-moves cap: hit %d, %lld attempted", st.hit_limit, (long long)st.attempted);
    sannip_mc_uninit(&mc);
    /* models */
    sannip_mc_heisenberg_uninit(&h);
    CHECK(sannip_mc_heisenberg_init(&h, 1, 1, NULL, &err) == SANNIP_INVALID_ARGS, "L = 1");
    CHECK(sannip_mc_heisenberg_init(&h, 0, 1, NULL, &err) == SANNIP_INVALID_ARGS, "L = 0");
    CHECK(sannip_mc_heisenberg_init(&h, 4, NAN, NULL, &err) == SANNIP_BAD_PARAMETER, "J NaN");
    CHECK(sannip_mc_heisenberg_init(&h, 2000, 1, NULL, &err) == SANNIP_TOO_BIG, "L = 2000");
    CHECK(sannip_mc_heisenberg_model(&h).n == 0, "model of a failed init");
    CHECK(sannip_mc_full_init(&a, 0, NULL, pair_energy, NULL, NULL, &err) == SANNIP_INVALID_ARGS, "adapter n = 0");
    CHECK(sannip_mc_full_init(&a, 2, NULL, NULL, NULL, NULL, &err) == SANNIP_INVALID_ARGS, "adapter without function");
    CHECK(sannip_mc_full_init(&a, 3, NULL, pair_energy, &temps[0], NULL, &err) == SANNIP_INVALID_ARGS, "adapter: function error");
    sannip_mc_heisenberg_init(&h, 2, 1, NULL, &err);
    model = sannip_mc_heisenberg_model(&h);
    /* protocols */
    CHECK(sannip_mc_walkers(&model, 0, init, &cfg, 1, NULL, &st, NULL, &err) == SANNIP_INVALID_ARGS, "0 walkers");
    CHECK(sannip_mc_walkers(NULL, 1, init, &cfg, 1, NULL, &st, NULL, &err) == SANNIP_INVALID_ARGS, "NULL models");
    {
        sannip_mc_model two[2]; sannip_mc_heisenberg h3;
        sannip_mc_heisenberg_init(&h3, 3, 1, NULL, &err);
        two[0] = model; two[1] = sannip_mc_heisenberg_model(&h3);
        CHECK(sannip_mc_walkers(two, 2, init, &cfg, 1, NULL, &st, NULL, &err) == SANNIP_INVALID_ARGS, "walkers of different sizes");
        sannip_mc_heisenberg_uninit(&h3);
    }
    CHECK(sannip_mc_curie_scan(&model, 1, s, 3, temps, 1, &cfg, 1, &st, NULL, &err) == SANNIP_BAD_PARAMETER, "T = 0 in a scan");
    temps[1] = NAN;
    CHECK(sannip_mc_curie_scan(&model, 1, s, 3, temps, 1, &cfg, 1, &st, NULL, &err) == SANNIP_BAD_PARAMETER, "T = NaN in a scan");
    CHECK(sannip_mc_hysteresis(&model, 1, init, &cfg, 1, NULL, &err) == SANNIP_INVALID_ARGS, "hysteresis NULL stats");
    CHECK(sannip_mc_binder_crossing(1, T2, u2, NULL, u2, NULL, 0, &temps[0], &temps[1], &err) == SANNIP_INVALID_ARGS, "1 point");
    CHECK(sannip_mc_binder_crossing(2, T2, u2, NULL, u2, NULL, 0, &temps[0], &temps[1], &err) == SANNIP_BAD_PARAMETER, "T not increasing");
    CHECK(sannip_mc_spins_start(5, 8, 1, NULL, NULL, NULL, s, &err) == SANNIP_BAD_PARAMETER, "unknown start");
    CHECK(sannip_mc_spins_start(SANNIP_MC_START_PM, 8, 1, NULL, NULL, NULL, s, &err) == SANNIP_INVALID_ARGS, "PM without rng");
    CHECK(sannip_mc_spins_start(SANNIP_MC_START_FM, 0, 1, NULL, NULL, NULL, s, &err) == SANNIP_INVALID_ARGS, "0 spins");
    CHECK(sannip_mc_write_csv(NULL, 1, &st, &err) == SANNIP_INVALID_ARGS, "CSV into NULL");
    sannip_mc_heisenberg_uninit(&h);
}

/* ---- (6) Binder crossing of the sc Heisenberg model, L = 4 and 6 ---------------------- */
static void test_binder_heisenberg(void)
{
    enum { NT = 7, NWB = 2 };
    double T[NT], u[2][NT], eu[2][NT], Tc, dTc;
    int Ls[2] = { 4, 6 }, l, t, w;
    sannip_error err;
    for (t = 0; t < NT; t++) T[t] = 1.30 + 0.05 * t;
    for (l = 0; l < 2; l++) {
        sannip_mc_heisenberg h[NWB]; sannip_mc_model models[NWB]; sannip_mc_stats st[NT];
        sannip_mc_config cfg = sannip_mc_config_init(1);
        sannip_real *s;
        for (w = 0; w < NWB; w++) { sannip_mc_heisenberg_init(&h[w], Ls[l], 1, NULL, &err); models[w] = sannip_mc_heisenberg_model(&h[w]); }
        s = (sannip_real *)malloc(sizeof(sannip_real) * 3 * h[0].n);
        sannip_mc_spins_start(SANNIP_MC_START_FM, h[0].n, 1, NULL, NULL, NULL, s, &err);
        cfg.kB = 1; cfg.equil = 1000; cfg.length = 15000; cfg.skip_polar = 1;
        CHECK(sannip_mc_curie_scan(models, NWB, s, NT, T, 1, &cfg, 2024 + l, st, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (t = 0; t < NT; t++) { u[l][t] = st[t].u4.mean; eu[l][t] = st[t].u4.err; }
        for (w = 0; w < NWB; w++) sannip_mc_heisenberg_uninit(&h[w]);
        free(s);
    }
    CHECK(sannip_mc_binder_crossing(NT, T, u[0], eu[0], u[1], eu[1], 0, &Tc, &dTc, &err) == SANNIP_SUCCESS, "%s", err.message);
    printf("Binder crossing L = 4, 6: kT_c/J = %.4f +- %.4f (Holm & Janke 1.443; %+.2f%%)\n", Tc, dTc, 100 * (Tc / 1.443 - 1));
    CHECK(fabs(Tc / 1.443 - 1) < 0.05, "Binder crossing %g +- %g vs 1.443", Tc, dTc);
    CHECK(dTc > 0 && dTc < 0.05, "crossing error %g", dTc);
    /* at low T U4 -> 2/3, near T_c ~0.6 for O(3) */
    CHECK(u[1][0] > u[1][NT - 1] && u[1][0] > 0.55 && u[1][0] < 2.0 / 3 + 1e-9, "U4(L = 6) from %g to %g", u[1][0], u[1][NT - 1]);
}

int main(void)
{
    test_two_unit_spins();
    test_spin_in_field();
    test_two_spins_drawn_magnitudes();
    test_two_collinear_spins();
    test_heisenberg_delta();
    test_incremental_sums();
    test_adapter_same_chain();
    test_zero_config();
    test_reproducible();
    test_runs();
    test_equipartition();
    test_tc_helpers();
    test_bad_input();
    if (!test_quick()) test_binder_heisenberg();   /* a physics figure, not a platform check */
    else printf("quick mode: Binder crossing skipped\n");
    return test_report("test_mc");
}
