/* Units and domains: the unit table (names, aliases, CODATA sizes), labelling and converting
   a model (the converted water potential predicts E x f_E and F x f_E/f_L), and
   sannip_model_compute_domain (a periodic cell evaluated as its atoms plus ghost images:
   energy, folded-back forces, virial and per-atom virial equal the periodic computation). */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include <string.h>

static void unit_table(void)
{
    double s = 0;
    CHECK(strcmp(sannip_unit_find("A", SANNIP_UNIT_LENGTH, &s), "Angstrom") == 0 && s == 1, "A");
    CHECK(strcmp(sannip_unit_find("Bohr", SANNIP_UNIT_LENGTH, &s), "bohr") == 0 && s == 0.529177210903, "bohr %.17g", s);
    CHECK(strcmp(sannip_unit_find("nm", SANNIP_UNIT_LENGTH, &s), "nm") == 0 && s == 10, "nm");
    CHECK(strcmp(sannip_unit_find("Hartree", SANNIP_UNIT_ENERGY, &s), "Ha") == 0 && s == 27.211386245988, "Ha");
    CHECK(strcmp(sannip_unit_find("Ry", SANNIP_UNIT_ENERGY, &s), "Ry") == 0 && fabs(2 * s - 27.211386245988) < 1e-12, "Ry");
    /* 1 kcal/mol = 0.0433641043 eV, 1 kJ/mol = 1/96.48533212 eV = 0.0103642697 eV (CODATA 2018) */
    CHECK(sannip_unit_find("kcal/mol", SANNIP_UNIT_ENERGY, &s) && fabs(s - 0.0433641043) < 1e-10, "kcal/mol %.12g", s);
    CHECK(sannip_unit_find("kJ_mol", SANNIP_UNIT_ENERGY, &s) && fabs(s - 0.0103642697) < 1e-10, "kJ/mol %.12g", s);
    CHECK(strcmp(sannip_unit_find("meV", SANNIP_UNIT_ENERGY, &s), "meV") == 0 && s == 1e-3, "meV");
    CHECK(sannip_unit_find("eV", SANNIP_UNIT_LENGTH, NULL) == NULL, "eV is no length");
    CHECK(sannip_unit_find("furlong", SANNIP_UNIT_LENGTH, NULL) == NULL && sannip_unit_find(NULL, SANNIP_UNIT_ENERGY, NULL) == NULL, "unknown");
}

