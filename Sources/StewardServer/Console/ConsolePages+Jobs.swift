import Foundation
import Hummingbird
import StewardModel

/// Jobs (recent, with state and errors, cancel), schedules and their firings, and licenses.
extension ConsoleRoutes {
    func addJobs(to console: RouterGroup<Context>) {
        console.get("jobs") { request, context in
            try await page(request, context, title: "Jobs", section: "Jobs") { viewer in
                let query = request.uri.queryParameters
                let state = query["state"].map(String.init) ?? "", kind = query["kind"].map(String.init) ?? ""
                let path = APIPath.make("/api/v1/jobs", [("state", state), ("kind", kind), ("before", query["before"].map(String.init)), ("limit", "50")])
                let list = try await api.get(JobList.self, path, request, context)
                let states = Self.options([""] + JobState.allCases.map(\.rawValue), selected: state)
                let jobs = list.jobs.map { job -> [String: Any] in
                    [
                        "id": job.id, "kind": job.kind, "state": job.state.rawValue, "node": job.node ?? "", "attempt": job.attempt,
                        "maxAttempts": job.maxAttempts, "createdAt": ConsoleText.time(job.createdAt), "finishedAt": ConsoleText.time(job.finishedAt),
                        "lastError": job.lastError ?? "",
                        "cancellable": viewer.atLeast(.operator) && ![.completed, .discarded, .cancelled].contains(job.state) && !job.cancelRequested,
                    ]
                }
                var data: [String: Any] = ["jobs": jobs, "states": states, "kind": kind, "stateFilter": state]
                if let next = list.next { data["next"] = next }
                return Content(template: "jobs", data: data)
            }
        }
        console.post("jobs/{id}/cancel") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Cancel job \(id)", section: "Jobs") { form, _ in
                _ = try await api.send(JobCancelled.self, .post, "/api/v1/jobs/\(APIPath.segment(id))/cancel", json: nil, csrf: form.csrf, request, context)
                return Self.redirect("/console/jobs?notice=cancelled")
            }
        }
        console.get("schedules") { request, context in
            try await page(request, context, title: "Schedules", section: "Schedules") { _ in
                let list = try await api.get(ScheduleList.self, "/api/v1/schedules", request, context)
                return Content(template: "schedules", data: ["schedules": list.schedules.map(scheduleData)])
            }
        }
        console.get("schedules/{name}") { request, context in
            let name = try context.parameters.require("name")
            return try await page(request, context, title: "Schedule \(name)", section: "Schedules") { _ in
                let schedule = try await api.get(ScheduleRecord.self, "/api/v1/schedules/" + APIPath.segment(name), request, context)
                let firings = try await api.get(ScheduleFirings.self, "/api/v1/schedules/\(APIPath.segment(name))/firings", request, context)
                var data = scheduleData(schedule)
                data["firings"] = firings.firings.map { firing -> [String: Any] in
                    ["slot": ConsoleText.time(firing.slot), "firedAt": ConsoleText.time(firing.firedAt), "firedBy": firing.firedBy,
                     "outcome": firing.outcome, "jobList": firing.jobs.map(String.init).joined(separator: ", "), "missed": firing.missed]
                }
                return Content(template: "schedule", data: data)
            }
        }
        console.get("licenses") { request, context in
            try await page(request, context, title: "Licenses", section: "Licenses") { _ in
                let summary = try await api.get(LicenseSummary.self, "/api/v1/license", request, context)
                let usage = try await api.get(LicenseUsage.self, "/api/v1/license/usage?days=7", request, context)
                let seats = summary.seats.map { seat -> [String: Any] in
                    ["kind": seat.kind, "inUse": seat.inUse, "licensed": seat.licensed, "free": seat.free, "trialText": seat.trial ? "trial" : ""]
                }
                let licenses = summary.licenses.map { license -> [String: Any] in
                    var data: [String: Any] = [
                        "licensee": license.licensee, "userSeats": license.userSeats, "agentSeats": license.agentSeats,
                        "notBefore": ConsoleText.time(license.notBefore), "expiresAt": ConsoleText.time(license.expiresAt),
                        "graceEndsAt": ConsoleText.time(license.graceEndsAt), "standing": license.standing,
                    ]
                    if let warning = license.warning { data["warning"] = warning }
                    return data
                }
                let charts = summary.seats.map { seat -> [String: Any] in
                    ["kind": seat.kind, "svg": ConsoleCharts.usage(usage.hours, kind: seat.kind,
                                                                   title: "\(seat.kind) seats: peak in use per hour (solid) and licensed (dashed), last 7 days")]
                }
                return Content(template: "licenses", data: ["seats": seats, "licenses": licenses, "warnings": summary.warnings, "charts": charts])
            }
        }
    }

    func scheduleData(_ schedule: ScheduleRecord) -> [String: Any] {
        [
            "name": schedule.name, "kind": schedule.kind, "when": schedule.every.map { "every \($0)" } ?? schedule.cron.map { "cron \($0)" } ?? "",
            "timeZone": schedule.timeZone, "misfire": schedule.misfire.rawValue, "pausedText": schedule.paused ? "paused" : "",
            "nextSlot": ConsoleText.time(schedule.nextSlot),
            "lastFiring": schedule.lastFiring.map { "\($0.outcome) by \($0.firedBy)" } ?? "",
        ]
    }
}
