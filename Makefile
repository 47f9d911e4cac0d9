# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_OUT ?= demo-output

.PHONY: demo test test-deep lint bench system-deps venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: $(STAMP) system-deps
	$(BIN)/envplan demo --out $(DEMO_OUT)

# System packages the tests need (LibreOffice, CJK fonts, poppler, Chromium),
# installed only when missing; axe-core comes from the npm registry.
system-deps:
	bash tests/system-deps.sh

# The layering contract (no import upward, no circles), the linter and the type check.
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check addin tests benchmarks
	$(BIN)/mypy

# The tests run on every core (pytest-xdist); PYTEST_JOBS=0 runs them in one process.
PYTEST_JOBS ?= auto
test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -q -n $(PYTEST_JOBS) $(PYTEST_ARGS)

# The property tests with ten times the examples, freshly random: a bug hunt
# before a release (CI runs the fixed examples of the "ci" profile).
test-deep: $(STAMP) system-deps
	HYPOTHESIS_PROFILE=default ENVPLAN_EXAMPLES_SCALE=10 $(BIN)/python -m pytest -q $(PYTEST_ARGS) $$(grep -l '@given' tests/test_*.py)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
