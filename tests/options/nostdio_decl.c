/* Must NOT compile (tests/test_options.sh): SANNIP_NO_STDIO removes the FILE* functions,
   so sannip_model_load_file is undeclared. */
#define SANNIP_NO_STDIO
#include "../../sannip.h"

int main(void)
{
    sannip_model m;
    sannip_model_init(&m, NULL);
    return (int)sannip_model_load_file(&m, "x.sannip", NULL);
}
