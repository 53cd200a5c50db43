# The front door: `make run` and `make test` work on a fresh Debian 12 machine.
BUILD   ?= build
JOBS    ?= $(shell nproc)
PKGS    := libboost1.81-dev liblmdb-dev lmdb-utils nlohmann-json3-dev libspdlog-dev catch2 \
           libssl-dev prometheus-cpp-dev libjemalloc-dev cmake ccache ninja-build g++ python3 curl
TEST_PKGS := chromium python3-websocket clang-14 libclang-rt-14-dev
BENCH_PKGS := rabbitmq-server redis-server librabbitmq-dev libhiredis-dev
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps install-pkgs build run test bench sim torture fuzz clean

deps:
	@$(MAKE) --no-print-directory install-pkgs WANT="$(PKGS)"

test-deps:
	@$(MAKE) --no-print-directory install-pkgs WANT="$(TEST_PKGS)"

install-pkgs:
	@missing=""; for p in $(WANT); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target orderd orderd_tests orderd_sim

run: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target orderd
	$(BUILD)/orderd serve --data ./data

test: build test-deps
	bash tests/fuzz/fuzz.sh build $(BUILD)/fuzz
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 300

bench: deps $(BUILD)/build.ninja
	@$(MAKE) --no-print-directory install-pkgs WANT="$(BENCH_PKGS)"
	cmake -S . -B $(BUILD) >/dev/null  # finds librabbitmq/hiredis once installed
	cmake --build $(BUILD) -j $(JOBS) --target benchmarks
	bash bench/run.sh $(BUILD)

# deterministic simulation, long version (tests/sim/sim.cpp): SEEDS seeds from FIRST
sim: build
	$(BUILD)/orderd_sim --seeds $${SEEDS:-2000} --first $${FIRST:-1} --steps $${STEPS:-400}

# kill -9 torture, long version (tests/torture/torture.py; TORTURE_CYCLES, TORTURE_SEED)
torture: build
	ORDERD_EXE=$(BUILD)/orderd TORTURE_CYCLES=$${TORTURE_CYCLES:-100} python3 tests/torture/torture.py

# libFuzzer targets under ASan+UBSan (tests/fuzz/), long version: FUZZ_SECONDS
# per target; the grown corpus stays in $(BUILD)/fuzz/corpus for the next run.
fuzz: deps test-deps
	FUZZ_SECONDS=$${FUZZ_SECONDS:-180} bash tests/fuzz/fuzz.sh long $(BUILD)/fuzz

clean:
	rm -rf $(BUILD)
