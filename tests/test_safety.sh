#!/bin/sh
# Data safety and degenerate input of the command-line tool (issue 12):
#  - a train run that fails or is interrupted before its first epoch (overlapping atoms, a
#    structure without energy, without forces, without spins for spin bases, a bad option,
#    --epochs 0, Ctrl-C) leaves an existing output model byte for byte unchanged;
#  - a checkpoint that cannot be written is reported and training goes on;
#  - saves go through a fresh temporary next to the target: a symlink planted at PATH.tmp
#    (repro/save_tmp_symlink.sh) is not followed, the old mode survives, a failed save leaves
#    no temporary behind;
#  - no arguments, a directory as data, a huge atom count, a single structure: clear messages;
#  - the reproducers under AddressSanitizer + UBSan (clang when present: it also reports
#    arithmetic on NULL): specific codes and messages, no sanitizer report.
# Needs bin/sannip (make) and $SANNIP_SHARED/data/nio_train.xyz. Run from anywhere; prints
# "test_safety: N passed, N failed" and exits 1 on failure.
cd "$(dirname "$0")/.." || exit 1
SHARED=${SANNIP_SHARED:-../shared}
S=bin/sannip
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$T/err" ] && sed -n '1,6s/^/    /p' "$T/err"; }
has() { grep -q -- "$2" "$1"; }     # has FILE PATTERN
data="$SHARED/data/nio_train.xyz"
if [ ! -x $S ] || [ ! -r "$data" ]; then echo "FAIL needs $S (make) and $data"; echo "test_safety: 0 passed, 1 failed"; exit 1; fi

# ---- data: the first 3 frames of the NiO set and broken copies ----------------------------
awk 'n < 3 { if (left == 0) left = $1 + 2; print; left--; if (left == 0) n++ }' "$data" > "$T/nio3.xyz"
awk 'n < 1 { if (left == 0) left = $1 + 2; print; left--; if (left == 0) n++ }' "$data" > "$T/nio1.xyz"
# frame 2: atom 2 moved onto atom 1
awk 'NF == 1 { f++; a = 0; print; next } /Lattice/ { print; next }
     { a++; if (f == 2 && a == 1) { x = $2; y = $3; z = $4 } if (f == 2 && a == 2) { $2 = x; $3 = y; $4 = z } print }' "$T/nio3.xyz" > "$T/overlap.xyz"
# frame 3 without energy=
awk 'NF == 1 { f++; print; next } /Lattice/ { if (f == 3) sub(/energy=[^ ]* /, ""); print; next } { print }' "$T/nio3.xyz" > "$T/noenergy.xyz"
# no forces (positions only), and no spins (positions and forces)
awk 'NF == 1 { print; next } /Lattice/ { sub(/Properties=[^ ]*/, "Properties=species:S:1:pos:R:3"); print; next } { print $1, $2, $3, $4 }' "$T/nio3.xyz" > "$T/noforces.xyz"
awk 'NF == 1 { print; next } /Lattice/ { sub(/:magmoms:R:3:magnetic_forces:R:3/, ""); print; next } { print $1, $2, $3, $4, $5, $6, $7 }' "$T/nio3.xyz" > "$T/nospins.xyz"
for f in overlap noenergy noforces nospins; do cmp -s "$T/$f.xyz" "$T/nio3.xyz" && echo "FAIL could not derive $f.xyz"; done

