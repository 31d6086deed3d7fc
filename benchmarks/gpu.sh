#!/usr/bin/env bash
# The GPU benchmark: Inception-v3, -v4 and -ResNet-v2 training (batch 128)
# and inference (batch 256) images/s with mixed_bfloat16 and XLA, and the
# fraction of the GPU's bf16 peak, as one table (benchmarks/gpu.py says how).
#   bash benchmarks/gpu.sh                      # on a machine with an NVIDIA GPU
#   bash benchmarks/gpu.sh --cpu-test           # the same code, tiny, on a CPU
#   bash benchmarks/gpu.sh --output gpu.csv --batch-size 256
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
exec timeout 480 "$PYTHON" benchmarks/gpu.py "$@"
