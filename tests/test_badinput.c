/* Robustness: every bad input gives its own sannip_result code and a message that says what
   and where (err.line for text inputs), never a crash, a leak, a hang or a "successful" load
   of garbage. Covers model files (truncated at many offsets, corrupted fields, wrong version,
   binary), structures (NaN/Inf, singular cells, overlaps, unknown elements, absurd sizes),
   descriptor parameters, n2p2 input.data / extended XYZ / n2p2 potentials edited in memory,
   the command-line tool, and workspaces that stop allocating (allocation failures: test_oom.c).
   Issue 12: coordinates beyond SANNIP_MAX_COORD, SANNIP_MAX_NEIGHBORS, Fourier-spline
   exponents beyond int, huge atom counts, directories read as files, atomic saves (symlinks,
   modes, leftovers), training stopped before its first epoch, the prefetch of the last
   structure of an epoch (run under UBSan by test_options.sh). */
#define _POSIX_C_SOURCE 200809L   /* fork/alarm for the "does not hang" check */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "../sannip_train.h"   /* committee files, training */
#include "test.h"
#include "test_alloc.h"
#include <stdlib.h>
#include <string.h>
#if defined(__unix__)
#include <unistd.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <dirent.h>
#define HAVE_FORK 1
#endif

#ifdef SANNIP_FLOAT
#define SUFFIX "_f"
#else
#define SUFFIX ""
#endif

/* ---- helpers ----------------------------------------------------------------------------- */
static sannip_error err;

static void reset(void)
{
    err.code = (sannip_result)12345; err.line = -1; err.field = -1; err.message[0] = 0;
}

/* r must be `want` and the message non-empty. line > 0: err.line must equal it; line < 0:
   err.line must be set (> 0); line == 0: no text line applies. contains: a substring the
   message must hold (NULL: none). */
static void expect(const char *what, int r, sannip_result want, int line, const char *contains)
{
    CHECK(r == (int)want, "%s: returned %s, expected %s (message '%s')", what,
          sannip_result_string((sannip_result)r), sannip_result_string(want), err.message);
    CHECK(err.message[0] != 0, "%s: no error message", what);
    if (r != SANNIP_SUCCESS) CHECK(err.code == (sannip_result)r, "%s: err.code %d but returned %d", what, (int)err.code, r);
    if (line > 0) CHECK(err.line == line, "%s: err.line %d, expected %d ('%s')", what, err.line, line, err.message);
    else if (line < 0) CHECK(err.line > 0, "%s: err.line not set ('%s')", what, err.message);
    if (contains) CHECK(strstr(err.message, contains) != NULL, "%s: message '%s' does not mention '%s'", what, err.message, contains);
    if (r == (int)want && err.message[0]) printf("ok %s: %s\n", what, err.message);
}

static char *dupn(const char *s, size_t n)    /* exactly n bytes, no terminator beyond n */
{
    char *p = (char *)malloc(n ? n : 1);
    if (n) memcpy(p, s, n);
    return p;
}
static char *dupz(const char *s, size_t n)    /* n bytes + NUL */
{
    char *p = (char *)malloc(n + 1);
    memcpy(p, s, n); p[n] = 0;
    return p;
}
static char *str(const char *s) { return dupz(s, strlen(s)); }
static int line_of(const char *text, size_t pos)
{
    int line = 1;
    size_t i;
    for (i = 0; i < pos && text[i]; i++) if (text[i] == '\n') line++;
    return line;
}
/* text with [pos, pos+len) replaced by repl (NUL-terminated, malloc'd). */
static char *replace_at(const char *text, size_t pos, size_t len, const char *repl)
{
    size_t n = strlen(text), r = strlen(repl);
    char *p = (char *)malloc(n - len + r + 1);
    memcpy(p, text, pos); memcpy(p + pos, repl, r);
    memcpy(p + pos + r, text + pos + len, n - pos - len + 1);
    return p;
}
/* The first occurrence of find replaced by repl; *line receives its line number. */
static char *replace(const char *text, const char *find, const char *repl, int *line)
{
    const char *q = strstr(text, find);
    CHECK(q != NULL, "test pattern '%s' not found (has the file format changed?)", find);
    if (!q) { if (line) *line = 0; return dupz(text, strlen(text)); }
    if (line) *line = line_of(text, (size_t)(q - text));
    return replace_at(text, (size_t)(q - text), strlen(find), repl);
}
/* Position of the first token of the first line after `after` that holds data. */
static size_t token_after(const char *text, const char *after, size_t *toklen)
{
    const char *q = strstr(text, after);
    size_t p, e;
    CHECK(q != NULL, "test pattern '%s' not found (has the file format changed?)", after);
    if (!q) { *toklen = 0; return 0; }
    p = (size_t)(q - text) + strlen(after);
    while (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r') p++;
    e = p;
    while (text[e] && text[e] != ' ' && text[e] != '\t' && text[e] != '\n') e++;
    *toklen = e - p;
    return p;
}
/* Position of the k-th (0-based) line that is neither blank nor a '#' comment. */
static size_t data_line(const char *text, int k)
{
    size_t p = 0;
    for (;;) {
        size_t q = p + strspn(text + p, " \t");
        if (!text[p]) { CHECK(0, "test text has no data line %d", k); return 0; }
        if (text[q] != '#' && text[q] != '\n' && text[q] != '\r' && k-- == 0) return p;
        while (text[p] && text[p] != '\n') p++;
        if (text[p]) p++;
    }
}
/* Position and length of token k (0-based) of the line starting at p. */
static size_t token_in_line(const char *text, size_t p, int k, size_t *toklen)
{
    for (;;) {
        size_t e;
        p += strspn(text + p, " \t");
        e = p + strcspn(text + p, " \t\r\n");
        if (k-- == 0) { *toklen = e - p; return p; }
        p = e;
    }
}
/* The first line whose first word is `word` replaced by repl; *line receives its number. */
static char *replace_line(const char *text, const char *word, const char *repl, int *line)
{
    size_t p = 0, w = strlen(word);
    while (text[p]) {
        size_t q = p + strspn(text + p, " \t");
        if (strncmp(text + q, word, w) == 0 && (text[q + w] == ' ' || text[q + w] == '\t' || text[q + w] == '\n')) {
            if (line) *line = line_of(text, p);
            return replace_at(text, p, strcspn(text + p, "\n"), repl);
        }
        while (text[p] && text[p] != '\n') p++;
        if (text[p]) p++;
    }
    CHECK(0, "test text has no line '%s' (has the file format changed?)", word);
    if (line) *line = 0;
    return dupz(text, strlen(text));
}
/* The text without its last k lines. */
static char *drop_last_lines(const char *text, int k)
{
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n') n--;
    while (k-- > 0 && n > 0) { while (n > 0 && text[n - 1] != '\n') n--; if (n) n--; }
    return dupz(text, n ? n + 1 : 0);
}

/* ---- a small valid model and structure ---------------------------------------------------- */
static const char *DESC =
    "g2 H H cut=cos rc=4 eta=0.5 rs=0\n"
    "g2 H O cut=cos rc=4 eta=0.5 rs=1\n"
    "g4 H H O cut=cos rc=4 eta=0.1 lambda=1 zeta=2\n"
    "g2 O H cut=cos rc=4 eta=0.5 rs=0\n"
    "g2 O O cut=tanh rc=4 eta=0.3 rs=0\n"
    "g4 O H H cut=poly2 rc=4 alpha=0.2 eta=0.1 lambda=-1 zeta=1\n";

static void build_model(sannip_model *m)
{
    int hid[1] = { 4 }, act[1] = { SANNIP_ACT_TANH }, e, f;
    size_t k;
    sannip_rng rng;
    sannip_model_init(m, NULL);
    if (sannip_descriptors_parse(&m->desc, DESC, &err) || sannip_model_add_element(m, 1, 1, hid, act, &err)
        || sannip_model_add_element(m, 8, 1, hid, act, &err)) { fprintf(stderr, "model: %s\n", err.message); exit(2); }
    sannip_rng_seed(&rng, 5);
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        for (k = 0; k < el->net.n_params; k++) el->net.params[k] = (sannip_real)(0.3 * sannip_rng_normal(&rng));
        el->scaling = SANNIP_SCALE_MINMAX;
        for (f = 0; f < el->n_features; f++) { el->stats[f].min = 0; el->stats[f].max = (sannip_real)(2 + f); el->stats[f].mean = 1; }
    }
    sannip_model_finalize(m, &err);
}

/* Six atoms (two waters) in a periodic 6 A cube. */
static sannip_real POS0[18] = { 1.0, 1.0, 1.0,  1.8, 1.3, 1.0,  0.6, 1.7, 1.2,
                                4.0, 3.5, 3.8,  4.7, 3.9, 3.3,  3.3, 4.1, 4.1 };
static int Z0[6] = { 8, 1, 1, 8, 1, 1 };
static sannip_real pos[18];
static int Zs[6];
static sannip_system small_system(void)
{
    sannip_system s;
    memset(&s, 0, sizeof s);
    memcpy(pos, POS0, sizeof pos); memcpy(Zs, Z0, sizeof Zs);
    s.n = 6; s.pos = pos; s.Z = Zs;
    s.cell[0] = s.cell[4] = s.cell[8] = 6;
    s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
    return s;
}

static char *MT;          /* the model's text */
static size_t MT_LEN;
static double E_REF;      /* its energy on small_system() */

static int load_text(sannip_model *m, const char *text, size_t len)
{
    reset();
    return sannip_model_load_mem(m, text, len, &err);
}

/* ---- 1. model files ------------------------------------------------------------------------ */
static void model_truncations(void)
{
    sannip_model m;
    size_t off;
    int bad_success = 0, bad_code = 0, first_bad = -1, first_code = 0, n = 0;
    sannip_model_init(&m, NULL);
    /* every 97 bytes: TRUNCATED or PARSE_ERROR with a message (and a line once there is one) */
    for (off = 0; off + 1 < MT_LEN; off += 97) {
        char *t = dupn(MT, off), what[64];
        int r = load_text(&m, t, off);
        snprintf(what, sizeof what, "model cut at byte %d of %d", (int)off, (int)MT_LEN);
        CHECK(r == SANNIP_TRUNCATED || r == SANNIP_PARSE_ERROR, "%s: %s (%s)", what, sannip_result_string((sannip_result)r), err.message);
        CHECK(err.message[0] != 0 && (off == 0 || err.line > 0), "%s: message '%s' line %d", what, err.message, err.line);
        CHECK(m.n_elements == 0, "%s: failed load left %d elements", what, m.n_elements);
        free(t);
    }
    /* every byte: never a success (the last complete line is "end"), never a crash */
    for (off = 0; off + 1 < MT_LEN; off++) {
        char *t = dupn(MT, off);
        int r = load_text(&m, t, off);
        n++;
        if (r == SANNIP_SUCCESS) bad_success++;
        else if (r != SANNIP_TRUNCATED && r != SANNIP_PARSE_ERROR && bad_code++ == 0) { first_bad = (int)off; first_code = r; }
        free(t);
    }
    CHECK(bad_success == 0, "%d of %d truncated model texts loaded successfully", bad_success, n);
    CHECK(bad_code == 0, "%d of %d truncated model texts gave a code other than TRUNCATED/PARSE_ERROR; "
          "first at byte %d: %s (text ends '...%.40s')", bad_code, n, first_bad,
          sannip_result_string((sannip_result)first_code), first_bad >= 0 ? MT + (first_bad > 40 ? first_bad - 40 : 0) : "");
    /* the full text (positive control) and the text without its final newline */
    CHECK(load_text(&m, MT, MT_LEN) == SANNIP_SUCCESS, "full model text: %s", err.message);
    CHECK(load_text(&m, MT, MT_LEN - 1) == SANNIP_SUCCESS, "model text without final newline: %s", err.message);
    sannip_model_uninit(&m);
}

