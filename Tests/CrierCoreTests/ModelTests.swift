import CrierTestSupport
import Foundation
import Testing

@testable import CrierCore

@Suite struct TimestampTests {
    @Test func civilRoundTripAcrossEras() {
        for (y, m, d) in [(1970, 1, 1), (1969, 12, 31), (2000, 2, 29), (2026, 11, 23), (2100, 3, 1), (1600, 1, 1)] {
            let t = Timestamp(year: y, month: m, day: d, hour: 13, minute: 7, second: 9, microsecond: 123_456)
            let c = t.civil
            let fields: [Int] = [c.year, c.month, c.day, c.hour, c.minute, c.second, c.microsecond]
            #expect(fields == [y, m, d, 13, 7, 9, 123_456])
        }
    }

    @Test func agreesWithFoundationCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: 2026, month: 11, day: 23, hour: 10, minute: 15))!
        #expect(Timestamp(year: 2026, month: 11, day: 23, hour: 10, minute: 15).seconds == Int64(date.timeIntervalSince1970))
    }

    @Test func iso8601IsOneFixedShape() {
        #expect(Timestamp(year: 2026, month: 11, day: 23, hour: 10, minute: 15, microsecond: 5_000).iso8601
                == "2026-11-23T10:15:00.005Z")
        #expect(Timestamp(microseconds: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }

    @Test func weekday() {
        #expect(CivilDate.weekday(daysSinceEpoch: 0) == 4)  // 1970-01-01 was a Thursday
        let monday = CivilDate.daysFromCivil(year: 2026, month: 11, day: 23)
        #expect(CivilDate.weekday(daysSinceEpoch: monday) == 1)
    }
}

@Suite struct FingerprintTests {
    @Test func matchesPublishedFNV1aVectors() {
        // Test vectors from the FNV reference (Fowler/Noll/Vo): "" and "a" and "foobar".
        #expect(Fingerprint().value == 0xcbf2_9ce4_8422_2325)
        var a = Fingerprint()
        a.combine("a")
        #expect(a.value == 0xaf63_dc4c_8601_ec8c)
        var foobar = Fingerprint()
        foobar.combine("foobar")
        #expect(foobar.value == 0x8594_4171_f739_67e8)
        #expect(foobar.description == "85944171f73967e8")
        #expect(Fingerprint(hex: foobar.description) == foobar)
    }

    @Test func separatorKeepsPartsApart() {
        var x = Fingerprint(), y = Fingerprint()
        x.combine("ab"); x.separator(); x.combine("c")
        y.combine("a"); y.separator(); y.combine("bc")
        #expect(x != y)
    }
}

@Suite struct JSONValueTests {
    @Test func escapesWhatJSONRequiresAndParsesBack() {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7F} emoji 🚀 é"
        let value: JSONValue = ["k": .string(tricky), "n": 42, "list": [true, .null, .double(1.5)]]
        let text = value.encoded
        let parsed = parseJSON(text) as? [String: Any]
        #expect(parsed?["k"] as? String == tricky)
        #expect(parsed?["n"] as? Int == 42)
        #expect(text.hasPrefix("{\"k\":"))
        #expect(!text.contains("\n"))
    }

    @Test func objectKeepsInsertionOrder() {
        var o = JSONObject()
        o["zeta"] = 1
        o["alpha"] = 2
        o["zeta"] = 3
        #expect(JSONValue.object(o).encoded == "{\"zeta\":3,\"alpha\":2}")
    }
}

@Suite struct SecretTests {
    @Test func neverShowsTheValue() {
        let s = Secret("https://discord.com/api/webhooks/123456/very-secret-token")
        #expect("\(s)" == "https://discord.com/…(redacted)")
        #expect(!String(reflecting: s).contains("very-secret-token"))
        let withUser = Secret("smtps://user:hunter2@mail.example.com:465")
        #expect(!"\(withUser)".contains("hunter2"))
        #expect(!"\(Secret("plain-token-value"))".contains("plain-token-value"))
    }

    @Test func theScrubberRemovesCredentialsQuotedBackInAnyForm() {
        let scrubber = KnownSecretScrubber([
            Secret("https://discord.com/api/webhooks/123456/very-secret-token-abcdef"),
            Secret("http://crier:pa55w0rd@alertmanager:9093"),
            Secret("hmac-key-1"),
            Secret(""),
        ])
        #expect(scrubber.scrub("POST https://discord.com/api/webhooks/123456/very-secret-token-abcdef failed")
                == "POST …(redacted) failed")
        #expect(scrubber.scrub("no route for /api/webhooks/123456/very-secret-token-abcdef") == "no route for …(redacted)")
        #expect(!scrubber.scrub("token very-secret-token-abcdef is invalid").contains("very-secret"))
        #expect(scrubber.scrub("user crier:pa55w0rd") == "user …(redacted)")
        #expect(scrubber.scrub("Authorization: Basic \(Base64.encode(Array("crier:pa55w0rd".utf8)))") == "Authorization: Basic …(redacted)")
        #expect(scrubber.scrub("key hmac-key-1") == "key …(redacted)")
        #expect(scrubber.scrub("HTTP 500: upstream failed") == "HTTP 500: upstream failed", "other text is left alone")
        #expect(Base64.encode(Array("Tâche".utf8)) == "VMOiY2hl" && Base64.encode([0xff]) == "/w==")
    }
}

