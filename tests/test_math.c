/* The portable transcendental functions (sannip.h, "Portable transcendental functions"):
   accuracy against long double libm where long double is wider than double, special values,
   exact cases, and the bits themselves: a hash of every function over fixed arguments must
   equal the hash recorded on x86-64, so that tests/cross/run.sh (s390x, i386, armhf under
   qemu) fails on any platform that rounds one of them differently. */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include <float.h>
#include <string.h>

static const long double PI_L = 3.14159265358979323846264338327950288L;

/* |a - ref| in units of the last place of ref (as a double) */
static double ulps(double a, long double ref)
{
    double r = fabs((double)ref), u = nextafter(r, HUGE_VAL) - r;
    return (double)(fabsl((long double)a - ref) / u);
}
static uint64_t fnv(uint64_t h, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (h ^ u) * 1099511628211ull;
}

static void accuracy(void)
{
    sannip_rng g;
    double w[6] = { 0 };
    int i, n = test_quick() ? 20000 : 400000;
    if (LDBL_MANT_DIG <= 53) { printf("long double is double here: accuracy against libm skipped\n"); return; }
    sannip_rng_seed(&g, 7);
    for (i = 0; i < n; i++) {
        double u = sannip_rng_uniform(&g), v = sannip_rng_uniform(&g), x, s, c;
        long double r;
        x = -740 + 1448 * u;                                  /* exp over its finite range */
        w[0] = fmax(w[0], ulps(sannip__exp(x), expl((long double)x)));
        x = exp((u - 0.5) * 1400);                             /* log over 600 decades */
        w[1] = fmax(w[1], ulps(sannip__log(x), logl((long double)x)));
        x = 0.5 + v;                                           /* and near 1 */
        w[1] = fmax(w[1], ulps(sannip__log(x), logl((long double)x)));
        x = (u - 0.5) * 40;                                    /* sin, cos of pi x; reference reduced exactly */
        sannip__sincospi(x, &s, &c);
        r = PI_L * ((long double)x - 2 * floorl((long double)x / 2));
        if (fabsl(sinl(r)) > 1e-3) w[2] = fmax(w[2], ulps(s, sinl(r)));
        if (fabsl(cosl(r)) > 1e-3) w[2] = fmax(w[2], ulps(c, cosl(r)));
        x = (u - 0.5) * 2;                                     /* sin, cos of moderate angles */
        sannip__sincos(x, &s, &c);
        if (fabsl(sinl((long double)x)) > 0.1) w[3] = fmax(w[3], ulps(s, sinl((long double)x)));
        w[3] = fmax(w[3], ulps(c, cosl((long double)x)));
        x = 0.25 + 1.75 * u;                                   /* x^y, non-integer y, |y ln x| < 11 */
        w[4] = fmax(w[4], ulps(sannip__pow(x, 0.5 + 15 * v), powl((long double)x, (long double)(0.5 + 15 * v))));
#ifndef SANNIP_FLOAT
        x = sannip_rng_normal(&g);                             /* tanh, the array kernel (double build) */
        s = x; sannip__tanh_array(&s, &c, 1);
        w[5] = fmax(w[5], ulps(s, tanhl((long double)x)));
#endif
    }
    CHECK(w[0] <= 2, "exp within %.2f ulp", w[0]);
    CHECK(w[1] <= 1.5, "log within %.2f ulp", w[1]);
    CHECK(w[2] <= 2.5, "sincospi within %.2f ulp", w[2]);
    CHECK(w[3] <= 3, "sincos (|x| <= 1) within %.2f ulp", w[3]);
    CHECK(w[4] <= 40, "pow within %.2f ulp (|y ln x| < 21: the bound is ~|y ln x| ulp)", w[4]);
    CHECK(w[5] <= 4, "tanh within %.2f ulp", w[5]);
    printf("max ulp over %d arguments: exp %.2f log %.2f sincospi %.2f sincos %.2f pow %.2f tanh %.2f\n",
           n, w[0], w[1], w[2], w[3], w[4], w[5]);
}

