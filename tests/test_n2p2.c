/* n2p2 compatibility: bin/sannip import-n2p2 + predict reproduce n2p2's own predictions
   for the 20 water structures (energy rel. diff < 1e-10, forces within 1e-8); export to
   n2p2 reproduces n2p2's files' numbers, round-trips exactly and refuses what n2p2 lacks. */
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

/* The numbers of every non-comment line's column col (-1: all columns that parse as
   numbers) of a text, in order; at most max. */
static int numbers(const char *text, int col, double *v, int max)
{
    int n = 0, c = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *eol = strchr(p, '\n'), *q = p;
        if (!eol) eol = p + strlen(p);
        c = 0;
        while (*p != '#' && q < eol) {
            char *end; double x;
            while (q < eol && (*q == ' ' || *q == '\t')) q++;
            if (q >= eol) break;
            x = strtod(q, &end);
            if (end > q && (*end == ' ' || *end == '\t' || *end == '\n' || *end == 0 || *end == '\r') && (col < 0 || c == col) && n < max) v[n++] = x;
            while (q < eol && *q != ' ' && *q != '\t') q++;
            c++;
        }
        p = *eol ? eol + 1 : eol;
    }
    return n;
}
static char *slurp(const char *path)
{
    char *t = NULL; size_t len; sannip_error err;
    if (sannip_read_file(path, NULL, &t, &len, &err)) { fprintf(stderr, "%s\n", err.message); return NULL; }
    return t;
}
/* The value after keyword key in an input.nn text (NaN when absent). */
static double keyword(const char *text, const char *key)
{
    const char *p = text;
    size_t k = strlen(key);
    while ((p = strstr(p, key)) != NULL) {
        if ((p == text || p[-1] == '\n') && (p[k] == ' ' || p[k] == '\t')) return strtod(p + k, NULL);
        p += k;
    }
    return NAN;
}
/* 1/c as the model keeps it: rounded to sannip_real (the cast also where float expressions
   are evaluated in double, FLT_EVAL_METHOD 1 on s390x) */
static sannip_real recip(double c) { return (sannip_real)((sannip_real)1 / (sannip_real)c); }
/* Column col of file a and of file b: the same count and, as sannip_real, the same bits. */
static void same_numbers(const char *a, const char *b, int col)
{
    static double va[20000], vb[20000];
    char *ta = slurp(a), *tb = slurp(b);
    int na = ta ? numbers(ta, col, va, 20000) : -1, nb = tb ? numbers(tb, col, vb, 20000) : -2, i, bad = 0;
    CHECK(na == nb && na > 0, "%s: %d numbers, %s: %d", a, na, b, nb);
    for (i = 0; i < na && i < nb; i++) if ((sannip_real)va[i] != (sannip_real)vb[i]) { if (!bad) fprintf(stderr, "%s value %d: %.17g vs %.17g\n", b, i + 1, va[i], vb[i]); bad++; }
    CHECK(bad == 0, "%s column %d: %d of %d numbers differ from %s", b, col, bad, na, a);
    free(ta); free(tb);
}
/* import -> export -> import of the water potential: the exported files carry n2p2's own
   numbers bit for bit (weights, scaling statistics, mean_energy, conv_energy), and the second
   import is the same model (the same model text). */
