/* SANNIP_NO_STDIO build with user callbacks (tests/test_options.sh): the implementations of
   sannip.h and sannip_train.h are compiled before this program includes <stdio.h>, so the
   callback loaders and writers must not need it. The tiny model and a committee of two go
   through sannip_*_save_callbacks into a memory sink and back through *_load_callbacks
   (7 bytes per read); the n2p2 water data set is read by sannip_dataset_read_callbacks from
   callbacks over a FILE* that this program (not the library) opens.
       nostdio_io SHARED */
#define SANNIP_NO_STDIO
#define SANNIP_IMPLEMENTATION
#include "../../sannip_train.h"
#include "tiny.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink { char *s; size_t len, cap; } sink;
static int sink_write(void *user, const char *data, size_t size)
{
    sink *k = (sink *)user;
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
typedef struct source { const char *s; size_t len, pos; } source;
static int source_read(void *user, char *data, int size)
{
    source *c = (source *)user;
    size_t n = c->len - c->pos;
    if (n > 7) n = 7;
    if (n > (size_t)size) n = (size_t)size;
    memcpy(data, c->s + c->pos, n);
    c->pos += n;
    return (int)n;
}
static int file_read(void *user, char *data, int size)
{
    FILE *f = (FILE *)user;
    size_t n = fread(data, 1, (size_t)size, f);
    return ferror(f) ? -1 : (int)n;
}
static int file_eof(void *user) { return feof((FILE *)user); }

int main(int argc, char **argv)
{
    static const sannip_io_callbacks mem_io = { source_read, NULL, NULL };
    static const sannip_io_callbacks file_io = { file_read, NULL, file_eof };
    char path[1200];
    sannip_error err;
    sannip_model m, m2;
    sannip_committee c, c2;
    sannip_dataset d;
    sannip_workspace ws;
    sannip_system sys = tiny_system();
    sannip_real E = 0, E2 = 0;
    sink s1, s2;
    source src;
    FILE *f;
    int ok = 1;
    memset(&s1, 0, sizeof s1); memset(&s2, 0, sizeof s2);
    sannip_model_init(&m, NULL); sannip_model_init(&m2, NULL);
    sannip_committee_init(&c, NULL); sannip_committee_init(&c2, NULL);
    sannip_dataset_init(&d, NULL);
    sannip_workspace_init(&ws, NULL);
    /* model: save through a writer, load 7 bytes at a time, same energy */
    if (tiny_model(&m, &err) != SANNIP_SUCCESS || sannip_model_save_callbacks(&m, sink_write, &s1, &err) != SANNIP_SUCCESS) { fprintf(stderr, "tiny: %s\n", err.message); return 1; }
    src.s = s1.s; src.len = s1.len; src.pos = 0;
    if (sannip_model_load_callbacks(&m2, &mem_io, &src, &err) != SANNIP_SUCCESS) { fprintf(stderr, "load: %s\n", err.message); return 1; }
    if (sannip_model_compute(&m, &ws, &sys, &E, NULL, NULL, NULL, &err) != SANNIP_SUCCESS
        || sannip_model_compute(&m2, &ws, &sys, &E2, NULL, NULL, NULL, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    ok = ok && E == E2;
    /* committee of two copies: written, read back, written again: the same bytes */
    if (sannip_committee_create(&c, &m, 2, &err) != SANNIP_SUCCESS || sannip_committee_save_callbacks(&c, sink_write, &s2, &err) != SANNIP_SUCCESS) { fprintf(stderr, "committee: %s\n", err.message); return 1; }
    src.s = s2.s; src.len = s2.len; src.pos = 0;
    if (sannip_committee_load_callbacks(&c2, &mem_io, &src, &err) != SANNIP_SUCCESS) { fprintf(stderr, "committee load: %s\n", err.message); return 1; }
    free(s1.s); memset(&s1, 0, sizeof s1);
    if (sannip_committee_save_callbacks(&c2, sink_write, &s1, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s\n", err.message); return 1; }
    ok = ok && c2.n == 2 && s1.len == s2.len && memcmp(s1.s, s2.s, s1.len) == 0;
    /* data set: callbacks over a FILE* of this program */
    snprintf(path, sizeof path, "%s/peers/n2p2/H2O_RPBE-D3/input.data", argc > 1 ? argv[1] : "../shared");
    if (!(f = fopen(path, "rb"))) { fprintf(stderr, "cannot open %s\n", path); return 1; }
    if (sannip_dataset_read_callbacks(&d, &file_io, f, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s: %s\n", path, err.message); return 1; }
    fclose(f);
    ok = ok && d.n > 1 && d.s[0].n > 0 && d.s[0].has_energy && d.s[0].forces;
    printf("nostdio_io: tiny E = %.17g (through callbacks %.17g); committee %d members, %zu bytes twice; water data set %d structures\n",
           (double)E, (double)E2, c2.n, s2.len, d.n);
    free(s1.s); free(s2.s);
    sannip_dataset_uninit(&d); sannip_workspace_uninit(&ws);
    sannip_committee_uninit(&c); sannip_committee_uninit(&c2);
    sannip_model_uninit(&m); sannip_model_uninit(&m2);
    return ok ? 0 : 1;
}