static void labels(void)
{
    sannip_model m; sannip_error err; const char *l, *e;
    sannip_model_init(&m, NULL);
    CHECK(sannip_model_units(&m, &l, &e) == 1 && strcmp(l, "Angstrom") == 0 && strcmp(e, "eV") == 0, "default %s %s", l, e);
    CHECK(sannip_model_set_units(&m, "a0", "Hartree", &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(strcmp(m.units_length, "bohr") == 0 && strcmp(m.units_energy, "Ha") == 0, "canonical %s %s", m.units_length, m.units_energy);
    CHECK(sannip_model_set_units(&m, "parsec", NULL, &err) == SANNIP_BAD_PARAMETER && strstr(err.message, "parsec"), "%s", err.message);
    CHECK(strcmp(m.units_length, "bohr") == 0, "unchanged after a bad name");
    CHECK(sannip_model_set_units(&m, "unknown", NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_units(&m, &l, &e) == 0 && strcmp(l, "unknown") == 0, "unknown");
    CHECK(sannip_model_convert_units(&m, "A", "eV", &err) == SANNIP_UNSUPPORTED && strstr(err.message, "unknown"), "%s", err.message);
    strcpy(m.units_length, "n2p2");   /* an old file's label */
    CHECK(sannip_model_units(&m, &l, NULL) == 0 && strcmp(l, "unknown") == 0, "n2p2 label reads as unknown");
    sannip_model_uninit(&m);
}

static int read_all(const char *path, sannip_dataset *d)
{
    sannip_error err;
    sannip_dataset_init(d, NULL);
    if (sannip_dataset_read_file(d, path, &err)) { fprintf(stderr, "%s: %s\n", path, err.message); return 0; }
    return d->n;
}

/* bohr/Ha water -> Angstrom/eV: every structure, scaled, gives E f_E, F f_E/f_L, W f_E */
static void convert_water(const sannip_model *m0, const sannip_dataset *d)
{
    sannip_model m; sannip_workspace ws; sannip_error err; char *text; size_t len;
    double fl = 0.529177210903, fe = 27.211386245988, de = 0, df = 0, dw = 0;
    int i, k;
    CHECK(sannip_model_copy(&m, m0, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_convert_units(&m, "Angstrom", "eV", &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(strcmp(m.units_length, "Angstrom") == 0 && strcmp(m.units_energy, "eV") == 0, "labels %s %s", m.units_length, m.units_energy);
    CHECK(fabs(m.cutoff - m0->cutoff * fl) < TOL(1e-12, 1e-6) * m.cutoff, "cutoff %g", (double)m.cutoff);
    CHECK(sannip_model_convert_units(&m, "A", "parsec", &err) == SANNIP_BAD_PARAMETER, "bad target");
    sannip_workspace_init(&ws, NULL);
    for (i = 0; i < d->n; i++) {
        const sannip_structure *s = &d->s[i];
        sannip_system sys = sannip_structure_view(s), sys2 = sys;
        sannip_real E, E2, W[9], W2[9], fmax = 0;
        sannip_real *F = (sannip_real *)malloc(sizeof(sannip_real) * 9 * (size_t)s->n), *F2 = F + 3 * s->n, *pos = F2 + 3 * s->n;
        for (k = 0; k < 3 * s->n; k++) pos[k] = s->pos[k] * (sannip_real)fl;
        for (k = 0; k < 9; k++) sys2.cell[k] = s->cell[k] * (sannip_real)fl;
        sys2.pos = pos;
        CHECK(sannip_model_compute(m0, &ws, &sys, &E, NULL, F, W, &err) == SANNIP_SUCCESS, "%s", err.message);
        CHECK(sannip_model_compute(&m, &ws, &sys2, &E2, NULL, F2, W2, &err) == SANNIP_SUCCESS, "%s", err.message);
        if (fabs(E2 - E * fe) / fabs(E * fe) > de) de = fabs(E2 - E * fe) / fabs(E * fe);
        for (k = 0; k < 3 * s->n; k++) if (fabs(F[k]) > fmax) fmax = (sannip_real)fabs(F[k]);
        for (k = 0; k < 3 * s->n; k++) if (fabs(F2[k] - F[k] * fe / fl) / (fmax * fe / fl) > df) df = fabs(F2[k] - F[k] * fe / fl) / (fmax * fe / fl);
        for (k = 0; k < 9; k++) if (fabs(W2[k] - W[k] * fe) / fabs(W[0] * fe) > dw) dw = fabs(W2[k] - W[k] * fe) / fabs(W[0] * fe);
        free(F);
    }
    CHECK(de < TOL(1e-12, 1e-5), "energy rel. diff %.3g", de);
    CHECK(df < TOL(1e-12, 1e-4), "force diff %.3g (relative to the largest force)", df);
    CHECK(dw < TOL(1e-12, 1e-4), "virial diff %.3g", dw);
    printf("converted bohr/Ha -> Angstrom/eV: energy %.3g, forces %.3g, virial %.3g (relative)\n", de, df, dw);
    /* the file carries the new units */
    CHECK(sannip_model_save_mem(&m, &text, &len, &err) == SANNIP_SUCCESS && strstr(text, "units eV Angstrom"), "saved units");
    sannip_free(&m.alloc, text);
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
}

/* A periodic structure as a domain: its atoms (contributing) plus every image within the
   cutoff (ghosts, open boundaries). Forces on ghosts fold back onto their owners. */
static void domain(const sannip_model *m, const sannip_structure *s)
{
    sannip_workspace ws; sannip_error err;
    sannip_system sys = sannip_structure_view(s), g;
    int n = s->n, na = 0, i, k, a, b, c, *Z, *mask, *owner;
    sannip_real E, Ed, W[9], Wd[9], Ws[9] = { 0 }, *F, *Fd, *pos, *ea, *ead, *av, Fb[3];
    double df = 0, fmax = 0;
    size_t cap = (size_t)n * 27;
    Z = (int *)malloc(sizeof(int) * cap * 3); mask = Z + cap; owner = mask + cap;
    pos = (sannip_real *)malloc(sizeof(sannip_real) * cap * 20);
    Fd = pos + 3 * cap; F = Fd + 3 * cap; ea = F + 3 * cap; ead = ea + cap; av = ead + cap;
    for (a = -1; a <= 1; a++) for (b = -1; b <= 1; b++) for (c = -1; c <= 1; c++)
        for (i = 0; i < n; i++) {
            for (k = 0; k < 3; k++) pos[3 * na + k] = s->pos[3 * i + k] + a * s->cell[k] + b * s->cell[3 + k] + c * s->cell[6 + k];
            Z[na] = s->Z[i]; mask[na] = !a && !b && !c; owner[na] = i; na++;
        }
    memset(&g, 0, sizeof g);
    g.n = na; g.pos = pos; g.Z = Z;
    sannip_workspace_init(&ws, NULL);
    CHECK(sannip_model_compute(m, &ws, &sys, &E, ea, F, W, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(sannip_model_compute_domain(m, &ws, &g, mask, &Ed, ead, Fd, Wd, av, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(fabs(Ed - E) <= TOL(1e-12, 1e-5) * fabs(E), "domain energy %.17g vs %.17g", (double)Ed, (double)E);
    for (i = 0; i < 3 * n; i++) if (fabs(F[i]) > fmax) fmax = fabs(F[i]);
    for (i = 0; i < n; i++) {
        Fb[0] = Fb[1] = Fb[2] = 0;
        for (k = 0; k < na; k++) if (owner[k] == i) for (a = 0; a < 3; a++) Fb[a] += Fd[3 * k + a];
        for (a = 0; a < 3; a++) if (fabs(Fb[a] - F[3 * i + a]) > df) df = fabs(Fb[a] - F[3 * i + a]);
    }
    CHECK(df <= TOL(1e-12, 1e-4) * fmax, "folded forces differ by %.3g (largest force %.3g)", df, fmax);
    for (k = 0; k < 9; k++) CHECK(fabs(Wd[k] - W[k]) <= TOL(1e-12, 1e-4) * fabs(W[0]), "virial %d: %g vs %g", k, (double)Wd[k], (double)W[k]);
    for (k = 0; k < na; k++) for (a = 0; a < 9; a++) Ws[a] += av[9 * k + a];
    for (a = 0; a < 9; a++) CHECK(fabs(Ws[a] - Wd[a]) <= TOL(1e-12, 1e-4) * fabs(W[0]), "atom virials sum %g vs %g", (double)Ws[a], (double)Wd[a]);
    for (k = 0, a = 0; k < na; k++) if (!mask[k] && ead[k] != 0) a++;
    CHECK(a == 0, "%d ghosts with an energy", a);
    for (i = 0; i < n; i++) if (fabs(ead[13 * n + i] - ea[i]) > TOL(1e-12, 1e-5) * fabs(ea[i])) a++;
    CHECK(a == 0, "%d atom energies differ from the periodic ones", a);
    printf("domain of %d atoms + %d ghosts: energy %.3g (relative), folded forces %.3g\n", n, na - n, fabs(Ed - E) / fabs(E), df);
    /* NULL mask: exactly sannip_model_compute */
    CHECK(sannip_model_compute_domain(m, &ws, &sys, NULL, &Ed, NULL, Fd, Wd, NULL, &err) == SANNIP_SUCCESS && Ed == E
          && memcmp(Fd, F, sizeof(sannip_real) * 3 * (size_t)n) == 0 && memcmp(Wd, W, sizeof W) == 0, "NULL mask is compute");
    free(Z); free(pos); sannip_workspace_uninit(&ws);
}

int main(void)
{
    char dir[1024], path[1100];
    sannip_model m; sannip_error err; sannip_dataset d;
    unit_table();
    labels();
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", test_shared());
    snprintf(path, sizeof path, "%s/input.data", dir);
    sannip_model_init(&m, NULL);
    CHECK(sannip_n2p2_import_dir(&m, dir, &err) == SANNIP_SUCCESS, "import: %s", err.message);
    CHECK(strcmp(m.units_length, "unknown") == 0 && strcmp(m.units_energy, "unknown") == 0, "n2p2 import: %s %s", m.units_length, m.units_energy);
    CHECK(sannip_model_set_units(&m, "bohr", "Ha", &err) == SANNIP_SUCCESS, "%s", err.message);
    if (read_all(path, &d) > 0) {
        convert_water(&m, &d);
        domain(&m, &d.s[0]);
    } else CHECK(0, "no %s", path);
    sannip_dataset_uninit(&d); sannip_model_uninit(&m);
    return test_report("test_units");
}
