/* fuzz_data.h - the structure-reader harnesses (fuzz_xyz.c, fuzz_inputdata.c): every
   structure of the input is read with the streaming reader; each one of at most
   FUZZ_MAX_ATOMS atoms is evaluated by a small model made for its elements (radial, angular
   and, when it has spins, spin bases; energy, forces, virial, field, features) and written,
   read back and written again: the two texts must be byte-identical. */
#ifndef SANNIP_FUZZ_DATA_H
#define SANNIP_FUZZ_DATA_H
#include "fuzz.h"

#define FUZZ_MAX_STRUCTURES 32

typedef sannip_result (*fuzz_reader)(sannip_structure *s, const char *text, size_t len, size_t *pos,
                                     int *line, sannip_error *err);
typedef void (*fuzz_writer)(sannip_text *t, const sannip_structure *s);

/* rc 6 (radial, spin) as the presets: a too-thin cell meets SANNIP_MAX_NEIGHBORS */
static const char *const FUZZ_DATA_DESC =
    "g2 * * cut=cos rc=6 eta=0.5 rs=0\n"
    "g4 * * * cut=cos rc=3.5 eta=0.1 lambda=1 zeta=2\n";
static const char *const FUZZ_DATA_SPIN_DESC =
    "spin_s1g * eta=0.5 shift=1 xi=2\n"
    "spin_s2 * * cut=cos rc=6 xi=1\n"
    "spin_f4 * * cut=cos rc=4 eps=0.01\n";

static sannip_result fuzz_data_model(sannip_model *m, const sannip_structure *s, sannip_error *err)
{
    int Zs[SANNIP_MAX_ELEMENTS], nz = 0, i, j, hid[1] = { 3 }, act[1] = { SANNIP_ACT_TANH };
    sannip_rng rng;
    sannip_result r;
    for (i = 0; i < s->n; i++) {
        for (j = 0; j < nz && Zs[j] != s->Z[i]; j++) {}
        if (j < nz) continue;
        if (nz == SANNIP_MAX_ELEMENTS) return SANNIP_TOO_BIG;
        Zs[nz++] = s->Z[i];
    }
    r = sannip_descriptors_parse(&m->desc, FUZZ_DATA_DESC, err);
    if (r == SANNIP_SUCCESS && s->spins) r = sannip_descriptors_parse(&m->desc, FUZZ_DATA_SPIN_DESC, err);
    for (i = 0; i < nz && r == SANNIP_SUCCESS; i++) r = sannip_model_add_element(m, Zs[i], 1, hid, act, err);
    if (r != SANNIP_SUCCESS) return r;
    sannip_rng_seed(&rng, 4);
    sannip_model_init_weights(m, &rng);
    return sannip_model_finalize(m, err);
}

static sannip_result fuzz_data_compute(const sannip_structure *s, sannip_error *err)
{
    sannip_model m;
    sannip_system sys = sannip_structure_view(s);
    sannip_real e = 0;
    sannip_result r;
    sannip_model_init(&m, NULL);
    r = fuzz_data_model(&m, s, err);
    if (r == SANNIP_SUCCESS) r = fuzz_compute(&m, &sys, &e, err);
    sannip_model_uninit(&m);
    return r;
}

/* write -> read -> write of one structure: byte identity. */
static void fuzz_data_roundtrip(const sannip_structure *s, fuzz_reader read, fuzz_writer write)
{
    sannip_text t1, t2;
    sannip_structure s2;
    sannip_error err;
    size_t pos = 0;
    int line = 1;
    sannip_text_init(&t1, NULL); sannip_text_init(&t2, NULL);
    sannip_structure_init(&s2, NULL);
    write(&t1, s);
    if (t1.failed) fuzz_fail("writing a structure failed", NULL);
    if (read(&s2, t1.s, t1.len, &pos, &line, &err) != SANNIP_SUCCESS) { fprintf(stderr, "%s", t1.s); fuzz_fail("a written structure does not read back", err.message); }
    write(&t2, &s2);
    if (t1.len != t2.len || memcmp(t1.s, t2.s, t1.len)) { fprintf(stderr, "%s----\n%s", t1.s, t2.s); fuzz_fail("write -> read -> write differs", NULL); }
    sannip_structure_uninit(&s2);
    sannip_text_uninit(&t1); sannip_text_uninit(&t2);
}

/* Reads every structure of data; returns the reader's first error or the first structure's
   compute result that failed (SANNIP_SUCCESS when all went through). */
static sannip_result fuzz_data_run(const char *data, size_t size, fuzz_reader read, fuzz_writer write,
                                   sannip_error *err)
{
    sannip_structure s;
    sannip_error e2;
    size_t pos = 0;
    int line = 1, k;
    sannip_result r = SANNIP_SUCCESS, rr;
    sannip_structure_init(&s, NULL);
    for (k = 0; k < FUZZ_MAX_STRUCTURES; k++) {
        rr = read(&s, data, size, &pos, &line, &e2);
        if (rr == SANNIP_END_OF_INPUT) break;
        if (rr != SANNIP_SUCCESS) { if (r == SANNIP_SUCCESS) { r = rr; *err = e2; } break; }
        if (s.n >= 1 && s.n <= FUZZ_MAX_ATOMS) {
            rr = fuzz_data_compute(&s, &e2);
            if (rr != SANNIP_SUCCESS && r == SANNIP_SUCCESS) { r = rr; *err = e2; }
        }
        fuzz_data_roundtrip(&s, read, write);
    }
    sannip_structure_uninit(&s);
    return r;
}
#endif
