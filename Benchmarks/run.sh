#!/usr/bin/env bash
# Runs Kiln's side-by-side benchmarks (release build). Not part of `make test`.
# Environment: WEIGHTS_MB (1024) and REPEATS for the round trip; REPEATS for the runtime.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
swift build -c release --product kiln
export KILN="$ROOT/.build/release/kiln"
.venv/bin/python Benchmarks/roundtrip_large_model.py
.venv/bin/python Benchmarks/runtime_latency.py
