/* sannip.c: the library as an ordinary object file (option matrix, tests/test_options.sh) */
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