static void model_case(const char *what, char *text, sannip_result want, int line, const char *contains)
{
    sannip_model m;
    int r;
    sannip_model_init(&m, NULL);
    r = load_text(&m, text, strlen(text));
    expect(what, r, want, line, contains);
    if (r != SANNIP_SUCCESS) CHECK(m.n_elements == 0 && m.desc.n == 0, "%s: failed load left a partial model", what);
    sannip_model_uninit(&m);
    free(text);
}

static void model_corruptions(void)
{
    int line;
    size_t p, n;
    char *t;
    sannip_model m;
    sannip_workspace ws;
    sannip_system sys = small_system();

    t = replace(MT, "sannip-model 1", "sannip-model 99", &line);
    model_case("model version 99", t, SANNIP_BAD_VERSION, 1, "99");
    t = replace(MT, "sannip-model 1", "sannip-model one", &line);
    model_case("model version 'one'", t, SANNIP_PARSE_ERROR, 1, NULL);
    model_case("not a model file", str("hello world\nthis is text\n"), SANNIP_PARSE_ERROR, 1, NULL);
    model_case("n2p2 file given as a model", str("begin\natom 0 0 0 H 0 0 0 0 0\nend\n"), SANNIP_PARSE_ERROR, 1, NULL);
    model_case("empty model text", str(""), SANNIP_TRUNCATED, 0, NULL);
    model_case("model text of comments only", str("# nothing\n\n   \n"), SANNIP_TRUNCATED, 0, NULL);

    p = token_after(MT, "params 21\n", &n);
    t = replace_at(MT, p, n, "abc");
    model_case("model parameter 'abc'", t, SANNIP_PARSE_ERROR, line_of(MT, p), "abc");
    p = token_after(MT, "params 21\n", &n);
    t = replace_at(MT, p, n, "nan");
    model_case("model parameter 'nan'", t, SANNIP_PARSE_ERROR, line_of(MT, p), "nan");
    p = token_after(MT, "params 21\n", &n);
    t = replace_at(MT, p, n, "-inf");
    model_case("model parameter '-inf'", t, SANNIP_PARSE_ERROR, line_of(MT, p), "inf");
    p = token_after(MT, "params 21\n", &n);
    t = replace_at(MT, p, n, "");          /* one parameter missing: 'end_element' is read as one */
    model_case("model with a parameter missing", t, SANNIP_PARSE_ERROR, -1, NULL);
    p = token_after(MT, "params 21\n", &n);
    t = replace_at(MT, p, 0, "0.5 ");      /* one parameter too many */
    model_case("model with an extra parameter", t, SANNIP_PARSE_ERROR, -1, NULL);
    t = replace(MT, "params 21", "params 20", &line);
    model_case("model params count 20 for 21", t, SANNIP_PARSE_ERROR, line, "20");
    t = replace(MT, "stats 0 2 1 1 1", "stats 0 nan 1 1 1", &line);
    model_case("model stats 'nan'", t, SANNIP_PARSE_ERROR, line, NULL);
    t = replace(MT, "energy_map 1 0", "energy_map 1 inf", &line);
    model_case("model energy_map 'inf'", t, SANNIP_PARSE_ERROR, line, NULL);
    t = replace(MT, "activations tanh linear", "activations tanhh linear", &line);
    model_case("model activation 'tanhh'", t, SANNIP_PARSE_ERROR, line, "tanhh");
    t = replace(MT, "scaling minmax", "scaling bogus", &line);
    model_case("model scaling 'bogus'", t, SANNIP_PARSE_ERROR, line, "bogus");
    t = replace(MT, "element H features 3", "element H features 2", &line);
    model_case("model feature count 2 for 3 indices", t, SANNIP_PARSE_ERROR, line + 3, NULL);
    t = replace(MT, "element H features 3", "element H features 7", &line);
    model_case("model feature count 7 > 6 bases", t, SANNIP_PARSE_ERROR, line, "7");
    t = replace(MT, "feature_indices 1 2 3", "feature_indices 1 2 9", &line);
    model_case("model feature index 9 of 6", t, SANNIP_PARSE_ERROR, line, "9");
    t = replace(MT, "sizes 3 4 1", "sizes 4 4 1", &line);
    model_case("model network inputs 4 for 3 features", t, SANNIP_PARSE_ERROR, line, NULL);
    t = replace(MT, "sizes 3 4 1", "sizes 3 1000000000 1", &line);
    model_case("model network of 1e9 units", t, SANNIP_TOO_BIG, line, NULL);
    t = replace(MT, "network 2 sizes 3 4 1", "network 99 sizes 3 4 1", &line);
    model_case("model network of 99 layers", t, SANNIP_TOO_BIG, line, NULL);
    t = replace(MT, "element O", "element Qq", &line);
    model_case("model unknown element 'Qq'", t, SANNIP_UNKNOWN_ELEMENT, line, "Qq");
    t = replace(MT, "element O", "element H", &line);
    model_case("model duplicated element H", t, SANNIP_PARSE_ERROR, line, "twice");
    t = replace(MT, "g2          O  H", "g2          Qq H", &line);
    model_case("model basis with element 'Qq'", t, SANNIP_UNKNOWN_ELEMENT, line, "Qq");
    t = replace(MT, "bases 6", "bases 7", &line);
    model_case("model 'bases 7' with 6 lines", t, SANNIP_PARSE_ERROR, line + 7, NULL);
    t = replace(MT, "bases 6", "bases 5", &line);
    model_case("model 'bases 5' with 6 lines", t, SANNIP_PARSE_ERROR, line + 6, NULL);
    t = replace(MT, "bases 6", "bases 100001", &line);
    model_case("model 'bases 100001'", t, SANNIP_TOO_BIG, line, NULL);
    t = replace(MT, "lambda=1 zeta=2", "lambda=1 zeta=0.5", &line);
    model_case("model basis zeta 0.5", t, SANNIP_BAD_PARAMETER, line, "zeta");
    t = replace(MT, "lambda=1 zeta=2", "lambda=1.5 zeta=2", &line);
    model_case("model basis lambda 1.5", t, SANNIP_BAD_PARAMETER, line, "lambda");
    t = replace(MT, "cut=cos rc=4", "cut=cos rc=-4", &line);
    model_case("model basis rc -4", t, SANNIP_BAD_CUTOFF, line, NULL);
    t = replace(MT, "cut=cos rc=4", "cut=cosine rc=4", &line);
    model_case("model basis cutoff 'cosine'", t, SANNIP_BAD_CUTOFF, line, "cosine");
    p = (size_t)(strstr(MT, "alpha=") - MT);
    t = replace_at(MT, p, strcspn(MT + p, " "), "alpha=1");
    model_case("model basis alpha 1", t, SANNIP_BAD_CUTOFF, line_of(MT, p), NULL);
    p = (size_t)(strstr(MT, "g2          H  H") - MT);
    t = replace_at(MT, p, strcspn(MT + p, "\n"), "spin_s2g Fe Fe rc=5 eta=-1");
    model_case("model with a bad spin basis", t, SANNIP_BAD_PARAMETER, line_of(MT, p), "spin_s2g");
    t = replace(MT, "units eV Angstrom", "units electronvolt_per_particle Angstrom", &line);
    model_case("model units too long", t, SANNIP_PARSE_ERROR, line, NULL);
    p = (size_t)(strstr(MT, "units") - MT);
    {
        char *big = (char *)malloc(6000);
        memset(big, 'x', 5999); big[5999] = 0; memcpy(big, "description ", 12);
        t = replace_at(MT, p, 0, big);
        free(big);
    }
    model_case("model line of 6000 characters", t, SANNIP_PARSE_ERROR, line_of(MT, p), NULL);
    t = replace(MT, "end_element\nend\n", "end_element\n", &line);
    model_case("model without 'end'", t, SANNIP_TRUNCATED, 0, NULL);
    /* binary: a NUL in the middle, and random bytes */
    {
        char *b = dupn(MT, MT_LEN);
        sannip_rng rng;
        size_t k;
        int r;
        sannip_model_init(&m, NULL);
        p = (size_t)(strstr(MT, "elements 2") - MT);
        b[p + 3] = 0;
        r = load_text(&m, b, MT_LEN);
        expect("model with a NUL byte", r, SANNIP_PARSE_ERROR, line_of(MT, p), NULL);
        sannip_rng_seed(&rng, 99);
        for (k = 0; k < MT_LEN; k++) b[k] = (char)(sannip_rng_next(&rng) >> 56);
        b[5] = 0;
        r = load_text(&m, b, MT_LEN);
        expect("model of random bytes", r, SANNIP_PARSE_ERROR, 1, NULL);
        free(b);
        sannip_model_uninit(&m);
    }
    /* CRLF line ends load and predict the same energy (positive control) */
    {
        char *crlf = (char *)malloc(2 * MT_LEN + 1), *q = crlf;
        size_t k;
        sannip_real E = 0;
        for (k = 0; k < MT_LEN; k++) { if (MT[k] == '\n') *q++ = '\r'; *q++ = MT[k]; }
        sannip_model_init(&m, NULL); sannip_workspace_init(&ws, NULL);
        CHECK(load_text(&m, crlf, (size_t)(q - crlf)) == SANNIP_SUCCESS, "CRLF model: %s", err.message);
        CHECK(sannip_model_compute(&m, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_SUCCESS && E == E_REF,
              "CRLF model: energy %.17g vs %.17g (%s)", (double)E, E_REF, err.message);
        /* a failed load into a loaded model leaves it empty and usable */
        CHECK(load_text(&m, "sannip-model 2\n", 15) == SANNIP_BAD_VERSION && m.n_elements == 0, "reload: %s", err.message);
        reset();
        expect("compute with an empty model", sannip_model_compute(&m, &ws, &sys, &E, NULL, NULL, NULL, &err), SANNIP_INVALID_ARGS, 0, NULL);
        sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
        free(crlf);
    }
    /* files */
#ifndef SANNIP_NO_STDIO
    sannip_model_init(&m, NULL);
    reset();
    expect("load_file of a missing file", sannip_model_load_file(&m, "build/no_such_model" SUFFIX ".sannip", &err),
           SANNIP_MISSING_FILE, 0, "no_such_model");
    reset();
    expect("load_file of a directory", sannip_model_load_file(&m, "tests", &err), SANNIP_IO_ERROR, 0, "tests");
    reset();
    expect("import_dir of a missing directory", sannip_n2p2_import_dir(&m, "build/no_such_dir", &err), SANNIP_MISSING_FILE, 0, "input.nn");
    sannip_model_uninit(&m);
#endif
}

/* A model file that declares a huge network in a few hundred bytes must not make the loader
   allocate gigabytes before it finds the parameters missing. */
static void model_huge_claims(void)
{
    counter c;
    sannip_allocator a;
    sannip_model m;
    int line, r;
    char *t = replace(MT, "network 2 sizes 3 4 1 activations tanh linear",
                      "network 3 sizes 3 100000 100000 1 activations tanh tanh linear", &line), *u;
    u = dupz(t, (size_t)(strstr(t, "params") - t));   /* cut before the parameters */
    memset(&c, 0, sizeof c); c.cap = (size_t)64 << 20;
    a = counting(&c);
    sannip_model_init(&m, &a);
    r = load_text(&m, u, strlen(u));
    CHECK(r != SANNIP_SUCCESS && c.max_request <= ((size_t)64 << 20),
          "model text of %d bytes declaring 1e10 parameters: %s, largest allocation request %.3g bytes "
          "(expected TRUNCATED/TOO_BIG before allocating)", (int)strlen(u), sannip_result_string((sannip_result)r), (double)c.max_request);
    sannip_model_uninit(&m);
    CHECK(c.live == 0, "huge claim: %ld allocations leaked", c.live);
    free(t); free(u);
}

/* A 'description' line at the end of a text given without a terminating NUL: the loader must
   read only its len bytes (a strstr ran past them; with a space just past the end the copied
   length wrapped around). Every text is a malloc'd copy of exactly len bytes, so ASan sees a
   read beyond it. Returns the number of failed checks. */
static int description_checks(void)
{
    static const char *const cuts[] = { "sannip-model 1\ndescription", "sannip-model 1\ndescription x",
                                        "sannip-model 1\n  description  two words\r" };
    const char *lines = "description first line\ndescription  second, after two spaces\r\n";
    char path[1024], *t, *u, *full;
    size_t n, i, at, k;
    int r, before = test_failed;
    sannip_model m;
    sannip_model_init(&m, NULL);
    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        t = dupn(cuts[i], strlen(cuts[i]));
        r = load_text(&m, t, strlen(cuts[i]));
        CHECK(r == SANNIP_TRUNCATED, "unterminated text '%s': %s (%s)", cuts[i], sannip_result_string((sannip_result)r), err.message);
        free(t);
    }
    t = str("sannip-model 1\ndescription ");   /* the space lies just past len */
    r = load_text(&m, t, strlen(t) - 1);
    CHECK(r == SANNIP_TRUNCATED, "'description' at the end, a space past it: %s (%s)", sannip_result_string((sannip_result)r), err.message);
    free(t);
    snprintf(path, sizeof path, "%s/repro/oob_strstr_description_nonul.sannip", test_shared());
    if (sannip_read_file(path, NULL, &u, &n, &err) == SANNIP_SUCCESS) {
        t = dupn(u, n);
        r = load_text(&m, t, n);
        CHECK(r == SANNIP_TRUNCATED, "%s without a NUL: %s (%s)", path, sannip_result_string((sannip_result)r), err.message);
        free(t); free(u);
    }
    /* a whole model with two description lines after its first line */
    at = strcspn(MT, "\n") + 1;
    full = (char *)malloc(MT_LEN + strlen(lines) + 1);
    memcpy(full, MT, at); strcpy(full + at, lines); strcat(full, MT + at);
    n = strlen(full);
    t = dupn(full, n);
    CHECK(load_text(&m, t, n) == SANNIP_SUCCESS && m.description && strcmp(m.description, "first line\n second, after two spaces") == 0,
          "model with description lines: %s, description '%s'", err.message, m.description ? m.description : "(none)");
    free(t);
    for (k = at; k < at + strlen(lines) + 20; k++) {   /* cut inside or just after them: never a success */
        t = dupn(full, k);
        r = load_text(&m, t, k);
        CHECK(r == SANNIP_TRUNCATED || r == SANNIP_PARSE_ERROR, "model with description cut at byte %d: %s", (int)k, sannip_result_string((sannip_result)r));
        free(t);
    }
    free(full);
    sannip_model_uninit(&m);
    return test_failed - before;
}
/* In a child process where there is one, so that a crash is a failed check and not the end of
   the run (the child runs no parallel code). */
