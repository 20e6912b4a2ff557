import Foundation
import StewardModel

/// Server-rendered SVG: charts that need no script, print, and can be checked without a browser.
/// Each has a title for screen readers; times are written in UTC, in `data-time` attributes that
/// the console's script rewrites into the browser's time zone.
enum ConsoleCharts {
    static let palette = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#718096"]

    /// One count per minute of the window, oldest first.
    static func perMinute(_ points: [JobStatsReport.Point], since: Date, minutes: Int) -> [Int] {
        var counts = Array(repeating: 0, count: minutes)
        for point in points {
            let index = Int((point.minute.timeIntervalSince(since) / 60).rounded(.down))
            if counts.indices.contains(index) { counts[index] += point.succeeded + point.failed }
        }
        return counts
    }

    /// A node's activity: a small line of its jobs per minute.
    static func sparkline(_ counts: [Int], label: String) -> String {
        let width = 120.0, height = 24.0
        let top = Double(max(counts.max() ?? 0, 1))
        let step = counts.count > 1 ? width / Double(counts.count - 1) : width
        let points = counts.enumerated().map { index, count in
            String(format: "%.1f,%.1f", Double(index) * step, height - 1 - Double(count) / top * (height - 2))
        }.joined(separator: " ")
        return """
        <svg class="spark" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="\(escape(label))">\
        <title>\(escape(label))</title><polyline fill="none" stroke="#2b6cb0" stroke-width="1.5" points="\(points)"/></svg>
        """
    }

    struct Series {
        let name: String
        let counts: [Int]
    }

    /// Jobs finished per minute, stacked by group, with a legend.
    static func stacked(_ series: [Series], since: Date, minutes: Int, title: String) -> String {
        let width = 720.0, height = 220.0, left = 40.0, bottom = 24.0, top = 8.0
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        let totals = (0..<minutes).map { minute in series.reduce(0) { $0 + ($1.counts.indices.contains(minute) ? $1.counts[minute] : 0) } }
        let peak = max(totals.max() ?? 0, 1)
        let column = plotWidth / Double(minutes)
        var svg = """
        <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height + Double(series.count) * 18 + 8))" role="img" aria-labelledby="chart-title">\
        <title id="chart-title">\(escape(title))</title>
        """
        for fraction in peak >= 4 ? [0.0, 0.5, 1.0] : [0.0, 1.0] {
            let y = top + plotHeight * (1 - fraction)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 8)\" y2=\"\(y)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"11\">\(Int((Double(peak) * fraction).rounded()))</text>"
        }
        for minute in 0..<minutes {
            var base = 0
            for (index, one) in series.enumerated() {
                let count = one.counts.indices.contains(minute) ? one.counts[minute] : 0
                guard count > 0 else { continue }
                let barHeight = Double(count) / Double(peak) * plotHeight
                let y = top + plotHeight - Double(base) / Double(peak) * plotHeight - barHeight
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@: %d</title></rect>",
                              left + Double(minute) * column, y, max(column - 1, 1), barHeight, palette[index % palette.count], escape(one.name), count)
                base += count
            }
        }
        for tick in stride(from: 0, through: minutes, by: max(minutes / 4, 1)) {
            let time = since.addingTimeInterval(Double(tick) * 60)
            svg += "<text x=\"\(left + Double(tick) * column)\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"11\" data-time=\"\(iso(time))\">\(utcClock(time))</text>"
        }
        for (index, one) in series.enumerated() {
            let y = height + 8 + Double(index) * 18
            svg += "<rect x=\"\(left)\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(left + 18)\" y=\"\(y + 10)\" font-size=\"12\">\(escape(one.name)) (\(one.counts.reduce(0, +)))</text>"
        }
        return svg + "</svg>"
    }

    /// Seats in use per hour against the licensed count.
    static func usage(_ hours: [LicenseUsageHour], kind: String, title: String) -> String {
        let rows = hours.filter { $0.kind == kind }.sorted { $0.hour < $1.hour }
        let width = 720.0, height = 160.0, left = 40.0, bottom = 24.0, top = 8.0
        guard let first = rows.first, let last = rows.last else {
            return "<p class=\"muted\">No \(escape(kind)) usage recorded yet.</p>"
        }
        let peak = Double(max(rows.map { max($0.peak, $0.licensed) }.max() ?? 1, 1))
        let span = max(last.hour.timeIntervalSince(first.hour), 3600)
        func x(_ date: Date) -> Double { left + (width - left - 8) * date.timeIntervalSince(first.hour) / span }
        func y(_ value: Int) -> Double { top + (height - bottom - top) * (1 - Double(value) / peak) }
        let used = rows.map { String(format: "%.1f,%.1f", x($0.hour), y($0.peak)) }.joined(separator: " ")
        let licensed = rows.map { String(format: "%.1f,%.1f", x($0.hour), y($0.licensed)) }.joined(separator: " ")
        var svg = """
        <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(escape(title))"><title>\(escape(title))</title>\
        <polyline fill="none" stroke="#c53030" stroke-dasharray="4 3" points="\(licensed)"/>\
        <polyline fill="none" stroke="#2b6cb0" stroke-width="2" points="\(used)"/>
        """
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\" font-size=\"11\">\(Int(peak))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(height - bottom)\" text-anchor=\"end\" font-size=\"11\">0</text>"
        for date in [first.hour, last.hour] {
            svg += "<text x=\"\(x(date))\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"11\" data-time=\"\(iso(date))\" data-format=\"datetime\">\(iso(date))</text>"
        }
        return svg + "</svg>"
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func utcClock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
