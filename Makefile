# Kiln: the two commands a user needs are `make demo` and `make test`; both install what is
# missing first (scripts/setup.sh), so they work on a bare Debian machine.

SWIFT      ?= swift
KILN       ?= .build/debug/kiln
DEMO_MODEL ?= fixtures/mnist-small.onnx
DIGITS     ?= fixtures/digits
MODELS     ?= .cache/test-models
VENV_PYTHON = .venv/bin/python

.PHONY: all setup build demo test bench clean distclean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

demo: build
	$(KILN) inspect $(DEMO_MODEL)
	@mkdir -p out
	$(KILN) convert $(DEMO_MODEL) -o out/roundtrip.onnx --pipeline none
	$(KILN) inspect out/roundtrip.onnx
	$(KILN) convert $(DEMO_MODEL) -o out/optimized.onnx --verify --input-shape image=1x1x28x28
	$(KILN) run out/optimized.onnx --random --repeat 20 --output-dir out/outputs
	$(KILN) calibrate $(DIGITS)/model.onnx --images $(DIGITS)/calibration --preprocess $(DIGITS)/preprocess.json \
		--method percentile -o out/digits-stats.json
	$(KILN) quantize $(DIGITS)/model.onnx --int8 --stats out/digits-stats.json -o out/digits-int8.onnx
	$(KILN) quantize $(DIGITS)/model.onnx --fp16 --keep-io-types -o out/digits-fp16.onnx
	$(KILN) convert $(DIGITS)/model.onnx --target ncnn --input-shape image=1x1x16x16 -o out/digits-ncnn \
		--int8 --stats out/digits-stats.json
	$(KILN) convert $(DIGITS)/model.onnx --target tensorrt --input-shape image=1..8..32x1x16x16 \
		-o out/digits-tensorrt.onnx --int8 --stats out/digits-stats.json
	$(KILN) convert $(DIGITS)/model.onnx --target rknn -o out/digits-rknn.onnx
	$(KILN) convert $(DIGITS)/model.onnx --target openvino --input-shape image=1x1x16x16 -o out/digits-openvino.xml
	$(KILN) inspect $(MODELS)/tflite/face_detection_front.tflite
	$(KILN) convert $(MODELS)/tflite/face_detection_front.tflite -o out/face_detection_front.onnx --verify
	$(KILN) convert $(MODELS)/darknet/yolov3-tiny.cfg --weights $(MODELS)/darknet/yolov3-tiny.weights \
		--target ncnn -o out/yolov3-tiny.param
	$(KILN) convert $(MODELS)/caffe/deploy.prototxt --weights $(MODELS)/caffe/resnet_50_1by2_nsfw.caffemodel \
		--target openvino -o out/open_nsfw.xml

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test
	KILN=$(abspath $(KILN)) $(VENV_PYTHON) -m pytest -q Tests/oracle

bench: setup
	bash Benchmarks/run.sh

clean:
	rm -rf .build out .pytest_cache

# Also removes the oracle venv; the next setup recreates it.
distclean: clean
	rm -rf .venv
