/* libFuzzer harness: committee files (sannip_committee_load_mem on the exact bytes), then
   the committee's prediction, each of its first members as a model (compute, round trip) and
   the committee's save -> load -> save (tests/fuzz/fuzz.h). Seeds: tests/fuzz/corpus/committee/. */
#include "fuzz.h"

static void fuzz_committee_roundtrip(const sannip_committee *c)
{
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    sannip_committee c2;
    sannip_error err;
    if (sannip_committee_save_mem(c, &t1, &l1, &err) != SANNIP_SUCCESS) fuzz_fail("committee save failed", err.message);
    sannip_committee_init(&c2, NULL);
    if (sannip_committee_load_mem(&c2, t1, l1, &err) != SANNIP_SUCCESS) fuzz_fail("the saved committee does not load", err.message);
    if (sannip_committee_save_mem(&c2, &t2, &l2, &err) != SANNIP_SUCCESS) fuzz_fail("second committee save failed", err.message);
    if (l1 != l2 || memcmp(t1, t2, l1)) fuzz_fail("committee save -> load -> save differs", NULL);
    sannip_free(&c->alloc, t1); sannip_free(&c2.alloc, t2);
    sannip_committee_uninit(&c2);
}

static sannip_result fuzz_committee_predict(const sannip_committee *c, sannip_error *err)
{
    fuzz_structure fs;
    int Zs[SANNIP_MAX_ELEMENTS];
    sannip_workspace ws;
    sannip_real e = 0, es = 0, as[2 * SANNIP_MAX_ELEMENTS], f[6 * SANNIP_MAX_ELEMENTS], fsd[6 * SANNIP_MAX_ELEMENTS];
    sannip_result r;
    fuzz_structure_make(&fs, Zs, fuzz_model_elements(&c->m[0], Zs), c->m[0].cutoff);
    sannip_workspace_init(&ws, NULL);
    r = sannip_committee_predict(c, &ws, &fs.sys, &e, &es, as, f, fsd, err);
    sannip_workspace_uninit(&ws);
    return r;
}

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    sannip_committee c;
    sannip_error e2;
    sannip_result r;
    int k;
    sannip_committee_init(&c, NULL);
    r = sannip_committee_load_mem(&c, data, size, err);
    if (r == SANNIP_SUCCESS && c.n < 1) fuzz_fail("a committee without members loaded", NULL);
    if (r == SANNIP_SUCCESS) {
        r = fuzz_committee_predict(&c, err);
        for (k = 0; k < c.n && k < 3; k++) (void)fuzz_model_exercise(&c.m[k], &e2);
        fuzz_committee_roundtrip(&c);
    }
    sannip_committee_uninit(&c);
    return r;
}
