// swift-tools-version:6.1
// crier: log-to-chat alerting sidecar. Layout and dependency rule: see DESIGN §2
// (CrierCore ← sources, notifiers, store ← CrierRuntime ← crier).
import PackageDescription

/// Every target compiles with these: imports stay internal unless a public signature needs
/// them, a file imports every module whose members it uses, and existentials say `any`.
let strictness: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "crier",
    products: [
        .executable(name: "crier", targets: ["crier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The admin server (/metrics, /healthz, /readyz, /api/v1): traits off, crier needs
        // neither swift-configuration nor full Foundation from it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C stays in these targets; each is imported by exactly one Swift file.
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CSimdJSON",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        .target(
            name: "CrierCore",
            dependencies: [
                "CPCRE2",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Clocks, dedicated threads, process resources: the only reads of the OS's time.
        .target(name: "CrierPlatform", dependencies: ["CrierCore"]),
        .target(name: "CrierSources", dependencies: ["CrierCore", "CrierPlatform", "CSimdJSON", "CSystemd"]),
        .target(name: "CrierNotifiers", dependencies: ["CrierCore", "CrierPlatform", "CCurl", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CrierStore", dependencies: ["CrierCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "CrierRuntime",
            dependencies: ["CrierCore", "CrierPlatform", "CrierSources", "CrierNotifiers", "CrierStore",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "NIOCore", package: "swift-nio")],
            plugins: ["EmbedPacks", "CrierBuildInfo"]
        ),
        // The shipped packs, patterns/*/pack.yaml, compiled into CrierRuntime at build time;
        // Sources/CrierRuntime/ShippedPacks is a symlink to patterns/ (Plugins/EmbedPacks says why).
        .executableTarget(name: "PackEmbedder"),
        .plugin(name: "EmbedPacks", capability: .buildTool(), dependencies: ["PackEmbedder"]),
        // Writes the git commit into the build directory for `crier --version` (no file in git).
        .plugin(name: "CrierBuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "crier",
            dependencies: [
                "CrierRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CrierTestSupport", dependencies: ["CrierCore"]),

        .testTarget(name: "CrierCoreTests", dependencies: ["CrierCore", "CrierTestSupport"]),
        .testTarget(name: "CrierSourcesTests", dependencies: ["CrierSources", "CrierTestSupport"]),
        .testTarget(name: "CrierNotifiersTests", dependencies: ["CrierNotifiers", "CrierTestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "CrierStoreTests", dependencies: ["CrierStore", "CrierTestSupport",
                                                            .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CrierRuntimeTests", dependencies: ["CrierRuntime", "CrierPlatform", "CrierSources", "CrierTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["crier", "CrierTestSupport", "CrierNotifiers"]),
    ],
    cxxLanguageStandard: .cxx17
)

for target in package.targets where ![.system, .plugin].contains(target.type) && target.name != "CSimdJSON" {
    target.swiftSettings = (target.swiftSettings ?? []) + strictness
}
