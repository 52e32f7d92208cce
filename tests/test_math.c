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

/* The softplus kernel (activations 'p' and ssp): the array gives the bits of the formula it
   replaced, log(1 + e^x) by sannip__log and sannip__exp, element by element whatever the array
   length (vector body and scalar tail alike); n2p2's limits; NaN and infinities; accuracy. */
static void softplus(void)
{
    sannip_real x[203], y[203], d[203], y1, d1;
    double worst = 0, worst_abs = 0;   /* below 0, log(1 + e^x) is accurate to the rounding of 1 + e^x */
    int i, same = 1, formula = 1, ssp;
    for (ssp = 0; ssp < 2; ssp++) {
        for (i = 0; i < 203; i++) x[i] = y[i] = (sannip_real)(-40 + 80.0 * i / 202 + 0.013 * (i % 7));
        x[0] = y[0] = 35; x[1] = y[1] = -35; x[2] = y[2] = (sannip_real)35.0001; x[3] = y[3] = (sannip_real)-35.0001;
        sannip__softplus_array(y, d, 203, ssp);
        for (i = 0; i < 203; i++) {
            y1 = x[i]; sannip__softplus_array(&y1, &d1, 1, ssp);
            same &= memcmp(&y1, &y[i], sizeof y1) == 0 && memcmp(&d1, &d[i], sizeof d1) == 0;
            if (x[i] >= -35 && x[i] <= 35) {
                sannip_real e = (sannip_real)sannip__exp(x[i]), r = (sannip_real)sannip__log(1 + e), g = e / (1 + e);
                if (ssp) r -= (sannip_real)0.6931471805599453;
                formula &= r == y[i] && g == d[i];
#ifndef SANNIP_FLOAT
                if (!ssp && x[i] >= 0) worst = fmax(worst, ulps(y[i], log1pl(expl((long double)x[i]))));
                if (!ssp && x[i] < 0) worst_abs = fmax(worst_abs, fabs((double)((long double)y[i] - log1pl(expl((long double)x[i])))));
#endif
            } else {   /* the expected values stored first: where float math runs in double (s390x) a
                          comparison with an expression would compare against its double value */
                sannip_real want = x[i] > 35 ? x[i] - (ssp ? (sannip_real)0.6931471805599453 : 0) : (ssp ? -(sannip_real)0.6931471805599453 : 0);
                formula &= y[i] == want && d[i] == (x[i] > 35 ? 1 : 0);
            }
        }
    }
    CHECK(same, "softplus: an array element differs from the same value alone");
    CHECK(formula, "softplus: differs from log(1 + e^x), x itself above 35, 0 below -35");
#ifndef SANNIP_FLOAT
    if (LDBL_MANT_DIG > 53) CHECK(worst <= 2 && worst_abs <= 1.2e-16, "softplus within %.2f ulp of log1p(exp(x)) from 0, %.2g below", worst, worst_abs);
#else
    (void)worst; (void)worst_abs;
#endif
    x[0] = (sannip_real)NAN; x[1] = (sannip_real)HUGE_VAL; x[2] = (sannip_real)-HUGE_VAL;
    sannip__softplus_array(x, d, 3, 0);
    CHECK(x[0] != x[0] && d[0] != d[0], "softplus(NaN) is NaN (%g, %g)", (double)x[0], (double)d[0]);
    CHECK(x[1] == (sannip_real)HUGE_VAL && d[1] == 1 && x[2] == 0 && d[2] == 0, "softplus at +-inf: (%g, %g), (%g, %g)",
          (double)x[1], (double)d[1], (double)x[2], (double)d[2]);
}

/* The recorded bits: change these only with a change of the functions, on x86-64. The
   double functions give the same bits in both builds; the sannip_real kernels (exp, tanh,
   sincospi and softplus arrays) in a float build only where float arithmetic is float (FLT_EVAL_METHOD 0:
   s390x's gcc evaluates float in double under -std=c99, so its float build differs). */
#define HASH_DOUBLE 0x5042081c09511f99ull
#ifdef SANNIP_FLOAT
#define HASH_KERNELS 0x9f426b386c337903ull
#else
#define HASH_KERNELS 0x859ec68436d23c04ull
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
        a[0] = (sannip_real)((u - 0.5) * 80); sannip__softplus_array(a, d, 1, 0); k = fnv(k, a[0]); k = fnv(k, d[0]);
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
    softplus();
    bits();
    return test_report("test_math");
}
