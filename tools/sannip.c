/* sannip - command-line tool: import n2p2 potentials, predict, inspect models and features.
   Build: make (bin/sannip). Every command documents its flags: sannip help CMD. */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

typedef struct help_entry { const char *name, *usage, *text; } help_entry;
static const help_entry HELP[] = {
    { "import-n2p2", "sannip import-n2p2 DIR -o MODEL",
      "Converts an n2p2 potential (DIR/input.nn, DIR/scaling.data, DIR/weights.NNN.data)\n"
      "into a sannip model file. Symmetry function types 2, 3, 9, 12, 13, every cutoff type\n"
      "with its inner cutoff, every scaling mode, unit normalisation and atom_energy offsets\n"
      "are carried over so the model predicts what n2p2 predicts, in the same units.\n"
      "  -o MODEL   output model file (written to MODEL.tmp, then renamed)\n" },
    { "predict", "sannip predict MODEL STRUCTURES -o OUT [--format n2p2|xyz] [--atom-energies]",
      "Predicts energy, forces and virial of every structure in STRUCTURES (n2p2 input.data\n"
      "or extended XYZ, detected from the content) and writes them to OUT.\n"
      "  -o OUT           output file; format from --format, else from the extension\n"
      "                   (.xyz/.extxyz -> extended XYZ with energy=, forces, virial=; else n2p2)\n"
      "  --format F       n2p2 or xyz\n"
      "  --atom-energies  add per-atom energies (extended XYZ column 'energies')\n"
      "When the input carries reference energies/forces, RMSEs against them are printed.\n" },
    { "info", "sannip info MODEL",
      "Prints the elements, descriptor counts per class (radial, angular, spin), network\n"
      "shapes and activations, parameter counts and trainable parameters per input (T3.25).\n" },
    { "features", "sannip features MODEL|DESCRIPTORS STRUCTURES -o OUT.csv",
      "Writes the raw (unscaled) descriptors of every atom as CSV: columns structure, atom,\n"
      "element, then one column per basis whose header names its type, elements and\n"
      "parameters. With a model, the model's bases; with a descriptor definition file (see\n"
      "'sannip help descriptors'), that set. Bases that do not apply to an atom's element are 0.\n"
      "  -o OUT.csv   output file\n" },
    { "descriptors", "sannip descriptors MODEL|bp-fe -o FILE",
      "Writes a descriptor definition file: one basis per line,\n"
      "  g2 CENTER NBR cut=TYPE rc=R [alpha=A] eta=E rs=S\n"
      "  g4|g5 CENTER NBR1 NBR2 cut=TYPE rc=R eta=E rs=S lambda=L zeta=Z\n"
      "  gf_radial CENTER NBR eta=E rs=S fb=EPSDN,RS,EPSUP,XIDN,XIUP\n"
      "  gf_biradial|gf_angular1|gf_angular2 CENTER NBR1 NBR2 ... fb=... fb2=...\n"
      "Elements are symbols, '*' any, 'Zw' Z-weighted. n2p2 'symfunction_short' and\n"
      "'cutoff_type' lines are accepted when read. bp-fe is the thesis's BP set for Fe (T A.1).\n"
      "  -o FILE   output file\n" },
    { "help", "sannip help [CMD]", "Lists the commands, or documents CMD's flags.\n" },
};
#define NHELP (int)(sizeof HELP / sizeof HELP[0])

static int usage_error(const char *cmd, const char *msg)
{
    int i;
    fprintf(stderr, "sannip %s: %s\n", cmd, msg);
    for (i = 0; i < NHELP; i++) if (strcmp(HELP[i].name, cmd) == 0) fprintf(stderr, "usage: %s\n", HELP[i].usage);
    return 2;
}
static int fail(const sannip_error *err, sannip_result r)
{
    fprintf(stderr, "sannip: %s: %s\n", sannip_result_string(r), err->message);
    return 1;
}

static int cmd_help(int argc, char **argv)
{
    int i;
    if (argc >= 3) {
        for (i = 0; i < NHELP; i++) if (strcmp(HELP[i].name, argv[2]) == 0) { printf("usage: %s\n\n%s", HELP[i].usage, HELP[i].text); return 0; }
        fprintf(stderr, "sannip help: unknown command '%s'\n", argv[2]);
        return 2;
    }
    printf("sannip %d.%d.%d - spin-aware neural-network interatomic potentials\n\ncommands:\n", SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR, SANNIP_VERSION_PATCH);
    for (i = 0; i < NHELP; i++) printf("  %s\n", HELP[i].usage);
    printf("\n'sannip help CMD' documents CMD's flags.\n");
    return 0;
}

