/* Files without a file system (issue 11, item 7): loaders and writers through user callbacks.
   - models (tests/golden/bp, spin_cnn and sgd_raw.sannip), a committee (tests/golden/committee.sannip), data sets
     (extended XYZ: SHARED/data/nio_train.xyz; n2p2: SHARED/peers/n2p2/H2O_RPBE-D3/input.data)
     and descriptor definitions (the n2p2 input.nn) read through callbacks that deliver 1, 7
     or 4096 bytes at a time, with and without an eof callback, equal the memory loaders'
     results: the re-saved model/committee texts are identical, structures agree field by
     field (bit for bit), bases format to the same lines;
   - a read callback that fails midway (or returns more than it was asked) gives
     SANNIP_IO_ERROR with a message and leaves the model / data set as it was;
   - the size budget: an input one byte longer than max_bytes gives SANNIP_TOO_BIG, one of
     exactly max_bytes is read; the buffer never exceeds max_bytes + 2 bytes; an allocator
     without realloc_fn works; nothing leaks on any path;
   - writers: the bytes a working writer receives equal save_mem's (in pieces of at most
     64 KiB), a writer that fails gives SANNIP_IO_ERROR with a message.
   The files are read at test time (never copied into the repository). */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "test.h"
#include <string.h>

/* ---- callbacks over a buffer ---------------------------------------------------------------- */
typedef struct chunked {
    const char *data;
    size_t len, pos;
    int chunk;          /* at most this many bytes per read */
    size_t fail_at;     /* nonzero: a read at or beyond this offset returns -1 */
    int overfill;       /* nonzero: claims one byte more than asked (a broken callback) */
    int reads;
} chunked;
static int chunked_read(void *user, char *out, int size)
{
    chunked *c = (chunked *)user;
    size_t n = c->len - c->pos;
    c->reads++;
    if (c->fail_at && c->pos >= c->fail_at) return -1;
    if (c->overfill) return size + 1;
    if (n > (size_t)c->chunk) n = (size_t)c->chunk;
    if (n > (size_t)size) n = (size_t)size;
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
    return (int)n;
}
static void chunked_skip(void *user, int n)
{
    chunked *c = (chunked *)user;
    c->pos = n < 0 && (size_t)-n > c->pos ? 0 : c->pos + (size_t)n;
    if (c->pos > c->len) c->pos = c->len;
}
static int chunked_eof(void *user)
{
    chunked *c = (chunked *)user;
    return c->pos >= c->len;
}
static const sannip_io_callbacks io_eof = { chunked_read, chunked_skip, chunked_eof };
static const sannip_io_callbacks io_noeof = { chunked_read, NULL, NULL };
static chunked chunks_of(const char *data, size_t len, int chunk)
{
    chunked c;
    memset(&c, 0, sizeof c);
    c.data = data; c.len = len; c.chunk = chunk;
    return c;
}
static const int CHUNKS[3] = { 1, 7, 4096 };

/* ---- a writer collecting into a buffer --------------------------------------------------------- */
typedef struct sink {
    char *s;
    size_t len, cap, largest;
    int calls, fail_on;   /* fail_on > 0: the fail_on-th call returns -5 */
} sink;
static int sink_write(void *user, const char *data, size_t size)
{
    sink *k = (sink *)user;
    k->calls++;
    if (k->fail_on && k->calls == k->fail_on) return -5;
    if (size > k->largest) k->largest = size;
    if (k->len + size > k->cap) {
        size_t cap = 2 * (k->len + size);
        char *p = (char *)realloc(k->s, cap);
        if (!p) return -1;
        k->s = p; k->cap = cap;
    }
    memcpy(k->s + k->len, data, size);
    k->len += size;
    return 0;
}

