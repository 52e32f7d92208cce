/* libFuzzer harness: n2p2 import (sannip_n2p2_import_mem) with all its files. One input is
   split at NUL bytes into input.nn, scaling.data and the weight files of the elements in
   ascending atomic number (weights.001.data first for H ...); then compute and model round
   trip (tests/fuzz/fuzz.h). Seeds: tests/fuzz/corpus/n2p2/ (tests/fuzz/seed.sh joins a
   potential's directory into one input). */
#include "fuzz.h"

#define FUZZ_N2P2_MAX_WEIGHTS SANNIP_MAX_ELEMENTS

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    const char *part[2 + FUZZ_N2P2_MAX_WEIGHTS];
    int np = 0;
    size_t i, start = 0;
    sannip_model m;
    sannip_result r;
    char *text = fuzz_cstr(data, size);   /* every part NUL-terminated in place */
    for (i = 0; i <= size && np < 2 + FUZZ_N2P2_MAX_WEIGHTS; i++)
        if (text[i] == 0) { part[np++] = text + start; start = i + 1; }
    if (np < 2) part[np++] = "";
    sannip_model_init(&m, NULL);
    r = sannip_n2p2_import_mem(&m, part[0], part[1], part + 2, np - 2, err);
    if (r == SANNIP_SUCCESS) r = fuzz_model_exercise(&m, err);
    sannip_model_uninit(&m);
    free(text);
    return r;
}
