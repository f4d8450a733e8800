# A thin wrapper: every rule calls CMake, the allocmark binary or a script.
BUILD    ?= build
PYTHON   ?= /usr/bin/python3
PROFILE  ?= quick
RUN      ?= results/latest
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
export MPLBACKEND = Agg

.PHONY: deps build bench test report microbench microbench-table allocators

deps:
	@scripts/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

bench: build
	$(BUILD)/allocmark run --profile $(PROFILE) || test $$? -eq 1
	@$(MAKE) --no-print-directory report

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The allocators Debian does not ship, built at pinned upstream commits into
# $(BUILD)/upstream-allocators (scripts/build_allocators.py; README: Allocators).
# ALLOCMARK_GIT_MIRROR=DIR clones DIR/<repo>.git instead of the upstream URLs.
allocators: build
	$(PYTHON) scripts/build_allocators.py --allocmark $(BUILD)/allocmark --jobs $(JOBS)

# TRACE=FILE: the charts and page of a recorded program's profile instead,
# into FILE.report/ (scripts/plot_profile.py).
report: deps
ifdef TRACE
	$(PYTHON) scripts/plot_profile.py --allocmark $(BUILD)/allocmark $(TRACE)
else
	$(PYTHON) scripts/render_report.py $(RUN)
endif

microbench: build
	$(BUILD)/bench/allocmark-microbench --benchmark_out=$(BUILD)/microbench.json --benchmark_out_format=json

microbench-table: build
	$(PYTHON) bench/render_table.py --build $(BUILD)

# Containers and clusters (docs/fleet.md). DOCKER_ARGS go to docker/bench.py,
# e.g. DOCKER_ARGS="--cpus 2-5 --memory 8g -- --workloads churn".
.PHONY: docker-bench test-docker test-slurm
docker-bench: deps
	$(PYTHON) docker/bench.py --profile $(PROFILE) $(DOCKER_ARGS) || test $$? -eq 1

test-docker: build
	ALLOCMARK_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/docker

test-slurm: build
	ALLOCMARK_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/fleet