/* ---- a counting allocator (used with and without realloc_fn) --------------------------------------------------- */
typedef struct counter { long live; size_t largest; int failing; } counter;
static void *count_alloc(size_t n, void *u)
{
    counter *c = (counter *)u;
    void *p;
    if (c->failing) return NULL;
    if (!(p = malloc(n))) return NULL;
    c->live++;
    if (n > c->largest) c->largest = n;
    return p;
}
static void count_free(void *p, void *u) { ((counter *)u)->live--; free(p); }
static void *count_realloc(void *p, size_t n, void *u)
{
    counter *c = (counter *)u;
    void *q;
    if (c->failing) return NULL;
    if ((q = realloc(p, n)) != NULL && !p) c->live++;
    return q;
}

static char *slurp(const char *path, size_t *len)
{
    char *text = NULL;
    sannip_error err;
    if (sannip_read_file(path, NULL, &text, len, &err) != SANNIP_SUCCESS) {
        fprintf(stderr, "test_io: %s\n", err.message);
        return NULL;
    }
    return text;
}

/* ---- comparisons --------------------------------------------------------------------------- */
static int same_array(const void *a, const void *b, size_t bytes)
{
    if (!a || !b) return a == b;
    return memcmp(a, b, bytes) == 0;
}
/* field by field, bit for bit */
static int same_structure(const sannip_structure *a, const sannip_structure *b)
{
    size_t n = (size_t)a->n;
    return a->n == b->n && same_array(a->pos, b->pos, 3 * n * sizeof(sannip_real)) && same_array(a->Z, b->Z, n * sizeof(int))
        && memcmp(a->cell, b->cell, sizeof a->cell) == 0 && memcmp(a->pbc, b->pbc, sizeof a->pbc) == 0
        && same_array(a->forces, b->forces, 3 * n * sizeof(sannip_real)) && same_array(a->spins, b->spins, 3 * n * sizeof(sannip_real))
        && same_array(a->charges, b->charges, n * sizeof(sannip_real)) && same_array(a->fields, b->fields, 3 * n * sizeof(sannip_real))
        && memcmp(&a->energy, &b->energy, sizeof a->energy) == 0 && a->has_energy == b->has_energy
        && memcmp(a->virial, b->virial, sizeof a->virial) == 0 && a->has_virial == b->has_virial
        && memcmp(&a->weight, &b->weight, sizeof a->weight) == 0 && strcmp(a->comment, b->comment) == 0;
}
static int same_dataset(const sannip_dataset *a, const sannip_dataset *b)
{
    int i;
    if (a->n != b->n) return 0;
    for (i = 0; i < a->n; i++) if (!same_structure(&a->s[i], &b->s[i])) return 0;
    return 1;
}
static int same_text(const char *a, size_t na, const char *b, size_t nb)
{
    return na == nb && memcmp(a, b, na) == 0;
}

