/* SANNIP_STATIC two-file link, second file (see static_a.c): both copies must agree. */
#define SANNIP_STATIC
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
#include "tiny.h"
#include <stdio.h>

double energy_a(void);

int main(void)
{
    double E = 0, E2 = 0, fs = 0, Ea = energy_a();
    sannip_error err;
    if (tiny_energy(NULL, &E, &E2, &fs, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    printf("static: E(a) = %.17g, E(b) = %.17g\n", Ea, E);
    return Ea == E && E == E2 ? 0 : 1;
}
