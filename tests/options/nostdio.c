/* SANNIP_NO_STDIO build (tests/test_options.sh): the implementation is compiled before this
   program includes <stdio.h>, so the library must not need it. Uses only the memory-buffer
   functions: the tiny model through save_mem/load_mem, and the n2p2 water potential and its
   first structure read by this program and passed to sannip_n2p2_import_mem/read_n2p2.
       nostdio SHARED */
#define SANNIP_NO_STDIO
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
#include "tiny.h"
#include <stdio.h>
#include <stdlib.h>
#include <math.h>

static char *slurp(const char *dir, const char *name)
{
    char path[1200];
    FILE *f;
    long n;
    char *s;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "rb"))) { fprintf(stderr, "cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    s = (char *)malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) exit(1);
    s[n] = 0;
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    char dir[1024], *nn, *sc, *w[2], *data, *pred;
    const char *wc[2];
    double E = 0, E2 = 0, fs = 0;
    sannip_error err;
    sannip_model m;
    sannip_workspace ws;
    sannip_structure s, r;
    sannip_system sys;
    sannip_real Ew = 0, *F;
    size_t pos = 0;
    int line = 0, ok;
    if (tiny_energy(NULL, &E, &E2, &fs, &err) != SANNIP_SUCCESS) { fprintf(stderr, "tiny: %s\n", err.message); return 1; }
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", argc > 1 ? argv[1] : "../shared");
    nn = slurp(dir, "input.nn"); sc = slurp(dir, "scaling.data");
    w[0] = slurp(dir, "weights.001.data"); w[1] = slurp(dir, "weights.008.data");
    data = slurp(dir, "input.data"); pred = slurp(dir, "n2p2_predictions.data");
    wc[0] = w[0]; wc[1] = w[1];
    sannip_model_init(&m, NULL); sannip_workspace_init(&ws, NULL);
    sannip_structure_init(&s, NULL); sannip_structure_init(&r, NULL);
    if (sannip_n2p2_import_mem(&m, nn, sc, wc, 2, &err) != SANNIP_SUCCESS
        || sannip_read_n2p2(&s, data, strlen(data), &pos, &line, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    pos = 0; line = 0;
    if (sannip_read_n2p2(&r, pred, strlen(pred), &pos, &line, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    sys = sannip_structure_view(&s);
    F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s.n);
    if (sannip_model_compute(&m, &ws, &sys, &Ew, NULL, F, NULL, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    ok = E == E2 && fabs(fs) < 1e-4 && fabs(Ew - r.energy) < (sizeof(sannip_real) == 4 ? 1e-5 : 1e-10) * fabs(r.energy);
    printf("nostdio: tiny E = %.17g (reloaded %.17g, sum F %.3g); water E = %.17g (n2p2 %.17g)\n", E, E2, fs, (double)Ew, (double)r.energy);
    free(F); free(nn); free(sc); free(w[0]); free(w[1]); free(data); free(pred);
    sannip_structure_uninit(&s); sannip_structure_uninit(&r);
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
    return ok ? 0 : 1;
}