/* ---- models ------------------------------------------------------------------------------- */
static void test_models(void)
{
    static const char *const names[3] = { "bp", "spin_cnn", "sgd_raw" };
    int f, k, e;
    for (f = 0; f < 3; f++) {
        char path[256], *text, *ref = NULL, *again = NULL;
        size_t len, nref = 0, nagain = 0;
        sannip_model a, b;
        sannip_error err;
        snprintf(path, sizeof path, "tests/golden/%s.sannip", names[f]);
        if (!(text = slurp(path, &len))) { CHECK(0, "cannot read %s", path); continue; }
        sannip_model_init(&a, NULL); sannip_model_init(&b, NULL);
        CHECK(sannip_model_load_mem(&a, text, len, &err) == SANNIP_SUCCESS, "%s: %s", path, err.message);
        CHECK(sannip_model_save_mem(&a, &ref, &nref, &err) == SANNIP_SUCCESS, "%s", err.message);
        for (k = 0; k < 3; k++) for (e = 0; e < 2; e++) {
            chunked c = chunks_of(text, len, CHUNKS[k]);
            sannip_result r = sannip_model_load_callbacks(&b, e ? &io_eof : &io_noeof, &c, &err);
            CHECK(r == SANNIP_SUCCESS, "%s, %d-byte chunks: %s", path, CHUNKS[k], err.message);
            CHECK(c.pos == len, "%s: read %zu of %zu bytes", path, c.pos, len);
            again = NULL; nagain = 0;
            CHECK(r == SANNIP_SUCCESS && sannip_model_save_mem(&b, &again, &nagain, &err) == SANNIP_SUCCESS
                  && ref && same_text(ref, nref, again, nagain), "%s, %d-byte chunks%s: re-saved text differs", path, CHUNKS[k], e ? " (eof)" : "");
            sannip_free(&b.alloc, again);
        }
        {   /* the writer: the same bytes as save_mem, in pieces of at most 64 KiB */
            sink s;
            memset(&s, 0, sizeof s);
            CHECK(sannip_model_save_callbacks(&a, sink_write, &s, &err) == SANNIP_SUCCESS, "%s", err.message);
            CHECK(ref && same_text(ref, nref, s.s, s.len), "%s: written bytes (%zu) differ from save_mem's (%zu)", path, s.len, nref);
            CHECK(s.largest <= 65536 && s.calls == (int)((nref + 65535) / 65536), "%s: %d pieces, largest %zu", path, s.calls, s.largest);
            free(s.s);
            if (nref > 65536) {   /* a writer failing on its second piece */
                memset(&s, 0, sizeof s);
                s.fail_on = 2;
                memset(&err, 0, sizeof err);
                CHECK(sannip_model_save_callbacks(&a, sink_write, &s, &err) == SANNIP_IO_ERROR && err.code == SANNIP_IO_ERROR
                      && strstr(err.message, "write callback failed") && strstr(err.message, "-5"), "%s: failing writer: '%s'", path, err.message);
                CHECK(s.len == 65536, "%s: %zu bytes delivered before the failure", path, s.len);
                free(s.s);
            }
        }
        {   /* a read callback failing midway: SANNIP_IO_ERROR, the loaded model kept */
            chunked c = chunks_of(text, len, 7);
            c.fail_at = len / 2;
            memset(&err, 0, sizeof err);
            CHECK(sannip_model_load_callbacks(&b, &io_eof, &c, &err) == SANNIP_IO_ERROR && err.code == SANNIP_IO_ERROR
                  && strstr(err.message, "read callback failed") && strstr(err.message, "returned -1"), "%s: failing reader: '%s'", path, err.message);
            again = NULL; nagain = 0;
            CHECK(sannip_model_save_mem(&b, &again, &nagain, &err) == SANNIP_SUCCESS && ref && same_text(ref, nref, again, nagain),
                  "%s: the model changed after a failed read", path);
            sannip_free(&b.alloc, again);
        }
        sannip_free(&a.alloc, ref);
        sannip_model_uninit(&a); sannip_model_uninit(&b);
        sannip_free(NULL, text);
    }
}

