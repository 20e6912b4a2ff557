// swift-tools-version:6.1
import PackageDescription

let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let postgres = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let x509 = Target.Dependency.product(name: "X509", package: "swift-certificates")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")

let package = Package(
    name: "steward",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "steward-server", targets: ["steward-server"]),
        .executable(name: "stewardctl", targets: ["stewardctl"]),
        .executable(name: "steward-agent", targets: ["steward-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(name: "StewardModel", dependencies: [.product(name: "DequeModule", package: "swift-collections")]),
        .target(name: "StewardConfiguration", dependencies: ["StewardModel"]),
        .target(name: "StewardAppData", dependencies: ["StewardModel", "StewardConfiguration", crypto,
                                                      .product(name: "NIOPosix", package: "swift-nio")]),
        // System OpenSSL, only to pick a PKCS#12 entry by alias (see include/steward_keystore.h).
        .target(name: "CStewardKeystore", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "StewardKeystore", dependencies: [
            "CStewardKeystore", crypto, x509, nioSSL,
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .target(name: "StewardKeys", dependencies: ["StewardModel", "StewardAppData", crypto, x509,
                                                  .product(name: "SwiftASN1", package: "swift-asn1")]),
        .target(name: "StewardDatabase", dependencies: ["StewardModel", "StewardConfiguration", postgres, logging, crypto, lifecycle,
                                                       .product(name: "NIOPosix", package: "swift-nio")]),
        .target(name: "StewardAgentProtocol", dependencies: ["StewardModel"]),
        .target(name: "StewardCluster", dependencies: [
            "StewardModel", "StewardConfiguration", "StewardAppData", "StewardDatabase", "StewardKeys", logging, postgres, lifecycle, crypto,
        ]),
        .target(name: "StewardLicense", dependencies: ["StewardModel", "StewardDatabase", crypto, postgres, logging]),
        .target(name: "StewardJobs", dependencies: [
            "StewardModel", "StewardConfiguration", "StewardDatabase", "StewardCluster", logging, postgres, lifecycle,
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .target(name: "StewardServer", dependencies: [
            "StewardModel", "StewardConfiguration", "StewardAppData", "StewardKeystore", "StewardDatabase", "StewardKeys",
            "StewardAgentProtocol", "StewardCluster", "StewardJobs", "StewardLicense", hummingbird, logging, postgres, lifecycle, nioSSL, x509,
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Mustache", package: "swift-mustache"),
            crypto,
        ]),
        .target(name: "StewardClient", dependencies: [
            "StewardModel", httpClient, nioSSL, logging,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ]),
        .executableTarget(name: "steward-server", dependencies: ["StewardServer", argumentParser]),
        // glibc's chdir action for posix_spawn, which the Glibc module does not export.
        .target(name: "CStewardSpawn"),
        .target(name: "StewardAgent", dependencies: [
            "CStewardSpawn", "StewardAgentProtocol", "StewardClient", "StewardKeys", "StewardConfiguration", "StewardAppData", "StewardModel", logging, nioSSL, crypto, x509,
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "steward-agent", dependencies: ["StewardAgent", "StewardConfiguration", argumentParser, logging]),
        .executableTarget(name: "stewardctl", dependencies: [
            "StewardClient", "StewardAppData", "StewardKeystore", "StewardKeys", "StewardConfiguration", "StewardModel", argumentParser,
            "StewardDatabase", "StewardLicense", postgres, logging,
        ]),
        .executableTarget(name: "steward-benchmarks", dependencies: [
            "StewardTesting", "StewardClient", "StewardModel", "StewardKeystore", "StewardJobs", "StewardDatabase", "StewardLicense",
            "StewardAgentProtocol", postgres, logging, argumentParser, crypto, x509, nioSSL,
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket")],
                          path: "Benchmarks/steward-benchmarks"),
        .target(name: "StewardTesting", dependencies: [
            "StewardModel", "StewardAgentProtocol", "StewardKeystore", "StewardClient", "StewardAppData", postgres, logging, nioSSL, x509, httpClient, crypto,
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "StewardModelTests", dependencies: ["StewardModel"]),
        .testTarget(name: "StewardLicenseTests", dependencies: ["StewardLicense"]),
        .testTarget(name: "StewardKeysTests", dependencies: ["StewardKeys", crypto, x509]),
        .testTarget(name: "StewardConfigurationTests", dependencies: ["StewardConfiguration"]),
        .testTarget(name: "StewardJobsTests", dependencies: ["StewardJobs", "StewardModel", "StewardDatabase", "StewardTesting", postgres, logging]),
        .testTarget(name: "StewardClusterTests", dependencies: ["StewardCluster", "StewardConfiguration", "StewardModel"]),
        .testTarget(name: "StewardServerTests", dependencies: ["StewardServer", "StewardTesting", "StewardConfiguration", logging]),
        .testTarget(name: "StewardAppDataTests", dependencies: ["StewardAppData", "StewardTesting"]),
        .testTarget(name: "StewardKeystoreTests", dependencies: ["StewardKeystore", "StewardTesting"]),
        .testTarget(name: "StewardDatabaseTests", dependencies: ["StewardDatabase", "StewardTesting"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "StewardTesting", "StewardClient", "StewardModel", "StewardKeystore", "StewardKeys", "StewardAgentProtocol", "StewardDatabase", "StewardServer",
            "StewardLicense", "StewardAgent", "steward-server", "stewardctl", "steward-agent", crypto, x509,
        ]),
        .testTarget(name: "AppDataMigrationTests", dependencies: [
            "StewardAppData", "StewardConfiguration", "StewardTesting", "stewardctl", "steward-server",
        ]),
    ]
)