/* Options: positional arguments and -o/--format/--atom-energies. */
typedef struct opts { const char *pos[4]; int npos; const char *out, *format; int atom_e; } opts;
static int parse_opts(int argc, char **argv, opts *o, const char *cmd)
{
    int i;
    memset(o, 0, sizeof *o);
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) { if (++i >= argc) return usage_error(cmd, "-o needs a file"); o->out = argv[i]; }
        else if (strcmp(argv[i], "--format") == 0) { if (++i >= argc) return usage_error(cmd, "--format needs n2p2 or xyz"); o->format = argv[i]; }
        else if (strcmp(argv[i], "--atom-energies") == 0) o->atom_e = 1;
        else if (argv[i][0] == '-' && argv[i][1]) { char m[256]; snprintf(m, sizeof m, "unknown flag '%s'", argv[i]); return usage_error(cmd, m); }
        else { if (o->npos == 4) return usage_error(cmd, "too many arguments"); o->pos[o->npos++] = argv[i]; }
    }
    return 0;
}

/* Reads every structure of a file (n2p2 or extended XYZ, by content). */
typedef struct structures { sannip_structure *s; int n, cap; } structures;
static void structures_free(structures *L) { int i; for (i = 0; i < L->n; i++) sannip_structure_uninit(&L->s[i]); free(L->s); }
static int read_structures(const char *path, structures *L, sannip_error *err)
{
    char *text;
    size_t len, pos = 0;
    int line = 0, n2p2, r;
    const char *p;
    memset(L, 0, sizeof *L);
    if ((r = sannip_read_file(path, NULL, &text, &len, err)) != SANNIP_SUCCESS) return r;
    p = text + strspn(text, " \t\r\n");
    n2p2 = strncmp(p, "begin", 5) == 0;
    for (;;) {
        if (L->n == L->cap) {
            sannip_structure *q = (sannip_structure *)realloc(L->s, sizeof *q * (size_t)(L->cap = L->cap ? 2 * L->cap : 16));
            if (!q) { free(text); return SANNIP_OUT_OF_MEMORY; }
            L->s = q;
        }
        sannip_structure_init(&L->s[L->n], NULL);
        r = n2p2 ? sannip_read_n2p2(&L->s[L->n], text, len, &pos, &line, err) : sannip_read_xyz(&L->s[L->n], text, len, &pos, &line, err);
        if (r == 1) break;
        if (r != SANNIP_SUCCESS) {
            char pre[300];
            snprintf(pre, sizeof pre, "%.250s:%d: ", path, err->line);
            memmove(err->message + strlen(pre), err->message, sizeof err->message - strlen(pre));
            memcpy(err->message, pre, strlen(pre));
            err->message[sizeof err->message - 1] = 0;
            free(text); structures_free(L); return r;
        }
        L->n++;
    }
    free(text);
    if (L->n == 0) { snprintf(err->message, sizeof err->message, "%s: no structures", path); return SANNIP_PARSE_ERROR; }
    return SANNIP_SUCCESS;
}

static int load_model(const char *path, sannip_model *m, sannip_error *err)
{
    sannip_model_init(m, NULL);
    return sannip_model_load_file(m, path, err);
}

