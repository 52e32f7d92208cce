/* SANNIP_STATIC two-file link (tests/test_options.sh): this file and static_b.c each hold a
   private static copy of the implementation; linked together they must not clash. */
#define SANNIP_STATIC
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
#include "tiny.h"

double energy_a(void);
double energy_a(void)
{
    double E = 0, E2 = 0, fs = 0;
    sannip_error err;
    return tiny_energy(NULL, &E, &E2, &fs, &err) == SANNIP_SUCCESS ? E : 1e300;
}
