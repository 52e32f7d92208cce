/* Random spin committee driver (sannip_spin.h, SPEC 9) and the frustrated dimer ring
   that stands in for DFT (examples/dimer_ring.h, SPEC 12).
   Driver: statuses of injected oracle failures (non-convergence, NaN energy or spins or
   forces, a callback error), which are counted and never chosen although they report the
   lowest energies; best-of-k of the first k and of drawn subsets against brute force; draws
   reproducible from the seed, uniform, independent of the thread count; early stop; bad
   input; the extended XYZ of a chosen data set read back.
   Dimer ring: forces, moment gradient and Hessian against central differences; the
   exhaustive ground state (a minimum, below every SCF result); the ground states of C along
   the rigid paths (n_d = 4: anti-parallel start finds it at every RC; n_d = 3: two
   anti-parallel dimers and a non-magnetic one in between, a kink where all-triplet takes
   over); the rattling; the committee on the rigid paths (best-of-15 >= 95%). */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "../examples/dimer_ring.h"
#include "test.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- a toy oracle whose every outcome the test knows ------------------------------------ */
/* Outcome of member k of structure s: 0 converged, 1 not converged, 2 NaN energy, 3 callback
   error 42, 4 NaN force, 5 infinite spin. Failures report energy -1e9 (or NaN) so that a
   driver that chose them would be caught. */
static int toy_mode(int s, int k) { int m = (7 * s + 3 * k) % 13; return m < 6 ? m : 0; }
static double toy_energy(const sannip_system *sys, const sannip_real *spins, int s)
{
    double e = 0;
    int i;
    for (i = 0; i < sys->n; i++) e += sin(3.1 * spins[3 * i + 2] + 1.3 * spins[3 * i] + 0.7 * i + 0.1 * s);
    return e;
}
static int toy_oracle(sannip_rsc_call *c, void *user)
{
    int i, a, mode = toy_mode(c->structure, c->member), n = c->sys->n;
    (void)user;
    if (mode == 3) { c->energy = -1e9; return 42; }
    c->converged = mode != 1;
    c->energy = mode == 1 ? -1e9 : mode == 2 ? NAN : toy_energy(c->sys, c->initial_spins, c->structure);
    for (i = 0; i < n; i++)
        for (a = 0; a < 3; a++) {
            c->spins[3 * i + a] = 2 * c->initial_spins[3 * i + a];
            if (c->forces) c->forces[3 * i + a] = (sannip_real)(0.25 * (a + 1) - 0.1 * i + 0.01 * c->member);
        }
    if (mode == 4 && c->forces) c->forces[1] = (sannip_real)NAN;
    if (mode == 5) c->spins[2] = (sannip_real)INFINITY;
    if (mode == 4 || mode == 5) c->energy = -1e9;
    c->has_forces = c->forces != NULL;
    return 0;
}
static int toy_status(int mode)
{
    static const int st[6] = { SANNIP_RSC_CONVERGED, SANNIP_RSC_NOT_CONVERGED, SANNIP_RSC_NONFINITE,
                               SANNIP_RSC_ORACLE_ERROR, SANNIP_RSC_NONFINITE, SANNIP_RSC_NONFINITE };
    return st[mode];
}

#define NS 9
#define MAXA 6
typedef struct toy_set {
    sannip_real pos[NS][3 * MAXA];
    int Z[MAXA];
    sannip_system sys[NS];
    sannip_real fixed[NS * 2 * 3 * MAXA];
} toy_set;

/* NS open structures of 2..6 atoms on a line, and two fixed starts per structure. */
static void toy_make(toy_set *t)
{
    int s, i, f, a;
    size_t o = 0;
    memset(t, 0, sizeof *t);
    for (i = 0; i < MAXA; i++) t->Z[i] = 16;
    for (s = 0; s < NS; s++) {
        t->sys[s].n = 2 + s % 5;
        for (i = 0; i < t->sys[s].n; i++) t->pos[s][3 * i] = (sannip_real)(2.0 * i + 0.1 * s);
        t->sys[s].pos = t->pos[s]; t->sys[s].Z = t->Z;
        for (f = 0; f < 2; f++)
            for (i = 0; i < t->sys[s].n; i++)
                for (a = 0; a < 3; a++) t->fixed[o++] = (sannip_real)(a == 2 ? (f ? -0.5 : 0.5) * (i % 2 ? -1 : 1) : 0);
    }
}

static sannip_rsc_config toy_config(const toy_set *t)
{
    sannip_rsc_config c = sannip_rsc_config_init();
    c.n_random = 12; c.n_fixed = 2; c.fixed_spins = t->fixed; c.seed = 2024;
    return c;
}

static size_t member_at(const sannip_rsc_result *r, int s, int k) { return 3 * (r->off[s] + (size_t)k * r->n_atoms[s]); }

/* brute force: the lowest converged member among list[0..n) (first wins ties) */
static int brute_best(const sannip_rsc_result *r, int s, const int *list, int n)
{
    int i, b = -1;
    for (i = 0; i < n; i++) {
        size_t e = (size_t)s * r->n_members + list[i];
        if (r->status[e] == SANNIP_RSC_CONVERGED && (b < 0 || r->energy[e] < r->energy[(size_t)s * r->n_members + b])) b = list[i];
    }
    return b;
}

