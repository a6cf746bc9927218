# The two commands of the README: `make build` and `make test`.
# Both work on a fresh Debian 12 machine as root; they install what they need first.
# Python packages come from uv.lock only (exact versions and hashes); `make lock` renews it.
# The page tests' axe-core comes from the npm registry, pinned by sha512 (tests/axe_core.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	fonts-noto-core fonts-noto-cjk fonts-dejavu-core gettext
TEST_APT_PACKAGES := poppler-utils chromium
BENCH_APT_PACKAGES := po4a

.PHONY: build test bench lint lock mutation system-deps test-system-deps git-config clean

build: system-deps $(BIN)/.installed git-config
	$(BIN)/pipeline build

test: system-deps test-system-deps $(BIN)/.installed-test git-config
	$(UV) lock --check --offline
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python tests/axe_core.py
	$(BIN)/pytest

bench: system-deps $(BIN)/.installed-bench
	$(SUDO) sh -c 'dpkg -s $(BENCH_APT_PACKAGES) >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BENCH_APT_PACKAGES)'
	$(BIN)/python -m benchmarks

# Mutation testing of the code that protects patients ([tool.mutmut], docs/mutation.md).
# Fails below 90% of all mutants killed (equivalent mutants counted as survivors).
mutation: system-deps test-system-deps $(BIN)/.installed-mutation
	rm -rf mutants
	$(BIN)/mutmut run --max-children $$(nproc)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python -c 'import json, sys; s = json.load(open("mutants/mutmut-cicd-stats.json")); \
		score = s["killed"] / s["total"]; \
		print("mutation score: %d of %d killed (%.1f%%)" % (s["killed"], s["total"], 100 * score)); \
		sys.exit(score < 0.9)'

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# Re-resolve every dependency within the ranges of pyproject.toml and write uv.lock.
# `make lock ARGS=--upgrade-package=babel` moves one package; `ARGS=--upgrade` moves all.
lock: $(UV)
	$(UV) lock $(ARGS)
	$(UV) pip compile requirements/uv.in --generate-hashes --universal --python-version 3.11 \
		--custom-compile-command "make lock" -q -o requirements/uv.txt

system-deps:
	@$(SUDO) sh -c 'dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); }'

test-system-deps:
	@$(SUDO) sh -c 'dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); }'

# The PO merge driver of .gitattributes, for this clone only.
git-config: $(BIN)/.installed
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		git config merge.pipeline-po.name "pipeline: merge PO files message by message" && \
		git config merge.pipeline-po.driver "$(CURDIR)/$(BIN)/pipeline merge-po %O %A %B %P"; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): requirements/uv.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/uv.txt
	touch $@

$(BIN)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact -q
	touch $@

$(BIN)/.installed-test: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact -q --extra test
	touch $(BIN)/.installed $@

$(BIN)/.installed-mutation: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact -q --extra test --extra mutation
	touch $(BIN)/.installed $(BIN)/.installed-test $@

$(BIN)/.installed-bench: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact -q --extra test --extra bench
	touch $(BIN)/.installed $(BIN)/.installed-test $@

clean:
	rm -rf output/* $(VENV) mutants .pipeline-cache
