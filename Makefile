# Every target creates what it needs; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
PYTHON_VERSION = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: test demo venv unit integration sanity lint clean

$(STAMP): test-requirements.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r test-requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## test: sanity, lint, unit and integration tests (the CI gate)
test: venv sanity lint
	$(BIN)/python -m pytest tests/unit tests/integration

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: venv
	$(BIN)/python -m pytest tests/integration

sanity: venv
	PATH="$(BIN):$$PATH" tests/ansible_test.sh sanity --python $(PYTHON_VERSION)

lint: venv
	PATH="$(BIN):$$PATH" tests/with_collection.sh ansible-lint --offline

## demo: build and install the collection, start the emulator, run the demo playbooks
demo: venv
	PATH="$(BIN):$$PATH" demo/run.sh

clean:
	rm -rf $(VENV) build .pytest_cache