static void special_values(void)
{
    double s, c;
    CHECK(sannip__exp(0) == 1 && sannip__exp(-1e4) == 0 && sannip__exp(1e4) == HUGE_VAL && sannip__exp(-HUGE_VAL) == 0, "exp ends");
    CHECK(sannip__exp(NAN) != sannip__exp(NAN), "exp(NaN) is NaN");
    CHECK(sannip__exp(709.7) < HUGE_VAL && sannip__exp(709.8) == HUGE_VAL && sannip__exp(-744) > 0 && sannip__exp(-746) == 0,
          "exp overflow at 709.78, underflow at -745: %g %g", sannip__exp(709.7), sannip__exp(-744));
    CHECK(sannip__log(1) == 0 && sannip__log(0) == -HUGE_VAL && sannip__log(HUGE_VAL) == HUGE_VAL, "log ends");
    CHECK(sannip__log(-1) != sannip__log(-1) && sannip__log(NAN) != sannip__log(NAN), "log of negatives and NaN is NaN");
    CHECK(fabs(sannip__log(4.9406564584124654e-324) + 744.44007192138126) < 1e-12, "log of the smallest subnormal %.17g",
          sannip__log(4.9406564584124654e-324));
    sannip__sincospi(0.5, &s, &c);  CHECK(s == 1 && c == 0, "sincospi(1/2) = (%g, %g)", s, c);
    sannip__sincospi(-1, &s, &c);   CHECK(s == 0 && c == -1, "sincospi(-1) = (%g, %g)", s, c);
    sannip__sincospi(1e-300, &s, &c); CHECK(fabs(s / (3.141592653589793e-300) - 1) < 1e-15 && c == 1, "tiny argument keeps relative accuracy");
    sannip__sincospi(2.5e15 + 0.5, &s, &c); CHECK(s == 1 && c == 0, "large arguments reduce exactly");
    CHECK(sannip__pow(2, -3) == 0.125 && sannip__pow(-2, 3) == -8 && sannip__pow(3, 0) == 1 && sannip__pow(0, 2.5) == 0, "pow exact cases");
    CHECK(sannip__pow(-2, 0.5) != sannip__pow(-2, 0.5) && sannip__pow(0, -1.5) == HUGE_VAL, "pow domain");
}

/* The recorded bits: change these only with a change of the functions, on x86-64. The
   double functions give the same bits in both builds; the sannip_real kernels (exp, tanh and
   sincospi arrays) in a float build only where float arithmetic is float (FLT_EVAL_METHOD 0:
   s390x's gcc evaluates float in double under -std=c99, so its float build differs). */
#define HASH_DOUBLE 0x5042081c09511f99ull
#ifdef SANNIP_FLOAT
#define HASH_KERNELS 0x6593dd0cf63be603ull
#else
#define HASH_KERNELS 0x2d3a67b814837446ull
#endif
static void bits(void)
{
    sannip_rng g;
    uint64_t h = 1469598103934665603ull, k = h;
    int i;
    sannip_rng_seed(&g, 11);
    for (i = 0; i < 20000; i++) {
        double u = sannip_rng_uniform(&g), s, c;
        sannip_real a[3], d[3];
        h = fnv(h, sannip__exp((u - 0.5) * 100));
        h = fnv(h, sannip__log(u * 1e3 + 1e-300));
        sannip__sincospi((u - 0.5) * 8, &s, &c); h = fnv(h, s); h = fnv(h, c);
        sannip__sincos((u - 0.5) * 8, &s, &c); h = fnv(h, s); h = fnv(h, c);
        h = fnv(h, sannip__pow(u * 2, 0.3 + 7 * u));
        h = fnv(h, sannip_rng_normal(&g));
        a[0] = (sannip_real)((u - 0.5) * 20); a[1] = (sannip_real)u; a[2] = (sannip_real)-u;
        sannip__exp_array(a, 3); k = fnv(k, a[0]); k = fnv(k, a[1]); k = fnv(k, a[2]);
        a[0] = (sannip_real)((u - 0.5) * 6); sannip__tanh_array(a, d, 1); k = fnv(k, a[0]); k = fnv(k, d[0]);
        a[0] = (sannip_real)u; sannip__sincospi_array(a, 1, a + 1, a + 2); k = fnv(k, a[1]); k = fnv(k, a[2]);
    }
    printf("bits: double functions %016llx, kernels %016llx (FLT_EVAL_METHOD %d)\n", (unsigned long long)h,
           (unsigned long long)k, (int)FLT_EVAL_METHOD);
    CHECK(h == HASH_DOUBLE, "the functions' bits differ from x86-64's: hash %016llx, recorded %016llx", (unsigned long long)h, HASH_DOUBLE);
#ifdef SANNIP_FLOAT
    if (FLT_EVAL_METHOD != 0) { printf("float evaluated in wider precision here: the float kernels' bits are not compared\n"); return; }
#endif
    CHECK(k == HASH_KERNELS, "the kernels' bits differ from x86-64's: hash %016llx, recorded %016llx", (unsigned long long)k, HASH_KERNELS);
}

int main(void)
{
    accuracy();
    special_values();
    bits();
    return test_report("test_math");
}
