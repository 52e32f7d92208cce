/* Compile-time allocator hooks (tests/test_options.sh): SANNIP_MALLOC/REALLOC/FREE route
   every allocation of the default allocator through counting functions; all must be freed.
   Defining only some of the three must stop the build with #error:
     -DONLY_MALLOC   defines SANNIP_MALLOC alone
     -DNO_REALLOC    defines SANNIP_MALLOC and SANNIP_FREE */
#include <stdlib.h>
#include <stdio.h>
static long n_alloc, n_live, n_free;
static void *my_malloc(size_t n, void *ctx) { void *p = malloc(n); (void)ctx; if (p) { n_alloc++; n_live++; } return p; }
static void *my_realloc(void *p, size_t n, void *ctx) { void *q; (void)ctx; if (!p) return my_malloc(n, ctx); q = realloc(p, n); if (q) n_alloc++; return q; }
static void my_free(void *p, void *ctx) { (void)ctx; if (p) { n_live--; n_free++; free(p); } }

#define SANNIP_MALLOC(sz, ctx) my_malloc(sz, ctx)
#if !defined(ONLY_MALLOC)
#define SANNIP_FREE(p, ctx) my_free(p, ctx)
#endif
#if !defined(ONLY_MALLOC) && !defined(NO_REALLOC)
#define SANNIP_REALLOC(p, sz, ctx) my_realloc(p, sz, ctx)
#endif
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
#include "tiny.h"

int main(void)
{
    double E = 0, E2 = 0, fs = 0;
    sannip_error err;
    if (tiny_energy(NULL, &E, &E2, &fs, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    printf("macros: E = %.17g, %ld allocations through SANNIP_MALLOC/REALLOC, %ld frees, %ld live\n", E, n_alloc, n_free, n_live);
    return n_alloc > 0 && n_live == 0 && E == E2 ? 0 : 1;
}