static void test_outcomes(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r; sannip_error err;
    long expect[SANNIP_RSC_STATUS_COUNT] = { 0 };
    int s, k, st, bad_status = 0, bad_energy = 0, bad_spins = 0, chose_failed = 0, best_wrong = 0;
    toy_make(&t); c = toy_config(&t);
    sannip_rsc_result_init(&r, NULL);
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(r.n_members == 14 && r.n_fixed == 2 && r.n_random == 12 && r.n_structures == NS, "result shape");
    for (s = 0; s < NS; s++) {
        int all[14], b;
        double eb;
        for (k = 0; k < r.n_members; k++) {
            size_t e = (size_t)s * r.n_members + k, at = member_at(&r, s, k);
            int mode = toy_mode(s, k), i;
            expect[toy_status(mode)]++;
            if (r.status[e] != toy_status(mode) || (mode == 3) != (r.code[e] == 42)) bad_status++;
            if (mode == 0 && r.energy[e] != toy_energy(&t.sys[s], r.initial + at, s)) bad_energy++;
            if (mode != 0 && !isnan(r.energy[e])) bad_energy++;
            if (mode == 0)
                for (i = 0; i < 3 * t.sys[s].n; i++) if (r.spins[at + i] != 2 * r.initial[at + i] || !r.has_forces[e]) bad_spins++;
            all[k] = k;
        }
        CHECK(sannip_rsc_best(&r, s, NULL, 0, &b, &eb, &err) == SANNIP_SUCCESS, "%s", err.message);
        if (b >= 0 && r.status[(size_t)s * r.n_members + b] != SANNIP_RSC_CONVERGED) chose_failed++;
        if (b != brute_best(&r, s, all, r.n_members) || (b >= 0 && eb != r.energy[(size_t)s * r.n_members + b])) best_wrong++;
    }
    CHECK(bad_status == 0, "%d members with the wrong status or code", bad_status);
    CHECK(bad_energy == 0, "%d members with wrong energies (converged: the oracle's; others NaN)", bad_energy);
    CHECK(bad_spins == 0, "%d final spin components or force flags not recorded", bad_spins);
    CHECK(chose_failed == 0 && best_wrong == 0, "best of all: %d failed members chosen, %d differ from brute force", chose_failed, best_wrong);
    for (st = 0; st < SANNIP_RSC_STATUS_COUNT; st++)
        CHECK(r.count[st] == expect[st], "status %d counted %ld times, expected %ld", st, r.count[st], expect[st]);
    CHECK(expect[SANNIP_RSC_NOT_CONVERGED] > 0 && expect[SANNIP_RSC_NONFINITE] > 0 && expect[SANNIP_RSC_ORACLE_ERROR] > 0, "every failure kind occurs");
    printf("outcomes: %ld converged, %ld not converged, %ld non-finite, %ld callback errors, none chosen\n",
           r.count[0], r.count[1], r.count[2], r.count[3]);
    sannip_rsc_result_uninit(&r);
}

/* best of the first k and of drawn subsets against brute force; draws reproducible */
static void test_best_of_k(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r; sannip_error err;
    int s, k, d, wrong_first = 0, wrong_sel = 0, bad_draw = 0, irreproducible = 0, draws_differ = 0, monotone = 1;
    toy_make(&t); c = toy_config(&t);
    sannip_rsc_result_init(&r, NULL);
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (s = 0; s < NS; s++) {
        double prev = HUGE_VAL;
        for (k = 1; k <= r.n_random; k++) {
            int list[14], i, b = -1;
            double e = NAN;
            for (i = 0; i < k; i++) list[i] = r.n_fixed + i;
            CHECK(sannip_rsc_best_first(&r, s, k, &b, &e, &err) == SANNIP_SUCCESS, "%s", err.message);
            if (b != brute_best(&r, s, list, k)) wrong_first++;
            if (b >= 0) { if (e > prev) monotone = 0; prev = e; }
        }
    }
    CHECK(wrong_first == 0, "best of the first k differs from brute force %d times", wrong_first);
    CHECK(monotone, "best of the first k rises with k");
    for (k = 1; k <= r.n_random; k++)
        for (d = 0; d < 6; d++) {
            int choice[NS], choice_f[NS], again[NS];
            CHECK(sannip_rsc_select(&r, k, 99, d, 0, choice, &err) == SANNIP_SUCCESS, "%s", err.message);
            CHECK(sannip_rsc_select(&r, k, 99, d, 1, choice_f, &err) == SANNIP_SUCCESS, "%s", err.message);
            sannip_rsc_select(&r, k, 99, d, 0, again, NULL);
            if (memcmp(choice, again, sizeof choice)) irreproducible++;
            for (s = 0; s < NS; s++) {
                int m[14], m2[14], full[16], i;
                sannip_rsc_draw(&r, s, k, 99, d, m, NULL);
                sannip_rsc_draw(&r, s, k, 99, d + 1, m2, NULL);
                if (k < r.n_random && memcmp(m, m2, sizeof(int) * k)) draws_differ++;
                for (i = 0; i < k; i++)
                    if (m[i] < r.n_fixed || m[i] >= r.n_members || (i && m[i] <= m[i - 1])) bad_draw++;
                if (k == r.n_random) for (i = 0; i < k; i++) if (m[i] != r.n_fixed + i) bad_draw++;
                full[0] = 0; full[1] = 1;
                memcpy(full + 2, m, sizeof(int) * k);
                if (choice[s] != brute_best(&r, s, m, k) || choice_f[s] != brute_best(&r, s, full, k + 2)) wrong_sel++;
            }
        }
    CHECK(bad_draw == 0, "%d drawn members out of range, repeated or unsorted", bad_draw);
    CHECK(wrong_sel == 0, "best of drawn subsets differs from brute force %d times", wrong_sel);
    CHECK(irreproducible == 0, "the same seed and draw gave different selections %d times", irreproducible);
    CHECK(draws_differ > 0, "different draws give different subsets");
    /* uniform draws: each of 15 members is in a 5-subset with probability 1/3 */
    {
        sannip_rsc_result u;
        int cnt[15] = { 0 }, m[5], worst = 0, i;
        sannip_rsc_config cu = sannip_rsc_config_init();
        cu.n_random = 15;
        sannip_rsc_result_init(&u, NULL);
        CHECK(sannip_rsc_run(&cu, t.sys, 1, toy_oracle, NULL, &u, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (d = 0; d < 3000; d++) { sannip_rsc_draw(&u, 0, 5, 7, d, m, NULL); for (i = 0; i < 5; i++) cnt[m[i]]++; }
        for (i = 0; i < 15; i++) if (abs(cnt[i] - 1000) > worst) worst = abs(cnt[i] - 1000);
        CHECK(worst < 100, "member inclusion counts in 3000 draws of 5 of 15 deviate by %d from 1000", worst);
        sannip_rsc_result_uninit(&u);
    }
    sannip_rsc_result_uninit(&r);
}

/* the same committee with 1 and 2 threads and without OpenMP parallelism */
static void test_threads(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r[3]; sannip_error err;
    int v, same = 1;
    size_t entries, reals;
    toy_make(&t); c = toy_config(&t);
    for (v = 0; v < 3; v++) {
        sannip_rsc_result_init(&r[v], NULL);
        c.serial = v == 2;
#ifdef _OPENMP
        omp_set_num_threads(v == 1 ? 2 : 1);
#endif
        CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r[v], &err) == SANNIP_SUCCESS, "%s", err.message);
    }
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    entries = (size_t)NS * r[0].n_members;
    reals = 3 * (r[0].off[NS - 1] + (size_t)r[0].n_members * r[0].n_atoms[NS - 1]);
    for (v = 1; v < 3; v++) {
        size_t e;
        if (memcmp(r[0].status, r[v].status, entries * sizeof(int)) || memcmp(r[0].initial, r[v].initial, reals * sizeof(sannip_real))
            || memcmp(r[0].spins, r[v].spins, reals * sizeof(sannip_real)) || memcmp(r[0].forces, r[v].forces, reals * sizeof(sannip_real)))
            same = 0;
        for (e = 0; e < entries; e++) if (!(r[0].energy[e] == r[v].energy[e] || (isnan(r[0].energy[e]) && isnan(r[v].energy[e])))) same = 0;
    }
    CHECK(same, "committee differs between 1 thread, 2 threads and parallel = 0");
    for (v = 0; v < 3; v++) sannip_rsc_result_uninit(&r[v]);
}

