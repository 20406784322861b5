#!/usr/bin/env bash
# The GPU figures in one command (issue #16): install .[cuda,bench], then benchmarks/gpu.py, which
# writes benchmarks/results/gpu.json (rendered by benchmarks/report.py). About 5-8 minutes on an H100.
#
#   bash benchmarks/gpu.sh                 # on a GPU machine; fails fast when JAX sees no GPU
#   bash benchmarks/gpu.sh --cpu-dry-run   # every part at its smallest size, on the CPU (checks the script)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="cuda,bench"
if [[ " $* " == *" --cpu-dry-run "* ]]; then extras="bench"; fi
if [[ ! -d .venv ]]; then python3 -m venv .venv; fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[$extras]"
export JAX_COMPILATION_CACHE_DIR="${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax_cache}"

if [[ " $* " != *" --cpu-dry-run "* ]]; then
  # Fail in seconds, before any benchmark, when the CUDA install did not give JAX a GPU.
  python -c "import jax, sys; d = jax.devices()[0]; sys.exit(0 if d.platform == 'gpu' else \
print(f'error: JAX sees no GPU (first device: {d}); check the CUDA driver', file=sys.stderr) or 2)"
fi
cd benchmarks
python gpu.py "$@"
if [[ " $* " != *" --cpu-dry-run "* ]]; then
  python report.py > /dev/null
  echo "GPU results: benchmarks/results/gpu.json; rendered in benchmarks/README.md"
fi
