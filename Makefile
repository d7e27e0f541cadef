# Two entry points: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench fuzz mutation clean wheelhouse wheelhouse-test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	-@bash scripts/system-deps.sh demo  # chromium for the PDF report; the demo runs without it
	$(PY) -m vigil.demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Random order (pytest-randomly); the seed is printed, and TEST_SEED=N reruns that order.
ifndef TEST_SEED
TEST_SEED := $(shell od -An -N3 -tu4 /dev/urandom | tr -d ' ')
endif
pytest: $(STAMP)
	@bash scripts/system-deps.sh test
	@echo "test order: --randomly-seed=$(TEST_SEED) (rerun with make test TEST_SEED=$(TEST_SEED))"
	$(VENV)/bin/pytest -q --randomly-seed=$(TEST_SEED)

test: lint typecheck pytest

# Long fuzzing run: FUZZ_EXAMPLES inputs per parser from FUZZ_SEED; the smallest input
# that breaks a parser is saved in tests/fuzz/corpus/<target>/ (commit it with the fix:
# every `make test` replays the corpus). See tests/fuzz/contract.py. Whole scans of damaged disk
# images and of folders of damaged phone extractions run in child processes, FUZZ_EXAMPLES/10
# per seed (tests/fuzz/disk_targets.py, phone_scan_targets.py); vPDQ on damaged videos too,
# FUZZ_EXAMPLES/20 per seed video (video_targets.py). --timeout=0: each input has its own bound.
FUZZ_EXAMPLES ?= 2000
ifndef FUZZ_SEED
FUZZ_SEED := $(shell date +%s)
endif
fuzz: $(STAMP)
	@echo "fuzz seed $(FUZZ_SEED), $(FUZZ_EXAMPLES) inputs per target"
	VIGIL_FUZZ_PROFILE=long VIGIL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) VIGIL_FUZZ_SAVE=1 \
	  $(VENV)/bin/pytest -q tests/fuzz --timeout=0 --hypothesis-seed=$(FUZZ_SEED) --hypothesis-show-statistics

# Mutation testing of the court-critical code (not part of `make test`: ~10 min on 2 cores).
# mutmut lives in its own venv so the test venv stays as `make test` built it; the modules
# and tests are in [tool.mutmut] of pyproject.toml; each run starts from a clean mutants/.
# Scores and the verdict on every survivor: tests/mutation/README.md.
MUT_VENV := .venv-mut
MUT_STAMP := $(MUT_VENV)/.installed
MUTATION_CHILDREN ?= 2

$(MUT_STAMP): pyproject.toml
	$(PYTHON) -m venv $(MUT_VENV)
	$(MUT_VENV)/bin/python -m pip install -q --upgrade pip
	$(MUT_VENV)/bin/python -m pip install -q -e '.[dev,mutation]'
	touch $(MUT_STAMP)

mutation: $(MUT_STAMP)
	rm -rf mutants
	PYTHONPATH= $(MUT_VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN) > /dev/null
	$(MUT_VENV)/bin/python tests/mutation/scores.py mutants

# Each benchmark prints a table with ratios; see bench/README.md.
bench: $(STAMP)
	@bash scripts/system-deps.sh bench
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/crypto_throughput.py
	$(PY) bench/scan_throughput.py
	$(PY) bench/scan_memory.py
	$(PY) bench/pdq_drift.py
	$(PY) bench/hashset_import.py
	$(PY) bench/report_build.py
	$(PY) bench/disk_image.py

clean:
	rm -rf $(VENV) $(MUT_VENV) mutants .mypy_cache .pytest_cache .ruff_cache

# Every wheel Vigil and its `rar` extra need, pdqhash (published as source only) built
# here, into one folder for an offline machine: see README "Offline install".
WHEELHOUSE ?= wheelhouse
wheelhouse: $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(PY) -m pip wheel -q --wheel-dir $(WHEELHOUSE) '.[rar]'
	@ls $(WHEELHOUSE) | wc -l | xargs echo "wheels in $(WHEELHOUSE)/:"

# Installs from the wheelhouse into a fresh venv with no index (minutes: not in make test).
wheelhouse-test: wheelhouse
	VIGIL_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VENV)/bin/pytest -q -p no:randomly tests/test_wheelhouse.py
