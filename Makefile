# usvlib: the two README commands (make reproduce, make test), and a few helpers.
# The first target run creates .venv from requirements.lock; later runs reuse it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROFILE ?= default
DATA   ?=
ONLY   ?=

.PHONY: reproduce test lab bench lint env clean-build

env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name usvlib --display-name "Python 3 (usvlib)" >/dev/null
	@touch $@

## Regenerate every figure and number (PROFILE=quick|default|paper, DATA=/path/to/donders, ONLY="00 03")
reproduce: $(STAMP)
	$(PY) -m usvlib reproduce --profile $(PROFILE) $(if $(DATA),--data "$(DATA)") $(if $(ONLY),--only $(ONLY))

## Run the test suite (TEST_WORKERS=2 processes; the tests that share trained networks stay in one)
TEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

## JupyterLab with the project's kernel ("Python 3 (usvlib)"); as root (a container) too
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --MappingKernelManager.default_kernel_name=usvlib \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## Speed benchmarks (print ratios against baselines run in the same process)
bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check usvlib tests benchmarks

clean-build:
	rm -rf build
