/* libFuzzer harness: extended XYZ (sannip_read_xyz; tests/fuzz/fuzz_data.h). Seeds:
   tests/fuzz/corpus/xyz/. */
#include "fuzz_data.h"

static void fuzz_write_xyz(sannip_text *t, const sannip_structure *s) { sannip_write_xyz(t, s, NULL, NULL, NULL, NULL); }

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    return fuzz_data_run(data, size, sannip_read_xyz, fuzz_write_xyz, err);
}
