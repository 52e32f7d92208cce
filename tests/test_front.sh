#!/bin/sh
# The front door (issue 17): train's learning-curve CSV, evaluate --plot (a parity PNG with a
# Python that has matplotlib; the install command, once, without one), export-n2p2's refusal
# of a model n2p2 cannot hold, and the plotting helper's choice of Python.
SHARED=${SANNIP_SHARED:-../shared}
W=$SHARED/peers/n2p2/H2O_RPBE-D3
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
dir=build/front; rm -rf $dir; mkdir -p $dir
${MAKE:-make} -s bin/sannip >/dev/null 2>&1

# learning curve: default name next to the model, a header, one row per epoch, validation columns
./bin/sannip train $W/input.data -o $dir/w.sannip --descriptors $W/input.nn --hidden 4 --epochs 3 --quiet > $dir/train.txt 2>&1
check "train exits 0" [ $? -eq 0 ]
c=$dir/w.learning-curve.csv
check "default learning curve $c" [ -s $c ]
check "learning curve header" [ "$(grep -v '^#' $c | head -n 1)" = "epoch,seconds,loss,train_energy_rmse,train_force_rmse,val_energy_rmse,val_force_rmse" ]
check "learning curve units comment" grep -q "^# sannip learning curve: energy RMSE per atom in eV" $c
check "learning curve: 3 epochs" [ "$(grep -v '^#' $c | tail -n +2 | cut -d, -f1 | tr '\n' ' ')" = "1 2 3 " ]
check "learning curve: every column filled" awk -F, '!/^#/ && NR > 2 { for (i = 1; i <= 7; i++) if ($i == "") exit 1 }' $c
check "train names the learning curve" grep -q "learning curve -> $c" $dir/train.txt
./bin/sannip train $W/input.data -o $dir/w2.sannip --descriptors $W/input.nn --hidden 4 --epochs 2 --quiet --learning-curve $dir/lc.csv > /dev/null 2>&1
check "--learning-curve FILE" [ -s $dir/lc.csv ] && check "--learning-curve FILE: no default file" [ ! -e $dir/w2.learning-curve.csv ]
./bin/sannip train $W/input.data -o $dir/w3.sannip --descriptors $W/input.nn --hidden 4 --epochs 1 --quiet --learning-curve none > /dev/null 2>&1
check "--learning-curve none writes none" [ ! -e $dir/w3.learning-curve.csv ]

# evaluate --plot without a plotter: the data are written, the install command said once, exit 0
PYTHON=/nonexistent/python3 ./bin/sannip evaluate $dir/w.sannip $W/input.data --plot $dir/none.png > $dir/noplot.txt 2>&1
check "evaluate --plot without matplotlib exits 0" [ $? -eq 0 ]
check "evaluate --plot without matplotlib: the parity data" [ -s $dir/none.csv ]
check "evaluate --plot without matplotlib: no PNG" [ ! -e $dir/none.png ]
check "the install command, once" [ "$(grep -c 'apt-get install python3-matplotlib' $dir/noplot.txt)" = 1 ]
# with one (the first of python3, /usr/bin/python3 that imports matplotlib, as the Makefile chooses)
py=""
for p in python3 /usr/bin/python3; do $p -c 'import matplotlib' >/dev/null 2>&1 && { py=$p; break; }; done
if [ -n "$py" ]; then
    env -u PYTHON ./bin/sannip evaluate $dir/w.sannip $W/input.data --plot $dir/parity.png --parity $dir/p.csv > $dir/plot.txt 2>&1
    check "evaluate --plot writes a PNG" [ "$(head -c 4 $dir/parity.png | tail -c 3)" = "PNG" ]
    check "evaluate --plot names it" grep -q "plot: parity .* -> $dir/parity.png" $dir/plot.txt
    check "evaluate --plot uses --parity for the data" [ -s $dir/p.csv ]
    # a python3 first on PATH without matplotlib (a pyenv or venv one): /usr/bin/python3 still draws
    mkdir -p $dir/nopy; printf '#!/bin/sh\nexit 1\n' > $dir/nopy/python3; chmod +x $dir/nopy/python3
    if /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1; then
        env -u PYTHON PATH="$PWD/$dir/nopy:$PATH" ./bin/sannip evaluate $dir/w.sannip $W/input.data --plot $dir/parity2.png > $dir/plot2.txt 2>&1
        check "a python3 without matplotlib first on PATH: /usr/bin/python3 draws" [ -s $dir/parity2.png ]
    fi
else
    echo "note: no Python with matplotlib here: the PNG checks are skipped"
fi

# export-n2p2 refuses what n2p2 cannot hold, naming it, and writes nothing
./bin/sannip train $W/input.data -o $dir/any.sannip --hidden 3 --epochs 1 --quiet --learning-curve none > /dev/null 2>&1
./bin/sannip export-n2p2 $dir/any.sannip $dir/any_n2p2 > $dir/export.txt 2>&1
check "export-n2p2 of a model with '*' neighbours fails" [ $? -ne 0 ]
check "export-n2p2 names the basis and why" grep -q "basis 1 (g2 .*\*.*neighbours of any element" $dir/export.txt
check "export-n2p2 writes no input.nn on refusal" [ ! -e $dir/any_n2p2/input.nn ]
./bin/sannip export-n2p2 $dir/w.sannip $dir/w_n2p2 > /dev/null 2>&1
check "export-n2p2 of a BP model" [ -s $dir/w_n2p2/input.nn ] && check "weights.001.data" [ -s $dir/w_n2p2/weights.001.data ] && check "weights.008.data" [ -s $dir/w_n2p2/weights.008.data ]

echo "test_front: $pass passed, $fail failed"
[ $fail -eq 0 ]
