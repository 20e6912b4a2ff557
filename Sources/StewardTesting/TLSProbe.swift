import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOConcurrencyHelpers
import X509

/// Connects with TLS and returns the certificate the server presented (whatever it is: the
/// probe trusts everything, because what it checks is which certificate came back).
public enum TLSProbe {
    public static func peerCertificate(host: String = "127.0.0.1", port: Int) async throws -> NIOSSLCertificate {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let captured = NIOLockedValueBox<NIOSSLCertificate?>(nil)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                        captured.withLockedValue { $0 = certificates.first }
                        promise.succeed(.certificateVerified)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port).get()
        defer { channel.close(promise: nil) }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let certificate = captured.withLockedValue({ $0 }) { return certificate }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("no certificate from \(host):\(port)")
    }

    /// The certificate's subject, as swift-certificates prints it ("CN=node-a").
    public static func subject(_ certificate: NIOSSLCertificate) throws -> String {
        "\(try Certificate(derEncoded: certificate.toDERBytes()).subject)"
    }
}
