# sannip - header-only library; this Makefile builds the tool, examples, tests, benchmarks.
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O3 -g
WARN    = -std=c99 -Wall -Wextra -pedantic -Wno-unused-function
OMP     ?= -fopenmp
LDLIBS  = -lm
SHARED  ?= ../shared
# the Python that draws the plots: the first of python3, /usr/bin/python3 that imports matplotlib
# (a python3 first on PATH may lack it); empty when none does, and every plotting step says so.
# Looked up only by the targets that plot; make PYTHON=/path/to/python3 chooses one.
PYTHON  ?= $(shell for p in python3 /usr/bin/python3; do $$p -c 'import matplotlib' >/dev/null 2>&1 && { command -v $$p; break; }; done)
HEADERS = sannip.h sannip_train.h sannip_spin.h

# every tests/test_*.c is built twice: double (build/test_x) and float (build/test_x_f);
# every tests/test_*.sh is run as it is. Each prints "N passed, N failed".
TESTS   = $(patsubst tests/%.c,build/%,$(wildcard tests/test_*.c))
TESTS_F = $(patsubst tests/%.c,build/%_f,$(wildcard tests/test_*.c))
SCRIPTS = $(wildcard tests/test_*.sh)
BENCHES = $(patsubst bench/%.c,build/%,$(wildcard bench/bench_*.c))
EXAMPLES= $(patsubst examples/%.c,bin/%,$(wildcard examples/*.c))
# fuzz harnesses as corpus-replay programs under ASan + UBSan (tests/test_fuzz_replay.sh);
# `make fuzz FUZZ_SECONDS=N` runs each as a libFuzzer campaign (tests/fuzz/run.sh)
FUZZ    = $(patsubst tests/fuzz/fuzz_%.c,build/fuzz_replay_%,$(wildcard tests/fuzz/fuzz_*.c))
SANCC   ?= $(shell command -v clang > /dev/null 2>&1 && echo clang || echo $(CC))
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60

.PHONY: all test test-all bench bench-n2p2 bench-train-n2p2 sld-headline sld-tc demo clean lib kim test-cross test-compilers fuzz
all: bin/sannip $(EXAMPLES) bin/xyz2lammps

bin/sannip: tools/sannip.c $(HEADERS) | bin
	$(CC) $(WARN) $(CFLAGS) $(OMP) $< -o $@ $(LDLIBS)
bin/%: examples/%.c $(HEADERS) | bin
	$(CC) $(WARN) $(CFLAGS) $(OMP) $< -o $@ $(LDLIBS)
build/test_%_f: tests/test_%.c tests/test.h tests/test_alloc.h $(HEADERS) | build
	$(CC) $(WARN) $(CFLAGS) $(OMP) -DSANNIP_FLOAT $< -o $@ $(LDLIBS)
build/test_%: tests/test_%.c tests/test.h tests/test_alloc.h $(HEADERS) | build
	$(CC) $(WARN) $(CFLAGS) $(OMP) $< -o $@ $(LDLIBS)
build/bench_%: bench/bench_%.c bench/bench_util.h $(HEADERS) | build
	$(CC) $(WARN) -O3 -march=native -g $(OMP) $< -o $@ $(LDLIBS)
# programs that include the examples' headers (no program includes another's .c file)
bin/curie bin/sannip build/test_toyiron build/test_toyiron_f build/test_sld build/test_sld_f build/bench_sld: examples/toyiron.h
build/test_sld build/test_sld_f build/bench_sld: examples/heisenberg_binder.h
bin/curie build/test_reweight build/test_reweight_f: examples/reweight.h
bin/gen_toyiron bin/spin_accuracy bin/field_efficiency build/bench_spin build/test_train build/test_train_f: examples/toyiron_data.h examples/toyiron.h
bin/rsc_fig3 build/test_rsc build/test_rsc_f: examples/dimer_ring.h
bin/fit_sin bin/lj_dimer bin/rsc_fig3: examples/tutorial.h examples/plotting.h
bin/sannip bin/curie bin/spin_accuracy: examples/plotting.h
# make lib: the three headers' implementation and the Python shim as one shared library,
# exporting only the public API (SANNIP_API with default visibility, the rest hidden)
LIBSRC  = bindings/libsannip.c bindings/python/sannip_py.c
lib: build/libsannip.so
build/libsannip.so: $(LIBSRC) $(HEADERS) | build
	$(CC) $(WARN) $(CFLAGS) $(OMP) -fPIC -shared -fvisibility=hidden \
	    '-DSANNIP_API=extern __attribute__((visibility("default")))' $(LIBSRC) -o $@ $(LDLIBS)
bin/xyz2lammps: bindings/kim/xyz2lammps.c sannip.h | bin
	$(CC) $(WARN) $(CFLAGS) $< -o $@ $(LDLIBS)
# a KIM portable model NAME from MODEL (sannip's driver included), in the user collection
kim:
	@test -n "$(MODEL)" -a -n "$(NAME)" || { echo "usage: make kim MODEL=file.sannip NAME=Name [COLLECTION=user]"; exit 2; }
	sh bindings/kim/install.sh "$(MODEL)" "$(NAME)" $(or $(COLLECTION),user)
bin build:
	mkdir -p $@

# test and demo build in parallel, one job per core (the programs compile for minutes at -O3)
NPROC   = $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
# TEST_MORE: further programs for the same runner and total (make test-all: the platform runs)
TEST_MORE ?=
test:
	@$(MAKE) --no-print-directory -j$(NPROC) all build/libsannip.so $(TESTS) $(TESTS_F) $(FUZZ)
	@PYTHON="$(PYTHON)" SANNIP_SHARED=$(SHARED) CC="$(CC)" CXX="$(CXX)" tests/run.sh $(TESTS) $(TESTS_F) $(SCRIPTS) $(TEST_MORE)

# qemu-user runs of the core tests on s390x, i386 and armhf and the tool against this one (tests/cross/)
test-cross: bin/sannip
	@SANNIP_SHARED=$(SHARED) tests/cross/run.sh
test-compilers:
	@SANNIP_SHARED=$(SHARED) tests/cross/compilers.sh
# what CI runs (.ci/run): make test, test-compilers and test-cross with one "N passed, N failed";
# trimmed for CI time: clang and tcc build everything but run the core tests; under qemu the
# float build skips test_train (double covers it); the three targets run side by side
CI_CORE = descriptors n2p2 model train mc
test-all:
	@COMPILER_TESTS="$(CI_CORE)" CROSS_FLOAT_TESTS="descriptors n2p2 model mc" CROSS_JOBS=$(NPROC) \
	    $(MAKE) --no-print-directory test TEST_MORE="tests/cross/compilers.sh tests/cross/run.sh"
build/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_data.h $(HEADERS) | build
	$(SANCC) $(WARN) -O1 -g $(SANFLAGS) -DFUZZ_REPLAY $< -o $@ $(LDLIBS)

bench: $(BENCHES)
	@for b in $(BENCHES); do SANNIP_SHARED=$(SHARED) $$b || exit 1; done
	@for b in bench/bench_*.sh; do SANNIP_SHARED=$(SHARED) sh $$b || exit 1; done
	@$(MAKE) --no-print-directory bench-n2p2

# issue 15's NVE headline: toy iron, 2000 atoms, 1 fs, 10 ps, 5 seeds (~12 min of one core)
sld-headline: build/bench_sld
	OMP_NUM_THREADS=1 build/bench_sld --full $(SLD_SEEDS)
# the dynamical T_c (Langevin Binder crossing) against Monte Carlo's, 8 chains per point (~5 min of one core)
sld-tc: build/bench_sld
	OMP_NUM_THREADS=1 build/bench_sld --tc $(SLD_CHAINS)

# same-run baseline against n2p2 (issue 16): N2P2_DIR = an n2p2 tree with libnnp built
N2P2_DIR ?=
build/bench_n2p2: bench/bench_n2p2.cpp sannip.h | build
	$(CXX) -O3 -march=native -g -std=c++11 -I$(N2P2_DIR)/include -I/usr/include/eigen3 -DEIGEN_DONT_PARALLELIZE -DNDEBUG $< -o $@ -L$(N2P2_DIR)/lib -lnnp
bench-n2p2:
	@if [ -n "$(N2P2_DIR)" ] && [ -f "$(N2P2_DIR)/lib/libnnp.a" ]; then \
	    $(MAKE) --no-print-directory build/bench_n2p2 && build/bench_n2p2 $(SHARED) $(N2P2_DIR) $(BENCH_ARGS); \
	else echo "bench_n2p2: skipped n2p2 (set N2P2_DIR to an n2p2 tree with libnnp built; see bench/README.md)"; fi

# training against n2p2's nnp-train on NiO and toy iron (issue 16; N2P2_DIR with bin/nnp-train, bin/nnp-scaling):
# RUN_DIR (default: a new temporary directory), EPOCHS (Kalman filters, default 10), ADAM_EPOCHS (1000),
# CASES (nio toyiron)
bench-train-n2p2: bin/sannip
	@sh bench/train_vs_n2p2.sh $(SHARED) "$(N2P2_DIR)" "$(RUN_DIR)" "$(EPOCHS)" "$(ADAM_EPOCHS)" "$(CASES)"

demo:
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@PYTHON="$(PYTHON)" sh examples/demo.sh $(SHARED)
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(SHARED)


clean:
	rm -rf build bin
