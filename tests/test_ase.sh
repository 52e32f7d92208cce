#!/bin/sh
# The ASE calculator (bindings/python/sannip_ase.py on build/libsannip.so): tests/test_ase.py
# with /usr/bin/python3 (Debian's, where python3-ase and python3-numpy install; $PYTHON
# overrides it). Skipped, with a message, only when ase or numpy is not installed.
cd "$(dirname "$0")/.." || exit 1
PY=
for p in "$PYTHON" /usr/bin/python3 python3; do   # $PYTHON (make's plotter) may lack ase
    [ -n "$p" ] && "$p" -c 'import ase, numpy' 2>/dev/null && { PY=$p; break; }
done
if [ -z "$PY" ]; then
    PY=${PYTHON:-/usr/bin/python3}
    echo "test_ase: skipped: $PY cannot import ase and numpy (apt-get install python3-ase python3-numpy)"
    echo "test_ase: 0 passed, 0 failed"
    exit 0
fi
for f in build/libsannip.so bin/sannip bin/gen_toyiron; do
    [ -r "$f" ] || { echo "FAIL $f is missing (make lib all)"; echo "test_ase: 0 passed, 1 failed"; exit 1; }
done
exec "$PY" tests/test_ase.py
