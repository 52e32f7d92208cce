/* n2p2 compatibility: bin/sannip import-n2p2 + predict reproduce n2p2's own predictions
   for the 20 water structures (energy rel. diff < 1e-10, forces within 1e-8). */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

static int read_all(const char *path, sannip_structure **out)
{
    char *text; size_t len, pos = 0; int line = 0, n = 0, r; sannip_error err;
    sannip_structure *s = NULL;
    if (sannip_read_file(path, NULL, &text, &len, &err)) { fprintf(stderr, "%s\n", err.message); return -1; }
    for (;;) {
        s = (sannip_structure *)realloc(s, sizeof *s * (size_t)(n + 1));
        sannip_structure_init(&s[n], NULL);
        r = sannip_read_n2p2(&s[n], text, len, &pos, &line, &err);
        if (r == SANNIP_END_OF_INPUT) break;
        if (r) { fprintf(stderr, "%s: %s\n", path, err.message); free(text); return -1; }
        n++;
    }
    free(text); *out = s; return n;
}

/* The same comparison through the library (double and float builds). */
static void library_check(const char *sh, sannip_structure *ref, int nr)
{
    char dir[1024], path[1100]; sannip_model m; sannip_workspace ws; sannip_error err;
    sannip_structure *in = NULL; int ni, i, k; double maxe = 0, maxf = 0;
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", sh);
    snprintf(path, sizeof path, "%s/input.data", dir);
    sannip_model_init(&m, NULL);
    CHECK(sannip_n2p2_import_dir(&m, dir, &err) == SANNIP_SUCCESS, "import: %s", err.message);
    ni = read_all(path, &in);
    CHECK(ni == nr, "%d vs %d structures", ni, nr);
    sannip_workspace_init(&ws, NULL);
    for (i = 0; i < ni && i < nr && !(test_quick() && i >= 4); i++) {   /* quick mode: 4 structures */
        sannip_system sys = sannip_structure_view(&in[i]);
        sannip_real E = 0, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)sys.n);
        CHECK(sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
        if (fabs(E - ref[i].energy) / fabs(ref[i].energy) > maxe) maxe = fabs(E - ref[i].energy) / fabs(ref[i].energy);
        for (k = 0; k < 3 * sys.n; k++) if (fabs(F[k] - ref[i].forces[k]) > maxf) maxf = fabs(F[k] - ref[i].forces[k]);
        free(F);
    }
    for (i = 0; i < ni; i++) sannip_structure_uninit(&in[i]);
    CHECK(maxe < TOL(1e-10, 1e-5), "library: energy rel. diff %.3g", maxe);
    CHECK(maxf < TOL(1e-8, 2e-3), "library: force diff %.3g", maxf);
    printf("library (%s): max energy rel. diff %.3g, max force diff %.3g\n", sizeof(sannip_real) == 4 ? "float" : "double", maxe, maxf);
    free(in); sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
}

#ifndef SANNIP_FLOAT   /* the command-line tool is a double build */
/* bin/sannip import-n2p2 + predict against n2p2's predictions. */
static void cli_check(const char *sh, const sannip_structure *ref, int nr)
{
    char cmd[2048]; sannip_structure *got = NULL; int ng, i, k; double maxe = 0, maxf = 0;
    snprintf(cmd, sizeof cmd, "./bin/sannip import-n2p2 %s/peers/n2p2/H2O_RPBE-D3 -o build/h2o.sannip > /dev/null && "
             "./bin/sannip predict build/h2o.sannip %s/peers/n2p2/H2O_RPBE-D3/input.data -o build/h2o_pred.data > /dev/null", sh, sh);
    CHECK(system(cmd) == 0, "command failed: %s", cmd);
    ng = read_all("build/h2o_pred.data", &got);
    CHECK(nr == 20 && ng == 20, "structures: n2p2 %d, sannip %d", nr, ng);
    for (i = 0; i < nr && i < ng; i++) {
        double rel = fabs(got[i].energy - ref[i].energy) / fabs(ref[i].energy);
        CHECK(got[i].n == ref[i].n, "structure %d: %d vs %d atoms", i + 1, got[i].n, ref[i].n);
        CHECK(rel < 1e-10, "structure %d: energy %.17g vs n2p2 %.17g (rel %.3g)", i + 1, got[i].energy, ref[i].energy, rel);
        if (rel > maxe) maxe = rel;
        for (k = 0; k < 3 * ref[i].n && got[i].n == ref[i].n; k++) {
            double d = fabs(got[i].forces[k] - ref[i].forces[k]);
            if (d > maxf) maxf = d;
            CHECK(d < 1e-8, "structure %d atom %d: force %.17g vs n2p2 %.17g", i + 1, k / 3 + 1, got[i].forces[k], ref[i].forces[k]);
        }
    }
    printf("bin/sannip: max energy rel. diff %.3g, max force diff %.3g\n", maxe, maxf);
    for (i = 0; i < ng; i++) sannip_structure_uninit(&got[i]);
    free(got);
}
#endif

int main(void)
{
    char path[1024];
    const char *sh = test_shared();
    sannip_structure *ref = NULL;
    int nr, i;
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/n2p2_predictions.data", sh);
    nr = read_all(path, &ref);
    library_check(sh, ref, nr);
#ifndef SANNIP_FLOAT
    /* quick mode (under qemu): tests/cross/run.sh compares the tool's import and predictions
       with x86-64's instead */
    if (!test_quick()) cli_check(sh, ref, nr);
#endif
    for (i = 0; i < nr; i++) sannip_structure_uninit(&ref[i]);
    free(ref);
    return test_report("test_n2p2");
}