static int cmd_import(int argc, char **argv)
{
    opts o;
    sannip_model m;
    sannip_error err;
    int r;
    if ((r = parse_opts(argc, argv, &o, "import-n2p2")) != 0) return r;
    if (o.npos != 1 || !o.out) return usage_error("import-n2p2", "needs DIR and -o MODEL");
    sannip_model_init(&m, NULL);
    if ((r = sannip_n2p2_import_dir(&m, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = sannip_model_save_file(&m, o.out, &err)) != SANNIP_SUCCESS) { sannip_model_uninit(&m); return fail(&err, (sannip_result)r); }
    printf("imported %s: %d elements, %d bases, %zu parameters -> %s\n", o.pos[0], m.n_elements, m.desc.n, sannip_model_n_params(&m), o.out);
    sannip_model_uninit(&m);
    return 0;
}

static int ends_with(const char *s, const char *t) { size_t a = strlen(s), b = strlen(t); return a >= b && strcmp(s + a - b, t) == 0; }

static int cmd_predict(int argc, char **argv)
{
    opts o;
    sannip_model m;
    sannip_workspace ws;
    sannip_error err;
    structures L;
    sannip_text out;
    int r, i, xyz, nE = 0, nF = 0;
    double se = 0, sf = 0, t0;
    if ((r = parse_opts(argc, argv, &o, "predict")) != 0) return r;
    if (o.npos != 2 || !o.out) return usage_error("predict", "needs MODEL STRUCTURES -o OUT");
    if (o.format && strcmp(o.format, "n2p2") && strcmp(o.format, "xyz")) return usage_error("predict", "--format must be n2p2 or xyz");
    xyz = o.format ? strcmp(o.format, "xyz") == 0 : (ends_with(o.out, ".xyz") || ends_with(o.out, ".extxyz"));
    if ((r = load_model(o.pos[0], &m, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) { sannip_model_uninit(&m); return fail(&err, (sannip_result)r); }
    sannip_workspace_init(&ws, NULL);
    sannip_text_init(&out, NULL);
    t0 = (double)clock();
    for (i = 0; i < L.n; i++) {
        sannip_structure *s = &L.s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E, W[9], *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n), *ea = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)s->n);
        if (!F || !ea) { fprintf(stderr, "sannip predict: out of memory\n"); return 1; }
        if ((r = sannip_model_compute(&m, &ws, &sys, &E, ea, F, W, &err)) != SANNIP_SUCCESS) {
            fprintf(stderr, "sannip predict: structure %d of %s: %s: %s\n", i + 1, o.pos[1], sannip_result_string((sannip_result)r), err.message);
            free(F); free(ea); sannip_text_uninit(&out); structures_free(&L); sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
            return 1;
        }
        if (s->has_energy) { double d = (E - s->energy) / s->n; se += d * d; nE++; }
        if (s->forces) { int k; for (k = 0; k < 3 * s->n; k++) { double d = F[k] - s->forces[k]; sf += d * d; nF++; } }
        if (xyz) sannip_write_xyz(&out, s, &E, F, (s->pbc[0] || s->pbc[1] || s->pbc[2]) ? W : NULL, o.atom_e ? ea : NULL);
        else sannip_write_n2p2(&out, s, &E, F);
        free(F); free(ea);
    }
    t0 = ((double)clock() - t0) / CLOCKS_PER_SEC;
    if (out.failed) { fprintf(stderr, "sannip predict: out of memory\n"); return 1; }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("predicted %d structures in %.3f s -> %s\n", L.n, t0, o.out);
    if (nE) printf("vs reference: energy RMSE %.6g %s/atom", sqrt(se / nE), m.units_energy);
    if (nF) printf(", force RMSE %.6g %s/%s", sqrt(sf / nF), m.units_energy, m.units_length);
    if (nE || nF) printf("\n");
    sannip_text_uninit(&out); structures_free(&L); sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
    return 0;
}

static const char *basis_class(const sannip_basis *b)
{
    if (b->kind >= SANNIP_BASIS_SPIN_FIRST) return "spin";
    return sannip_basis_is_angular(b) ? "angular" : "radial";
}