/* ---- committee ------------------------------------------------------------------------------- */
static void test_committee(void)
{
    const char *path = "tests/golden/committee.sannip";
    char *text, *ref = NULL, *again;
    size_t len, nref = 0, nagain;
    sannip_committee a, b;
    sannip_error err;
    int k;
    sink s;
    if (!(text = slurp(path, &len))) { CHECK(0, "cannot read %s", path); return; }
    sannip_committee_init(&a, NULL); sannip_committee_init(&b, NULL);
    CHECK(sannip_committee_load_mem(&a, text, len, &err) == SANNIP_SUCCESS && a.n == 2, "%s: %s", path, err.message);
    CHECK(sannip_committee_save_mem(&a, &ref, &nref, &err) == SANNIP_SUCCESS, "%s", err.message);
    for (k = 0; k < 3; k++) {
        chunked c = chunks_of(text, len, CHUNKS[k]);
        sannip_result r = sannip_committee_load_callbacks(&b, k == 1 ? &io_noeof : &io_eof, &c, &err);
        CHECK(r == SANNIP_SUCCESS && b.n == a.n, "committee, %d-byte chunks: %s", CHUNKS[k], err.message);
        again = NULL; nagain = 0;
        CHECK(r == SANNIP_SUCCESS && sannip_committee_save_mem(&b, &again, &nagain, &err) == SANNIP_SUCCESS
              && ref && same_text(ref, nref, again, nagain), "committee, %d-byte chunks: re-saved text differs", CHUNKS[k]);
        sannip_free(&b.alloc, again);
    }
    memset(&s, 0, sizeof s);
    CHECK(sannip_committee_save_callbacks(&a, sink_write, &s, &err) == SANNIP_SUCCESS, "%s", err.message);
    CHECK(ref && same_text(ref, nref, s.s, s.len), "committee: written bytes (%zu) differ from save_mem's (%zu)", s.len, nref);
    free(s.s);
    memset(&s, 0, sizeof s);
    s.fail_on = 1;
    memset(&err, 0, sizeof err);
    CHECK(sannip_committee_save_callbacks(&a, sink_write, &s, &err) == SANNIP_IO_ERROR && strstr(err.message, "write callback failed"),
          "committee: failing writer: '%s'", err.message);
    free(s.s);
    {   /* failing reader: SANNIP_IO_ERROR, b unchanged */
        chunked c = chunks_of(text, len, 4096);
        c.fail_at = 8192;
        memset(&err, 0, sizeof err);
        CHECK(sannip_committee_load_callbacks(&b, &io_eof, &c, &err) == SANNIP_IO_ERROR && strstr(err.message, "read callback failed"),
              "committee: failing reader: '%s'", err.message);
        CHECK(b.n == a.n, "committee: %d members after a failed read", b.n);
    }
    {   /* a plain model text loads as a committee of one, as load_mem does */
        char *mt; size_t ml;
        if ((mt = slurp("tests/golden/bp.sannip", &ml)) != NULL) {
            chunked c = chunks_of(mt, ml, 7);
            CHECK(sannip_committee_load_callbacks(&b, &io_eof, &c, &err) == SANNIP_SUCCESS && b.n == 1, "model as committee: %s", err.message);
            sannip_free(NULL, mt);
        }
    }
    sannip_free(&a.alloc, ref);
    sannip_committee_uninit(&a); sannip_committee_uninit(&b);
    sannip_free(NULL, text);
}

/* ---- data sets ------------------------------------------------------------------------------- */
static void test_dataset_file(const char *path, int expect_forces)
{
    char *text;
    size_t len;
    sannip_dataset a, b;
    sannip_error err;
    int k, n0;
    if (!(text = slurp(path, &len))) { CHECK(0, "cannot read %s", path); return; }
    sannip_dataset_init(&a, NULL);
    CHECK(sannip_dataset_read_mem(&a, text, len, &err) == SANNIP_SUCCESS && a.n > 1, "%s: %s", path, err.message);
    CHECK(a.n > 0 && (a.s[0].forces != NULL) == expect_forces, "%s: forces %s", path, a.n > 0 && a.s[0].forces ? "read" : "missing");
    if (a.n > 1 && a.s[0].fields) {   /* effective fields (NiO's magnetic_forces) round-trip through the writer */
        sannip_text t; sannip_dataset c; sannip_structure *s0 = &a.s[0];
        sannip_text_init(&t, NULL); sannip_dataset_init(&c, NULL);
        CHECK(sannip_write_xyz_ex(&t, s0, NULL, NULL, NULL, NULL, 0, NULL, 0, &err) == SANNIP_SUCCESS && strstr(t.s, ":magnetic_forces:R:3"), "%s: writer", path);
        CHECK(sannip_dataset_read_mem(&c, t.s, t.len, &err) == SANNIP_SUCCESS && c.s[0].fields
              && memcmp(c.s[0].fields, s0->fields, sizeof(sannip_real) * 3 * (size_t)s0->n) == 0, "%s: fields round trip: %s", path, err.message);
        CHECK(sannip_dataset_append(&c, s0, &err) == SANNIP_SUCCESS && c.s[1].fields != s0->fields
              && memcmp(c.s[1].fields, s0->fields, sizeof(sannip_real) * 3 * (size_t)s0->n) == 0, "%s: append copies the fields", path);
        sannip_text_uninit(&t); sannip_dataset_uninit(&c);
    }
    for (k = 0; k < 3; k++) {
        chunked c = chunks_of(text, len, CHUNKS[k]);
        sannip_dataset_init(&b, NULL);
        CHECK(sannip_dataset_read_callbacks(&b, k == 2 ? &io_noeof : &io_eof, &c, &err) == SANNIP_SUCCESS, "%s, %d-byte chunks: %s", path, CHUNKS[k], err.message);
        CHECK(same_dataset(&a, &b), "%s, %d-byte chunks: %d vs %d structures, or a field differs", path, CHUNKS[k], a.n, b.n);
        if (k == 2) {   /* a failing reader appends nothing */
            chunked f = chunks_of(text, len, 4096);
            f.fail_at = len / 3;
            n0 = b.n;
            memset(&err, 0, sizeof err);
            CHECK(sannip_dataset_read_callbacks(&b, &io_eof, &f, &err) == SANNIP_IO_ERROR && strstr(err.message, "read callback failed"),
                  "%s: failing reader: '%s'", path, err.message);
            CHECK(b.n == n0, "%s: %d structures after a failed read (was %d)", path, b.n, n0);
            f = chunks_of(text, len, 4096);
            f.overfill = 1;
            CHECK(sannip_dataset_read_callbacks(&b, &io_eof, &f, &err) == SANNIP_IO_ERROR && strstr(err.message, "asked for"),
                  "%s: a reader returning more than asked: '%s'", path, err.message);
        }
        sannip_dataset_uninit(&b);
    }
    sannip_dataset_uninit(&a);
    sannip_free(NULL, text);
}