@Suite struct HumanFormatTests {
    @Test func countsAndDurations() {
        #expect(HumanFormat.count(2317) == "2,317")
        #expect(HumanFormat.count(999) == "999")
        #expect(HumanFormat.count(1_000_000) == "1,000,000")
        #expect(HumanFormat.duration(.seconds(300)) == "5 min")
        #expect(HumanFormat.duration(.seconds(3_900)) == "1 h 5 min")
        #expect(HumanFormat.duration(.milliseconds(300)) == "under a second")
        #expect(HumanFormat.duration(.seconds(86_400 + 3)) == "1 d")
    }

    @Test func durationsParse() {
        #expect(DurationParser.parse("1h30m") == .success(.seconds(5_400)))
        #expect(DurationParser.parse("500ms") == .success(.milliseconds(500)))
        #expect(DurationParser.parse("2d") == .success(.seconds(172_800)))
        if case .failure(let message) = DurationParser.parse("10") { #expect(message.contains("needs a unit")) } else {
            Issue.record("a bare number must be refused")
        }
        if case .failure(let message) = DurationParser.parse("5 fortnights") { #expect(message.contains("unknown unit")) } else {
            Issue.record("an unknown unit must be refused")
        }
        #expect(DurationParser.format(.seconds(5_400)) == "1h30m")
    }
}

@Suite struct TracebackTests {
    @Test func findsFinalExceptionAndInnermostFrame() {
        let text = """
            Traceback (most recent call last):
              File "/app/db.py", line 10, in connect
                sock.connect(addr)
            ConnectionRefusedError: [Errno 111] Connection refused

            During handling of the above exception, another exception occurred:

            Traceback (most recent call last):
              File "/app/tasks.py", line 42, in sync
                conn = connect()
              File "/app/db.py", line 12, in connect
                raise DatabaseUnavailable("db down") from None
            app.errors.DatabaseUnavailable: db down
            """
        let tb = Traceback(text: text)
        #expect(tb.exceptionType == "app.errors.DatabaseUnavailable")
        #expect(tb.exceptionMessage == "db down")
        #expect(tb.lastFrame == "db.py:12 in connect")
        #expect(tb.lineCount == 13)
    }

    @Test func exceptionWithoutMessage() {
        let tb = Traceback(text: "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nKeyboardInterrupt")
        #expect(tb.exceptionType == "KeyboardInterrupt")
        #expect(tb.exceptionMessage == nil)
    }

    @Test func anExceptionGroupReportsTheGroupAndWhereItWasRaised() {
        let tb = Traceback(text: """
              + Exception Group Traceback (most recent call last):
              |   File "/app/main.py", line 12, in <module>
              |     main()
              |   File "/app/main.py", line 9, in main
              |     raise ExceptionGroup("many", [ValueError(1), TypeError(2)])
              | ExceptionGroup: many (2 sub-exceptions)
              +-+---------------- 1 ----------------
                | Traceback (most recent call last):
                |   File "/app/fetch.py", line 5, in other
                |     raise ValueError(1)
                | ValueError: 1
                +---------------- 2 ----------------
                | TypeError: 2
                +------------------------------------
            """)
        #expect(tb.exceptionType == "ExceptionGroup")
        #expect(tb.exceptionMessage == "many (2 sub-exceptions)")
        #expect(tb.lastFrame == "main.py:9 in main")
    }

    /// billiard (Celery's pool) quotes the task's traceback inside its exception's message.
    @Test func aQuotedInnerTracebackIsFoldedAndReported() {
        let lines = [
            "Traceback (most recent call last):",
            "  File \"/venv/billiard/pool.py\", line 1265, in mark_as_worker_lost",
            "    raise WorkerLostError(",
            "billiard.einfo.ExceptionWithTraceback: ",
            "\"\"\"",
            "Traceback (most recent call last):",
            "  File \"/app/tasks.py\", line 30, in render",
            "    run_ffmpeg(job)",
            "MemoryError: out of frames",
            "\"\"\"",
        ]
        var classifier = TracebackLineClassifier()
        var verdicts: [TracebackLineClassifier.Verdict] = []
        for line in lines.dropFirst() + ["[2026-11-23 10:00:00,000: INFO/MainProcess] next record"] {
            var bytes = Array(line.utf8)
            verdicts.append(bytes.withUnsafeMutableBytes { classifier.classify(UnsafeRawBufferPointer($0)) })
        }
        #expect(verdicts.dropLast().allSatisfy { $0 == .absorbed }, "\(verdicts)")
        #expect(verdicts.last == .ended)
        let tb = Traceback(text: lines.joined(separator: "\n"))
        #expect(tb.exceptionType == "MemoryError" && tb.lastFrame == "tasks.py:30 in render")
    }

    /// One message holding it all (JSON `exc_info`): PostgreSQL's `DETAIL:` has the shape of an
    /// exception line, but the exception is the one right after the frames.
    @Test func aDetailLineUnderTheExceptionIsNotTheException() {
        let tb = Traceback(text: """
            Traceback (most recent call last):
              File "/app/tasks.py", line 9, in signup
                session.commit()
            psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "users_email_key"
            DETAIL:  Key (email)=(a@example.com) already exists.
            HINT:  Use another address.
            """)
        #expect(tb.exceptionType == "psycopg2.errors.UniqueViolation")
        #expect(tb.exceptionMessage == "duplicate key value violates unique constraint \"users_email_key\"")
        #expect(tb.lastFrame == "tasks.py:9 in signup")
    }

    @Test func collectorKeepsHeadAndTail() {
        var c = TracebackCollector()
        for i in 0..<1_000 { c.append("line \(i)") }
        let tb = c.build()
        #expect(c.isCut)
        #expect(tb.lineCount == 1_000)
        #expect(tb.text.hasPrefix("line 0\n"))
        #expect(tb.text.hasSuffix("line 999"))
        #expect(tb.text.contains("940 lines omitted"))
    }
}
