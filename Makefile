# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow check install bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: 2.13.0 is the CPU wheel on these machines; an unpinned torch pulls a CUDA build.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev,deploy,vision,faces]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/skillsight demo --out runs/demo

# Lint, format and type checks: what CI runs before the tests.
check: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy src

# The checks, then the default suite (slow tests skipped).
test: check
	$(PY) -m pytest

# Only the @pytest.mark.slow tests (paper-size models, end-to-end runs); .ci/run runs them after
# `make test`. The four of them took 38-76 s on the busy 2-core development machine (11 s in the
# tests, the rest collecting the suite); the multi-process ones (tests/functional/test_distributed_runs.py,
# the 2-process gather) add 4-6 min, most of it starting interpreters. CI stays far below its 90 minutes.
test-slow: $(STAMP)
	$(PY) -m pytest --runslow -m slow

bench: $(STAMP)
	$(PIP) install -q -e ".[bench]"  # the references some benchmarks compare against (pymovements, pandas, polars)
	mkdir -p runs/bench
	for f in benchmarks/bench_*.py; do \
		out=runs/bench/$$(basename $$f .py).txt; $(PY) $$f > $$out || exit 1; cat $$out; \
	done
	$(PY) benchmarks/summary_table.py runs/bench/bench_*.txt > runs/bench/summary.md  # one row per figure
	@echo "summary: runs/bench/summary.md"

clean:
	rm -rf runs .pytest_cache