static int cmd_info(int argc, char **argv)
{
    opts o;
    sannip_model m;
    sannip_error err;
    int r, e, f, l;
    if ((r = parse_opts(argc, argv, &o, "info")) != 0) return r;
    if (o.npos != 1) return usage_error("info", "needs MODEL");
    if ((r = load_model(o.pos[0], &m, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("model %s\n  units: energy %s, length %s\n  cutoff: %g\n  bases: %d\n  elements: %d\n", o.pos[0], m.units_energy, m.units_length, (double)m.cutoff, m.desc.n, m.n_elements);
    for (e = 0; e < m.n_elements; e++) {
        const sannip_element_model *el = &m.el[e];
        int nr = 0, na = 0, ns = 0;
        for (f = 0; f < el->n_features; f++) {
            const char *c = basis_class(&m.desc.b[el->feature[f]]);
            if (c[0] == 'r') nr++; else if (c[0] == 'a') na++; else ns++;
        }
        printf("  element %s: %d features (%d radial, %d angular, %d spin), scaling %s\n", sannip_element_symbol(el->Z), el->n_features, nr, na, ns, sannip_scaling_name(el->scaling));
        printf("    network:");
        for (l = 0; l <= el->net.n_layers; l++) printf(" %d", el->net.sizes[l]);
        printf("  activations:");
        for (l = 0; l < el->net.n_layers; l++) printf(" %s", sannip_activation_name(el->net.act[l]));
        printf("\n    parameters: %zu, per input (T3.25): %.1f\n", el->net.n_params, sannip_model_tpi(&m, e));
        printf("    energy: %.17g * NN + %.17g\n", (double)el->energy_scale, (double)el->energy_offset);
    }
    printf("  total parameters: %zu\n", sannip_model_n_params(&m));
    sannip_model_uninit(&m);
    return 0;
}

/* A model file starts with "sannip-model"; anything else is a descriptor definition. */
static int load_descriptors(const char *path, sannip_descriptors *d, sannip_error *err)
{
    char *text;
    size_t len;
    int r;
    sannip_descriptors_init(d, NULL);
    if (strcmp(path, "bp-fe") == 0) return sannip_descriptors_preset_bp_fe(d, 26, err);
    if ((r = sannip_read_file(path, NULL, &text, &len, err)) != SANNIP_SUCCESS) return r;
    if (strncmp(text + strspn(text, " \t\r\n"), "sannip-model", 12) == 0) {
        sannip_model m;
        sannip_model_init(&m, NULL);
        r = sannip_model_load_mem(&m, text, len, err);
        if (r == SANNIP_SUCCESS) { int f; for (f = 0; f < m.desc.n && r == SANNIP_SUCCESS; f++) r = sannip_descriptors_add(d, &m.desc.b[f], err); }
        sannip_model_uninit(&m);
    } else r = sannip_descriptors_parse(d, text, err);
    free(text);
    return r;
}

static int cmd_features(int argc, char **argv)
{
    opts o;
    sannip_descriptors d;
    sannip_workspace ws;
    sannip_error err;
    structures L;
    sannip_text out;
    int r, i, f, a;
    char line[1024];
    if ((r = parse_opts(argc, argv, &o, "features")) != 0) return r;
    if (o.npos != 2 || !o.out) return usage_error("features", "needs MODEL|DESCRIPTORS STRUCTURES -o OUT.csv");
    if ((r = load_descriptors(o.pos[0], &d, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) { sannip_descriptors_uninit(&d); return fail(&err, (sannip_result)r); }
    sannip_workspace_init(&ws, NULL);
    sannip_text_init(&out, NULL);
    sannip_text_printf(&out, "structure,atom,element");
    for (f = 0; f < d.n; f++) {
        char *p;
        sannip_basis_format(&d.b[f], line, sizeof line);
        for (p = line; *p; p++) if (*p == ',') *p = ';';   /* keep CSV columns intact */
        /* collapse runs of spaces */
        {
            char *w = line, *q = line;
            int sp = 0;
            for (; *q; q++) { if (*q == ' ') { if (!sp && w != line) *w++ = ' '; sp = 1; } else { *w++ = *q; sp = 0; } }
            *w = 0;
        }
        sannip_text_printf(&out, ",%s", line);
    }
    sannip_text_printf(&out, "\n");
    for (i = 0; i < L.n; i++) {
        sannip_system sys = sannip_structure_view(&L.s[i]);
        sannip_real *G = (sannip_real *)malloc(sizeof(sannip_real) * ((size_t)sys.n * d.n + 1));
        if (!G) { fprintf(stderr, "sannip features: out of memory\n"); return 1; }
        if ((r = sannip_descriptors_compute(&d, &ws, &sys, G, &err)) != SANNIP_SUCCESS) {
            fprintf(stderr, "sannip features: structure %d: %s: %s\n", i + 1, sannip_result_string((sannip_result)r), err.message);
            return 1;
        }
        for (a = 0; a < sys.n; a++) {
            sannip_text_printf(&out, "%d,%d,%s", i + 1, a + 1, sannip_element_symbol(sys.Z[a]));
            for (f = 0; f < d.n; f++) { char nb[64]; sannip_format_real(nb, sizeof nb, G[(size_t)a * d.n + f]); sannip_text_printf(&out, ",%s", nb); }
            sannip_text_printf(&out, "\n");
        }
        free(G);
    }
    if (out.failed) { fprintf(stderr, "sannip features: out of memory\n"); return 1; }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("wrote %d bases for %d structures -> %s\n", d.n, L.n, o.out);
    sannip_text_uninit(&out); structures_free(&L); sannip_workspace_uninit(&ws); sannip_descriptors_uninit(&d);
    return 0;
}

static int cmd_descriptors(int argc, char **argv)
{
    opts o;
    sannip_descriptors d;
    sannip_error err;
    sannip_text out;
    int r, f;
    char line[1024];
    if ((r = parse_opts(argc, argv, &o, "descriptors")) != 0) return r;
    if (o.npos != 1 || !o.out) return usage_error("descriptors", "needs MODEL|bp-fe -o FILE");
    if ((r = load_descriptors(o.pos[0], &d, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    sannip_text_init(&out, NULL);
    sannip_text_printf(&out, "# sannip descriptor set: %d bases (one per line; see 'sannip help descriptors')\n", d.n);
    for (f = 0; f < d.n; f++) { sannip_basis_format(&d.b[f], line, sizeof line); sannip_text_printf(&out, "%s\n", line); }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("wrote %d bases -> %s\n", d.n, o.out);
    sannip_text_uninit(&out); sannip_descriptors_uninit(&d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return cmd_help(argc, argv);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return cmd_help(argc, argv);
    if (strcmp(argv[1], "import-n2p2") == 0) return cmd_import(argc, argv);
    if (strcmp(argv[1], "predict") == 0) return cmd_predict(argc, argv);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc, argv);
    if (strcmp(argv[1], "features") == 0) return cmd_features(argc, argv);
    if (strcmp(argv[1], "descriptors") == 0) return cmd_descriptors(argc, argv);
    fprintf(stderr, "sannip: unknown command '%s' (try 'sannip help')\n", argv[1]);
    return 2;
}
