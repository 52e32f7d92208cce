/* libFuzzer harness: n2p2 input.data (sannip_read_n2p2; tests/fuzz/fuzz_data.h). Seeds:
   tests/fuzz/corpus/inputdata/. */
#include "fuzz_data.h"

static void fuzz_write_n2p2(sannip_text *t, const sannip_structure *s) { sannip_write_n2p2(t, s, NULL, NULL); }

static sannip_result fuzz_one(const char *data, size_t size, sannip_error *err)
{
    return fuzz_data_run(data, size, sannip_read_n2p2, fuzz_write_n2p2, err);
}