# ---- 1. failures before the first epoch leave OUT unchanged --------------------------------
echo "a model trained yesterday" > "$T/keep.sannip"
# unchanged NAME PATTERN DATA ARGS...: train must fail, OUT keep its bytes, stderr say PATTERN
unchanged() {
    name=$1; pat=$2; shift 2
    cp "$T/keep.sannip" "$T/out.sannip"
    $S train "$@" -o "$T/out.sannip" --hidden 4 > "$T/out" 2> "$T/err"; rc=$?
    if [ $rc -eq 0 ]; then bad "$name: exit 0"
    elif ! cmp -s "$T/keep.sannip" "$T/out.sannip"; then bad "$name: the existing output was overwritten"
    elif has "$T/err" "last good model was written"; then bad "$name: claims a model was written"
    elif ! has "$T/err" "$pat"; then bad "$name: stderr lacks '$pat'"
    else ok "$name: exit $rc, output unchanged ($(head -n 1 "$T/err" | cut -c1-110))"; fi
}
unchanged "overlapping atoms"        "structure 2 of .*overlap.xyz: SANNIP_ATOMS_OVERLAP" "$T/overlap.xyz" --epochs 1
unchanged "structure without energy" "structure 3 of .*noenergy.xyz: no reference energy" "$T/noenergy.xyz" --epochs 1
unchanged "structures without forces" "structure 1 of .*noforces.xyz: no reference forces" "$T/noforces.xyz" --epochs 1
unchanged "spin bases, no spins"     "structure 1 of .*nospins.xyz: no spins" "$T/nospins.xyz" --descriptors bp+spin --epochs 1
unchanged "bad option --rc 1000"     "SANNIP_TOO_BIG" "$T/nio3.xyz" --rc 1000 --epochs 1
unchanged "bad option --rc 300"      "SANNIP_TOO_MANY_NEIGHBORS" "$T/nio3.xyz" --rc 300 --epochs 1
unchanged "--epochs 0"               "epochs must be at least 1" "$T/nio3.xyz" --epochs 0
unchanged "committee, no energy"     "structure 3 of" "$T/noenergy.xyz" --committee 2 --epochs 1

# Ctrl-C before the first epoch: the whole set without a derivative cache (a slow first
# epoch); SIGINT as soon as "training on" shows that the handler is in place. If epoch 1
# completes before the signal lands (a very busy machine), writing is right: then skipped.
cp "$T/keep.sannip" "$T/out.sannip"
$S train "$data" -o "$T/out.sannip" --hidden 4 --epochs 5 --no-cache > "$T/out" 2> "$T/err" &
pid=$!
i=0
while ! has "$T/out" '^training on' && kill -0 $pid 2> /dev/null && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid 2> /dev/null
wait $pid; rc=$?
if has "$T/out" '^epoch *1/'; then ok "Ctrl-C before the first epoch (skipped: epoch 1 completed before the signal)"
elif [ $rc -ne 0 ] && cmp -s "$T/keep.sannip" "$T/out.sannip" && has "$T/err" "interrupted before the first epoch"; then
    ok "Ctrl-C before the first epoch: exit $rc, output unchanged"
else bad "Ctrl-C before the first epoch: exit $rc, output $(cmp -s "$T/keep.sannip" "$T/out.sannip" && echo unchanged || echo overwritten)"; fi

# a checkpoint that cannot be written is reported; training goes on (the final save fails too)
$S train "$T/nio3.xyz" -o "$T/nodir/m.sannip" --hidden 4 --epochs 2 > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && has "$T/err" "checkpoint of epoch 1 not written" && has "$T/err" "learning curve .* training goes on without it" && has "$T/out" '^epoch *2/2' && [ ! -e "$T/nodir" ]; then
    ok "failed checkpoint reported, training went on to epoch 2"
else bad "failed checkpoint: exit $rc"; fi
# a successful run still writes, and the first checkpoint comes at once
$S train "$T/nio3.xyz" -o "$T/ok.sannip" --hidden 4 --epochs 1 > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && has "$T/ok.sannip" "sannip-model"; then ok "one epoch: model written"; else bad "one epoch: exit $rc"; fi

# ---- 2. saves ------------------------------------------------------------------------------
mkdir "$T/s"
echo "victim content" > "$T/s/victim.txt"
ln -s "$T/s/victim.txt" "$T/s/model.sannip.tmp"
n2p2="$SHARED/peers/n2p2/H2O_RPBE-D3"
if [ -r "$n2p2/input.nn" ]; then $S import-n2p2 "$n2p2" -o "$T/s/model.sannip" > "$T/out" 2> "$T/err"; rc=$?
else $S descriptors bp-fe -o "$T/s/model.sannip" > "$T/out" 2> "$T/err"; rc=$?; fi
if [ $rc -eq 0 ] && [ "$(cat "$T/s/victim.txt")" = "victim content" ] && [ -f "$T/s/model.sannip" ] && [ ! -L "$T/s/model.sannip" ]; then
    ok "symlink planted at PATH.tmp: not followed, PATH a regular file"
