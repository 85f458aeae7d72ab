#!/usr/bin/env bash
# Makes .venv/ (the Python tools of tools/requirements.txt: today's PyTorch for the benchmark,
# ONNX and ONNX Runtime for the export checks, TensorBoard's event reader, Ray) and does nothing
# when it already has them. Every test and benchmark that needs Python looks for .venv/bin/python
# and skips with a reason when it is missing, so a failure here costs those checks only.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv
req=tools/requirements.txt
check='import torch, numpy, onnx, onnxruntime, tensorboard, ray, ray.data'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "setup:python: $venv already has every package of $req"
  exit 0
fi
py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null; then
  echo "setup:python: skipped: no $py on PATH (the Python comparisons will be skipped)"
  exit 0
fi
if ! "$py" -m venv "$venv"; then
  echo "setup:python: skipped: '$py -m venv' failed (Debian: apt-get install python3-venv)"
  exit 0
fi
# --retries 0: where pip's default index is unreachable (a machine with a local index only) a
# package missing locally fails at once instead of after five back-offs.
if ! "$venv/bin/pip" install --quiet --retries 0 --disable-pip-version-check -r "$req"; then
  echo "setup:python: skipped: pip could not install $req (the Python comparisons will be skipped)"
  exit 0
fi
"$venv/bin/python" -c "$check; print('setup:python: torch', torch.__version__, '· onnx', onnx.__version__, '· onnxruntime', onnxruntime.__version__, '· ray', ray.__version__)"
