# The two commands of the README: `make build` and `make test`.
# Both work on a fresh Debian 12 machine as root; they install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	fonts-noto-core fonts-noto-cjk fonts-dejavu-core gettext
TEST_APT_PACKAGES := poppler-utils chromium
BENCH_APT_PACKAGES := po4a

.PHONY: build test bench lint system-deps test-system-deps venv clean

build: system-deps $(BIN)/.installed
	$(BIN)/pipeline build

test: system-deps test-system-deps $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: system-deps $(BIN)/.installed-test
	$(SUDO) sh -c 'dpkg -s $(BENCH_APT_PACKAGES) >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BENCH_APT_PACKAGES)'
	$(BIN)/pip install -q mdpo
	$(BIN)/python -m benchmarks

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

system-deps:
	@$(SUDO) sh -c 'dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); }'

test-system-deps:
	@$(SUDO) sh -c 'dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); }'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/.installed $@

clean:
	rm -rf output/* $(VENV)