/* zero-means-default: a zeroed config (with the fixed members and seed) runs the committee of
   sannip_rsc_config_init's: 15 random members in [-1/2, 1/2], forces, same draws */
static void test_zero_config(void)
{
    toy_set t; sannip_rsc_config a = sannip_rsc_config_init(), z; sannip_rsc_result ra, rz; sannip_error err;
    size_t total;
    toy_make(&t);
    memset(&z, 0, sizeof z);
    a.n_fixed = z.n_fixed = 2; a.fixed_spins = z.fixed_spins = t.fixed; a.seed = z.seed = 2024;
    sannip_rsc_result_init(&ra, NULL); sannip_rsc_result_init(&rz, NULL);
    CHECK(sannip_rsc_run(&a, t.sys, NS, toy_oracle, NULL, &ra, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_rsc_run(&z, t.sys, NS, toy_oracle, NULL, &rz, &err) == SANNIP_SUCCESS, "%s", err.message);
    total = 3 * (ra.off[NS - 1] + (size_t)ra.n_members * ra.n_atoms[NS - 1]);
    CHECK(rz.n_random == 15 && rz.forces != NULL && memcmp(ra.initial, rz.initial, sizeof(sannip_real) * total) == 0
          && memcmp(ra.energy, rz.energy, sizeof(double) * (size_t)NS * ra.n_members) == 0,
          "zeroed config: %d random members, forces %p, or other draws", rz.n_random, (void *)rz.forces);
    z.n_random = SANNIP_OFF; z.no_forces = 1;
    CHECK(sannip_rsc_run(&z, t.sys, NS, toy_oracle, NULL, &rz, &err) == SANNIP_SUCCESS && rz.n_random == 0 && rz.n_members == 2 && rz.forces == NULL,
          "n_random SANNIP_OFF: %d random members; no_forces: forces %p", rz.n_random, (void *)rz.forces);
    sannip_rsc_result_uninit(&ra); sannip_rsc_result_uninit(&rz);
}

/* initial spins: collinear in [lo, hi] along z; vectors with |s| <= hi, no preferred direction */
static void test_initial_spins(void)
{
    toy_set t; sannip_rsc_config c = sannip_rsc_config_init(); sannip_rsc_result r, r2; sannip_error err;
    double mean = 0, vmean[3] = { 0, 0, 0 };
    long cnt = 0, out = 0, i, total;
    toy_make(&t);
    c.n_random = 40; c.spin_lo = -0.3; c.spin_hi = 0.7;
    sannip_rsc_result_init(&r, NULL); sannip_rsc_result_init(&r2, NULL);
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
    total = (long)(r.off[NS - 1] + (size_t)r.n_members * r.n_atoms[NS - 1]);
    for (i = 0; i < total; i++) {
        const sannip_real *x = r.initial + 3 * i;
        if (x[0] != 0 || x[1] != 0 || x[2] < -0.3f || x[2] > 0.7f) out++;
        mean += x[2]; cnt++;
    }
    CHECK(out == 0, "%ld collinear starts off z or outside [-0.3, 0.7]", out);
    CHECK_NEAR(mean / cnt, 0.2, 0.02, "mean collinear start (%ld atoms)", cnt);
    c.seed = 5;
    sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r2, &err);
    CHECK(memcmp(r.initial, r2.initial, sizeof(sannip_real) * 3 * (size_t)total) != 0, "another seed gives other starts");
    c.vector_spins = 1; c.seed = 1;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r2, &err) == SANNIP_SUCCESS, "%s", err.message);
    out = 0;
    for (i = 0; i < total; i++) {
        const sannip_real *x = r2.initial + 3 * i;
        int a;
        if (sqrt((double)x[0] * x[0] + (double)x[1] * x[1] + (double)x[2] * x[2]) > 0.7 + 1e-6) out++;
        for (a = 0; a < 3; a++) vmean[a] += x[a] / total;
    }
    CHECK(out == 0, "%ld vector starts longer than 0.7", out);
    CHECK(fabs(vmean[0]) < 0.02 && fabs(vmean[1]) < 0.02 && fabs(vmean[2]) < 0.02, "mean vector start (%g %g %g)", vmean[0], vmean[1], vmean[2]);
    sannip_rsc_result_uninit(&r); sannip_rsc_result_uninit(&r2);
}