static void export_water(const char *sh)
{
    char dir[1024], a[1200], b[1200], *t1 = NULL, *t2 = NULL, *nn0, *nn1;
    const char *out = sizeof(sannip_real) == 4 ? "build/n2p2_export_f" : "build/n2p2_export";
    const char *files[3] = { "scaling.data", "weights.001.data", "weights.008.data" };
    int cols[3] = { 2, 0, 0 }, i, c;
    size_t l1, l2;
    sannip_model m, m2; sannip_error err;
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", sh);
    sannip_model_init(&m, NULL); sannip_model_init(&m2, NULL);
    CHECK(sannip_n2p2_import_dir(&m, dir, &err) == SANNIP_SUCCESS, "import: %s", err.message);
    snprintf(a, sizeof a, "mkdir -p %s", out);
    CHECK(system(a) == 0, "%s", a);
    CHECK(sannip_n2p2_export_dir(&m, out, &err) == SANNIP_SUCCESS, "export: %s", err.message);
    for (i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "%s/%s", dir, files[i]); snprintf(b, sizeof b, "%s/%s", out, files[i]);
        for (c = cols[i]; c <= (i == 0 ? 5 : 0); c++) same_numbers(a, b, c);
    }
    snprintf(a, sizeof a, "%s/input.nn", dir); snprintf(b, sizeof b, "%s/input.nn", out);
    nn0 = slurp(a); nn1 = slurp(b);
    CHECK(nn0 && nn1 && (sannip_real)keyword(nn0, "mean_energy") == (sannip_real)keyword(nn1, "mean_energy"), "mean_energy differs");
    /* the model keeps 1/conv_energy: in float, several conv_energy give it, and any one will do */
    CHECK(nn0 && nn1 && (sizeof(sannip_real) < 8 ? recip(keyword(nn0, "conv_energy")) == recip(keyword(nn1, "conv_energy"))
                         : keyword(nn0, "conv_energy") == keyword(nn1, "conv_energy")),
          "conv_energy %.17g vs %.17g", nn0 ? keyword(nn0, "conv_energy") : 0, nn1 ? keyword(nn1, "conv_energy") : 0);
    free(nn0); free(nn1);
    CHECK(sannip_n2p2_import_dir(&m2, out, &err) == SANNIP_SUCCESS, "re-import: %s", err.message);
    CHECK(sannip_model_save_mem(&m, &t1, &l1, &err) == SANNIP_SUCCESS && sannip_model_save_mem(&m2, &t2, &l2, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(t1 && t2 && l1 == l2 && memcmp(t1, t2, l1) == 0, "import -> export -> import changed the model");
    free(t1); free(t2);
    sannip_model_uninit(&m); sannip_model_uninit(&m2);
}
/* Models n2p2 cannot hold are refused, naming what it lacks. */
static void export_refusals(void)
{
    static const struct { const char *desc; int act, scaling; const char *says; } cases[] = {
        { "g2 Fe Fe cut=cos rc=5 eta=0.1 rs=0\nspin_s1 Fe xi=1\n", SANNIP_ACT_TANH, SANNIP_SCALE_MODIFIED, "spin_s1" },
        { "g2 Fe * cut=cos rc=5 eta=0.1 rs=0\n", SANNIP_ACT_TANH, SANNIP_SCALE_MODIFIED, "any element" },
        { "g2 Fe Fe cut=cos rc=5 eta=0.1 rs=0\ng2 Fe Fe cut=poly2 rc=5 eta=0.2 rs=0\n", SANNIP_ACT_TANH, SANNIP_SCALE_NONE, "one cutoff type" },
        { "g2 Fe Fe cut=cos rc=5 eta=0.1 rs=0\n", SANNIP_ACT_SWISH, SANNIP_SCALE_MINMAX, "swish" },
        { "gf_radial Fe Fe eta=0.1 rs=2 fb=1,2,1,2,2\n", SANNIP_ACT_TANH, SANNIP_SCALE_NONE, "gf_radial" } };
    int i, hidden[1] = { 4 };
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        sannip_model m; sannip_error err; sannip_text nn, sc, w[1]; sannip_result r;
        int act[1]; act[0] = cases[i].act;
        sannip_model_init(&m, NULL);
        CHECK(sannip_descriptors_parse(&m.desc, cases[i].desc, &err) == SANNIP_SUCCESS, "case %d: %s", i, err.message);
        CHECK(sannip_model_add_element(&m, 26, 1, hidden, act, &err) == SANNIP_SUCCESS, "case %d: %s", i, err.message);
        m.el[0].scaling = cases[i].scaling;
        sannip_text_init(&nn, NULL); sannip_text_init(&sc, NULL); sannip_text_init(&w[0], NULL);
        r = sannip_n2p2_export_mem(&m, &nn, &sc, w, &err);
        CHECK(r == SANNIP_UNSUPPORTED && strstr(err.message, cases[i].says), "case %d: %s, '%s' (expected SANNIP_UNSUPPORTED naming '%s')",
              i, sannip_result_string(r), err.message, cases[i].says);
        sannip_text_uninit(&nn); sannip_text_uninit(&sc); sannip_text_uninit(&w[0]);
        sannip_model_uninit(&m);
    }
}
#ifndef SANNIP_FLOAT
/* A BP model trained by sannip (the water bases, modified scaling), exported with
   bin/sannip export-n2p2 and read back by import-n2p2: the same energies to 1e-12. */
static void export_trained(const char *sh)
{
    char cmd[4096];
    sannip_structure *a = NULL, *b = NULL;
    int na, nb, i;
    double maxd = 0;
    snprintf(cmd, sizeof cmd, "./bin/sannip train %s/peers/n2p2/H2O_RPBE-D3/input.data -o build/n2p2_trained.sannip --descriptors %s/peers/n2p2/H2O_RPBE-D3/input.nn "
             "--hidden 8,6 --epochs 3 --quiet > /dev/null && rm -rf build/n2p2_trained && "
             "./bin/sannip export-n2p2 build/n2p2_trained.sannip build/n2p2_trained > /dev/null && "
             "./bin/sannip import-n2p2 build/n2p2_trained -o build/n2p2_back.sannip > /dev/null && "
             "./bin/sannip predict build/n2p2_trained.sannip %s/peers/n2p2/H2O_RPBE-D3/input.data -o build/n2p2_pred_a.data > /dev/null && "
             "./bin/sannip predict build/n2p2_back.sannip %s/peers/n2p2/H2O_RPBE-D3/input.data -o build/n2p2_pred_b.data > /dev/null", sh, sh, sh, sh);
    CHECK(system(cmd) == 0, "command failed: %s", cmd);
    na = read_all("build/n2p2_pred_a.data", &a); nb = read_all("build/n2p2_pred_b.data", &b);
    CHECK(na == 20 && nb == 20, "%d and %d predicted structures", na, nb);
    for (i = 0; i < na && i < nb; i++) {
        double d = fabs(a[i].energy - b[i].energy) / fabs(a[i].energy);
        if (d > maxd) maxd = d;
    }
    CHECK(maxd < 1e-12, "exported model's energies differ by %.3g (relative)", maxd);
    printf("trained, exported, re-imported: max energy rel. diff %.3g\n", maxd);
    for (i = 0; i < na; i++) sannip_structure_uninit(&a[i]);
    for (i = 0; i < nb; i++) sannip_structure_uninit(&b[i]);
    free(a); free(b);
}
#endif

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
    export_water(sh);
    export_refusals();
#ifndef SANNIP_FLOAT
    /* quick mode (under qemu): tests/cross/run.sh compares the tool's import and predictions
       with x86-64's instead */
    if (!test_quick()) { cli_check(sh, ref, nr); export_trained(sh); }
#endif
    for (i = 0; i < nr; i++) sannip_structure_uninit(&ref[i]);
    free(ref);
    return test_report("test_n2p2");
}
