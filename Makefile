# Every target creates what it needs; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
PYTHON_VERSION = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: test test-stages demo ee-demo venv unit integration units targets sanity lint docs-lint changelog-lint bench-quick test-matrix bench clean

$(STAMP): test-requirements.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r test-requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## test: lint, docs and changelog gates, unit tests, integration targets, one round of the benchmark
## and the pytest integration suites, on the one ansible-core of test-requirements.txt (the fast
## gate; ansible-test sanity runs on the oldest and newest ansible-core, in make test-matrix)
# In this order: the quick gates first. .ci/run runs the same stages one by one (make test-stages).
TEST_STAGES := venv lint docs-lint changelog-lint units targets bench-quick integration
test: $(TEST_STAGES)

test-stages:
	@echo $(TEST_STAGES)

# Plain pytest, for quick work on one file (make test runs the same unit tests under ansible-test).
unit: venv
	$(BIN)/python -m pytest tests/unit

# The suites that stay in pytest: the emulator's own tests (it is no plugin, so no ansible-core changes
# them: they run here once, not under ansible-test on every release), then the fault matrix, hostile
# servers, docs, build and demo; on PYTEST_WORKERS processes (pytest-xdist; auto: one per CPU): much of
# their time is spent waiting out timeouts, retries and deliberately slow servers, which one worker's
# tests fill with another's.
PYTEST_WORKERS ?= auto
integration: venv
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests/emulator tests/integration

# ansible-test units and integration run with --local: in this venv, on exactly its pinned packages,
# installing nothing during the run. --venv would instead pip-install ansible-test's own, unpinned
# choice into fresh venvs under ~/.ansible for every Python, needing the package index on every run
# and never testing the requests/urllib3 floor (tests/matrix/requests-urllib3-floor.txt).
units: venv
	PATH="$(BIN):$$PATH" tests/ansible_test.sh units --local --python $(PYTHON_VERSION)

# tests/integration/targets/: one per plugin, each against the bundled emulator (setup_upstash_emulator).
targets: venv
	PATH="$(BIN):$$PATH" tests/ansible_test.sh integration --local --python $(PYTHON_VERSION)

# Not part of make test: on this venv's ansible-core, with compile and import also on the oldest target
# Python the collection documents; see tests/sanity.sh. make test-matrix runs it on the oldest and
# newest ansible-core.
sanity: venv
	PATH="$(BIN):$$PATH" tests/sanity.sh

# Profile and strictness live in .ansible-lint.
lint: venv
	PATH="$(BIN):$$PATH" tests/with_collection.sh ansible-lint

# The module/lookup docs as docs.ansible.com would render them, and the docs/docsite guide.
# References are checked against this collection and ansible.builtin ("dependent"): "all" makes
# antsibull-docs render edit links through a random temporary path, which rstcheck sometimes
# misreads as a link target.
docs-lint: venv
	PATH="$(BIN):$$PATH" tests/with_collection.sh antsibull-docs lint-collection-docs --plugin-docs \
		--check-extra-docs-refs --validate-collection-refs dependent --disallow-unknown-collection-refs .

changelog-lint: venv
	PATH="$(BIN):$$PATH" tests/changelog_check.sh

# One round of make bench, so the benchmark cannot rot: fails on errors, never on figures.
bench-quick: venv
	$(BIN)/python benchmarks/bench.py --quick

## test-matrix: ansible-test units and integration on every supported ansible-core but make test's,
## sanity on the oldest and newest, and the pytest suites on the newest and on the oldest with the
## requests/urllib3 floor (tests/matrix.sh, tests/matrix/*.txt)
test-matrix:
	tests/matrix.sh

## bench: the module and lookup against ansible.builtin.uri / url; writes benchmarks/results.json and
## docs/performance.png (see docs/performance.md)
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) benchmarks/requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py

## demo: build and install the collection, start the emulator, run the demo playbook
# Its own small venv (.venv-demo) from demo/requirements.txt: ansible-core and requests only, so a
# first make demo does not wait for make test's toolchain.
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
$(DEMO_STAMP): demo/requirements.txt
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r demo/requirements.txt
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	PATH="$(abspath $(DEMO_VENV))/bin:$$PATH" demo/run.sh

## ee-demo: build an execution environment with ansible-builder and podman and run the demo in it,
## as AWX runs a job (needs podman; root once to make the Debian base, see demo/ee_base.sh)
# Not part of make test or CI: it needs podman, root and a Debian mirror for the base image, PyPI
# for the image build, and minutes rather than seconds; make test checks the definition it builds.
ee-demo: venv
	PATH="$(BIN):$$PATH" demo/ee.sh

clean:
	rm -rf $(VENV) .venv-matrix .venv-demo build .pytest_cache
