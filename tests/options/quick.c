/* Option-matrix probe (tests/test_options.sh): imports the n2p2 water potential, predicts
   energy and forces of the structures of a file and compares them with n2p2's predictions.
       quick SHARED [all|liquid]     (default: the first structure of input.data)
   Prints "quick: ... E1 = %.17g" and exits 0 within tolerance (double 1e-10 relative energy,
   1e-8 forces; SANNIP_FLOAT 1e-5, 2e-3). Compiles as C99 and as C++; QUICK_NO_IMPL leaves
   the implementation to another object file (sannip_impl.c). */
#ifndef QUICK_NO_IMPL
#define SANNIP_IMPLEMENTATION
#endif
#include "../../sannip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#ifdef SANNIP_FLOAT
#define TOL_E 1e-5
#define TOL_F 2e-3
#else
#define TOL_E 1e-10
#define TOL_F 1e-8
#endif

/* Reads up to max structures of an n2p2 file into s[]; returns the count or -1. */
static int read_structures(const char *path, sannip_structure *s, int max)
{
    char *text = NULL;
    size_t len = 0, pos = 0;
    int line = 0, n = 0, r;
    sannip_error err;
    if (sannip_read_file(path, NULL, &text, &len, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return -1; }
    while (n < max) {
        sannip_structure_init(&s[n], NULL);
        r = sannip_read_n2p2(&s[n], text, len, &pos, &line, &err);
        if (r == 1) break;
        if (r != SANNIP_SUCCESS) { fprintf(stderr, "%s: %s\n", path, err.message); sannip_free(NULL, text); return -1; }
        n++;
    }
    sannip_free(NULL, text);
    return n;
}

int main(int argc, char **argv)
{
    const char *shared = argc > 1 ? argv[1] : "../shared", *mode = argc > 2 ? argv[2] : "one";
    char dir[1024], in[1100], ref[1100];
    static sannip_structure S[20], R[20];
    sannip_model m;
    sannip_workspace ws;
    sannip_error err;
    int max = strcmp(mode, "one") == 0 ? 1 : 20, ns, nr, i, k;
    double maxe = 0, maxf = 0, E1 = 0;
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", shared);
    if (strcmp(mode, "liquid") == 0) {
        snprintf(in, sizeof in, "%s/liquid1080.data", dir);
        snprintf(ref, sizeof ref, "%s/liquid1080_n2p2_predictions.data", dir);
    } else {
        snprintf(in, sizeof in, "%s/input.data", dir);
        snprintf(ref, sizeof ref, "%s/n2p2_predictions.data", dir);
    }
    sannip_model_init(&m, NULL);
    if (sannip_n2p2_import_dir(&m, dir, &err) != SANNIP_SUCCESS) { fprintf(stderr, "import: %s\n", err.message); return 1; }
    ns = read_structures(in, S, max);
    nr = read_structures(ref, R, max);
    if (ns < 1 || ns != nr) { fprintf(stderr, "structures: %d vs %d references\n", ns, nr); return 1; }
    sannip_workspace_init(&ws, NULL);
    for (i = 0; i < ns; i++) {
        sannip_system sys = sannip_structure_view(&S[i]);
        sannip_real E = 0, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)sys.n);
        if (!F || sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err) != SANNIP_SUCCESS) { fprintf(stderr, "compute: %s\n", err.message); return 1; }
        if (i == 0) E1 = E;
        if (fabs(E - R[i].energy) / fabs(R[i].energy) > maxe) maxe = fabs(E - R[i].energy) / fabs(R[i].energy);
        for (k = 0; k < 3 * sys.n; k++) if (fabs(F[k] - R[i].forces[k]) > maxf) maxf = fabs(F[k] - R[i].forces[k]);
        free(F);
        sannip_structure_uninit(&S[i]); sannip_structure_uninit(&R[i]);
    }
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
    printf("quick: %d structures (%s), max rel. energy diff %.3g, max force diff %.3g, E1 = %.17g\n",
           ns, sizeof(sannip_real) == 4 ? "float" : "double", maxe, maxf, E1);
    return maxe < TOL_E && maxf < TOL_F ? 0 : 1;
}
