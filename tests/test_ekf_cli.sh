#!/bin/sh
# train --optimizer ekf and --val-file from the command line: a given validation set, the same
# model file with 1 and 2 threads, the refusals of bad EKF options, 'help train'.
SHARED=${SANNIP_SHARED:-../shared}
W=$SHARED/peers/n2p2/H2O_RPBE-D3
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
dir=build/ekf_cli; rm -rf $dir; mkdir -p $dir
${MAKE:-make} -s bin/sannip >/dev/null 2>&1
# the 20 water structures: 15 train, the last 5 validate
awk -v d=$dir '$1 == "begin" { k++ } { print > (k <= 15 ? d "/tr.data" : d "/va.data") }' $W/input.data
check "split: 15 + 5 structures" [ "$(grep -c '^ *begin' $dir/tr.data) $(grep -c '^ *begin' $dir/va.data)" = "15 5" ]
for t in 1 2; do
    OMP_NUM_THREADS=$t ./bin/sannip train $dir/tr.data --val-file $dir/va.data -o $dir/m$t.sannip --descriptors $W/input.nn \
        --hidden 4 --optimizer ekf --ekf-rows 2 --ekf-force-fraction 0.01 --epochs 2 --learning-curve $dir/c$t.csv > $dir/train$t.txt 2>&1
    check "ekf train ($t threads) exits 0: $(tail -n 2 $dir/train$t.txt)" [ $? -eq 0 ]
done
check "training on the 15, validating on the 5, with EKF" grep -q "training on 15 structures of $dir/tr.data (validating on 5 of $dir/va.data).*EKF, 2 epochs" $dir/train1.txt
check "validation columns filled" awk -F, '!/^#/ && $1 != "epoch" { if ($6 == "" || $6 < 0 || $7 < 0) exit 1; n++ } END { exit n != 2 }' $dir/c1.csv
check "1 and 2 threads: the same model file" cmp -s $dir/m1.sannip $dir/m2.sannip
# refusals name the option
./bin/sannip train $dir/tr.data -o $dir/x.sannip --descriptors $W/input.nn --optimizer kalman > $dir/bad1.txt 2>&1
check "unknown optimizer: exit 2" [ $? -eq 2 ]
check "unknown optimizer: message" grep -q "optimizer must be adam, sgd or ekf" $dir/bad1.txt
./bin/sannip train $dir/tr.data -o $dir/x.sannip --descriptors $W/input.nn --optimizer ekf --ekf-rows 17 > $dir/bad2.txt 2>&1
check "--ekf-rows 17: exit 2" [ $? -eq 2 ]
check "--ekf-rows 17: message" grep -q "ekf-rows" $dir/bad2.txt
./bin/sannip train $dir/tr.data -o $dir/x.sannip --descriptors $W/input.nn --val-file $dir/missing.data > $dir/bad3.txt 2>&1
check "--val-file missing: exit 1" [ $? -eq 1 ]
check "--val-file missing: names the file" grep -q "missing.data" $dir/bad3.txt
check "no model written by refused runs" [ ! -e $dir/x.sannip ]
./bin/sannip help train > $dir/help.txt 2>&1
check "help train documents the EKF" grep -q "^--optimizer ekf" $dir/help.txt
check "help train documents --val-file" grep -q -- "--val-file FILE" $dir/help.txt
echo "test_ekf_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