/* early stop: the members after the first one at or below the target are skipped, and the
   ones before are those of the full committee */
static void test_early_stop(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result full, stop; sannip_error err;
    double target[NS];
    int s, k, wrong = 0, skipped = 0;
    toy_make(&t); c = toy_config(&t);
    sannip_rsc_result_init(&full, NULL); sannip_rsc_result_init(&stop, NULL);
    sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &full, &err);
    for (s = 0; s < NS; s++) {          /* the energy of the 5th random member; NaN for s = 0 */
        target[s] = s == 0 ? NAN : full.energy[(size_t)s * full.n_members + full.n_fixed + 4];
    }
    c.early_stop = 1; c.target = target; c.target_tol = SANNIP_OFF;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &stop, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (s = 0; s < NS; s++) {
        int stopped = 0;
        for (k = 0; k < full.n_members; k++) {
            size_t e = (size_t)s * full.n_members + k;
            int expect = stopped ? SANNIP_RSC_SKIPPED : full.status[e];
            if (stop.status[e] != expect) wrong++;
            if (stopped) skipped++;
            if (k >= full.n_fixed && full.status[e] == SANNIP_RSC_CONVERGED && full.energy[e] <= target[s]) stopped = 1;
        }
    }
    CHECK(wrong == 0, "%d members with the wrong status under early stop", wrong);
    CHECK(skipped > 0 && stop.count[SANNIP_RSC_SKIPPED] == skipped, "%ld members skipped, expected %d", stop.count[SANNIP_RSC_SKIPPED], skipped);
    /* target from the fixed members: stop as soon as a random member matches their best */
    c.target = NULL;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &stop, &err) == SANNIP_SUCCESS, "%s", err.message);
    wrong = 0;
    for (s = 0; s < NS; s++) {
        int fb, stopped = 0;
        double fe;
        int fixed[2] = { 0, 1 };
        sannip_rsc_best(&full, s, fixed, 2, &fb, &fe, NULL);
        for (k = full.n_fixed; k < full.n_members; k++) {
            size_t e = (size_t)s * full.n_members + k;
            if ((stop.status[e] == SANNIP_RSC_SKIPPED) != stopped) wrong++;
            if (full.status[e] == SANNIP_RSC_CONVERGED && full.energy[e] <= fe) stopped = 1;
        }
    }
    CHECK(wrong == 0, "%d members wrongly skipped or run with the fixed members' target", wrong);
    sannip_rsc_result_uninit(&full); sannip_rsc_result_uninit(&stop);
}

/* an allocator that fails at the fail_at-th allocation and counts what is outstanding */
typedef struct counting { int calls, fail_at, live; } counting;
static void *count_alloc(size_t n, void *u) { counting *c = (counting *)u; if (++c->calls == c->fail_at) return NULL; c->live++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n); }
static void count_free(void *p, void *u) { ((counting *)u)->live--; free(p); }

static void test_out_of_memory(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r; sannip_error err;
    counting cnt;
    sannip_allocator a;
    int fail_at, oom = 0, leaks = 0, ok = 0;
    toy_make(&t); c = toy_config(&t);
    a.alloc_fn = count_alloc; a.realloc_fn = count_realloc; a.free_fn = count_free; a.user_data = &cnt;
    for (fail_at = 1; fail_at < 40 && !ok; fail_at++) {
        sannip_result rc;
        int choice[NS];
        memset(&cnt, 0, sizeof cnt); cnt.fail_at = fail_at;
        sannip_rsc_result_init(&r, &a);
        rc = sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err);
        if (rc == SANNIP_SUCCESS) rc = sannip_rsc_select(&r, 4, 1, 0, 1, choice, &err);
        if (rc == SANNIP_OUT_OF_MEMORY) oom++;
        else if (rc == SANNIP_SUCCESS) ok = 1;
        sannip_rsc_result_uninit(&r);
        if (cnt.live != 0) leaks++;
    }
    CHECK(ok && oom >= 10 && leaks == 0, "failing allocations: %d runs out of memory, %d leaked, success reached %d", oom, leaks, ok);
}