else bad "symlink planted at PATH.tmp: exit $rc, victim '$(head -c 40 "$T/s/victim.txt")'"; fi
mode() { ls -l "$1" | cut -c1-10; }
chmod 600 "$T/s/model.sannip"
$S descriptors bp-fe -o "$T/s/model.sannip" > "$T/out" 2> "$T/err" && $S descriptors bp-fe -o "$T/s/model.sannip" >> "$T/out" 2>> "$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(mode "$T/s/model.sannip")" = "-rw-------" ] && has "$T/s/model.sannip" "sannip descriptor set"; then
    ok "two saves in a row; mode 0600 kept"
else bad "two saves / mode 0600: exit $rc, mode $(mode "$T/s/model.sannip")"; fi
chmod 644 "$T/s/model.sannip"
(umask 077; $S descriptors bp-fe -o "$T/s/model.sannip" > "$T/out" 2> "$T/err"); rc=$?
if [ $rc -eq 0 ] && [ "$(mode "$T/s/model.sannip")" = "-rw-r--r--" ]; then ok "mode 0644 kept under umask 077"
else bad "mode 0644 under umask 077: exit $rc, mode $(mode "$T/s/model.sannip")"; fi
(umask 022; $S descriptors bp-fe -o "$T/s/new.desc" > "$T/out" 2> "$T/err"); rc=$?
if [ $rc -eq 0 ] && [ "$(mode "$T/s/new.desc")" = "-rw-r--r--" ]; then ok "new file: 0666 less the umask"
else bad "new file mode: exit $rc, $(mode "$T/s/new.desc")"; fi
$S descriptors bp-fe -o "$T/s/nodir/x.desc" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && has "$T/err" "nodir/x.desc" && has "$T/err" "cannot create the temporary file" && [ ! -e "$T/s/nodir" ]; then
    ok "save into a missing directory: exit $rc, step and path named"
else bad "save into a missing directory: exit $rc"; fi
mkdir "$T/s/adir"
$S descriptors bp-fe -o "$T/s/adir" > "$T/out" 2> "$T/err"; rc=$?
left=$(ls -a "$T/s" | grep -c '\.tmp')
if [ $rc -ne 0 ] && has "$T/err" "cannot rename" && [ "$left" -eq 1 ]; then ok "failed rename: exit $rc, no temporary left"
else bad "failed rename: exit $rc, $left names with .tmp (1 expected: the planted symlink)"; fi

# ---- 3. degenerate command lines and inputs ------------------------------------------------
$S > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && [ ! -s "$T/out" ] && has "$T/err" "commands:"; then ok "no arguments: exit $rc, usage on stderr"
else bad "no arguments: exit $rc"; fi
$S train "$T/s" -o "$T/x.sannip" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && has "$T/err" "is a directory" && [ ! -e "$T/x.sannip" ]; then ok "a directory as data: exit $rc, 'is a directory'"
else bad "a directory as data: exit $rc"; fi
printf '99999999999\nProperties=species:S:1:pos:R:3\nNi 0 0 0\n' > "$T/huge.xyz"
$S features bp-fe "$T/huge.xyz" -o "$T/huge.csv" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && has "$T/err" "too large" && ! has "$T/err" "expected the atom count"; then ok "atom count 99999999999: 'too large'"
else bad "atom count 99999999999: exit $rc"; fi
$S train "$T/nio1.xyz" -o "$T/one.sannip" --hidden 4 --epochs 1 > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && has "$T/err" "single structure: no validation set" && [ -s "$T/one.sannip" ]; then ok "a single structure: notice on stderr, model written"
else bad "a single structure: exit $rc"; fi
# sannip info reads what predict reads: a committee file, every member
$S train "$T/nio3.xyz" -o "$T/com.sannip" --hidden 4 --epochs 1 --committee 2 --quiet > /dev/null 2>&1 &&
    $S info "$T/com.sannip" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "^model .*com.sannip, committee member [12] of 2$" "$T/out")" -eq 2 ] && [ "$(grep -c "total parameters" "$T/out")" -eq 2 ]; then
    ok "info on a committee file: both members"
else bad "info on a committee file: exit $rc"; fi