static void model_description_unterminated(void)
{
#ifdef HAVE_FORK
    pid_t pid;
    int st = 0;
    fflush(stdout); fflush(stderr);
    pid = fork();
    if (pid == 0) { alarm(20); _exit(description_checks() ? 1 : 0); }
    CHECK(pid > 0, "fork failed");
    if (pid > 0) {
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "description lines in unterminated texts: %s",
              WIFSIGNALED(st) ? "crashed" : "failed checks (above)");
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) printf("ok description lines in unterminated texts (checked in a child process)\n");
    }
#else
    description_checks();
#endif
}

/* Committee files: the header's member count must not make the loader allocate that many
   models before it reads them (1 MiB claiming 65536 members, as written by
   repro/gen_committee_amplification.sh, used to allocate 1 GB). */
static void committee_huge_claims(void)
{
    const size_t N = (size_t)1 << 20, LIMIT = (size_t)64 << 20;
    counter c;
    sannip_allocator a;
    sannip_committee cm;
    char *t = (char *)malloc(N), *three = (char *)malloc(3 * MT_LEN + 64);
    size_t h;
    int r, claims[2] = { 65536, 7000 }, i;   /* 7000 passes the size bound (7489); its members are blank */
    for (i = 0; i < 2; i++) {
        h = (size_t)sprintf(t, "sannip-committee 1 %d\n", claims[i]);
        memset(t + h, ' ', N - h);
        memset(&c, 0, sizeof c); c.cap = LIMIT;
        a = counting(&c);
        sannip_committee_init(&cm, &a);
        reset();
        r = sannip_committee_load_mem(&cm, t, N, &err);
        expect(i ? "committee of 7000 blank members" : "committee of 65536 members in 1 MiB", r, SANNIP_TRUNCATED, i ? 0 : 1, i ? "member 1" : "65536");
        CHECK(c.requested < LIMIT && cm.n == 0, "committee claiming %d members in 1 MiB: %.3g bytes requested (largest %.3g), %d members left",
              claims[i], (double)c.requested, (double)c.max_request, cm.n);
        sannip_committee_uninit(&cm);
        CHECK(c.live == 0, "committee claim %d: %ld allocations leaked", claims[i], c.live);
    }
    /* positive control: three members load; the same header over two is cut short */
    h = (size_t)sprintf(three, "sannip-committee 1 3\n");
    for (i = 0; i < 3; i++) { memcpy(three + h, MT, MT_LEN); h += MT_LEN; }
    memset(&c, 0, sizeof c);
    a = counting(&c);
    sannip_committee_init(&cm, &a);
    reset();
    CHECK(sannip_committee_load_mem(&cm, three, h, &err) == SANNIP_SUCCESS && cm.n == 3 && cm.m[2].n_elements == 2,
          "committee of 3: %s (%d members)", err.message, cm.n);
    reset();
    expect("committee of 3 with 2 members", sannip_committee_load_mem(&cm, three, h - MT_LEN, &err), SANNIP_TRUNCATED, 0, "2 of 3");
    sannip_committee_uninit(&cm);
    CHECK(c.live == 0, "committee of 3: %ld allocations leaked", c.live);
    free(t); free(three);
}

