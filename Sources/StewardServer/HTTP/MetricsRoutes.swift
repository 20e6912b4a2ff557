import Hummingbird
import StewardDatabase
import StewardJobs

/// `GET /metrics` on the HTTPS port, in Prometheus text format, for a viewer's token (a Prometheus
/// scrape job sends it with `authorization: credentials_file`). Queue depth, licenses and node state are
/// read at scrape time; the counters and histograms accumulate as things happen.
struct MetricsRoutes {
    let runtime: NodeRuntime

    func add(to router: Router<StewardRequestContext>) {
        let group = router.group("/metrics").add(middleware: AuthenticationMiddleware(runtime: runtime))
        group.get { _, _ -> Response in
            runtime.metrics.recordState(runtime.state)
            if let depth = try? await JobRepository(logger: runtime.logger).depth(on: runtime.database) {
                runtime.jobs.metrics.recordDepth(depth)
            }
            if let license = try? await Licensing(runtime: runtime).summary(on: runtime.database) {
                runtime.metrics.recordLicense(license)
            }
            let body = runtime.metrics.render()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
