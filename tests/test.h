/* Minimal test harness: CHECK counts assertions; each test program ends with
   "N passed, N failed" and exits non-zero on failure. */
#ifndef SANNIP_TEST_H
#define SANNIP_TEST_H
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
static int test_passed, test_failed;
#define CHECK(cond, ...) do { if (cond) test_passed++; else { test_failed++; \
    fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); } } while (0)
#define CHECK_NEAR(a, b, tol, ...) do { double a_ = (double)(a), b_ = (double)(b); \
    CHECK(fabs(a_ - b_) <= (tol), "%s = %.17g vs %s = %.17g (|diff| %.3g > %.3g) ", #a, a_, #b, b_, fabs(a_ - b_), (double)(tol)); \
    if (!(fabs(a_ - b_) <= (tol))) { fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); } } while (0)
/* Tolerances: the first for double builds, the second for SANNIP_FLOAT builds. */
#ifdef SANNIP_FLOAT
#define TOL(d, f) (f)
#else
#define TOL(d, f) (d)
#endif
static int test_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed ? 1 : 0;
}
/* Directory of the shared data (../shared from the project root unless SANNIP_SHARED). */
static const char *test_shared(void)
{
    const char *s = getenv("SANNIP_SHARED");
    return s ? s : "../shared";
}
/* SANNIP_TEST_QUICK=1 (make test-cross under qemu): smaller sizes, the same kinds of checks. */
static int test_quick(void)
{
    const char *s = getenv("SANNIP_TEST_QUICK");
    return s && *s && *s != '0';
}
#endif
