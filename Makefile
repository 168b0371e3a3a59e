# ragloom: the two commands a user needs are `make chat` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install chat test lint bench bench-formats eval clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -U pip

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml constraints.txt setup/install_generation.sh setup/install_browser.sh requirements/models.txt | $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -e '.[ui,langchain,scale,server,pdf,dev]'  # llama-cpp-python: pinned build in install_generation.sh
	bash setup/install_generation.sh $(BIN)
	bash setup/install_browser.sh
	touch $@

install: $(VENV)/.installed

chat: install
	$(BIN)/ragloom ui

test: install
	$(BIN)/lint-imports --no-cache  # the layering contracts in pyproject.toml
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python bench/run.py

# ragloom vs LangChain ingesting a folder of mixed files (bench/mixed_formats.py)
bench-formats: install
	$(BIN)/python bench/mixed_formats.py

clean:
	rm -rf $(VENV) .ragloom
