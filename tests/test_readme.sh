#!/bin/sh
# README.md stays true: its C quick start compiles (C and C++) and runs on the water model,
# and the command-line session it shows works.
CC=${CC:-cc}; CXX=${CXX:-c++}; SHARED=${SANNIP_SHARED:-../shared}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
dir=build/readme; rm -rf $dir; mkdir -p $dir
# every ```c block of README.md is a program: quick.c (water), quick2.c (spin), ...
awk -v d=$dir '/^```c$/{f=1; n++; out = d "/quick" (n > 1 ? n : "") ".c"; next} /^```$/{f=0} f { print > out }' README.md
[ -s $dir/quick.c ] && ok || bad "README has no C quick start"
[ -s $dir/quick2.c ] && ok || bad "README has no spin-aware C quick start"
$CC -std=c99 -Wall -Wextra -O2 -I. $dir/quick.c -o $dir/quick -lm 2>$dir/cc.log && ok || { bad "quick start does not compile as C"; cat $dir/cc.log; }
$CXX -x c++ -Wall -O2 -I. $dir/quick.c -o $dir/quick_cpp 2>$dir/cxx.log && ok || { bad "quick start does not compile as C++"; cat $dir/cxx.log; }
./bin/sannip import-n2p2 $SHARED/peers/n2p2/H2O_RPBE-D3 -o $dir/water.sannip --units bohr,Ha --to A,eV >/dev/null && ok || bad "import-n2p2 of the README session"
(cd $dir && ./quick > out.txt) && grep -q "^E = " $dir/out.txt && ok || bad "quick start does not run: $(cat $dir/out.txt)"
# the spin-aware quick start: a SANNIP model trained on toy iron, as README says
./bin/gen_toyiron --subset states --out $dir/toyiron.xyz >/dev/null 2>&1 && ok || bad "gen_toyiron of the README"
./bin/sannip train $dir/toyiron.xyz -o $dir/toyiron.sannip --descriptors bp+spin-scaled --rc 4 --epochs 2 --hidden 6 --quiet >/dev/null 2>&1 && ok || bad "train of the spin-aware quick start"
$CC -std=c99 -Wall -Wextra -O2 -I. $dir/quick2.c -o $dir/quick2 -lm 2>$dir/cc2.log && ok || { bad "spin quick start does not compile as C"; cat $dir/cc2.log; }
$CXX -x c++ -Wall -O2 -I. $dir/quick2.c -o $dir/quick2_cpp 2>$dir/cxx2.log && ok || { bad "spin quick start does not compile as C++"; cat $dir/cxx2.log; }
(cd $dir && ./quick2 > out2.txt) && grep -q "^E = .*H0 = " $dir/out2.txt && grep -q "^dE" $dir/out2.txt && ok || bad "spin quick start does not run: $(cat $dir/out2.txt)"
# the C training quick start: a data set built in memory, trained, saved, loaded, used
[ -s $dir/quick3.c ] && ok || bad "README has no C training quick start"
$CC -std=c99 -Wall -Wextra -O2 -I. $dir/quick3.c -o $dir/quick3 -lm 2>$dir/cc3.log && ok || { bad "training quick start does not compile as C"; cat $dir/cc3.log; }
$CXX -x c++ -Wall -O2 -I. $dir/quick3.c -o $dir/quick3_cpp 2>$dir/cxx3.log && ok || { bad "training quick start does not compile as C++"; cat $dir/cxx3.log; }
(cd $dir && ./quick3 > out3.txt) && grep -q "^E = .* eV, reference .* eV" $dir/out3.txt && [ -s $dir/argon.sannip ] && ok || bad "training quick start does not run: $(cat $dir/out3.txt)"
# its model predicts the reference energy of its first structure within 5 meV (0.6 meV/atom)
awk '{ d = $3 - $6; if (d < 0) d = -d; exit !(d < 0.005) }' $dir/out3.txt && ok || bad "training quick start: $(cat $dir/out3.txt)"
./bin/sannip predict $dir/water.sannip $SHARED/peers/n2p2/H2O_RPBE-D3/input.data -o $dir/pred.xyz >/dev/null && ok || bad "predict of the README session"
[ "$(grep -c Lattice= $dir/pred.xyz)" = 20 ] && ok || bad "pred.xyz should hold 20 structures"
./bin/sannip features $dir/water.sannip $SHARED/peers/n2p2/H2O_RPBE-D3/input.data -o $dir/features.csv >/dev/null && ok || bad "features of the README session"
for c in import-n2p2 export-n2p2 predict info features descriptors train evaluate mc sld help; do
    ./bin/sannip help $c | grep -q "^usage: sannip $c" && ok || bad "sannip help $c"
    grep -q "sannip $c" README.md && ok || bad "README does not show 'sannip $c'"
done
echo "test_readme: $pass passed, $fail failed"
[ $fail -eq 0 ]