/* ---- descriptor definitions -------------------------------------------------------------------- */
static int same_descriptors(const sannip_descriptors *a, const sannip_descriptors *b)
{
    int i;
    if (a->n != b->n) return 0;
    for (i = 0; i < a->n; i++) {
        char x[1024], y[1024];
        if (sannip_basis_format(&a->b[i], x, sizeof x) < 0 || sannip_basis_format(&b->b[i], y, sizeof y) < 0 || strcmp(x, y) != 0) return 0;
    }
    return 1;
}
static void test_descriptors(const char *dir)
{
    char path[1200], *text;
    size_t len;
    sannip_descriptors a, b;
    sannip_error err;
    int k;
    static const char bad[] = "g2 H H cut=cos rc=4 eta=0.5 rs=0\n\0g2 H O cut=cos rc=4 eta=0.5 rs=1\n";
    snprintf(path, sizeof path, "%s/input.nn", dir);
    if (!(text = slurp(path, &len))) { CHECK(0, "cannot read %s", path); return; }
    sannip_descriptors_init(&a, NULL);
    CHECK(sannip_descriptors_parse(&a, text, &err) == SANNIP_SUCCESS && a.n > 10, "%s: %s", path, err.message);
    for (k = 0; k < 3; k++) {
        chunked c = chunks_of(text, len, CHUNKS[k]);
        sannip_descriptors_init(&b, NULL);
        CHECK(sannip_descriptors_parse_callbacks(&b, &io_eof, &c, &err) == SANNIP_SUCCESS, "%s, %d-byte chunks: %s", path, CHUNKS[k], err.message);
        CHECK(same_descriptors(&a, &b), "%s, %d-byte chunks: %d vs %d bases", path, CHUNKS[k], a.n, b.n);
        sannip_descriptors_uninit(&b);
    }
    {   /* a NUL byte would end the NUL-terminated parse early: refused, with its line */
        chunked c = chunks_of(bad, sizeof bad - 1, 7);
        sannip_descriptors_init(&b, NULL);
        memset(&err, 0, sizeof err);
        CHECK(sannip_descriptors_parse_callbacks(&b, &io_eof, &c, &err) == SANNIP_PARSE_ERROR && err.line == 2 && strstr(err.message, "NUL byte"),
              "NUL byte: line %d, '%s'", err.line, err.message);
        sannip_descriptors_uninit(&b);
    }
    sannip_descriptors_uninit(&a);
    sannip_free(NULL, text);
}

