import CrierCore
import CrierTestSupport
import Testing

@testable import CrierSources

/// What a parsed line looked like, as owned values.
struct Parsed: Equatable {
    var timestamp: String?
    var host: String?
    var ident: String?
    var pid: String?
    var message: String
}

func parseText(_ line: String, zone: ZonePolicy = .utc,
               years: YearInference = YearInference(reference: Timestamp(year: 2026, month: 11, day: 23))) -> Parsed {
    var parser = TextLineParser(zone: zone, years: years)
    let bytes = Array(line.utf8)
    return bytes.withUnsafeBytes { raw in
        let v = parser.parse(raw, lineNumber: 1)
        func s(_ b: UnsafeRawBufferPointer) -> String? { b.isEmpty ? nil : b.lossyString }
        return Parsed(timestamp: v.timestamp?.iso8601, host: s(v.host), ident: s(v.ident), pid: s(v.pid),
                      message: v.message.lossyString)
    }
}

@Suite struct TextLineParserTests {
    @Test func rfc3164FromTheOpenSSHCorpus() {
        let p = parseText("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")
        // Dec 10 2026 would be in the future on 2026-11-23, so the year is 2025.
        #expect(p == Parsed(timestamp: "2025-12-10T06:55:46.000Z", host: "LabSZ", ident: "sshd", pid: "24200",
                            message: "Invalid user webmaster from 173.234.31.186"))
    }

    @Test func rfc3164SpacePaddedDayAndIdentWithoutPid() {
        let p = parseText("Jun  9 06:06:20 combo kernel: Linux version 2.6.5-1.358")
        #expect(p == Parsed(timestamp: "2026-06-09T06:06:20.000Z", host: "combo", ident: "kernel", pid: nil,
                            message: "Linux version 2.6.5-1.358"))
        let q = parseText("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 ")
        #expect(q.ident == "sshd(pam_unix)" && q.pid == "19939")
    }

    @Test func yearRollsOverAtNewYear() {
        var parser = TextLineParser(zone: .utc, years: YearInference(year: 2025))
        let lines = ["Dec 31 23:59:59 h a: x", "Jan  1 00:00:01 h a: y"]
        let stamps = lines.map { line in
            Array(line.utf8).withUnsafeBytes { parser.parse($0, lineNumber: 1).timestamp?.iso8601 }
        }
        #expect(stamps == ["2025-12-31T23:59:59.000Z", "2026-01-01T00:00:01.000Z"])
    }

    @Test func rsyslogHighPrecisionISO() {
        let p = parseText("2026-11-23T10:15:00.123456+01:00 render-01 celery[2211]: [x] Task failed")
        #expect(p == Parsed(timestamp: "2026-11-23T09:15:00.123Z", host: "render-01", ident: "celery", pid: "2211",
                            message: "[x] Task failed"))
    }

    @Test func syslogWithoutHostBusyBoxFacilitiesAndOpenWrtLogread() {
        #expect(parseText("Feb 11 15:23:17 dropbear[1252]: Bad password attempt for 'root' from 192.0.2.1:22")
                == Parsed(timestamp: "2026-02-11T15:23:17.000Z", host: nil, ident: "dropbear", pid: "1252",
                          message: "Bad password attempt for 'root' from 192.0.2.1:22"))
        #expect(parseText("Nov 23 10:00:00 router authpriv.warn dropbear[1234]: Exit before auth")
                == Parsed(timestamp: "2026-11-23T10:00:00.000Z", host: "router", ident: "dropbear", pid: "1234",
                          message: "Exit before auth"))
        #expect(parseText("Mon Nov 23 10:00:00 2026 authpriv.warn dropbear[1234]: Exit before auth")
                == Parsed(timestamp: "2026-11-23T10:00:00.000Z", host: nil, ident: "dropbear", pid: "1234",
                          message: "Exit before auth"))
        // A program whose name has a dot is not a facility.
        #expect(parseText("Nov 23 10:00:00 h app.worker[1]: x").ident == "app.worker")
    }

    @Test func nginxErrorLogAndLogfmtTimestamps() {
        #expect(parseText("2026/11/23 10:05:01 [error] 812#812: *1 upstream timed out").timestamp == "2026-11-23T10:05:01.000Z")
        #expect(parseText("time=2026-11-23T13:00:00.000Z level=ERROR msg=\"job failed\"").timestamp == "2026-11-23T13:00:00.000Z")
        #expect(parseText("ts=\"2026-11-23 13:00:01\" level=info").timestamp == "2026-11-23T13:00:01.000Z")
        #expect(parseText("type=USER_LOGIN msg=audit(1795428000.123:456): pid=1 uid=0 res=failed").timestamp
                == "2026-11-23T10:00:00.123Z")
    }

    @Test func kubernetesCRIContainerLines() {
        let p = parseText("2026-11-23T10:15:00.123456789Z stderr F Traceback (most recent call last):")
        #expect(p == Parsed(timestamp: "2026-11-23T10:15:00.123Z", host: nil, ident: nil, pid: nil,
                            message: "Traceback (most recent call last):"))
        #expect(parseText("2026-11-23T10:15:00.5Z stdout P partial line").message == "partial line")
        // A host really named stdout is still a syslog line.
        #expect(parseText("2026-11-23T10:15:00Z stdout app[1]: hi").ident == "app")
    }

    @Test func rememberedMinuteGivesTheSameAnswerAsAFreshParse() {
        let lines = ["2026-11-23T10:15:59.900000+00:00 h a[1]: x", "2026-11-23T10:15:01+02:00 h a[1]: y",
                     "2026-11-23T10:15:30Z h a[1]: z", "2026-11-23T10:16:00.5Z h a[1]: w",
                     "2026-11-23 10:16:07,250 INFO app: started"]
        var shared = TextLineParser(zone: .utc, years: YearInference(year: 2026))
        for line in lines {
            let reused = Array(line.utf8).withUnsafeBytes { shared.parse($0, lineNumber: 1).timestamp?.iso8601 }
            #expect(reused == parseText(line).timestamp, "\(line)")
        }
        #expect(parseText(lines[1]).timestamp == "2026-11-23T08:15:01.000Z")
    }

    @Test func rfc5424() {
        let p = parseText("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su 77 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App]lication\"] 'su root' failed")
        #expect(p == Parsed(timestamp: "2003-10-11T22:14:15.003Z", host: "mymachine.example.com", ident: "su", pid: "77",
                            message: "'su root' failed"))
        let nilValues = parseText("<13>1 - - - - - - bare")
        #expect(nilValues == Parsed(timestamp: nil, host: nil, ident: nil, pid: nil, message: "bare"))
    }

    @Test func journalExportFormWithoutTimestamp() {
        let p = parseText("worker-1 celery[42]:   File \"/app/tasks.py\", line 5, in add")
        #expect(p == Parsed(timestamp: nil, host: "worker-1", ident: "celery", pid: "42",
                            message: "  File \"/app/tasks.py\", line 5, in add"))
    }

    @Test func bareLinesKeepTheWholeLineAndFindTheirTime() {
        let cases: [(String, String?)] = [
            ("[2026-11-23 10:15:00,204: ERROR/ForkPoolWorker-2] Task x[1] raised unexpected: E()", "2026-11-23T10:15:00.204Z"),
            ("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created", "2015-10-18T18:01:47.978Z"),
            ("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326", "2000-10-10T20:55:36.000Z"),
            ("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers", "2017-06-09T20:10:40.000Z"),
            ("Note: nothing here looks like a host", nil),
            ("Failed password for root from 1.2.3.4 port 22 ssh2", nil),
        ]
        for (line, stamp) in cases {
            let p = parseText(line)
            #expect(p.message == line)
            #expect(p.host == nil && p.ident == nil)
            #expect(p.timestamp == stamp, "\(line)")
        }
    }

    @Test func localZoneUsesTheZoneOffset() {
        let p = parseText("2026-07-01 12:00:00 app started", zone: .fixed(seconds: 7_200))
        #expect(p.timestamp == "2026-07-01T10:00:00.000Z")
    }
}