# ---- 4. the reproducers under AddressSanitizer + UBSan -------------------------------------
R="$SHARED/repro"
SCC=${CC:-cc}
command -v clang > /dev/null 2>&1 && SCC=clang
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
if [ ! -r "$R/ub_bin_of_far_atoms.xyz" ]; then ok "sanitizer runs (skipped: no $R)"
elif ! $SCC -std=c99 -O1 -g $SAN tools/sannip.c -o "$T/sannip_san" -lm > "$T/err" 2>&1; then ok "sanitizer runs (skipped: $SCC cannot build with sanitizers)"
else
    export ASAN_OPTIONS="detect_leaks=0:exitcode=99:halt_on_error=1:strict_string_checks=1" UBSAN_OPTIONS="exitcode=99:halt_on_error=1:print_stacktrace=1"
    Z="$T/sannip_san"
    $S train "$T/nio3.xyz" -o "$T/m.sannip" --hidden 4 --epochs 1 > /dev/null 2>&1
    # san NAME RC PATTERN ARGS...: exit RC, PATTERN on stderr, no sanitizer report
    san() {
        name=$1; want=$2; pat=$3; shift 3
        "$Z" "$@" > "$T/out" 2> "$T/err"; rc=$?
        if grep -q -E 'Sanitizer|runtime error' "$T/err"; then bad "$name under sanitizers ($SCC): a sanitizer report"
        elif [ $rc -ne $want ] || { [ -n "$pat" ] && ! has "$T/err" "$pat"; }; then bad "$name under sanitizers ($SCC): exit $rc, no '$pat'"
        else ok "$name under sanitizers ($SCC): exit $rc${pat:+, '$pat'}"; fi
    }
    san "ub_fb_xi_int_cast.desc"  1 "SANNIP_BAD_PARAMETER.*line 1, field 6" descriptors "$R/ub_fb_xi_int_cast.desc" -o "$T/x.desc"
    san "ub_fb_xi_int_cast.sannip" 1 "SANNIP_BAD_PARAMETER.*line 3, field 6" info "$R/ub_fb_xi_int_cast.sannip"
    san "ub_bin_of_far_atoms.xyz" 1 "SANNIP_TOO_BIG.*SANNIP_MAX_COORD" predict "$T/m.sannip" "$R/ub_bin_of_far_atoms.xyz" -o "$T/far.xyz"
    sed 's/magnetic_forces:R:3/unread_columns_:R:3/' "$R/slow_thin_cell_nio.xyz" > "$T/thin_cell.xyz"   # (its fuzzed field column is bad input)
    san "slow_thin_cell_nio.xyz" 1 "SANNIP_TOO_MANY_NEIGHBORS" predict "$T/m.sannip" "$T/thin_cell.xyz" -o "$T/thin.xyz"
    san "oob_strstr_description_nonul.sannip" 1 "SANNIP_TRUNCATED.*model file ends early" info "$R/oob_strstr_description_nonul.sannip"
    san "n2p2_alloc_amplification" 1 "SANNIP_TRUNCATED.*needs 400080001 values" import-n2p2 "$R/n2p2_alloc_amplification" -o "$T/amp.sannip"
    sh "$R/gen_committee_amplification.sh" "$T/camp.sannip"
    san "gen_committee_amplification.sh" 1 "SANNIP_TRUNCATED.*committee of 65536 members" info "$T/camp.sannip"
    if [ -r "$SHARED/peers/n2p2/H2O_RPBE-D3/input.nn" ]; then
        TMPDIR=$T SANNIP=$Z N2P2="$SHARED/peers/n2p2/H2O_RPBE-D3" sh "$R/save_tmp_symlink.sh" > "$T/out" 2> "$T/err"; rc=$?
        if [ $rc -eq 0 ] && ! grep -q -E 'Sanitizer|runtime error' "$T/err" && grep -q -x "victim content" "$T/out" && ! grep -q 'model.sannip -> ' "$T/out"; then
            ok "save_tmp_symlink.sh under sanitizers ($SCC): symlink not followed"
        else bad "save_tmp_symlink.sh under sanitizers ($SCC): exit $rc"; fi
    fi
    san "training (prefetch at the end of each epoch)" 0 "" train "$T/nio3.xyz" -o "$T/san.sannip" --hidden 4 --epochs 2 --batch 2 --quiet
    san "training a committee" 0 "" train "$T/nio3.xyz" -o "$T/san2.sannip" --hidden 4 --epochs 1 --committee 2 --quiet
fi

echo "test_safety: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
