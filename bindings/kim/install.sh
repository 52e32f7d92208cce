#!/bin/sh
# Builds a KIM portable model from a sannip model file and installs it, with sannip's KIM
# model driver (SANNIP__MD_000000000000_000, reinstalled each time so it matches sannip.h),
# into a KIM collection (cmake and the KIM-API-ITEMS package of libkim-api-dev).
#   bindings/kim/install.sh MODEL.sannip NAME [COLLECTION]
# NAME: the portable model's name (a C identifier, e.g. Sannip_water); COLLECTION: user
# (default, ~/.kim-api), environment (KIM_API_MODEL_DRIVERS_DIR, KIM_API_PORTABLE_MODELS_DIR)
# or CWD. CFLAGS, when set, is passed to the compiler (e.g. CFLAGS="-O3 -march=native").
# Then in LAMMPS:  kim init NAME metal  /  kim interactions El1 El2 ...
set -e
[ $# -ge 2 ] || { echo "usage: $0 MODEL.sannip NAME [user|environment|CWD]" >&2; exit 2; }
model=$1; name=$2; coll=${3:-user}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
[ -r "$model" ] || { echo "$0: cannot read $model" >&2; exit 1; }
case "$name" in *[!A-Za-z0-9_]*|[0-9]*|"") echo "$0: NAME must be a C identifier" >&2; exit 2;; esac
command -v kim-api-collections-management >/dev/null || { echo "$0: kim-api-collections-management not found (apt-get install libkim-api-dev)" >&2; exit 1; }
command -v cmake >/dev/null || { echo "$0: cmake not found (apt-get install cmake)" >&2; exit 1; }
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
drv=SANNIP__MD_000000000000_000
mkdir "$stage/$drv" "$stage/$name"
cp "$here/$drv/CMakeLists.txt" "$here/$drv/sannip_kim_driver.c" "$root/sannip.h" "$stage/$drv/"
cp "$model" "$stage/$name/$name.sannip"
cat > "$stage/$name/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.10)
list(APPEND CMAKE_PREFIX_PATH \$ENV{KIM_API_CMAKE_PREFIX_DIR})
find_package(KIM-API-ITEMS 2.2 REQUIRED CONFIG)
kim_api_items_setup_before_project(ITEM_TYPE "portableModel")
project($name)
kim_api_items_setup_after_project(ITEM_TYPE "portableModel")
add_kim_api_model_library(NAME \${PROJECT_NAME} DRIVER_NAME "$drv" PARAMETER_FILES "$name.sannip")
CMAKE
log=$stage/log
for item in $drv $name; do
    if ! kim-api-collections-management install --force "$coll" "$stage/$item" > "$log" 2>&1; then
        cat "$log" >&2; echo "$0: installing $item failed" >&2; exit 1
    fi
done
echo "installed KIM portable model $name (driver $drv) from $model into the $coll collection"