/* ---- 2. systems and geometry ---------------------------------------------------------------- */
static void system_errors(void)
{
    sannip_model m;
    sannip_workspace ws;
    sannip_neighbors nl;
    sannip_system sys;
    sannip_real E, F[18];
    const sannip_real NaN = (sannip_real)NAN, Inf = (sannip_real)INFINITY;
    sannip_model_init(&m, NULL); sannip_workspace_init(&ws, NULL); sannip_neighbors_init(&nl, NULL);
    load_text(&m, MT, MT_LEN);

    sys = small_system();
    reset();
    CHECK(sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err) == SANNIP_SUCCESS && E == E_REF, "control: %s", err.message);

    sys = small_system(); pos[3 * 1 + 2] = NaN;
    reset(); expect("NaN coordinate of atom 2", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_NONFINITE, 0, "atom 2");
    sys = small_system(); pos[3 * 4 + 0] = -Inf;
    reset(); expect("-Inf coordinate of atom 5", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_NONFINITE, 0, "atom 5");
    sys = small_system(); pos[0] = Inf;
    reset(); expect("Inf coordinate (neighbors_build)", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_NONFINITE, 0, "atom 1");
    sys = small_system(); sys.cell[4] = NaN;
    reset(); expect("NaN in a periodic cell", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_NONFINITE, 0, NULL);
    sys = small_system(); sys.cell[4] = NaN; sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 0;
    reset(); CHECK(sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err) == SANNIP_SUCCESS, "NaN cell of an open system is ignored: %s", err.message);
    {
        sannip_real sp[18];
        memset(sp, 0, sizeof sp); sp[7] = NaN;
        sys = small_system(); sys.spins = sp;
        reset(); expect("NaN spin of atom 3", sannip_system_check(&sys, &err), SANNIP_NONFINITE, 0, "atom 3");
    }

    /* singular periodic cells */
    sys = small_system(); memset(sys.cell, 0, sizeof sys.cell);
    reset(); expect("zero periodic cell", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_SINGULAR_CELL, 0, NULL);
    sys = small_system(); sys.cell[6] = 6; sys.cell[7] = 6; sys.cell[8] = 0;   /* c = a + b */
    reset(); expect("coplanar cell vectors", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_SINGULAR_CELL, 0, NULL);
    sys = small_system(); sys.cell[8] = (sannip_real)1e-12;
    reset(); expect("cell with one vector of 1e-12", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_SINGULAR_CELL, 0, NULL);
    sys = small_system(); sys.pbc[2] = 0; sys.cell[3] = 6; sys.cell[4] = 0;  /* a, b parallel */
    reset(); expect("two parallel periodic vectors", sannip_system_check(&sys, &err), SANNIP_SINGULAR_CELL, 0, NULL);
    sys = small_system(); sys.pbc[0] = sys.pbc[1] = 0; sys.cell[8] = 0;
    reset(); expect("one periodic vector of length 0", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_SINGULAR_CELL, 0, NULL);

    /* overlaps */
    sys = small_system(); memcpy(pos + 3, pos, 3 * sizeof(sannip_real));
    reset(); expect("atoms 1 and 2 at the same place", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_ATOMS_OVERLAP, 0, "1 and 2");
    sys = small_system(); memcpy(pos + 3, pos, 3 * sizeof(sannip_real)); sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 0;
    reset(); expect("overlap in an open system", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_ATOMS_OVERLAP, 0, "1 and 2");
    /* coordinates chosen so that atom 6 - atom 4 = (6, 0, -12) exactly, in float builds too */
    sys = small_system(); pos[3 * 3 + 2] = (sannip_real)3.75;
    pos[3 * 5] = pos[3 * 3] + 6; pos[3 * 5 + 1] = pos[3 * 3 + 1]; pos[3 * 5 + 2] = pos[3 * 3 + 2] - 12;
    reset(); expect("atoms 4 and 6 one lattice vector apart", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_ATOMS_OVERLAP, 0, "4 and 6");
    {
        /* triclinic cell: atom 2 = atom 1 + a + b - c (exact in float too: atom 1 is at 1, 1, 1) */
        static const sannip_real tc[9] = { 7, 0, 0,  2, 6.5, 0,  1, 1.5, 8 };
        sys = small_system(); memcpy(sys.cell, tc, sizeof tc);
        pos[3] = pos[0] + tc[0] + tc[3] - tc[6]; pos[4] = pos[1] + tc[1] + tc[4] - tc[7]; pos[5] = pos[2] + tc[2] + tc[5] - tc[8];
        reset(); expect("triclinic: atoms 1 and 2 at a+b-c", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_ATOMS_OVERLAP, 0, "1 and 2");
    }
    {
        /* one atom in a cube of 1e-9: on top of its own images */
        sannip_real p1[3] = { 0, 0, 0 };
        int z1[1] = { 8 };
        memset(&sys, 0, sizeof sys);
        sys.n = 1; sys.pos = p1; sys.Z = z1; sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 1;
        sys.cell[0] = sys.cell[4] = sys.cell[8] = (sannip_real)1e-9;
        reset(); expect("atom on its own image (cube of 1e-9, cutoff 1e-8)", sannip_neighbors_build(&nl, &sys, (sannip_real)1e-8, &err), SANNIP_ATOMS_OVERLAP, 0, "1 and 1");
        reset(); expect("atom on its own image (cube of 1e-9, model)", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_ATOMS_OVERLAP, 0, NULL);
        /* a genuine small cell: its own images are neighbours, not overlaps (bcc, 64 within 6 A) */
        {
            static const sannip_real bcc[9] = { -1.435, 1.435, 1.435,  1.435, -1.435, 1.435,  1.435, 1.435, -1.435 };
            memcpy(sys.cell, bcc, sizeof bcc);
        }
        reset();
        CHECK(sannip_neighbors_build(&nl, &sys, 6, &err) == SANNIP_SUCCESS && nl.n_pairs == 64,
              "bcc primitive cell: %d pairs within 6 A, expected 64 (%s)", (int)nl.n_pairs, err.message);
    }

    /* unknown elements and bad counts */
    sys = small_system(); Zs[2] = 26;
    reset(); expect("Fe (Z 26) in an H/O model", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_UNKNOWN_ELEMENT, 0, "atom 3");
    sys = small_system(); Zs[3] = 0;
    reset(); expect("atomic number 0", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_UNKNOWN_ELEMENT, 0, "atom 4");
    sys = small_system(); Zs[0] = 500;
    reset(); expect("atomic number 500", sannip_system_check(&sys, &err), SANNIP_UNKNOWN_ELEMENT, 0, "atom 1");
    sys = small_system(); sys.n = -1;
    reset(); expect("system of -1 atoms", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_INVALID_ARGS, 0, NULL);
    sys = small_system(); sys.n = 2000000000;
    reset(); expect("system of 2e9 atoms", sannip_system_check(&sys, &err), SANNIP_TOO_BIG, 0, NULL);
    sys = small_system(); sys.pos = NULL;
    reset(); expect("system without positions", sannip_model_compute(&m, &ws, &sys, &E, NULL, F, NULL, &err), SANNIP_INVALID_ARGS, 0, NULL);
    reset(); expect("compute with a NULL system", sannip_model_compute(&m, &ws, NULL, &E, NULL, F, NULL, &err), SANNIP_INVALID_ARGS, 0, NULL);

    /* cutoffs of the neighbour search */
    sys = small_system();
    reset(); expect("neighbors_build cutoff 0", sannip_neighbors_build(&nl, &sys, 0, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("neighbors_build cutoff -2", sannip_neighbors_build(&nl, &sys, -2, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("neighbors_build cutoff NaN", sannip_neighbors_build(&nl, &sys, NaN, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("neighbors_build cutoff Inf", sannip_neighbors_build(&nl, &sys, Inf, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("neighbors_build cutoff 1e30 in a 6 A cell", sannip_neighbors_build(&nl, &sys, (sannip_real)1e30, &err), SANNIP_TOO_BIG, 0, NULL);

    sannip_neighbors_uninit(&nl); sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
}

/* A periodic cell 1000 times thinner than the cutoff must be refused (TOO_BIG) quickly, not
   searched through (2 x 1000 + 1)^3 images. Run in a child with a 5 s alarm. */
static void thin_cell_does_not_hang(void)
{
#ifdef HAVE_FORK
    pid_t pid;
    int st = 0;
    fflush(stdout); fflush(stderr);
    pid = fork();
    if (pid == 0) {
        sannip_neighbors nl;
        sannip_system sys;
        sannip_real p1[3] = { 0, 0, 0 };
        int z1[1] = { 8 }, r;
        alarm(5);
        memset(&sys, 0, sizeof sys);
        sys.n = 1; sys.pos = p1; sys.Z = z1; sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 1;
        sys.cell[0] = sys.cell[4] = sys.cell[8] = (sannip_real)1e-3;
        sannip_neighbors_init(&nl, NULL);
        r = sannip_neighbors_build(&nl, &sys, 1, NULL);
        _exit(r == SANNIP_TOO_BIG ? 0 : r == SANNIP_SUCCESS ? 10 : 11);
    }
    CHECK(pid > 0, "fork failed");
    if (pid > 0) {
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "cube of 1e-3 A with cutoff 1 A: %s (expected SANNIP_TOO_BIG within 5 s)",
              WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? "still searching after 5 s (hang)" : "crashed")
              : WEXITSTATUS(st) == 10 ? "returned SUCCESS" : "returned another error");
    }
#endif
}

/* ---- 3. descriptors, cutoffs, networks ---------------------------------------------------- */
static void parameter_errors(void)
{
    sannip_cutoff c;
    sannip_basis b;
    sannip_descriptors d;
    sannip_network net;
    const sannip_real NaN = (sannip_real)NAN;
    int sizes[3] = { 3, 1000000000, 1 }, acts[2] = { SANNIP_ACT_TANH, SANNIP_ACT_LINEAR };

    reset(); expect("cutoff rc 0", sannip_cutoff_make(&c, SANNIP_CUT_COS, 0, 0, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff rc -1", sannip_cutoff_make(&c, SANNIP_CUT_COS, -1, 0, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff rc NaN", sannip_cutoff_make(&c, SANNIP_CUT_POLY2, NaN, 0, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff alpha 1", sannip_cutoff_make(&c, SANNIP_CUT_COS, 6, 1, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff alpha 1.5", sannip_cutoff_make(&c, SANNIP_CUT_EXP, 6, (sannip_real)1.5, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff alpha -0.1", sannip_cutoff_make(&c, SANNIP_CUT_EXP, 6, (sannip_real)-0.1, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("cutoff type 42", sannip_cutoff_make(&c, 42, 6, 0, &err), SANNIP_BAD_CUTOFF, 0, NULL);
    reset(); expect("Fourier spline xi 3", sannip_cutoff_make_fspline(&c, 1, 3, 1, 3, 2, &err), SANNIP_BAD_CUTOFF, 0, "3");
    reset(); expect("Fourier spline xi_up 5", sannip_cutoff_make_fspline(&c, 1, 3, 1, 2, 5, &err), SANNIP_BAD_CUTOFF, 0, "5");
    reset(); expect("Fourier spline eps 0", sannip_cutoff_make_fspline(&c, 0, 3, 1, 2, 2, &err), SANNIP_BAD_CUTOFF, 0, NULL);

    memset(&b, 0, sizeof b);
    b.kind = SANNIP_G4; b.center = 8; b.nbr[0] = 1; b.nbr[1] = 1; b.eta = (sannip_real)0.1; b.lambda = 1; b.zeta = 1;
    sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, 6, 0, NULL);
    reset(); CHECK(sannip_basis_check(&b, &err) == SANNIP_SUCCESS, "valid G4: %s", err.message);
    b.zeta = (sannip_real)0.5;
    reset(); expect("G4 zeta 0.5", sannip_basis_check(&b, &err), SANNIP_BAD_PARAMETER, 0, "zeta");
    b.zeta = 1; b.lambda = (sannip_real)-1.5;
    reset(); expect("G4 lambda -1.5", sannip_basis_check(&b, &err), SANNIP_BAD_PARAMETER, 0, "lambda");
    b.lambda = 1; b.eta = -1;
    reset(); expect("G4 eta -1", sannip_basis_check(&b, &err), SANNIP_BAD_PARAMETER, 0, "eta");
    b.eta = 1; b.kind = SANNIP_SPIN_S2G;   /* sannip.h checks spin kinds itself (kind table) */
    reset(); CHECK(sannip_basis_check(&b, &err) == SANNIP_SUCCESS, "valid S2G: %s", err.message);
    b.eta = -1;
    reset(); expect("S2G eta -1", sannip_basis_check(&b, &err), SANNIP_BAD_PARAMETER, 0, "eta");
    b.eta = 1;
    sannip_descriptors_init(&d, NULL);
    b.kind = SANNIP_G5; b.zeta = 0;
    reset(); expect("descriptors_add G5 zeta 0", sannip_descriptors_add(&d, &b, &err), SANNIP_BAD_PARAMETER, 0, "zeta");
    CHECK(d.n == 0, "a rejected basis was added");

    /* definition files: the line of the bad basis */
    reset(); expect("definition: zeta=0.5 on line 2", sannip_descriptors_parse(&d, "g2 H H rc=5 eta=1\ng4 H H H rc=5 eta=1 lambda=1 zeta=0.5\n", &err), SANNIP_BAD_PARAMETER, 2, "zeta");
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: lambda=2 on line 3", sannip_descriptors_parse(&d, "# c\n\ng5 O H H rc=5 eta=1 lambda=2 zeta=1\n", &err), SANNIP_BAD_PARAMETER, 3, "lambda");
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: rc=0", sannip_descriptors_parse(&d, "g2 H H cut=cos rc=0 eta=1\n", &err), SANNIP_BAD_CUTOFF, 1, NULL);
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: alpha=1", sannip_descriptors_parse(&d, "g2 H H cut=poly1 rc=5 alpha=1 eta=1\n", &err), SANNIP_BAD_CUTOFF, 1, NULL);
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: odd Fourier-spline exponent", sannip_descriptors_parse(&d, "g2 H H rc=5 eta=1\ngf_radial Fe Fe eta=1 rs=2 fb=1,3,1,3,2\n", &err), SANNIP_BAD_CUTOFF, 2, NULL);
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: spin basis line with xi 1.5", sannip_descriptors_parse(&d, "g2 Fe Fe rc=5 eta=1\nspin_s2 Fe Fe rc=5 xi=1.5\n", &err), SANNIP_BAD_PARAMETER, 2, "spin_s2");
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: unknown element", sannip_descriptors_parse(&d, "g2 Fe Qq rc=5 eta=1\n", &err), SANNIP_UNKNOWN_ELEMENT, 1, "Qq");
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: unknown basis type", sannip_descriptors_parse(&d, "g2 Fe Fe rc=5 eta=1\n\ng7 Fe Fe rc=5\n", &err), SANNIP_PARSE_ERROR, 3, "g7");
    sannip_descriptors_uninit(&d); sannip_descriptors_init(&d, NULL);
    reset(); expect("definition: eta=abc", sannip_descriptors_parse(&d, "g2 Fe Fe rc=5 eta=abc\n", &err), SANNIP_PARSE_ERROR, 1, "abc");
    sannip_descriptors_uninit(&d);

    /* networks */
    reset(); expect("network with 1e9 hidden units", sannip_network_init(&net, 2, sizes, acts, NULL, &err), SANNIP_TOO_BIG, 0, NULL);
    sannip_network_uninit(&net);
    sizes[1] = 5; acts[0] = 99;
    reset(); expect("network activation 99", sannip_network_init(&net, 2, sizes, acts, NULL, &err), SANNIP_BAD_PARAMETER, 0, "99");
    sannip_network_uninit(&net);
    acts[0] = SANNIP_ACT_TANH;
    reset(); expect("network of 1000 layers", sannip_network_init(&net, 1000, sizes, acts, NULL, &err), SANNIP_TOO_BIG, 0, NULL);
    sannip_network_uninit(&net);
    {
        sannip_model m;
        int hid[1] = { 1000000000 }, act[1] = { SANNIP_ACT_TANH };
        build_model(&m);
        reset(); expect("add_element with 1e9 hidden units", sannip_model_add_element(&m, 6, 1, hid, act, &err), SANNIP_TOO_BIG, 0, NULL);
        hid[0] = 3;
        reset(); expect("add_element twice", sannip_model_add_element(&m, 8, 1, hid, act, &err), SANNIP_INVALID_ARGS, 0, "O");
        reset(); expect("add_element Z 0", sannip_model_add_element(&m, 0, 1, hid, act, &err), SANNIP_UNKNOWN_ELEMENT, 0, NULL);
        CHECK(m.n_elements == 2, "failed add_element changed the model (%d elements)", m.n_elements);
        sannip_model_uninit(&m);
    }
}

/* ---- 4. structures: sizes, n2p2 input.data, extended XYZ ---------------------------------- */
static int read_n2p2(sannip_structure *s, const char *text, int *line)
{
    size_t pos = 0, n = strlen(text);
    char *t = dupn(text, n);     /* exactly the bytes: no terminator to lean on */
    int r, l = 0;
    reset();
    r = sannip_read_n2p2(s, t, n, &pos, &l, &err);
    if (r == SANNIP_SUCCESS) { reset(); r = sannip_read_n2p2(s, t, n, &pos, &l, &err); }   /* a second structure, if any */
    free(t);
    if (line) *line = l;
    return r == SANNIP_END_OF_INPUT ? SANNIP_SUCCESS : r;
}
static int read_xyz(sannip_structure *s, const char *text)
{
    size_t pos = 0, n = strlen(text);
    char *t = dupn(text, n);
    int r, l = 0;
    reset();
    r = sannip_read_xyz(s, t, n, &pos, &l, &err);
    free(t);
    return r;
}

static const char *N2P2_OK =
    "begin\n"                                   /* 1 */
    "comment two atoms\n"                       /* 2 */
    "lattice 10 0 0\n"                          /* 3 */
    "lattice 0 10 0\n"                          /* 4 */
    "lattice 0 0 10\n"                          /* 5 */
    "atom 1 1 1 O -0.5 0 0.1 0.2 0.3\n"         /* 6 */
    "atom 2 1 1 H 0.5 0 -0.1 -0.2 -0.3\n"       /* 7 */
    "energy -1.5\n"                             /* 8 */
    "charge 0\n"                                /* 9 */
    "end\n";                                    /* 10 */

static void n2p2_data_errors(void)
{
    sannip_structure s;
    char *t, *two;
    int line;
    sannip_structure_init(&s, NULL);
    CHECK(read_n2p2(&s, N2P2_OK, NULL) == SANNIP_SUCCESS, "valid input.data: %s", err.message);
    t = replace(N2P2_OK, "0.1 0.2 0.3\n", "0.1 0.2\n", &line);
    expect("input.data atom line with 8 fields", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, "atom");
    free(t);
    t = replace(N2P2_OK, "-0.1 -0.2 -0.3\n", "-0.1 -0.2 -0.3 7\n", &line);
    expect("input.data atom line with 10 fields", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, NULL);
    free(t);
    t = replace(N2P2_OK, "0.1 0.2 0.3", "0.1 x 0.3", &line);
    expect("input.data force 'x'", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, "x");
    free(t);
    t = replace(N2P2_OK, "atom 2 1 1", "atom 2 one 1", &line);
    expect("input.data coordinate 'one'", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, "one");
    free(t);
    t = replace(N2P2_OK, "atom 2 1 1", "atom 2 nan 1", &line);
    expect("input.data coordinate 'nan'", read_n2p2(&s, t, NULL), SANNIP_NONFINITE, line, "atom 2");
    free(t);
    t = replace(N2P2_OK, "energy -1.5", "energy -1.5e", &line);
    expect("input.data energy '-1.5e'", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, NULL);
    free(t);
    t = replace(N2P2_OK, " H 0.5", " Qq 0.5", &line);
    expect("input.data element 'Qq'", read_n2p2(&s, t, NULL), SANNIP_UNKNOWN_ELEMENT, line, "Qq");
    free(t);
    t = replace(N2P2_OK, "end\n", "", &line);
    expect("input.data without 'end'", read_n2p2(&s, t, NULL), SANNIP_TRUNCATED, 0, "end");
    free(t);
    t = replace(N2P2_OK, "lattice 0 0 10\n", "", &line);
    expect("input.data with 2 lattice lines", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, -1, "lattice");
    free(t);
    t = replace(N2P2_OK, "lattice 0 0 10\n", "lattice 0 0 10\nlattice 1 1 1\n", &line);
    expect("input.data with 4 lattice lines", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line + 1, "lattice");
    free(t);
    t = replace(N2P2_OK, "lattice 0 10 0", "lattice 0 10", &line);
    expect("input.data lattice with 2 numbers", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line, NULL);
    free(t);
    t = replace(N2P2_OK, "begin\n", "", &line);
    expect("input.data without 'begin'", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, 1, NULL);
    free(t);
    t = replace(N2P2_OK, "atom 1 1 1 O -0.5 0 0.1 0.2 0.3\natom 2 1 1 H 0.5 0 -0.1 -0.2 -0.3\n", "", &line);
    expect("input.data without atoms", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, -1, NULL);
    free(t);
    t = replace(N2P2_OK, "charge 0\n", "charge 0\nvelocity 1 2 3\n", &line);
    expect("input.data unknown keyword", read_n2p2(&s, t, NULL), SANNIP_PARSE_ERROR, line + 1, "velocity");
    free(t);
    /* the second structure is broken: the line counts on from the first */
    t = replace(N2P2_OK, "atom 2 1 1 H", "atom 2 1 1 Xx", &line);
    two = (char *)malloc(strlen(N2P2_OK) + strlen(t) + 1);
    strcpy(two, N2P2_OK); strcat(two, t);
    expect("input.data, error in the second structure", read_n2p2(&s, two, NULL), SANNIP_UNKNOWN_ELEMENT, 10 + line, "Xx");
    free(t); free(two);
    CHECK(s.n == 0 && s.pos == NULL, "a failed read left %d atoms", s.n);
    sannip_structure_uninit(&s);
}

static const char *XYZ_OK =
    "2\n"
    "Lattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.5 pbc=\"T T T\"\n"
    "O 1 1 1 0.1 0.2 0.3\n"
    "H 2 1 1 -0.1 -0.2 -0.3\n";

static void xyz_errors(void)
{
    sannip_structure s;
    char *t;
    int line;
    counter c;
    sannip_allocator a;
    sannip_structure_init(&s, NULL);
    CHECK(read_xyz(&s, XYZ_OK) == SANNIP_SUCCESS && s.n == 2, "valid extended XYZ: %s", err.message);
    t = replace(XYZ_OK, "-0.1 -0.2 -0.3", "-0.1 -0.2", &line);
    expect("xyz: 6 columns, Properties declares 7", read_xyz(&s, t), SANNIP_PARSE_ERROR, line, "7");
    free(t);
    t = replace(XYZ_OK, "0.1 0.2 0.3", "0.1 0.2 0.3 9", &line);
    expect("xyz: 8 columns, Properties declares 7", read_xyz(&s, t), SANNIP_PARSE_ERROR, line, NULL);
    free(t);
    t = replace(XYZ_OK, "0 0 0 10\"", "0 0 0\"", &line);
    expect("xyz: Lattice with 8 numbers", read_xyz(&s, t), SANNIP_PARSE_ERROR, 2, "Lattice");
    free(t);
    t = replace(XYZ_OK, "Lattice=\"10 0", "Lattice=\"ten 0", &line);
    expect("xyz: Lattice 'ten'", read_xyz(&s, t), SANNIP_PARSE_ERROR, 2, "ten");
    free(t);
    t = replace(XYZ_OK, "2\n", "3\n", &line);
    expect("xyz: 3 atoms declared, 2 given", read_xyz(&s, t), SANNIP_TRUNCATED, 0, NULL);
    free(t);
    t = replace(XYZ_OK, "2\n", "two\n", &line);
    expect("xyz: atom count 'two'", read_xyz(&s, t), SANNIP_PARSE_ERROR, 1, "two");
    free(t);
    t = replace(XYZ_OK, "2\n", "-3\n", &line);
    expect("xyz: atom count -3", read_xyz(&s, t), SANNIP_PARSE_ERROR, 1, NULL);
    free(t);
    t = replace(XYZ_OK, "pos:R:3", "pos:R:2", &line);
    expect("xyz: Properties without pos:R:3", read_xyz(&s, t), SANNIP_PARSE_ERROR, 2, "pos");
    free(t);
    t = replace(XYZ_OK, "forces:R:3", "forces:R", &line);
    expect("xyz: Properties not in triples", read_xyz(&s, t), SANNIP_PARSE_ERROR, 2, "Properties");
    free(t);
    t = replace(XYZ_OK, "\nH 2", "\nQq 2", &line);
    expect("xyz: species 'Qq'", read_xyz(&s, t), SANNIP_UNKNOWN_ELEMENT, line + 1, "Qq");
    free(t);
    t = replace(XYZ_OK, "O 1 1 1", "O 1 inf 1", &line);
    expect("xyz: coordinate 'inf'", read_xyz(&s, t), SANNIP_NONFINITE, line, "atom 1");
    free(t);
    t = replace(XYZ_OK, "energy=-1.5", "energy=abc", &line);
    expect("xyz: energy 'abc'", read_xyz(&s, t), SANNIP_PARSE_ERROR, 2, "abc");
    free(t);
    expect("xyz: only the count line", read_xyz(&s, "2\n"), SANNIP_TRUNCATED, 0, NULL);
    sannip_structure_uninit(&s);

    /* 2e9 atoms: TOO_BIG without allocating anything */
    memset(&c, 0, sizeof c);
    a = counting(&c);
    sannip_structure_init(&s, &a);
    t = replace(XYZ_OK, "2\n", "2000000000\n", &line);
    expect("xyz: 2000000000 atoms declared", read_xyz(&s, t), SANNIP_TOO_BIG, 1, NULL);
    CHECK(c.calls == 0, "xyz with 2e9 atoms: %ld allocations (largest %.3g bytes)", c.calls, (double)c.max_request);
    free(t);
    /* 40 million atoms declared in a 150-byte text: TRUNCATED without a gigabyte allocation */
    memset(&c, 0, sizeof c); c.cap = (size_t)64 << 20;
    t = replace(XYZ_OK, "2\n", "40000000\n", &line);
    {
        int r = read_xyz(&s, t);
        CHECK(r == SANNIP_TRUNCATED && c.max_request <= ((size_t)1 << 20),
              "xyz of %d bytes declaring 4e7 atoms: %s, largest allocation request %.3g bytes "
              "(expected TRUNCATED without allocating for atoms the text cannot hold)",
              (int)strlen(t), sannip_result_string((sannip_result)r), (double)c.max_request);
    }
    free(t);
    sannip_structure_uninit(&s);
    CHECK(c.live == 0, "xyz: %ld allocations leaked", c.live);

    /* sannip_structure_resize */
    sannip_structure_init(&s, NULL);
    reset(); expect("structure_resize to 2e9 atoms", sannip_structure_resize(&s, 2000000000, 1, 0, &err), SANNIP_TOO_BIG, 0, NULL);
    reset(); expect("structure_resize to -1 atoms", sannip_structure_resize(&s, -1, 0, 0, &err), SANNIP_INVALID_ARGS, 0, NULL);
    reset(); CHECK(sannip_structure_resize(&s, 3, 1, 1, &err) == SANNIP_SUCCESS && s.n == 3, "resize 3: %s", err.message);
    sannip_structure_uninit(&s);
}

/* ---- 5. n2p2 potentials edited in memory --------------------------------------------------- */
static char *NN, *SC, *W1, *W8;

static void import_case(const char *what, const char *nn, const char *sc, const char *w1, const char *w8, int nw,
                        sannip_result want, int line, const char *contains)
{
    sannip_model m;
    const char *w[2];
    w[0] = w1; w[1] = w8;
    sannip_model_init(&m, NULL);
    reset();
    expect(what, sannip_n2p2_import_mem(&m, nn, sc, w, nw, &err), want, line, contains);
    CHECK(m.n_elements == 0 && m.desc.n == 0, "%s: failed import left a partial model", what);
    sannip_model_uninit(&m);
}

static void n2p2_potential_errors(void)
{
    char path[1024], *t, *u;
    size_t p, n;
    int line;
    const char *sh = test_shared();
    sannip_model m;
    const char *w[2];
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/input.nn", sh);
    CHECK(sannip_read_file(path, NULL, &NN, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/scaling.data", sh);
    CHECK(sannip_read_file(path, NULL, &SC, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/weights.001.data", sh);
    CHECK(sannip_read_file(path, NULL, &W1, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/weights.008.data", sh);
    CHECK(sannip_read_file(path, NULL, &W8, NULL, &err) == SANNIP_SUCCESS, "%s", err.message);
    if (!NN || !SC || !W1 || !W8) return;
    /* the unedited texts import (positive control) */
    sannip_model_init(&m, NULL);
    w[0] = W1; w[1] = W8;
    reset();
    CHECK(sannip_n2p2_import_mem(&m, NN, SC, w, 2, &err) == SANNIP_SUCCESS && m.n_elements == 2, "water import: %s", err.message);
    sannip_model_uninit(&m);

    t = replace_line(NN, "elements", "# no elements line", &line);
    import_case("input.nn without 'elements'", t, SC, W1, W8, 2, SANNIP_PARSE_ERROR, 0, "elements");
    free(t);
    t = replace_line(NN, "elements", "elements H O C", &line);
    import_case("input.nn: 3 elements, number_of_elements 2", t, SC, W1, W8, 2, SANNIP_PARSE_ERROR, line, "number_of_elements");
    free(t);
    t = replace_line(NN, "elements", "elements H Qq", &line);
    import_case("input.nn: element 'Qq'", t, SC, W1, W8, 2, SANNIP_UNKNOWN_ELEMENT, line, "Qq");
    free(t);
    u = replace_line(NN, "number_of_elements", "number_of_elements 3", &line);
    t = replace_line(u, "elements", "elements H O O", &line);
    free(u);
    import_case("input.nn: element O listed twice", t, SC, W1, W8, 2, SANNIP_PARSE_ERROR, -1, "twice");
    free(t);
    t = replace(NN, "symfunction_short H 2 H 0.001", "symfunction_short H 5 H 0.001", &line);
    import_case("input.nn: symmetry function type 5", t, SC, W1, W8, 2, SANNIP_UNSUPPORTED, line, "5");
    free(t);
    t = replace(NN, "symfunction_short H 2 H 0.001", "symfunction_short H 2 C 0.001", &line);
    import_case("input.nn: neighbour C not in elements", t, SC, W1, W8, 2, SANNIP_UNKNOWN_ELEMENT, line, NULL);
    free(t);
    t = replace(NN, "symfunction_short H 2 H 0.001", "symfunction_short H 2 H 0.0x1", &line);
    import_case("input.nn: symmetry function eta '0.0x1'", t, SC, W1, W8, 2, SANNIP_PARSE_ERROR, line, NULL);
    free(t);
    t = replace(NN, "symfunction_short O 3 H H 0.07  1.0 1.0", "symfunction_short O 3 H H 0.07  1.0 0.5", &line);
    import_case("input.nn: symmetry function zeta 0.5", t, SC, W1, W8, 2, SANNIP_BAD_PARAMETER, line, "zeta");
    free(t);
    t = replace_line(NN, "cutoff_type", "cutoff_type 42", &line);
    import_case("input.nn: cutoff_type 42", t, SC, W1, W8, 2, SANNIP_BAD_CUTOFF, line, NULL);
    free(t);
    t = replace_line(NN, "global_activation_short", "global_activation_short t q l", &line);
    import_case("input.nn: activation 'q'", t, SC, W1, W8, 2, SANNIP_UNSUPPORTED, line, "q");
    free(t);
    t = replace_line(NN, "global_nodes_short", "global_nodes_short 25", &line);
    import_case("input.nn: 1 node count for 2 hidden layers", t, SC, W1, W8, 2, SANNIP_PARSE_ERROR, 0, NULL);
    free(t);
    import_case("n2p2: 1 weight file for 2 elements", NN, SC, W1, W8, 1, SANNIP_INVALID_ARGS, 0, NULL);

    t = drop_last_lines(SC, 5);
    import_case("scaling.data 5 lines short", NN, t, W1, W8, 2, SANNIP_TRUNCATED, -1, "scaling.data");
    free(t);
    p = data_line(SC, 1);
    p = token_in_line(SC, p, 2, &n);
    t = replace_at(SC, p, n, "1.0882O16636170764E+00");
    import_case("scaling.data value with a letter O", NN, t, W1, W8, 2, SANNIP_PARSE_ERROR, line_of(SC, p), "scaling.data");
    free(t);
    p = data_line(SC, 1);
    p = token_in_line(SC, p, 1, &n);
    t = replace_at(SC, p, n, "3");
    import_case("scaling.data function index out of order", NN, t, W1, W8, 2, SANNIP_PARSE_ERROR, line_of(SC, p), "scaling.data");
    free(t);
    t = (char *)malloc(strlen(SC) + 64);
    strcpy(t, SC); strcat(t, "         2         31   1 2 1 1\n");
    import_case("scaling.data with an extra line", NN, t, W1, W8, 2, SANNIP_PARSE_ERROR, -1, "scaling.data");
    free(t);

    t = drop_last_lines(W1, 3);
    import_case("weights.001.data 3 values short", NN, SC, t, W8, 2, SANNIP_TRUNCATED, 0, "weights.001");
    free(t);
    t = (char *)malloc(strlen(W8) + 64);
    strcpy(t, W8); strcat(t, "  1.0 b 1377 3 2\n");
    import_case("weights.008.data with an extra value", NN, SC, W1, t, 2, SANNIP_PARSE_ERROR, -1, "weights.008");
    free(t);
    p = token_in_line(W1, data_line(W1, 0), 0, &n);
    t = replace_at(W1, p, n, "1.25391558653521x7E+00");
    import_case("weights.001.data non-number", NN, SC, t, W8, 2, SANNIP_PARSE_ERROR, line_of(W1, p), "weights.001");
    free(t);
    import_case("weights.001.data empty", NN, SC, "", W8, 2, SANNIP_TRUNCATED, 0, "weights.001");
}

/* An input.nn asking for two hidden layers of 20000 nodes (4e8 weights) with a 4-byte weights
   file must fail before allocating the network: the weights text is checked against the
   architecture first (it used to allocate 3.2 GB). The same for
   repro/n2p2_alloc_amplification when the shared data has it. */
static void n2p2_huge_claims(void)
{
    const size_t LIMIT = (size_t)64 << 20;
    const char *names[3] = { "input.nn", "scaling.data", "weights.001.data" }, *w[2];
    char path[1024], *t, *rep[3] = { NULL, NULL, NULL };
    counter c;
    sannip_allocator a;
    sannip_model m;
    int line, i, r;
    t = replace_line(NN, "global_nodes_short", "global_nodes_short 20000 20000", &line);
    w[0] = "0.1\n"; w[1] = W8;
    memset(&c, 0, sizeof c); c.cap = LIMIT;
    a = counting(&c);
    sannip_model_init(&m, &a);
    reset();
    expect("n2p2: 20000x20000 layers, 4-byte weights.001.data", sannip_n2p2_import_mem(&m, t, SC, w, 2, &err), SANNIP_TRUNCATED, 0, "weights.001.data: element H");
    CHECK(c.requested < LIMIT, "n2p2 20000x20000 layers: %.3g bytes requested (largest %.3g)", (double)c.requested, (double)c.max_request);
    sannip_model_uninit(&m);
    CHECK(c.live == 0, "n2p2 huge layers: %ld allocations leaked", c.live);
    free(t);
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/repro/n2p2_alloc_amplification/%s", test_shared(), names[i]);
        if (sannip_read_file(path, NULL, &rep[i], NULL, &err) != SANNIP_SUCCESS) rep[i] = NULL;
    }
    if (rep[0] && rep[1] && rep[2]) {
        memset(&c, 0, sizeof c); c.cap = LIMIT;
        a = counting(&c);
        sannip_model_init(&m, &a);
        reset();
        w[0] = rep[2];
        r = sannip_n2p2_import_mem(&m, rep[0], rep[1], w, 1, &err);
        expect("repro/n2p2_alloc_amplification", r, SANNIP_TRUNCATED, 0, "weights.001.data");
        CHECK(c.requested < LIMIT, "repro/n2p2_alloc_amplification: %.3g bytes requested (largest %.3g)", (double)c.requested, (double)c.max_request);
        sannip_model_uninit(&m);
    }
    for (i = 0; i < 3; i++) free(rep[i]);
}

/* ---- 6. the command-line tool --------------------------------------------------------------- */
static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f) return -1;
    fseek(f, 0, SEEK_END); n = ftell(f); fclose(f);
    return n;
}
/* The first size - 1 bytes of a file into buf, NUL-terminated; 0 when it cannot be opened. */
static int read_head(const char *path, char *buf, size_t size)
{
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    n = fread(buf, 1, size - 1, f); buf[n] = 0; fclose(f);
    return 1;
}
static int file_has(const char *path, const char *s)
{
    char buf[4096];
    return read_head(path, buf, sizeof buf) && strstr(buf, s) != NULL;
}

static void cli_errors(void)
{
    int rc;
    const char *e1 = "build/badinput_cli1" SUFFIX ".err", *e2 = "build/badinput_cli2" SUFFIX ".err";
    const char *e3 = "build/badinput_cli3" SUFFIX ".err";
    FILE *f;
    rc = system("./bin/sannip predict build/badinput_missing.sannip build/badinput_x.data -o build/badinput_y" SUFFIX ".data "
                "> /dev/null 2> build/badinput_cli1" SUFFIX ".err");
    CHECK(rc != 0, "sannip predict with a missing model exited 0");
    CHECK(file_size(e1) > 0 && file_has(e1, "badinput_missing.sannip"), "sannip predict with a missing model: stderr does not name the file");
    rc = system("./bin/sannip bogus > /dev/null 2> build/badinput_cli2" SUFFIX ".err");
    CHECK(rc != 0, "sannip bogus exited 0");
    CHECK(file_size(e2) > 0 && file_has(e2, "bogus"), "sannip bogus: stderr does not name the command");
    /* a valid model and a structure file with an unknown element: non-zero, the line named */
    f = fopen("build/badinput_model" SUFFIX ".sannip", "wb");
    if (f) { fwrite(MT, 1, MT_LEN, f); fclose(f); }
    f = fopen("build/badinput_bad" SUFFIX ".data", "wb");
    if (f) { fputs("begin\nlattice 6 0 0\nlattice 0 6 0\nlattice 0 0 6\natom 1 1 1 O 0 0 0 0 0\natom 2 1 1 Zz 0 0 0 0 0\nend\n", f); fclose(f); }
    rc = system("./bin/sannip predict build/badinput_model" SUFFIX ".sannip build/badinput_bad" SUFFIX ".data -o build/badinput_out" SUFFIX ".data "
                "> /dev/null 2> build/badinput_cli3" SUFFIX ".err");
    CHECK(rc != 0, "sannip predict on a structure with element 'Zz' exited 0");
    CHECK(file_has(e3, "Zz"), "sannip predict on element 'Zz': stderr does not name it");
}

/* ---- 7. allocation failures ----------------------------------------------------------------- */
/* (every pipeline under failing allocations: tests/test_oom.c) */
/* Workspaces grow on demand: computing the same system again allocates nothing. */
static void steady_state_allocations(void)
{
    counter c;
    sannip_allocator a;
    sannip_model m;
    sannip_workspace ws;
    sannip_system sys = small_system();
    sannip_real E = 0, F[18], W[9];
    long before;
    int r;
    memset(&c, 0, sizeof c);
    a = counting(&c);
    sannip_model_init(&m, &a); sannip_workspace_init(&ws, &a);
    r = load_text(&m, MT, MT_LEN);
    if (r == SANNIP_SUCCESS) r = sannip_model_compute(&m, &ws, &sys, &E, NULL, F, W, &err);
    before = c.calls;
    if (r == SANNIP_SUCCESS) r = sannip_model_compute(&m, &ws, &sys, &E, NULL, F, W, &err);
    CHECK(r == SANNIP_SUCCESS && c.calls == before, "second compute of the same system: %s, %ld allocations", err.message, c.calls - before);
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m);
    CHECK(c.live == 0, "model + workspace with a counting allocator: %ld allocations not freed", c.live);
}

/* ---- 8. issue 12: ranges, limits, saves, training that never completed an epoch ----------- */
/* Coordinates beyond SANNIP_MAX_COORD (the +-1e308 reproducer gave NaN bins and "success") and
   atoms with more than SANNIP_MAX_NEIGHBORS neighbours (a 1 A cube, cutoff 9 A: ~3000). */
static void far_atoms_and_neighbour_limit(void)
{
    sannip_neighbors nl;
    sannip_system sys;
    sannip_structure s;
    char *t;
    int line;
    sannip_neighbors_init(&nl, NULL);
    CHECK(SANNIP_MISSING_FILE == -17 && SANNIP_TOO_MANY_NEIGHBORS == -18, "result codes renumbered");
    CHECK(strstr(sannip_result_string(SANNIP_TOO_MANY_NEIGHBORS), "SANNIP_TOO_MANY_NEIGHBORS") != NULL, "no name for SANNIP_TOO_MANY_NEIGHBORS");

    sys = small_system(); pos[3 * 2 + 1] = (sannip_real)2e6;
    reset(); expect("coordinate 2e6 (beyond SANNIP_MAX_COORD)", sannip_system_check(&sys, &err), SANNIP_TOO_BIG, 0, "atom 3");
    sys = small_system(); pos[0] = (sannip_real)-5e6; sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 0;
    reset(); expect("open system, coordinate -5e6 (neighbors_build)", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_TOO_BIG, 0, "atom 1");
    sys = small_system(); sys.cell[4] = (sannip_real)1e7;
    reset(); expect("periodic cell component 1e7", sannip_neighbors_build(&nl, &sys, 3, &err), SANNIP_TOO_BIG, 0, "cell");
    sys = small_system(); pos[3 * 5] = (sannip_real)9e5;   /* within the bound: still a geometry */
    reset(); CHECK(sannip_neighbors_build(&nl, &sys, 3, &err) == SANNIP_SUCCESS, "coordinate 9e5 in a periodic cell: %s", err.message);
#ifndef SANNIP_FLOAT
    {   /* the reproducer ub_bin_of_far_atoms.xyz, as a system: Ni at -1e308, O at +1e308 */
        sannip_real p2[6] = { -1e308, 0, 0,  1e308, 0, 0 };
        int z2[2] = { 28, 8 };
        memset(&sys, 0, sizeof sys);
        sys.n = 2; sys.pos = p2; sys.Z = z2;
        reset(); expect("atoms at -1e308 and +1e308 (neighbors_build)", sannip_neighbors_build(&nl, &sys, 6, &err), SANNIP_TOO_BIG, 0, "atom 1");
    }
#endif
    sannip_structure_init(&s, NULL);
    t = replace(XYZ_OK, "O 1 1 1", "O 5e6 1 1", &line);
    expect("xyz: coordinate 5e6", read_xyz(&s, t), SANNIP_TOO_BIG, line, "5e6");
    CHECK(err.field == 2, "xyz: coordinate 5e6: field %d, expected 2", err.field);
    free(t);
#ifndef SANNIP_FLOAT
    t = replace(XYZ_OK, "H 2 1 1", "H 2 1 -1e308", &line);
    expect("xyz: coordinate -1e308", read_xyz(&s, t), SANNIP_TOO_BIG, line, "-1e308");
    free(t);
#endif
    t = replace(XYZ_OK, "2\n", "99999999999\n", &line);
    expect("xyz: atom count 99999999999", read_xyz(&s, t), SANNIP_TOO_BIG, 1, "too large");
    free(t);
    {
        int l = 0;
        t = replace(N2P2_OK, "atom 1 1 1", "atom -7e6 1 1", &line);
        expect("n2p2: coordinate -7e6", read_n2p2(&s, t, &l), SANNIP_TOO_BIG, line, "-7e6");
        free(t);
    }
    sannip_structure_uninit(&s);

    {   /* one atom in a periodic 1 A cube, cutoff 9 A: its images give ~3000 neighbours */
        sannip_real p1[3] = { 0.1f, 0.2f, 0.3f };
        int z1[1] = { 26 };
        memset(&sys, 0, sizeof sys);
        sys.n = 1; sys.pos = p1; sys.Z = z1; sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 1;
        sys.cell[0] = sys.cell[4] = sys.cell[8] = 1;
        reset(); expect("1 A cube, cutoff 9: > SANNIP_MAX_NEIGHBORS", sannip_neighbors_build(&nl, &sys, 9, &err), SANNIP_TOO_MANY_NEIGHBORS, 0, "atom 1");
        reset(); CHECK(sannip_neighbors_build(&nl, &sys, 5, &err) == SANNIP_SUCCESS && nl.n_pairs > 400 && nl.n_pairs <= SANNIP_MAX_NEIGHBORS,
                       "1 A cube, cutoff 5: %d neighbours (%s)", (int)nl.n_pairs, err.message);
    }
    {   /* the reproducer slow_thin_cell_nio.xyz: ~4000 neighbours per atom within 6 A */
        char path[1024];
        sannip_dataset d;
        snprintf(path, sizeof path, "%s/repro/slow_thin_cell_nio.xyz", test_shared());
        sannip_dataset_init(&d, NULL);
        reset();
        if (sannip_dataset_read_file(&d, path, &err) != SANNIP_MISSING_FILE)
            CHECK(err.code == SANNIP_PARSE_ERROR && strstr(err.message, "atom 14: effective field"), "slow_thin_cell_nio.xyz as it is: %s", err.message);
        sannip_dataset_uninit(&d); sannip_dataset_init(&d, NULL);
        char *text = NULL, *col; size_t len = 0;
        /* its fuzzed magnetic_forces column holds a bad byte (bad input since the column is
           read); the thin cell is read with the column renamed */
        if (sannip_read_file(path, NULL, &text, &len, &err) == SANNIP_SUCCESS && (col = strstr(text, "magnetic_forces:")) != NULL) memcpy(col, "unread_columns_", 15);
        if (text && sannip_dataset_read_mem(&d, text, len, &err) == SANNIP_SUCCESS) {
            sys = sannip_structure_view(&d.s[0]);
            reset(); expect("slow_thin_cell_nio.xyz, cutoff 6", sannip_neighbors_build(&nl, &sys, 6, &err), SANNIP_TOO_MANY_NEIGHBORS, 0, "SANNIP_MAX_NEIGHBORS");
        } else printf("ok (skipped: %s)\n", err.message);
        sannip_free(NULL, text);
        sannip_dataset_uninit(&d);
    }
    sannip_neighbors_uninit(&nl);
}

/* fb= exponents: an integral 1e10 was cast to int (undefined); now SANNIP_BAD_PARAMETER with
   the line and field in err and in the message. */
static void fb_exponent_range(void)
{
    sannip_descriptors d;
    sannip_model m;
    char path[1024], *text;
    size_t len;
    sannip_descriptors_init(&d, NULL);
    reset(); expect("fb= XIDN 1e10", sannip_descriptors_parse(&d, "gf_radial Ni O eta=1 rs=2 fb=0.5,2,1.5,1e10,4\n", &err), SANNIP_BAD_PARAMETER, 1, "line 1, field 6");
    CHECK(err.field == 6 && strstr(err.message, "XIDN"), "fb= XIDN 1e10: field %d, message '%s'", err.field, err.message);
    reset(); expect("fb= XIUP -1e10", sannip_descriptors_parse(&d, "g2 Ni Ni rc=5 eta=1\ngf_radial Ni O eta=1 rs=2 fb=0.5,2,1.5,4,-1e10\n", &err), SANNIP_BAD_PARAMETER, 2, "XIUP");
    reset(); expect("fb2= XIDN 2147483648", sannip_descriptors_parse(&d, "gf_biradial Fe * Co eta=0.4 rs=2.5 eta2=0.6 rs2=3 fb=1.2,2.6,2,2,2 fb2=0.8,3,1.6,2147483648,2\n", &err),
                    SANNIP_BAD_PARAMETER, 1, "field 10");
    reset(); expect("fb= XIUP 1e30", sannip_descriptors_parse(&d, "gf_radial Ni O eta=1 rs=2 fb=0.5,2,1.5,4,1e30\n", &err), SANNIP_BAD_PARAMETER, 1, "XIUP");
    reset(); CHECK(sannip_descriptors_parse(&d, "gf_radial Ni O eta=1 rs=2 fb=0.5,2,1.5,1000,4\n", &err) == SANNIP_SUCCESS, "fb= XIDN 1000: %s", err.message);
    sannip_descriptors_uninit(&d);
    /* the reproducer model file (its basis line is line 3) */
    snprintf(path, sizeof path, "%s/repro/ub_fb_xi_int_cast.sannip", test_shared());
    reset();
    if (sannip_read_file(path, NULL, &text, &len, &err) == SANNIP_SUCCESS) {
        sannip_model_init(&m, NULL);
        reset(); expect("ub_fb_xi_int_cast.sannip", sannip_model_load_mem(&m, text, len, &err), SANNIP_BAD_PARAMETER, 3, "line 3, field 6");
        sannip_model_uninit(&m);
        free(text);
    } else printf("ok (skipped: %s)\n", err.message);
}

#ifdef HAVE_FORK
static void remove_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char p[1024];
    struct stat st;
    if (!dp) return;
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p); else unlink(p);
    }
    closedir(dp);
    rmdir(dir);
}
/* Entries of dir whose name contains ".tmp". */
static int count_tmp(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!dp) return -1;
    while ((e = readdir(dp)) != NULL) if (strstr(e->d_name, ".tmp")) n++;
    closedir(dp);
    return n;
}
static int file_is(const char *path, const char *content)
{
    char buf[256];
    return read_head(path, buf, sizeof buf) && strcmp(buf, content) == 0;
}
static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}
#endif

/* sannip_write_file_atomic: a symlink planted at PATH.tmp (repro/save_tmp_symlink.sh) is not
   followed; PATH ends as a regular file; the old mode survives; nothing is left behind. */
static void atomic_save(void)
{
#ifdef HAVE_FORK
    const char *D = "build/badinput_save" SUFFIX;
    char model[256], victim[256], planted[256], nodir[256], adir[256], fresh[256];
    struct stat st;
    mode_t um;
    char *text;
    size_t len;
    remove_tree(D);
    CHECK(mkdir(D, 0777) == 0, "mkdir %s", D);
    snprintf(model, sizeof model, "%s/model.sannip", D); snprintf(victim, sizeof victim, "%s/victim.txt", D);
    snprintf(planted, sizeof planted, "%s/model.sannip.tmp", D); snprintf(nodir, sizeof nodir, "%s/nodir/model.sannip", D);
    snprintf(adir, sizeof adir, "%s/adir", D); snprintf(fresh, sizeof fresh, "%s/fresh.txt", D);
    CHECK(sannip_write_file_atomic(victim, "victim content\n", 15, &err) == SANNIP_SUCCESS, "victim: %s", err.message);
    CHECK(symlink("victim.txt", planted) == 0, "symlink %s", planted);
    reset(); CHECK(sannip_write_file_atomic(model, "model 1\n", 8, &err) == SANNIP_SUCCESS, "save with a symlink at PATH.tmp: %s", err.message);
    CHECK(file_is(victim, "victim content\n"), "the symlink planted at PATH.tmp was followed: the victim was overwritten");
    CHECK(lstat(model, &st) == 0 && S_ISREG(st.st_mode), "PATH is not a regular file after the save");
    CHECK(file_is(model, "model 1\n"), "PATH does not hold the saved bytes");
    CHECK(lstat(planted, &st) == 0 && S_ISLNK(st.st_mode), "the planted symlink was touched");
    /* two saves in a row; the mode of an existing 0600 file survives */
    CHECK(chmod(model, 0600) == 0, "chmod");
    reset(); CHECK(sannip_write_file_atomic(model, "model 2\n", 8, &err) == SANNIP_SUCCESS, "second save: %s", err.message);
    reset(); CHECK(sannip_write_file_atomic(model, "model 3\n", 8, &err) == SANNIP_SUCCESS && file_is(model, "model 3\n"), "third save: %s", err.message);
    CHECK(mode_of(model) == 0600, "mode 0600 became %o", mode_of(model));
    /* bits the umask would remove are kept too (fchmod); a new file gets 0666 less the umask */
    um = umask(077);
    CHECK(chmod(model, 0644) == 0, "chmod");
    reset(); CHECK(sannip_write_file_atomic(model, "model 4\n", 8, &err) == SANNIP_SUCCESS, "save under umask 077: %s", err.message);
    CHECK(mode_of(model) == 0644, "mode 0644 under umask 077 became %o", mode_of(model));
    umask(022);
    reset(); CHECK(sannip_write_file_atomic(fresh, "x", 1, &err) == SANNIP_SUCCESS && mode_of(fresh) == 0644, "new file under umask 022: mode %o (%s)", mode_of(fresh), err.message);
    umask(um);
    /* failures: a directory that does not exist; a directory in the way of the rename */
    reset(); expect("save into a missing directory", sannip_write_file_atomic(nodir, "x", 1, &err), SANNIP_IO_ERROR, 0, nodir);
    CHECK(strstr(err.message, "create") != NULL, "missing directory: the message '%s' does not name the step", err.message);
    CHECK(mkdir(adir, 0777) == 0, "mkdir %s", adir);
    reset(); expect("save over a directory", sannip_write_file_atomic(adir, "x", 1, &err), SANNIP_IO_ERROR, 0, "rename");
    CHECK(count_tmp(D) == 1, "%d names with .tmp in %s: temporaries left behind (expected only the planted symlink)", count_tmp(D), D);
    /* reading a directory says so */
    reset(); expect("read_file of a directory", sannip_read_file(D, NULL, &text, &len, &err), SANNIP_IO_ERROR, 0, "is a directory");
    remove_tree(D);
#endif
}

/* Training: a stop flag set before the first epoch leaves report.epochs_run 0 (the CLI then
   writes nothing); a committee reports its fewest completed epochs, also when it fails. The
   normal run takes the prefetch path of the last structure of each epoch (no next entry). */
static int stop_after_epoch_1(const sannip_train_progress *p, void *user)
{
    if (p->epoch == 1) *(volatile sig_atomic_t *)user = 1;
    return 0;
}
static void training_stops(void)
{
    char text[8192], *w = text;
    sannip_dataset d, dn;
    sannip_model m;
    sannip_committee cm;
    sannip_train_config c = sannip_train_config_init();
    sannip_train_report rep;
    sannip_committee_report crep;
    volatile sig_atomic_t stop = 0;
    sannip_real before[256], after[256];
    size_t np, q;
    int k, a, same;
    for (k = 0; k < 4; k++) {   /* four frames of the two-water box, a little apart */
        w += sprintf(w, "6\nLattice=\"6 0 0 0 6 0 0 0 6\" Properties=species:S:1:pos:R:3:forces:R:3 energy=%g pbc=\"T T T\"\n", -10.0 - 0.1 * k);
        for (a = 0; a < 6; a++)
            w += sprintf(w, "%s %g %g %g %g %g %g\n", Z0[a] == 8 ? "O" : "H", POS0[3 * a] + 0.03 * k * (a % 3), POS0[3 * a + 1] - 0.02 * k, POS0[3 * a + 2],
                         0.1 * (a - 2.5), 0.05 * k, -0.02 * a);
    }
    sannip_dataset_init(&d, NULL);
    reset(); CHECK(sannip_dataset_read_mem(&d, text, strlen(text), &err) == SANNIP_SUCCESS && d.n == 4, "training data: %s", err.message);
    c.epochs = 3; c.batch_size = 2; c.validation_fraction = 0.25; c.seed = 3;

    build_model(&m);
    reset(); CHECK(sannip_train(&m, &d, &c, &rep, &err) == SANNIP_SUCCESS && rep.epochs_run == 3, "3 epochs: %d run (%s)", rep.epochs_run, err.message);
    sannip_train_report_uninit(&rep);
    /* stop set before training: nothing trained, the parameters untouched (kept weights) */
    np = sannip_model_get_params(&m, NULL);
    CHECK(np <= 256, "%d parameters", (int)np);
    sannip_model_get_params(&m, before);
    stop = 1; c.stop = &stop; c.keep_weights = 1;
    reset(); CHECK(sannip_train(&m, &d, &c, &rep, &err) == SANNIP_SUCCESS && rep.epochs_run == 0 && rep.best_epoch < 1,
                   "stop before the first epoch: %d epochs run, best %d (%s)", rep.epochs_run, rep.best_epoch, err.message);
    sannip_train_report_uninit(&rep);
    sannip_model_get_params(&m, after);
    for (same = 1, q = 0; q < np; q++) if (before[q] != after[q]) same = 0;
    CHECK(same, "stop before the first epoch changed the parameters");
    /* stop raised during epoch 1's report: epoch 2 does not complete, epoch 1 is kept */
    stop = 0; c.keep_weights = 0; c.progress = stop_after_epoch_1; c.user = (void *)&stop;
    reset(); CHECK(sannip_train(&m, &d, &c, &rep, &err) == SANNIP_SUCCESS && rep.epochs_run == 1 && rep.best_epoch == 1,
                   "stop after epoch 1: %d epochs run, best %d (%s)", rep.epochs_run, rep.best_epoch, err.message);
    sannip_train_report_uninit(&rep);
    c.progress = NULL; c.user = NULL;

    /* committees */
    sannip_committee_init(&cm, NULL);
    reset(); CHECK(sannip_committee_create(&cm, &m, 2, &err) == SANNIP_SUCCESS, "committee: %s", err.message);
    stop = 0; c.epochs = 2;
    reset(); CHECK(sannip_committee_train(&cm, &d, &c, &crep, &err) == SANNIP_SUCCESS && crep.epochs_run == 2, "committee, 2 epochs: %d (%s)", crep.epochs_run, err.message);
    stop = 1;
    reset(); CHECK(sannip_committee_train(&cm, &d, &c, &crep, &err) == SANNIP_SUCCESS && crep.epochs_run == 0, "committee stopped before epoch 1: %d epochs", crep.epochs_run);
    stop = 0;
    sannip_dataset_init(&dn, NULL);   /* the same frames, the third without its energy */
    {
        char *t2 = replace(text, " energy=-10.2", "", NULL);
        reset(); CHECK(sannip_dataset_read_mem(&dn, t2, strlen(t2), &err) == SANNIP_SUCCESS && !dn.s[2].has_energy, "data without an energy: %s", err.message);
        free(t2);
    }
    crep.epochs_run = 99;
    reset(); expect("committee on a structure without energy", sannip_committee_train(&cm, &dn, &c, &crep, &err), SANNIP_PARSE_ERROR, 0, "structure 3");
    CHECK(crep.epochs_run == 0, "failed committee: epochs_run %d, expected 0", crep.epochs_run);
    sannip_dataset_uninit(&dn);
    sannip_committee_uninit(&cm);
    sannip_model_uninit(&m);
    sannip_dataset_uninit(&d);
}

/* sannip_basis_format writes into the caller's buffer without allocating (issue 12 item 8):
   a buffer one byte short gives -1 and a NUL-terminated prefix, the exact size the line. */
static void basis_format_bounds(void)
{
    sannip_descriptors d;
    sannip_error e;
    char full[512], small[512];
    int n, m;
    sannip_descriptors_init(&d, NULL);
    CHECK(sannip_descriptors_parse(&d, "g4 Fe Fe Fe cut=cos rc=6 eta=0.01 lambda=-1 zeta=2\n", &e) == SANNIP_SUCCESS && d.n == 1, "%s", e.message);
    n = d.n ? sannip_basis_format(&d.b[0], full, sizeof full) : -1;
    CHECK(n > 20 && (size_t)n == strlen(full), "format: %d", n);
    memset(small, 'x', sizeof small);
    m = n > 0 ? sannip_basis_format(&d.b[0], small, (size_t)n) : 0;
    CHECK(m == -1 && memchr(small, 0, (size_t)(n > 0 ? n : 1)) != NULL, "one byte short: %d, not terminated", m);
    m = n > 0 ? sannip_basis_format(&d.b[0], small, (size_t)n + 1) : 0;
    CHECK(m == n && strcmp(small, full) == 0, "exact size: %d '%s'", m, small);
    CHECK(sannip_basis_format(&d.b[0], small, 0) == -1, "size 0 accepted");
    sannip_descriptors_uninit(&d);
}

/* sannip_model_fit_scaling names every failure in err (issue 12 item 8): NULL structures, and
   the first allocation of its statistics failing. */
static void fit_scaling_errors(void)
{
    counter cnt;
    sannip_allocator a;
    sannip_model fm;
    sannip_structure st;
    sannip_error e;
    sannip_result r;
    int hid[1] = { 3 }, act[1] = { SANNIP_ACT_TANH };
    memset(&cnt, 0, sizeof cnt);
    a = counting(&cnt);
    sannip_model_init(&fm, &a);
    CHECK(sannip_descriptors_preset_bp_fe(&fm.desc, 26, &e) == SANNIP_SUCCESS && sannip_model_add_element(&fm, 26, 1, hid, act, &e) == SANNIP_SUCCESS, "model: %s", e.message);
    memset(&e, 0, sizeof e);
    CHECK(sannip_model_fit_scaling(&fm, NULL, 2, &e) == SANNIP_INVALID_ARGS && e.message[0] != 0, "fit_scaling(NULL): empty message");
    sannip_structure_init(&st, NULL);
    CHECK(sannip_structure_resize(&st, 2, 0, 0, &e) == SANNIP_SUCCESS, "%s", e.message);
    st.Z[0] = st.Z[1] = 26; st.pos[3] = st.pos[4] = st.pos[5] = (sannip_real)1.435;
    st.cell[0] = st.cell[4] = st.cell[8] = (sannip_real)2.87; st.pbc[0] = st.pbc[1] = st.pbc[2] = 1;
    memset(&e, 0, sizeof e);
    cnt.fail_at = cnt.calls + 1;   /* the statistics' first buffer */
    r = sannip_model_fit_scaling(&fm, &st, 1, &e);
    CHECK(r == SANNIP_OUT_OF_MEMORY && e.code == SANNIP_OUT_OF_MEMORY && e.message[0] != 0, "fit_scaling out of memory: result %d, message '%s'", (int)r, e.message);
    cnt.fail_at = 0;
    CHECK(sannip_model_fit_scaling(&fm, &st, 1, &e) == SANNIP_SUCCESS, "fit_scaling: %s", e.message);
    sannip_structure_uninit(&st);
    sannip_model_uninit(&fm);
    CHECK(cnt.live == 0, "fit_scaling test leaks %ld blocks", cnt.live);
}

int main(void)
{
    sannip_model m;
    sannip_workspace ws;
    sannip_system sys;
    sannip_real E = 0;
    setvbuf(stdout, NULL, _IONBF, 0);   /* keep "ok" lines and failures in order */
    thin_cell_does_not_hang();   /* first: fork before any OpenMP thread exists */
    fit_scaling_errors();
    basis_format_bounds();

    build_model(&m);
    CHECK(sannip_model_save_mem(&m, &MT, &MT_LEN, &err) == SANNIP_SUCCESS, "save: %s", err.message);
    sannip_model_uninit(&m);
    sannip_model_init(&m, NULL); sannip_workspace_init(&ws, NULL);
    sys = small_system();
    CHECK(load_text(&m, MT, MT_LEN) == SANNIP_SUCCESS && sannip_model_compute(&m, &ws, &sys, &E, NULL, NULL, NULL, &err) == SANNIP_SUCCESS,
          "reference: %s", err.message);
    E_REF = E;
    sannip_workspace_uninit(&ws); sannip_model_uninit(&m);

    model_truncations();
    model_corruptions();
    model_huge_claims();
    model_description_unterminated();
    committee_huge_claims();
    system_errors();
    parameter_errors();
    n2p2_data_errors();
    xyz_errors();
    n2p2_potential_errors();
    if (NN && SC && W1 && W8) n2p2_huge_claims();
    cli_errors();
    steady_state_allocations();
    far_atoms_and_neighbour_limit();
    fb_exponent_range();
    atomic_save();
    training_stops();
    free(MT); free(NN); free(SC); free(W1); free(W8);
    return test_report("test_badinput");
}
