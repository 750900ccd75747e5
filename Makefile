# The course's two commands (see README):
#   make lab    open the course in JupyterLab (127.0.0.1, token authentication)
#   make test   run every test: utils unit tests, nbval over lessons and solutions, exercise checks
# Both create or refresh the virtual environment in .venv from the requirements files first;
# a second run with unchanged requirements installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Per-cell timeout (seconds): a hung demo fails the run instead of hanging it.
CELL_TIMEOUT ?= 120
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k lesson_03" or PYTEST_ARGS=-x
PYTEST_ARGS ?=
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
         --nbval-cell-timeout $(CELL_TIMEOUT)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test lint test-utils test-notebooks execute exercises my-copy matrix pythons venv venv-dev clean help
.DEFAULT_GOAL := help

help:
	@echo "make lab        open the course in JupyterLab at lesson 00"
	@echo "make test       run all tests (utils, lessons, solutions, exercises)"
	@echo "make lint       ruff: lint and format check of utils, tests, scripts and notebooks"
	@echo "make test-utils / make test-notebooks   run one part"
	@echo "make execute NB=notebooks/03_inside_the_gil.ipynb   re-run notebooks in place from a fresh kernel"
	@echo "make exercises  regenerate exercises/ from solutions/ (nbgrader)"
	@echo "make my-copy    copy exercises/ to my_work/ for a learner (never overwrites)"
	@echo "make matrix     run the tests on every CPython 3.10+ found (PATH, pyenv, make pythons), one venv each"
	@echo "make pythons    install CPython 3.14, 3.15 and free-threaded 3.13t from Debian's archive (root)"

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed (found " + sys.version.split()[0] + "); run: make PYTHON=python3.12 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@touch $@

INSTALL_INPUTS := requirements.txt constraints-free-threaded.txt pyproject.toml scripts/install_env.py

$(VENV)/.installed: $(VENV)/.python-ok $(INSTALL_INPUTS)
	$(PY) scripts/install_env.py
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) scripts/install_env.py --dev
	@touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

lab: $(VENV)/.installed
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ROOT_FLAG) notebooks/00_start_here.ipynb

# Warm matplotlib's font cache first, so its one-time "building the font cache" message
# never lands in a compared notebook output.
# nbval runs the lessons; the solutions' stored outputs are compared with autograde's fresh run of them
# (tests/test_assignments.py), so they run once less. Without nbgrader (Python 3.10) nbval runs them too.
SOLUTIONS_NBVAL = $(shell $(PY) -c "import importlib.util as u; print('' if u.find_spec('nbgrader') else 'solutions')")

test: $(VENV)/.installed-dev
	@$(PY) -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
	$(PY) -m pytest -p no:cacheprovider --durations=20 tests $(NBVAL) notebooks $(SOLUTIONS_NBVAL) $(PYTEST_ARGS)

# ruff's lint and format check (pyproject.toml [tool.ruff]); `$(BIN)/ruff format .` fixes the formatting.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-utils: $(VENV)/.installed-dev
	$(PY) -m pytest -p no:cacheprovider tests $(PYTEST_ARGS)

test-notebooks: $(VENV)/.installed-dev
	@$(PY) -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
	$(PY) -m pytest -p no:cacheprovider --durations=20 $(NBVAL) $(or $(NB),notebooks solutions) $(PYTEST_ARGS)

# Re-execute notebooks in place from a fresh kernel and store clean outputs, on the newest CPython found
# (stored outputs come from CPython 3.15), with a free-threaded interpreter named for the lessons that compare.
execute:
	$(PYTHON) scripts/version_matrix.py --execute $(or $(NB),notebooks/*.ipynb solutions/*.ipynb)

# Regenerate the student notebooks in exercises/ from the nbgrader sources in solutions/.
exercises: $(VENV)/.installed-dev
	$(PY) scripts/make_exercises.py

# A learner's own copy of the exercises; files already there are never overwritten.
my-copy:
	@mkdir -p my_work
	@for f in exercises/*.ipynb; do \
	  if [ -e "my_work/$$(basename $$f)" ]; then echo "kept   my_work/$$(basename $$f) (yours)"; \
	  else cp "$$f" my_work/ && echo "copied my_work/$$(basename $$f)"; fi; done

# Unit tests and strict nbval on every CPython 3.10+ on this machine, each in .venvs/<python>/.
# MATRIX_ARGS: e.g. --python 3.13t, --skip-venv (CI: make test has just run on .venv's Python).
MATRIX_ARGS ?=
matrix:
	$(PYTHON) scripts/version_matrix.py $(MATRIX_ARGS) $(NB)

# CPython 3.14, 3.15 and free-threaded 3.13t for the matrix, from Debian's package archive (needs root).
pythons:
	scripts/pythons/install

clean:
	rm -rf $(VENV) .venvs
