/* libsannip.c: the three headers' implementation as one translation unit, for `make lib`
   (build/libsannip.so, -fPIC; only the public sannip_* API is exported). */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "../sannip_train.h"
#include "../sannip_spin.h"
