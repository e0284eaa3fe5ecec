#!/usr/bin/env bash
# Runs Kiln's side-by-side benchmarks (release build). Not part of `make test`.
# Environment: BENCH_DIR (default: a temp folder) holds generated models; WEIGHTS_MB (1024).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
swift build -c release --product kiln
KILN="$ROOT/.build/release/kiln" .venv/bin/python Benchmarks/roundtrip_large_model.py "$@"
