# A thin wrapper: every rule calls CMake, the allocmark binary or a script.
BUILD    ?= build
PYTHON   ?= /usr/bin/python3
PROFILE  ?= quick
RUN      ?= results/latest
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
export MPLBACKEND = Agg

.PHONY: deps build bench test report microbench

deps:
	@scripts/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

bench: build
	$(BUILD)/allocmark run --profile $(PROFILE) || test $$? -eq 1
	@if [ -f scripts/render_report.py ]; then $(MAKE) --no-print-directory report; fi

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

report: deps
	$(PYTHON) scripts/render_report.py $(RUN)

microbench: build
	$(BUILD)/bench/allocmark-microbench --benchmark_out=$(BUILD)/microbench.json --benchmark_out_format=json