static void test_bad_input(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r; sannip_error err;
    int b, m[20];
    toy_make(&t);
    sannip_rsc_result_init(&r, NULL);
    c = toy_config(&t);
    CHECK(sannip_rsc_run(NULL, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_INVALID_ARGS, "NULL config");
    CHECK(sannip_rsc_run(&c, t.sys, NS, NULL, NULL, &r, &err) == SANNIP_INVALID_ARGS, "NULL oracle");
    CHECK(sannip_rsc_run(&c, t.sys, 0, toy_oracle, NULL, &r, &err) == SANNIP_INVALID_ARGS, "no structures");
    c.n_random = SANNIP_OFF; c.n_fixed = 0;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_BAD_PARAMETER, "no members");
    c = toy_config(&t); c.spin_lo = 1; c.spin_hi = 0;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "spin range"), "%s", err.message);
    c = toy_config(&t); c.fixed_spins = NULL;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_INVALID_ARGS, "fixed members without spins");
    c = toy_config(&t); t.fixed[5] = (sannip_real)NAN;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_NONFINITE, "NaN fixed spin: %s", err.message);
    toy_make(&t); c = toy_config(&t); c.n_fixed = 0; c.early_stop = 1;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_INVALID_ARGS, "early stop without a target");
    c = toy_config(&t); t.pos[3][1] = (sannip_real)NAN;
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_NONFINITE && strstr(err.message, "random spin committee"), "NaN position: %s", err.message);
    toy_make(&t); c = toy_config(&t);
    CHECK(sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_rsc_best(&r, NS, NULL, 0, &b, NULL, &err) == SANNIP_INVALID_ARGS, "structure out of range");
    m[0] = 99;
    CHECK(sannip_rsc_best(&r, 0, m, 1, &b, NULL, &err) == SANNIP_INVALID_ARGS, "member out of range");
    CHECK(sannip_rsc_best_first(&r, 0, 13, &b, NULL, &err) == SANNIP_INVALID_ARGS, "k beyond n_random");
    CHECK(sannip_rsc_draw(&r, 0, 0, 1, 0, m, &err) == SANNIP_INVALID_ARGS, "draw of 0 members");
    CHECK(sannip_rsc_select(&r, 13, 1, 0, 0, m, &err) == SANNIP_INVALID_ARGS, "select k beyond n_random");
    sannip_rsc_result_uninit(&r);
    CHECK(sannip_rsc_best(&r, 0, NULL, 0, &b, NULL, &err) == SANNIP_INVALID_ARGS, "empty result");
}

