/* libFuzzer harness: model files (sannip_model_load_mem on the exact bytes), then compute
   and save -> load -> save (tests/fuzz/fuzz.h). Seeds: tests/fuzz/corpus/model/. */
#include "fuzz.h"

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    sannip_model m;
    sannip_result r;
    sannip_model_init(&m, NULL);
    r = sannip_model_load_mem(&m, data, size, err);
    if (r == SANNIP_SUCCESS) r = fuzz_model_exercise(&m, err);
    sannip_model_uninit(&m);
    return r;
}
