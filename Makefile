# sannip - header-only library; this Makefile builds the tool, examples, tests, benchmarks.
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O3 -g
WARN    = -std=c99 -Wall -Wextra -pedantic -Wno-unused-function
OMP     ?= -fopenmp
LDLIBS  = -lm
SHARED  ?= ../shared
HEADERS = sannip.h sannip_train.h sannip_spin.h

# every tests/test_*.c is built twice: double (build/test_x) and float (build/test_x_f);
# every tests/test_*.sh is run as it is. Each prints "N passed, N failed".
TESTS   = $(patsubst tests/%.c,build/%,$(wildcard tests/test_*.c))
TESTS_F = $(patsubst tests/%.c,build/%_f,$(wildcard tests/test_*.c))
SCRIPTS = $(wildcard tests/test_*.sh)
BENCHES = $(patsubst bench/%.c,build/%,$(wildcard bench/bench_*.c))
EXAMPLES= $(patsubst examples/%.c,bin/%,$(wildcard examples/*.c))

.PHONY: all test bench demo clean test-cross test-compilers
all: bin/sannip $(EXAMPLES)

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
bin/curie build/test_toyiron build/test_toyiron_f: examples/toyiron.h
bin/gen_toyiron bin/spin_accuracy build/bench_spin: examples/toyiron_data.h examples/toyiron.h
bin/rsc_fig3 build/test_rsc build/test_rsc_f: examples/dimer_ring.h
bin/fit_sin bin/lj_dimer bin/rsc_fig3: examples/tutorial.h
bin build:
	mkdir -p $@

test: all $(TESTS) $(TESTS_F)
	@SANNIP_SHARED=$(SHARED) CC="$(CC)" CXX="$(CXX)" tests/run.sh $(TESTS) $(TESTS_F) $(SCRIPTS)

# qemu-user runs of the core tests on s390x and i386 and the tool against this one (tests/cross/)
test-cross: bin/sannip
	@SANNIP_SHARED=$(SHARED) tests/cross/run.sh
test-compilers:
	@SANNIP_SHARED=$(SHARED) tests/cross/compilers.sh

bench: $(BENCHES)
	@for b in $(BENCHES); do SANNIP_SHARED=$(SHARED) $$b || exit 1; done

demo: all
	@sh examples/demo.sh $(SHARED)

clean:
	rm -rf build bin
