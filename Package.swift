// swift-tools-version: 6.1
// Kiln: a model conversion and optimization toolchain. See README.md and DESIGN notes.
import PackageDescription

/// libonnx needs these defines to match how Debian built it.
let onnxDefines: [CXXSetting] = [
  .define("ONNX_NAMESPACE", to: "onnx"),
  .define("ONNX_ML", to: "1"),
]

let package = Package(
  name: "Kiln",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "kiln", targets: ["kiln"]),
    .library(name: "Kiln", targets: ["Kiln"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
  ],
  targets: [
    .target(
      name: "ONNXProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    .target(
      name: "CONNX",
      cxxSettings: onnxDefines,
      linkerSettings: [
        .linkedLibrary("onnx"),
        .linkedLibrary("onnx_proto"),
        .linkedLibrary("protobuf"),
        .linkedLibrary("stdc++"),
      ]
    ),
    .target(name: "KilnIR"),
    .target(
      name: "CaffeProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    .target(
      name: "KilnCaffe",
      dependencies: ["KilnIR", "CaffeProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    // OpenBLAS is linked statically: its shared library's thousands of symbol relocations (one
    // kernel table per CPU type) cost 1.5 ms at every start of `kiln`. cblas.h comes from the
    // default include path (Debian's alternatives link to OpenBLAS's).
    .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
    .target(name: "CKilnKernels"),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .target(name: "CKilnImage", dependencies: ["CJPEG", "CPNG"]),
    .target(
      name: "KilnRuntime", dependencies: ["KilnIR", "CBLAS", "CKilnKernels"],
      linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libopenblas.a"])]),
    .target(
      name: "KilnONNX",
      dependencies: [
        "KilnIR", "ONNXProto", "CONNX",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .target(name: "KilnDarknet", dependencies: ["KilnIR"]),
    .target(name: "KilnTFLite", dependencies: ["KilnIR"]),
    .target(name: "KilnPasses", dependencies: ["KilnIR", "KilnRuntime"]),
    .target(
      name: "KilnQuant",
      dependencies: ["KilnIR", "KilnRuntime", "KilnPasses", "CKilnImage", "CKilnKernels", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
    ),
    .target(name: "KilnValidate", dependencies: ["KilnIR", "KilnRuntime", "KilnQuant"]),
    .target(name: "KilnTargets", dependencies: ["KilnIR", "KilnONNX", "KilnRuntime", "KilnPasses", "KilnQuant"]),
    .target(
      name: "Kiln",
      dependencies: [
        "KilnIR", "KilnONNX", "KilnCaffe", "KilnDarknet", "KilnTFLite", "KilnRuntime", "KilnPasses", "KilnQuant",
        "KilnValidate", "KilnTargets",
      ]),
    .executableTarget(
      name: "kiln",
      dependencies: [
        "Kiln", "KilnIR", "KilnONNX", "KilnQuant", "KilnValidate", "KilnTargets",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Helpers the test targets share: KilnIR-level ones (temporary folders, tensors, graph
    // builders), and raw ONNX messages built by hand. The split keeps KilnIRTests off protobuf.
    .target(name: "KilnTestSupport", dependencies: ["KilnIR"], path: "Tests/KilnTestSupport"),
    .target(
      name: "ONNXTestSupport",
      dependencies: [
        "KilnIR", "ONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Tests/ONNXTestSupport"
    ),
    .testTarget(name: "KilnIRTests", dependencies: ["KilnIR", "KilnTestSupport"]),
    .testTarget(name: "KilnRuntimeTests", dependencies: ["KilnRuntime", "KilnIR", "KilnTestSupport"]),
    .testTarget(
      name: "KilnRuntimeConformanceTests",
      dependencies: ["KilnRuntime", "KilnONNX", "KilnIR"],
      exclude: ["expected-failures.txt"]
    ),
    .testTarget(name: "CONNXTests", dependencies: ["CONNX"]),
    .testTarget(
      name: "KilnONNXTests",
      dependencies: [
        "KilnONNX", "KilnIR", "KilnRuntime", "ONNXProto", "KilnTestSupport", "ONNXTestSupport",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "KilnCaffeTests",
      dependencies: [
        "KilnCaffe", "KilnIR", "CaffeProto", "KilnTestSupport",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "KilnPassesTests",
      dependencies: ["KilnPasses", "KilnIR", "KilnRuntime", "KilnONNX", "KilnTestSupport"]
    ),
    .target(
      name: "DigitsTestSupport", dependencies: ["KilnIR", "KilnQuant", "KilnRuntime"], path: "Tests/DigitsTestSupport"),
    .testTarget(
      name: "KilnQuantTests",
      dependencies: ["KilnQuant", "KilnIR", "KilnRuntime", "KilnPasses", "KilnONNX", "KilnTestSupport", "DigitsTestSupport"],
      exclude: ["Resources"]
    ),
    .testTarget(name: "KilnDarknetTests", dependencies: ["KilnDarknet", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
    .testTarget(name: "KilnTFLiteTests", dependencies: ["KilnTFLite", "KilnIR", "KilnTestSupport"]),
    .testTarget(
      name: "KilnTargetsTests", dependencies: ["KilnTargets", "KilnIR", "KilnONNX", "KilnQuant", "KilnTestSupport"]),
    .testTarget(name: "KilnValidateTests", dependencies: ["KilnValidate", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
    .testTarget(
      name: "KilnTests",
      dependencies: [
        "Kiln", "kiln", "KilnONNX", "KilnIR", "KilnPasses", "KilnRuntime", "KilnQuant", "ONNXProto", "KilnTestSupport",
        "ONNXTestSupport", "DigitsTestSupport",
      ]
    ),
  ],
  cxxLanguageStandard: .cxx17
)
