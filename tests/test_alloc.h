/* A counting allocator for the tests (tests/test_badinput.c, tests/test_model.c): counts
   live blocks, calls and bytes, and fails on the N-th call or above a size. */
#ifndef SANNIP_TEST_ALLOC_H
#define SANNIP_TEST_ALLOC_H
#include <stdlib.h>
#include <string.h>
#include "../sannip.h"

typedef struct counter {
    long live, calls, fail_at;  /* fail_at: the N-th call (alloc or realloc) fails; 0: never */
    size_t live_bytes;          /* bytes of the live blocks */
    int failed;
    size_t cap, max_request;    /* requests above cap fail (0: no cap) */
    size_t requested;           /* bytes asked for, all calls together */
} counter;
typedef union hdr { size_t n; long double ld; void *p; double d; } hdr;
/* (allocations happen outside parallel regions today; the critical sections keep the counts
   right if that changes) */
#ifdef _OPENMP
#define COUNTER_LOCK _Pragma("omp critical(test_counter)")
#else
#define COUNTER_LOCK
#endif
static void *c_alloc_locked(size_t n, void *ud);
static void *c_alloc(size_t n, void *ud)
{
    void *p;
    COUNTER_LOCK
    p = c_alloc_locked(n, ud);
    return p;
}
static void *c_alloc_locked(size_t n, void *ud)
{
    counter *c = (counter *)ud;
    hdr *h;
    c->calls++;
    c->requested += n;
    if (n > c->max_request) c->max_request = n;
    if ((c->fail_at && c->calls == c->fail_at) || (c->cap && n > c->cap)) { c->failed = 1; return NULL; }
    h = (hdr *)malloc(sizeof *h + n);
    if (!h) return NULL;
    h->n = n; c->live++; c->live_bytes += n;
    return h + 1;
}
static void *c_realloc_locked(void *p, size_t n, void *ud);
static void *c_realloc(void *p, size_t n, void *ud)
{
    void *q;
    COUNTER_LOCK
    q = c_realloc_locked(p, n, ud);
    return q;
}
static void *c_realloc_locked(void *p, size_t n, void *ud)
{
    counter *c = (counter *)ud;
    hdr *h;
    if (!p) return c_alloc_locked(n, ud);
    c->calls++;
    c->requested += n;
    if (n > c->max_request) c->max_request = n;
    if ((c->fail_at && c->calls == c->fail_at) || (c->cap && n > c->cap)) { c->failed = 1; return NULL; }
    h = (hdr *)realloc((hdr *)p - 1, sizeof *h + n);
    if (!h) return NULL;
    c->live_bytes += n - h->n;   /* (unsigned: wraps back) */
    h->n = n;
    return h + 1;
}
static void c_free(void *p, void *ud)
{
    counter *c = (counter *)ud;
    if (!p) return;
    COUNTER_LOCK
    {
        c->live--;
        c->live_bytes -= ((hdr *)p - 1)->n;
        free((hdr *)p - 1);
    }
}
static sannip_allocator counting(counter *c)
{
    sannip_allocator a;
    a.alloc_fn = c_alloc; a.realloc_fn = c_realloc; a.free_fn = c_free; a.user_data = c;
    return a;
}
/* The allocation-failure sweep (tests/test_oom.c): runs run(a, user, &sig, err) with the N-th
   allocation failing, N = 1, 2, ... until a run in which none failed (that N - 1 is the
   number of allocation points). Every failed run must return out of memory (or `also`, a
   documented code; 0: none) with a message, and every run must leave no block (and no byte)
   allocated.
   sig: a number the pipeline computes from its results; a run that absorbs a failure (returns
   success anyway) must give the reference sig. The tallies are for the caller to check. */
typedef sannip_result (*oom_pipeline)(const sannip_allocator *a, void *user, double *sig, sannip_error *err);
typedef struct oom_sweep {
    long points;                    /* allocations of the run without failure */
    long leaks, first_leak;         /* runs that left blocks allocated, the first N */
    long wrong, first_wrong;        /* runs with another code (or absorbed with another sig) */
    sannip_result wrong_code;
    long nomsg, first_nomsg;        /* failed runs with an empty message or err.code != result */
    long absorbed;                  /* runs that succeeded although an allocation failed */
    int done;                       /* a run without failure was reached */
    sannip_result final;            /* its result, sig and message */
    double sig;
    char message[320];
} oom_sweep;
static void oom_sweep_run(oom_pipeline run, void *user, sannip_result also, double sig_ref, long max_n, oom_sweep *s)
{
    long n;
    memset(s, 0, sizeof *s);
    for (n = 1; n <= max_n; n++) {
        counter c;
        sannip_allocator a;
        sannip_error err;
        sannip_result r;
        double sig = 0;
        memset(&c, 0, sizeof c); c.fail_at = n;
        memset(&err, 0, sizeof err);
        a = counting(&c);
        r = run(&a, user, &sig, &err);
        if ((c.live != 0 || c.live_bytes != 0) && s->leaks++ == 0) s->first_leak = n;
        if (!c.failed) {
            s->done = 1; s->points = n - 1; s->final = r; s->sig = sig;
            memcpy(s->message, err.message, sizeof s->message);
            return;
        }
        if (r == SANNIP_SUCCESS) {
            s->absorbed++;
            if (sig != sig_ref && s->wrong++ == 0) { s->first_wrong = n; s->wrong_code = r; }
            continue;
        }
        if ((err.message[0] == 0 || err.code != r) && s->nomsg++ == 0) s->first_nomsg = n;
        if (r != SANNIP_OUT_OF_MEMORY && (also == 0 || r != also) && s->wrong++ == 0) {
            s->first_wrong = n; s->wrong_code = r;
            memcpy(s->message, err.message, sizeof s->message);
        }
    }
}
#endif
