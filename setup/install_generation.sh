#!/usr/bin/env bash
# Installs the generation side (llama-cpp-python, bundled model packages). Filled in by the generation work.
set -euo pipefail
BIN=${1:-.venv/bin}

