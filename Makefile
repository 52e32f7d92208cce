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
# fuzz harnesses as corpus-replay programs under ASan + UBSan (tests/test_fuzz_replay.sh);
# `make fuzz FUZZ_SECONDS=N` runs each as a libFuzzer campaign (tests/fuzz/run.sh)
FUZZ    = $(patsubst tests/fuzz/fuzz_%.c,build/fuzz_replay_%,$(wildcard tests/fuzz/fuzz_*.c))
SANCC   ?= $(shell command -v clang > /dev/null 2>&1 && echo clang || echo $(CC))
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60

.PHONY: all test bench demo clean fuzz
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
build/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_data.h $(HEADERS) | build
	$(SANCC) $(WARN) -O1 -g $(SANFLAGS) -DFUZZ_REPLAY $< -o $@ $(LDLIBS)
bin build:
	mkdir -p $@

test: all $(TESTS) $(TESTS_F) $(FUZZ)
	@SANNIP_SHARED=$(SHARED) CC="$(CC)" CXX="$(CXX)" tests/run.sh $(TESTS) $(TESTS_F) $(SCRIPTS)

bench: $(BENCHES)
	@for b in $(BENCHES); do SANNIP_SHARED=$(SHARED) $$b || exit 1; done

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(SHARED)

demo: all
	@sh examples/demo.sh $(SHARED)

clean:
	rm -rf build bin
