/* sannip_spin.h - v0.1.0 - spin bases, spin configurations, magnetic observables and spin
   Monte Carlo for sannip. MIT-0 or public domain (see the end of sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_spin.h"       // includes sannip.h

   This release holds the magnetic observables of T4.1-4.4; spin bases (SPEC 5), spin
   configurations (SPEC 10) and Monte Carlo (SPEC 11) follow. Spins are 3-vectors per atom
   (collinear moments as z components), in the units the caller uses.
*/
#ifndef SANNIP_SPIN_H
#define SANNIP_SPIN_H
#include "sannip.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Magnetisation ratio |sum S| / sum |S| (T4.1): 1 for FM, ~0 for PM and AFM. 0 when all
   spins are zero. spins: n x 3. */
SANNIP_API double sannip_spin_magnetisation_ratio(int n, const sannip_real *spins);
/* Variance of the polar angle of each spin measured from the net spin direction (T4.2-4.4):
   0 for FM, pi^2/4 - 2 for PM, pi^2/4 for AFM. With zero net spin the angle is taken from +z;
   zero spins are skipped. */
SANNIP_API double sannip_spin_polar_variance(int n, const sannip_real *spins);

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_SPIN_H */

#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_SPIN_IMPLEMENTATION_DONE)
#define SANNIP_SPIN_IMPLEMENTATION_DONE
#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif

SANNIP_API double sannip_spin_magnetisation_ratio(int n, const sannip_real *spins)
{
    double m[3] = { 0, 0, 0 }, tot = 0;
    int i, a;
    for (i = 0; i < n; i++) {
        for (a = 0; a < 3; a++) m[a] += spins[3 * i + a];
        tot += sqrt((double)spins[3 * i] * spins[3 * i] + (double)spins[3 * i + 1] * spins[3 * i + 1] + (double)spins[3 * i + 2] * spins[3 * i + 2]);
    }
    return tot > 0 ? sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) / tot : 0;
}

SANNIP_API double sannip_spin_polar_variance(int n, const sannip_real *spins)
{
    double m[3] = { 0, 0, 0 }, mn, s1 = 0, s2 = 0;
    int i, a, k = 0;
    for (i = 0; i < n; i++) for (a = 0; a < 3; a++) m[a] += spins[3 * i + a];
    mn = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
    if (mn > 1e-12 * (n > 0 ? n : 1)) { m[0] /= mn; m[1] /= mn; m[2] /= mn; } else { m[0] = m[1] = 0; m[2] = 1; }
    for (i = 0; i < n; i++) {
        const sannip_real *s = spins + 3 * i;
        double sn = sqrt((double)s[0] * s[0] + (double)s[1] * s[1] + (double)s[2] * s[2]), c, th;
        if (sn == 0) continue;
        c = (s[0] * m[0] + s[1] * m[1] + s[2] * m[2]) / sn;
        th = acos(c > 1 ? 1 : c < -1 ? -1 : c);
        s1 += th; s2 += th * th; k++;
    }
    if (k == 0) return 0;
    s1 /= k;
    return s2 / k - s1 * s1;
}

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_IMPLEMENTATION */