/* ---- budget, allocators, arguments ------------------------------------------------------------ */
static void test_budget(void)
{
    char *text, *out;
    size_t len, n;
    sannip_error err;
    counter cnt;
    sannip_allocator al;
    int k;
    if (!(text = slurp("tests/golden/bp.sannip", &len))) { CHECK(0, "cannot read bp.sannip"); return; }
    memset(&cnt, 0, sizeof cnt);
    memset(&al, 0, sizeof al);
    al.alloc_fn = count_alloc; al.free_fn = count_free; al.user_data = &cnt;   /* no realloc_fn */
    for (k = 0; k < 3; k++) {
        chunked c = chunks_of(text, len, CHUNKS[k]);
        out = NULL; n = 0; cnt.largest = 0;
        memset(&err, 0, sizeof err);
        CHECK(sannip_read_callbacks(&io_eof, &c, &al, len - 1, &out, &n, &err) == SANNIP_TOO_BIG && err.code == SANNIP_TOO_BIG
              && strstr(err.message, "limit") && !out, "%d-byte chunks, budget len - 1: '%s'", CHUNKS[k], err.message);
        CHECK(cnt.live == 0, "%ld blocks left after SANNIP_TOO_BIG", cnt.live);
        CHECK(cnt.largest <= len + 1, "buffer of %zu bytes for a budget of %zu", cnt.largest, len - 1);
        c = chunks_of(text, len, CHUNKS[k]);
        CHECK(sannip_read_callbacks(&io_noeof, &c, &al, len, &out, &n, &err) == SANNIP_SUCCESS && n == len && out
              && memcmp(out, text, len) == 0 && out[len] == 0, "%d-byte chunks, budget len: %s", CHUNKS[k], err.message);
        CHECK(cnt.largest <= len + 2, "buffer of %zu bytes for a budget of %zu", cnt.largest, len);
        sannip_free(&al, out);
        CHECK(cnt.live == 0, "%ld blocks left", cnt.live);
    }
    {   /* max_bytes 0: the default limit; an allocation failure: SANNIP_OUT_OF_MEMORY */
        chunked c = chunks_of(text, len, 4096);
        CHECK(sannip_read_callbacks(&io_eof, &c, NULL, 0, &out, &n, &err) == SANNIP_SUCCESS && n == len, "default limit: %s", err.message);
        sannip_free(NULL, out);
        c = chunks_of(text, len, 4096);
        cnt.failing = 1;
        CHECK(sannip_read_callbacks(&io_eof, &c, &al, 0, &out, &n, &err) == SANNIP_OUT_OF_MEMORY, "failing allocator: '%s'", err.message);
        cnt.failing = 0;
        CHECK(cnt.live == 0, "%ld blocks left", cnt.live);
    }
    {   /* a model through a counting allocator, read 7 bytes at a time: success, then a
           failure midway; nothing left behind (the model's own parser needs realloc_fn) */
        sannip_model m;
        chunked c = chunks_of(text, len, 7);
        al.realloc_fn = count_realloc;
        sannip_model_init(&m, &al);
        CHECK(sannip_model_load_callbacks(&m, &io_eof, &c, &err) == SANNIP_SUCCESS && m.n_elements == 2, "counting allocator: %s", err.message);
        c = chunks_of(text, len, 7);
        c.fail_at = len - 10;
        CHECK(sannip_model_load_callbacks(&m, &io_eof, &c, &err) == SANNIP_IO_ERROR && m.n_elements == 2, "counting allocator, failing reader: '%s'", err.message);
        sannip_model_uninit(&m);
        CHECK(cnt.live == 0, "%ld blocks left after the model", cnt.live);
        al.realloc_fn = NULL;
    }
    {   /* empty input: an empty NUL-terminated buffer; as a data set "no structures" */
        chunked c = chunks_of("", 0, 7);
        sannip_dataset d;
        CHECK(sannip_read_callbacks(&io_eof, &c, NULL, 0, &out, &n, &err) == SANNIP_SUCCESS && n == 0 && out && out[0] == 0, "empty: %s", err.message);
        sannip_free(NULL, out);
        c = chunks_of("", 0, 7);
        sannip_dataset_init(&d, NULL);
        CHECK(sannip_dataset_read_callbacks(&d, &io_noeof, &c, &err) == SANNIP_PARSE_ERROR && d.n == 0, "empty data set: '%s'", err.message);
        sannip_dataset_uninit(&d);
    }
    {   /* NULL arguments */
        sannip_io_callbacks none = { NULL, NULL, NULL };
        sannip_model m;
        chunked c = chunks_of(text, len, 7);
        sannip_model_init(&m, NULL);
        CHECK(sannip_read_callbacks(NULL, &c, NULL, 0, &out, &n, &err) == SANNIP_INVALID_ARGS, "NULL io");
        CHECK(sannip_read_callbacks(&none, &c, NULL, 0, &out, &n, &err) == SANNIP_INVALID_ARGS, "NULL read");
        CHECK(sannip_read_callbacks(&io_eof, &c, NULL, 0, NULL, &n, &err) == SANNIP_INVALID_ARGS, "NULL out");
        CHECK(sannip_model_load_callbacks(NULL, &io_eof, &c, &err) == SANNIP_INVALID_ARGS, "NULL model");
        CHECK(sannip_model_load_callbacks(&m, NULL, &c, &err) == SANNIP_INVALID_ARGS, "NULL callbacks");
        CHECK(sannip_model_save_callbacks(&m, NULL, NULL, &err) == SANNIP_INVALID_ARGS, "NULL writer");
        CHECK(sannip_write_callbacks(NULL, 3, sink_write, NULL, &err) == SANNIP_INVALID_ARGS, "NULL data");
        CHECK(sannip_write_callbacks(NULL, 0, sink_write, NULL, &err) == SANNIP_SUCCESS, "nothing to write: %s", err.message);
        sannip_model_uninit(&m);
    }
    sannip_free(NULL, text);
}

