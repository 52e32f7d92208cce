/* A counting allocator for the tests (tests/test_badinput.c, tests/test_model.c): counts
   live blocks, calls and bytes, and fails on the N-th call or above a size. */
#ifndef SANNIP_TEST_ALLOC_H
#define SANNIP_TEST_ALLOC_H
#include <stdlib.h>
#include "../sannip.h"

typedef struct counter {
    long live, calls, fail_at;  /* fail_at: the N-th call (alloc or realloc) fails; 0: never */
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
    h->n = n; c->live++;
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
    h->n = n;
    return h + 1;
}
static void c_free(void *p, void *ud)
{
    counter *c = (counter *)ud;
    if (!p) return;
    COUNTER_LOCK
    c->live--;
    free((hdr *)p - 1);
}
static sannip_allocator counting(counter *c)
{
    sannip_allocator a;
    a.alloc_fn = c_alloc; a.realloc_fn = c_realloc; a.free_fn = c_free; a.user_data = c;
    return a;
}
#endif
