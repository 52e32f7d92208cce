#!/bin/sh
# The headers meet through sannip.h's public API and its documented "for sibling headers"
# section (issue 11): no other private name (sannip__*, SANNIP__*) of sannip.h is used by
# sannip_train.h or sannip_spin.h; each sibling header has its own implementation guard under
# the SANNIP_IMPLEMENTATION umbrella; no ordinal range test on the basis-kind enum remains.
cd "$(dirname "$0")/.." || exit 1
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# the section: from its heading to the first line after it that is not a declaration/comment
sed -n '/---- FOR SIBLING HEADERS ----/,/^$/p' sannip.h > "$T/section"
[ -s "$T/section" ] && ok "sannip.h has a 'for sibling headers' section" || bad "no 'for sibling headers' section in sannip.h"
grep -o 'sannip__[a-z0-9_]*' "$T/section" | sort -u > "$T/allowed"   # functions and their types
printf 'SANNIP__OMP\nSANNIP__SIBLING\n' > "$T/allowed_macros"
n=$(grep -c '^SANNIP__SIBLING ' "$T/section")
stated=$(grep -o '[0-9]* functions\.' "$T/section" | grep -o '[0-9]*')
[ "$n" = "$stated" ] && ok "section states its count ($n)" || bad "section declares $n functions but states '$stated'"
grep -q "$n functions" README.md && ok "README states the count ($n)" || bad "README does not state the sibling count ($n functions)"
grep -o 'sannip__[a-z0-9_]*' sannip.h | sort -u > "$T/core"
grep -o 'SANNIP__[A-Z0-9_]*' sannip.h | sort -u > "$T/core_macros"
for h in sannip_train.h sannip_spin.h; do
    grep -o 'sannip__[a-z0-9_]*' $h | sort -u | comm -12 - "$T/core" | comm -23 - "$T/allowed" > "$T/leak"
    [ -s "$T/leak" ] && bad "$h uses private names of sannip.h outside the sibling section: $(tr '\n' ' ' < "$T/leak")" \
                     || ok "$h uses only the public API and the sibling section"
    grep -o 'SANNIP__[A-Z0-9_]*' $h | sort -u | comm -12 - "$T/core_macros" | comm -23 - "$T/allowed_macros" > "$T/leakm"
    [ -s "$T/leakm" ] && bad "$h uses private macros of sannip.h: $(tr '\n' ' ' < "$T/leakm")" || ok "$h uses no private macro of sannip.h"
done
grep -q 'defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_TRAIN_IMPLEMENTATION)' sannip_train.h && ok "sannip_train.h has its own guard" || bad "sannip_train.h: no SANNIP_TRAIN_IMPLEMENTATION guard"
grep -q 'defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_SPIN_IMPLEMENTATION)' sannip_spin.h && ok "sannip_spin.h has its own guard" || bad "sannip_spin.h: no SANNIP_SPIN_IMPLEMENTATION guard"
# a sibling implementation alone, without sannip.h's, is refused at compile time
CC=${CC:-cc}
printf '#define SANNIP_TRAIN_IMPLEMENTATION\n#include "sannip_train.h"\nint main(void){return 0;}\n' > "$T/alone.c"
if $CC -std=c99 -I. -c "$T/alone.c" -o "$T/alone.o" 2> "$T/alone.log"; then bad "SANNIP_TRAIN_IMPLEMENTATION alone compiled"
else grep -q "needs sannip.h's implementation" "$T/alone.log" && ok "a sibling implementation alone says what it needs" || bad "unexpected error: $(head -3 "$T/alone.log")"; fi
# only sannip_train.h's implementation (with sannip.h's), no sannip_spin.h: compiles and links
printf '#define SANNIP_IMPLEMENTATION\n#include "sannip_train.h"\nint main(void){ sannip_dataset d; sannip_dataset_init(&d, NULL); sannip_dataset_uninit(&d); return 0; }\n' > "$T/train.c"
$CC -std=c99 -Wall -Wextra -Werror -pedantic -I. "$T/train.c" -o "$T/train" -lm 2> "$T/train.log" && ok "sannip_train.h builds without sannip_spin.h" || bad "sannip_train.h alone: $(head -5 "$T/train.log")"
# per-kind behaviour comes from the kind table: no ordinal comparisons on basis kinds
grep -nE 'kind *[<>]=? *SANNIP_(G[0-9]|GF_|SPIN_|BASIS)|SANNIP_(G[0-9]|GF_[A-Z0-9]*|SPIN_[A-Z0-9]*) *[<>]=? *[a-z>.-]*kind' \
    sannip.h sannip_train.h sannip_spin.h tools/*.c examples/*.c examples/*.h bench/*.c tests/*.c | grep -v KIND_COUNT > "$T/ord"
[ -s "$T/ord" ] && bad "ordinal tests on basis kinds: $(head -3 "$T/ord")" || ok "no ordinal tests on basis kinds"
echo "test_seams: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