int main(void)
{
    char path[1200], dir[1100];
    snprintf(dir, sizeof dir, "%s/peers/n2p2/H2O_RPBE-D3", test_shared());
    test_models();
    test_committee();
    snprintf(path, sizeof path, "%s/data/nio_train.xyz", test_shared());
    test_dataset_file(path, 1);
    snprintf(path, sizeof path, "%s/input.data", dir);
    test_dataset_file(path, 1);
    test_descriptors(dir);
    test_budget();
    {   /* the field columns: heff (toy iron) read; a bad value names its line and column */
        const char *h = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3:magmoms:R:3:heff:R:3 energy=1\nFe 0 0 0 0 0 1.1 0.5 -0.25 2\n";
        const char *bad = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3:magmoms:R:3:magnetic_forces:R:3 energy=1\nFe 0 0 0 0 0 1.1 0.5 x 2\n";
        sannip_dataset d; sannip_error err;
        sannip_dataset_init(&d, NULL);
        CHECK(sannip_dataset_read_mem(&d, h, strlen(h), &err) == SANNIP_SUCCESS && d.s[0].fields && d.s[0].fields[0] == 0.5
              && d.s[0].fields[1] == -0.25 && d.s[0].fields[2] == 2, "heff column: %s", err.message);
        sannip_dataset_uninit(&d); sannip_dataset_init(&d, NULL);
        CHECK(sannip_dataset_read_mem(&d, bad, strlen(bad), &err) == SANNIP_PARSE_ERROR && err.line == 3 && err.field == 9
              && strstr(err.message, "effective field"), "bad field value: line %d field %d: %s", err.line, err.field, err.message);
        sannip_dataset_uninit(&d);
    }
    return test_report("test_io");
}