/* extended XYZ of a selection, read back by the data-set reader */
static void test_xyz(void)
{
    toy_set t; sannip_rsc_config c; sannip_rsc_result r; sannip_error err; sannip_text txt; sannip_dataset d;
    int choice[NS], s, f = 0, written = 0, expect = 0, bad = 0;
    toy_make(&t); c = toy_config(&t);
    sannip_rsc_result_init(&r, NULL);
    sannip_rsc_run(&c, t.sys, NS, toy_oracle, NULL, &r, &err);
    sannip_rsc_select(&r, 3, 11, 0, 0, choice, NULL);
    choice[2] = -1;                      /* left out on purpose */
    for (s = 0; s < NS; s++) expect += choice[s] >= 0;
    sannip_text_init(&txt, NULL); sannip_dataset_init(&d, NULL);
    CHECK(sannip_rsc_write_xyz(&r, t.sys, choice, &txt, &written, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(written == expect && expect > 0, "%d frames written, %d expected", written, expect);
    CHECK(sannip_dataset_read_mem(&d, txt.s, txt.len, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(d.n == expect, "%d frames read back", d.n);
    for (s = 0; s < NS && f < d.n; s++) {
        size_t e, at;
        int i;
        if (choice[s] < 0) continue;
        e = (size_t)s * r.n_members + choice[s]; at = member_at(&r, s, choice[s]);
        if (d.s[f].n != t.sys[s].n || !d.s[f].has_energy || d.s[f].energy != (sannip_real)r.energy[e] || !d.s[f].forces || !d.s[f].spins) bad++;
        else for (i = 0; i < 3 * d.s[f].n; i++)
            if (d.s[f].forces[i] != r.forces[at + i] || d.s[f].spins[i] != r.spins[at + i] || d.s[f].pos[i] != t.sys[s].pos[i]) bad++;
        f++;
    }
    CHECK(bad == 0, "%d values differ after the XYZ round trip", bad);
    choice[0] = 0; choice[1] = r.n_members;
    CHECK(sannip_rsc_write_xyz(&r, t.sys, choice, &txt, NULL, &err) == SANNIP_INVALID_ARGS, "member out of range");
    for (s = 0; s < NS; s++) if (r.status[(size_t)s * r.n_members] != SANNIP_RSC_CONVERGED) { choice[0] = 0; break; }
    {
        int failed_member = -1, k;
        for (k = 0; k < r.n_members && failed_member < 0; k++) if (r.status[k] != SANNIP_RSC_CONVERGED) failed_member = k;
        for (s = 0; s < NS; s++) choice[s] = -1;
        choice[0] = failed_member;
        CHECK(failed_member < 0 || sannip_rsc_write_xyz(&r, t.sys, choice, &txt, NULL, &err) == SANNIP_INVALID_ARGS, "a failed member cannot be written");
    }
    sannip_text_uninit(&txt); sannip_dataset_uninit(&d);
    sannip_dataset_init(&d, NULL);
    CHECK(sannip_rsc_save_xyz(&r, t.sys, NULL, "build/test_rsc_best.xyz", &written, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_dataset_read_file(&d, "build/test_rsc_best.xyz", &err) == SANNIP_SUCCESS && d.n == written && written == NS,
          "best of all members to a file: %d written, %d read (%s)", written, d.n, err.message);
    sannip_dataset_uninit(&d);
    sannip_rsc_result_uninit(&r);
}

/* ---- dimer ring --------------------------------------------------------------------------- */
static void test_ring_derivatives(void)
{
    dimer_ring_params p = dimer_ring_default();
    sannip_rng rng;
    double worst_f = 0, worst_g = 0, worst_h = 0, scale_f = 0;
    int nd, t;
    sannip_rng_seed(&rng, 5);
    for (nd = 3; nd <= 4; nd++)
        for (t = 0; t < 8; t++) {
            double pos[3 * DR_MAX_ATOMS], m[DR_MAX_ATOMS], F[3 * DR_MAX_ATOMS], g[DR_MAX_ATOMS], H[DR_MAX_ATOMS * DR_MAX_ATOMS];
            dimer_ring_moments mm;
            int i, j, n = 2 * nd;
            dimer_ring_rattle(nd, 2.06, 1.9, 1.9, 0.4 * t, 0.05, 1 + t % 4, &rng, pos);
            for (i = 0; i < n; i++) m[i] = sannip_rng_uniform(&rng) - 0.5;
            dimer_ring_energy(&p, nd, pos, m, F, g);
            for (i = 0; i < 3 * n; i++) {
                double h = 1e-5, x = pos[i], ep, em;
                pos[i] = x + h; ep = dimer_ring_energy(&p, nd, pos, m, NULL, NULL);
                pos[i] = x - h; em = dimer_ring_energy(&p, nd, pos, m, NULL, NULL);
                pos[i] = x;
                if (fabs(-(ep - em) / (2 * h) - F[i]) > worst_f) worst_f = fabs(-(ep - em) / (2 * h) - F[i]);
                if (fabs(F[i]) > scale_f) scale_f = fabs(F[i]);
            }
            dimer_ring_moment_model(&p, nd, pos, &mm);
            dimer_ring_moment_energy(&mm, m, NULL, H);
            for (i = 0; i < n; i++) {
                double h = 1e-6, x = m[i], ep, em, gp[DR_MAX_ATOMS], gm[DR_MAX_ATOMS];
                m[i] = x + h; ep = dimer_ring_energy(&p, nd, pos, m, NULL, NULL); dimer_ring_moment_energy(&mm, m, gp, NULL);
                m[i] = x - h; em = dimer_ring_energy(&p, nd, pos, m, NULL, NULL); dimer_ring_moment_energy(&mm, m, gm, NULL);
                m[i] = x;
                if (fabs((ep - em) / (2 * h) - g[i]) > worst_g) worst_g = fabs((ep - em) / (2 * h) - g[i]);
                for (j = 0; j < n; j++) if (fabs((gp[j] - gm[j]) / (2 * h) - H[j * n + i]) > worst_h) worst_h = fabs((gp[j] - gm[j]) / (2 * h) - H[j * n + i]);
            }
        }
    CHECK(worst_f < 1e-7 * (1 + scale_f), "forces vs central differences: max |diff| %.3g (max |F| %.3g)", worst_f, scale_f);
    CHECK(worst_g < 1e-7, "dE/dm vs central differences: max |diff| %.3g", worst_g);
    CHECK(worst_h < 1e-6, "moment Hessian vs differences of the gradient: max |diff| %.3g", worst_h);
    printf("dimer ring derivatives: forces %.2g, dE/dm %.2g, Hessian %.2g (max |analytic - FD|)\n", worst_f, worst_g, worst_h);
}

/* dimer state: 1 magnetic (both |m| > 0.3, same sign), 0 non-magnetic (both |m| < 0.1), -1 neither */
static int dimer_state(const double *m, int k)
{
    double a = m[2 * k], b = m[2 * k + 1];
    if (fabs(a) > 0.3 && fabs(b) > 0.3 && a * b > 0) return 1;
    if (fabs(a) < 0.1 && fabs(b) < 0.1) return 0;
    return -1;
}

static void rigid_pos(int nd, double rc, double *pos)
{
    dimer_ring_path path = dimer_ring_path_of(nd);
    dimer_ring_geometry(nd, path.b_ring, path.b_end, path.window_rigid, rc, pos);
}

static double branch_energy(const dimer_ring_params *p, double rc, const double *start)
{
    double pos[3 * DR_MAX_ATOMS], m[DR_MAX_ATOMS], zero[DR_MAX_ATOMS] = { 0 };
    dimer_ring_moments mm;
    rigid_pos(3, rc, pos);
    dimer_ring_moment_model(p, 3, pos, &mm);
    memcpy(m, start, sizeof(double) * 6);
    return dimer_ring_energy(p, 3, pos, zero, NULL, NULL) + dimer_ring_relax(&mm, m);
}

static void test_ring_ground_states(void)
{
    dimer_ring_params p = dimer_ring_default();
    int i, nd, bad_nm = 0, bad_ap = 0, ap_miss = 0, bad_mid = 0, bad_far = 0, not_min = 0, mid_seen = 0;
    double worst_ap = 0;
    for (nd = 3; nd <= 4; nd++)
        for (i = 0; i <= 270; i++) {
            double rc = 0.01 * i, pos[3 * DR_MAX_ATOMS], m[DR_MAX_ATOMS], g[DR_MAX_ATOMS], H[DR_MAX_ATOMS * DR_MAX_ATOMS], E, x[DR_MAX_ATOMS], L[DR_MAX_ATOMS];
            dimer_ring_moments mm;
            int k, n = 2 * nd, states[4], nmag = 0, nnm = 0;
            if (nd == 3 && i % 5) continue;      /* n_d = 4 on a 0.01 A grid, n_d = 3 on 0.05 A */
            rigid_pos(nd, rc, pos);
            E = dimer_ring_ground_state(&p, nd, pos, m);
            dimer_ring_moment_model(&p, nd, pos, &mm);
            dimer_ring_moment_energy(&mm, m, g, H);
            for (k = 0; k < n; k++) if (fabs(g[k]) > 1e-8) not_min++;
            if (!dimer_ring_cholesky_solve(H, n, g, L)) not_min++;   /* Hessian positive definite */
            for (k = 0; k < nd; k++) { states[k] = dimer_state(m, k); nmag += states[k] == 1; nnm += states[k] == 0; }
            if (rc <= 0.5 + 1e-9) for (k = 0; k < n; k++) if (fabs(m[k]) > 1e-4) { bad_nm++; break; }
            if (nd == 4) {
                int sc;
                if (rc >= 0.6 - 1e-9)     /* anti-parallel dimers, moments grown past 0.15 */
                    for (k = 0; k < n; k++) if (fabs(m[k]) < 0.15 || m[k] * m[(k + 2) % n] > 0 || m[k] * m[k ^ 1] < 0) { bad_ap++; break; }
                for (k = 0; k < n; k++) x[k] = (k / 2) % 2 ? -0.5 : 0.5;
                sc = dimer_ring_scf(&p, nd, pos, x, NULL);
                if (!sc || dimer_ring_energy(&p, nd, pos, x, NULL, NULL) - E > 1e-6) ap_miss++;
                if (sc && dimer_ring_energy(&p, nd, pos, x, NULL, NULL) - E > worst_ap) worst_ap = dimer_ring_energy(&p, nd, pos, x, NULL, NULL) - E;
            } else {
                if (rc >= 0.6 - 1e-9 && rc <= 1.0 + 1e-9) {
                    int nm_dimer = -1;
                    for (k = 0; k < nd; k++) if (states[k] == 0) nm_dimer = k;
                    mid_seen++;
                    /* two magnetic dimers, anti-parallel, and one non-magnetic */
                    if (nmag != 2 || nnm != 1 || m[2 * ((nm_dimer + 1) % 3)] * m[2 * ((nm_dimer + 2) % 3)] > 0) bad_mid++;
                }
                if (rc >= 1.1 - 1e-9 && nmag != 3) bad_far++;
            }
        }
    CHECK(not_min == 0, "%d exhaustive ground states are not minima (gradient or Hessian)", not_min);
    CHECK(bad_nm == 0, "%d rings magnetic at RC <= 0.5 A", bad_nm);
    CHECK(bad_ap == 0, "n_d = 4: %d structures at RC >= 0.6 A not anti-parallel dimers", bad_ap);
    CHECK(ap_miss == 0, "n_d = 4: anti-parallel start missed the exact ground state at %d of 271 RC (worst %.3g eV)", ap_miss, worst_ap);
    CHECK(mid_seen == 9 && bad_mid == 0, "n_d = 3, RC 0.6-1.0 A: %d of %d not two anti-parallel dimers + one non-magnetic", bad_mid, mid_seen);
    CHECK(bad_far == 0, "n_d = 3: %d structures at RC >= 1.1 A not all triplet", bad_far);
    /* the kink: the two branches cross with different slopes */
    {
        double sa[6] = { 0.5, 0.5, -0.5, -0.5, 0, 0 }, sb[6] = { 0.5, 0.5, -0.5, -0.5, -0.5, -0.5 };
        double lo = 1.0, hi = 1.1, c, h = 1e-4, slope_a, slope_b;
        int it;
        CHECK(branch_energy(&p, lo, sa) < branch_energy(&p, lo, sb) && branch_energy(&p, hi, sa) > branch_energy(&p, hi, sb),
              "n_d = 3 branches cross between RC 1.0 and 1.1 A");
        for (it = 0; it < 50; it++) { c = 0.5 * (lo + hi); if (branch_energy(&p, c, sa) < branch_energy(&p, c, sb)) lo = c; else hi = c; }
        c = 0.5 * (lo + hi);
        slope_a = (branch_energy(&p, c + h, sa) - branch_energy(&p, c - h, sa)) / (2 * h);
        slope_b = (branch_energy(&p, c + h, sb) - branch_energy(&p, c - h, sb)) / (2 * h);
        CHECK(slope_a - slope_b > 0.2, "kink at RC %.3f A: slopes %.3f (2 AP + 1 NM) and %.3f (all triplet) eV/A", c, slope_a, slope_b);
        printf("n_d = 3 kink at RC = %.3f A: dE/dRC %.3f -> %.3f eV/A\n", c, slope_a, slope_b);
    }
}

/* the exhaustive ground state is below every SCF result, and the SCF reaches it */
static void test_ring_search(void)
{
    dimer_ring_params p = dimer_ring_default();
    static const double rcs[5] = { 0.3, 0.8, 1.05, 1.5, 2.5 };
    sannip_rng rng;
    int nd, q, below = 0, reached = 0, cases = 0;
    sannip_rng_seed(&rng, 17);
    for (nd = 3; nd <= 4; nd++)
        for (q = 0; q < 5; q++) {
            double pos[3 * DR_MAX_ATOMS], E;
            int t, hit = 0;
            dimer_ring_rattle(nd, 2.07, 1.9, 1.2, rcs[q], 0.05, 2, &rng, pos);
            E = dimer_ring_ground_state(&p, nd, pos, NULL);
            for (t = 0; t < 200; t++) {
                double m[DR_MAX_ATOMS], e;
                int i;
                for (i = 0; i < 2 * nd; i++) m[i] = sannip_rng_uniform(&rng) - 0.5;
                if (!dimer_ring_scf(&p, nd, pos, m, NULL)) continue;
                e = dimer_ring_energy(&p, nd, pos, m, NULL, NULL);
                if (e < E - 1e-9) below++;
                if (e < E + 1e-6) hit = 1;
            }
            reached += hit; cases++;
        }
    CHECK(below == 0, "%d SCF results below the exhaustive ground state", below);
    CHECK(reached == cases, "SCF from random starts reached the ground state in %d of %d structures", reached, cases);
}

static void test_ring_rattle(void)
{
    sannip_rng rng;
    double worst_c = 0, worst_a = 0, worst_b = 0;
    int nd, j;
    sannip_rng_seed(&rng, 3);
    for (nd = 3; nd <= 4; nd++)
        for (j = 1; j <= 4; j++) {
            double ref[3 * DR_MAX_ATOMS], pos[3 * DR_MAX_ATOMS], bref = dimer_ring_bond(2.06, 1.9, 3.2, 1.3);
            int k, a;
            dimer_ring_geometry(nd, 2.06, 1.9, 3.2, 1.3, ref);
            dimer_ring_rattle(nd, 2.06, 1.9, 3.2, 1.3, 0.05, j, &rng, pos);
            for (k = 0; k < nd; k++) {
                double u[3], v[3], lu = 0, lv = 0, dot = 0, dc = 0;
                for (a = 0; a < 3; a++) {
                    u[a] = ref[6 * k + 3 + a] - ref[6 * k + a]; v[a] = pos[6 * k + 3 + a] - pos[6 * k + a];
                    dc += pow(0.5 * (ref[6 * k + a] + ref[6 * k + 3 + a]) - 0.5 * (pos[6 * k + a] + pos[6 * k + 3 + a]), 2);
                    lu += u[a] * u[a]; lv += v[a] * v[a]; dot += u[a] * v[a];
                }
                lu = sqrt(lu); lv = sqrt(lv);
                if (sqrt(dc) > worst_c) worst_c = sqrt(dc);
                if (fabs(acos(dot / (lu * lv)) * 180 / DR_PI - j) > worst_a) worst_a = fabs(acos(dot / (lu * lv)) * 180 / DR_PI - j);
                if (fabs(lv - bref) > worst_b) worst_b = fabs(lv - bref);
            }
        }
    CHECK(worst_c < 1e-12, "rattling moved a dimer centre by %.3g A", worst_c);
    CHECK(worst_a < 1e-6, "rotation angles off by %.3g degrees", worst_a);
    CHECK(worst_b <= 0.05 && worst_b > 0.01, "bond stretches up to %.3g A (U(-0.05, 0.05))", worst_b);
}

/* the committee on the rigid paths, through dimer_ring_oracle */
static void test_ring_committee(void)
{
    dimer_ring_params p = dimer_ring_default();
    int nd;
    for (nd = 3; nd <= 4; nd++) {
        enum { N = 55 };
        sannip_real pos[N][3 * DR_MAX_ATOMS];
        int Z[DR_MAX_ATOMS], i, k, found15 = 0, failed = 0, counted;
        double Eex[N], mean1 = 0, mean5 = 0;
        int n1 = 0, n5 = 0;
        sannip_system sys[N];
        sannip_rsc_config c = sannip_rsc_config_init();
        sannip_rsc_result r;
        sannip_error err;
        for (i = 0; i < DR_MAX_ATOMS; i++) Z[i] = 16;
        for (i = 0; i < N; i++) {
            double x[3 * DR_MAX_ATOMS];
            int a;
            rigid_pos(nd, 0.05 * i, x);
            for (a = 0; a < 6 * nd; a++) { pos[i][a] = (sannip_real)x[a]; x[a] = pos[i][a]; }   /* as the oracle sees them */
            Eex[i] = dimer_ring_ground_state(&p, nd, x, NULL);
            memset(&sys[i], 0, sizeof sys[i]);
            sys[i].n = 2 * nd; sys[i].pos = pos[i]; sys[i].Z = Z;
        }
        c.seed = 11;
        sannip_rsc_result_init(&r, NULL);
        CHECK(sannip_rsc_run(&c, sys, N, dimer_ring_oracle, &p, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (i = 0; i < N; i++) {
            int b;
            double e1 = NAN, e5 = NAN, e15 = NAN;
            sannip_rsc_best_first(&r, i, 1, &b, &e1, NULL);
            sannip_rsc_best_first(&r, i, 5, &b, &e5, NULL);
            sannip_rsc_best_first(&r, i, 15, &b, &e15, NULL);
            if (e15 - Eex[i] <= 1e-3 * 2 * nd) found15++;
            if (!isnan(e1)) { mean1 += e1 - Eex[i]; n1++; }
            if (!isnan(e5)) { mean5 += e5 - Eex[i]; n5++; }
            if (e15 < Eex[i] - 1e-6) failed += 1000;     /* below the exact ground state: impossible */
            for (k = 0; k < r.n_members; k++) failed += r.status[i * r.n_members + k] != SANNIP_RSC_CONVERGED;
        }
        mean1 /= n1; mean5 /= n5;
        counted = (int)(r.count[SANNIP_RSC_NOT_CONVERGED] + r.count[SANNIP_RSC_NONFINITE] + r.count[SANNIP_RSC_ORACLE_ERROR]);
        CHECK(found15 >= 0.95 * N, "n_d = %d: best-of-15 found the exact ground state for %d of %d structures", nd, found15, N);
        CHECK(mean5 < mean1, "n_d = %d: mean error of best-of-5 %.4f not below best-of-1 %.4f eV", nd, mean5, mean1);
        CHECK(failed == counted, "n_d = %d: %d failed members, %d counted", nd, failed, counted);
        printf("committee n_d = %d (rigid path): best-of-15 exact %d/%d, mean error best-of-1 %.3f eV, best-of-5 %.3f eV, %d failed members\n",
               nd, found15, N, mean1, mean5, failed);
        sannip_rsc_result_uninit(&r);
    }
    /* the oracle refuses an odd ring: a callback error, counted, never chosen */
    {
        sannip_real x[9] = { 0, 0, 0, 2, 0, 0, 4, 0, 0 };
        int Z[3] = { 16, 16, 16 }, b;
        sannip_system s;
        sannip_rsc_config c = sannip_rsc_config_init();
        sannip_rsc_result r;
        sannip_error err;
        memset(&s, 0, sizeof s);
        s.n = 3; s.pos = x; s.Z = Z;
        c.n_random = 3;
        sannip_rsc_result_init(&r, NULL);
        CHECK(sannip_rsc_run(&c, &s, 1, dimer_ring_oracle, &p, &r, &err) == SANNIP_SUCCESS, "%s", err.message);
        sannip_rsc_best(&r, 0, NULL, 0, &b, NULL, NULL);
        CHECK(r.count[SANNIP_RSC_ORACLE_ERROR] == 3 && r.code[0] == -1 && b == -1, "odd ring: %ld callback errors, best %d", r.count[SANNIP_RSC_ORACLE_ERROR], b);
        sannip_rsc_result_uninit(&r);
    }
}

int main(void)
{
    test_outcomes();
    test_best_of_k();
    test_threads();
    test_initial_spins();
    test_zero_config();
    test_early_stop();
    test_bad_input();
    test_out_of_memory();
    test_xyz();
    test_ring_derivatives();
    test_ring_ground_states();
    test_ring_search();
    test_ring_rattle();
    test_ring_committee();
    return test_report("test_rsc");
}
