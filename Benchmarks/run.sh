#!/usr/bin/env bash
# Runs Kiln's side-by-side benchmarks (release build). Not part of `make test`.
# Environment: WEIGHTS_MB (1024) and REPEATS for the round trip; REPEATS and ROUNDS (best of, default 3) for the runtime;
# WEIGHTS_MB, REPEATS, TIMEOUT and MODELS for the optimizer comparison; RESNET_TEST, REPEATS and
# TIMEOUT, THREADS and ROUNDS for the int8 quantization comparison;
# RESNET_TEST, ROUNDS and TIMEOUT for the validation comparison; REPEATS, ROUNDS and TIMEOUT for
# the target comparison (ncnn against pnnx, OpenVINO IR against ovc).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The release binary as users get it: the Swift runtime and Foundation linked in, so that each
# of the many short kiln processes the benchmarks time starts in milliseconds.
swift build -c release --product kiln --static-swift-stdlib
export KILN="$ROOT/.build/release/kiln"
.venv/bin/python Benchmarks/roundtrip_large_model.py
.venv/bin/python Benchmarks/runtime_latency.py
# quant_pre_process (onnxruntime's step before quantize_static) needs sympy; only this benchmark does.
.venv/bin/python -m pip install --quiet sympy \
  || echo "note: could not install sympy; onnxruntime's quantization lines will fail" >&2
.venv/bin/python Benchmarks/quantize_vs_onnxruntime.py
.venv/bin/python Benchmarks/validate_vs_onnxruntime.py
# onnxsim and onnxslim only serve this benchmark, so they are installed here, not by setup.sh.
for package in onnxsim onnxslim; do
  .venv/bin/python -m pip install --quiet "$package" \
    || echo "note: could not install $package; the comparison runs without it" >&2
done
.venv/bin/python Benchmarks/convert_vs_onnxsim.py
# pnnx (ncnn's converter) likewise serves only the target comparison; ovc comes with openvino.
.venv/bin/python -m pip install --quiet pnnx==20261020 \
  || echo "note: could not install pnnx; the ncnn comparison runs without it" >&2
.venv/bin/python Benchmarks/targets_vs_vendors.py