@Suite struct JSONLineParserTests {
    func parse(_ line: String, messageKey: String? = nil, journal: Bool = false) throws -> (Parsed, [String: String], String?, RecordFormat) {
        let parser = JSONLineParser(messageKey: messageKey, forceJournal: journal, zone: .utc)
        var bytes = Array(line.utf8)
        bytes += Array(repeating: 0, count: JSONLineParser.padding)
        return try bytes.withUnsafeBytes { raw in
            let line = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - JSONLineParser.padding)])
            return try parser.parse(line, lineNumber: 1) { v in
                var fields: [String: String] = [:]
                for f in v.fields { fields[f.key.lossyString] = f.value.lossyString }
                return (Parsed(timestamp: v.timestamp?.iso8601, host: nil, ident: nil, pid: nil, message: v.message.lossyString),
                        fields, v.traceback.isEmpty ? nil : v.traceback.lossyString, v.format)
            }
        }
    }

    @Test func messageAndTimeKeysAndFlattening() throws {
        let (p, fields, _, format) = try parse(#"{"time":"2026-11-23T10:15:00.5+01:00","msg":"hi","message":"no","ctx":{"job":{"id":42,"ok":true}},"tags":["a","b"],"n":null}"#)
        #expect(p.message == "hi")
        #expect(p.timestamp == "2026-11-23T09:15:00.500Z")
        #expect(fields["ctx.job.id"] == "42" && fields["ctx.job.ok"] == "true")
        #expect(fields["tags"] == #"["a","b"]"#)
        #expect(fields["n"] == "null")
        #expect(format == .json)
    }

    @Test func epochSecondsMillisMicros() throws {
        for (value, expected) in [("1795428000", "2026-11-23T10:00:00.000Z"), ("1795428000.25", "2026-11-23T10:00:00.250Z"),
                                  ("1795428000250", "2026-11-23T10:00:00.250Z"), ("1795428000250000", "2026-11-23T10:00:00.250Z"),
                                  ("\"1795428000\"", "2026-11-23T10:00:00.000Z")] {
            let (p, _, _, _) = try parse(#"{"ts":\#(value),"msg":"x"}"#)
            #expect(p.timestamp == expected, "\(value)")
        }
    }

    @Test func journalctlJSONWithByteArrayMessage() throws {
        // journalctl writes non-UTF-8 fields as arrays of byte values.
        let (p, fields, _, format) = try parse(#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795428000000001","_HOSTNAME":"w1","MESSAGE":[104,105,255],"_SYSTEMD_UNIT":"x.service"}"#)
        #expect(format == .journal)
        #expect(p.timestamp == "2026-11-23T10:00:00.000Z")
        #expect(Array(p.message.utf8) == [104, 105, 0xEF, 0xBF, 0xBD])  // the bad byte shows as U+FFFD
        #expect(fields["_SYSTEMD_UNIT"] == "x.service")
    }

    @Test func messageKeyOverrideAndTracebackField() throws {
        let (p, _, tb, _) = try parse(#"{"event":"job failed","msg":"ignored","exc_info":"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: x"}"#,
                                      messageKey: "event")
        #expect(p.message == "job failed")
        #expect(tb?.hasPrefix("Traceback (most recent call last):\n") == true)
    }

    @Test func malformedIsAnErrorWithAReason() {
        #expect(throws: JSONLineParser.Failure.self) { _ = try parse(#"{"msg": "unterminated"#) }
        #expect(throws: JSONLineParser.Failure.self) { _ = try parse(#"["not","an","object"]"#) }
    }
}
