import CrierCore
import Testing

@testable import CrierSources

/// Prefixes of docker compose, kubectl and container runtimes, around the program's line.
@Suite struct ContainerPrefixTests {
    @Test func composeV2AndV1NamesAroundAGunicornLine() {
        let v2 = parseLine("web-1  | [2024-01-09 13:24:39 +0000] [1637] [CRITICAL] WORKER TIMEOUT (pid:7214)")
        #expect(v2 == ParsedLine(timestamp: "2024-01-09T13:24:39.000Z", host: "web-1", message: "WORKER TIMEOUT (pid:7214)",
                                 fields: ["container": "web-1", "level": "CRITICAL", "pid": "1637"]))
        let v1 = parseLine("webserver_1  | [2020-12-31 08:35:33 +0100] [177] [ERROR] Connection in use: ('localhost', 8000)")
        #expect(v1.host == "webserver_1" && v1.message == "Connection in use: ('localhost', 8000)")
        #expect(v1.timestamp == "2020-12-31T07:35:33.000Z")
        let swarm = parseLine("nginx.1    | 2018/10/19 16:05:32 [alert] 42#42: *2602 socket() failed (24: Too many open files) while connecting to upstream")
        #expect(swarm.fields["container"] == "nginx.1" && swarm.timestamp == "2018-10-19T16:05:32.000Z")
        #expect(swarm.message == "2018/10/19 16:05:32 [alert] 42#42: *2602 socket() failed (24: Too many open files) while connecting to upstream")
    }

    @Test func composeColourCodesMissingSpaceAndTimestamps() {
        let colour = parseLine("\u{1B}[36mcelery-1    |\u{1B}[0m Process 'ForkPoolWorker-4' pid:29 exited with 'signal 9 (SIGKILL)'")
        #expect(colour == ParsedLine(host: "celery-1", message: "Process 'ForkPoolWorker-4' pid:29 exited with 'signal 9 (SIGKILL)'",
                                     fields: ["container": "celery-1"]))
        #expect(parseLine("paperless-ngx-webserver-1   |billiard.einfo.ExceptionWithTraceback:").message
                == "billiard.einfo.ExceptionWithTraceback:")
        let stamped = parseLine("api-1  | 2024-03-25T14:50:11.685123456Z INFO:     Started server process [6593]")
        #expect(stamped == ParsedLine(timestamp: "2024-03-25T14:50:11.685Z", host: "api-1", message: "Started server process [6593]",
                                      fields: ["container": "api-1", "level": "INFO"]))
        // A syslog line inside keeps its own host.
        #expect(parseLine("rsyslog-1  | Nov 23 10:00:00 worker-3 celery[812]: hello").host == "worker-3")
    }

    @Test func loggerColumnsAndTablesAreNoServiceNames() {
        for line in ["INFO     | app.main:run:12 - started", "ERROR | boom", "2024-01-01 10:00:00.000 | INFO | x:y:1 - z",
                     "a || b"] {
            let p = parseLine(line)
            #expect(p.fields["container"] == nil, "\(line)")
        }
    }

    @Test func kubectlPrefix() {
        let p = parseLine(#"[pod/echo-req-7cfd7bf68f-nk5kr/hello] 172.17.0.1 - - [22/Nov/2020:17:19:05 +0000] "GET /test HTTP/1.1" 500 7269 "-" "curl/8.0" "-""#)
        #expect(p.host == "echo-req-7cfd7bf68f-nk5kr")
        #expect(p.fields == ["pod": "echo-req-7cfd7bf68f-nk5kr", "container": "hello"])
        #expect(p.message.hasPrefix("172.17.0.1 - - [22/Nov/2020:17:19:05 +0000] \"GET /test"))
        #expect(p.timestamp == "2020-11-22T17:19:05.000Z")
        // A Celery line's bracket holds one slash and is no pod.
        #expect(parseLine("[2026-11-23 10:15:00,204: ERROR/ForkPoolWorker-2] Task x[1] raised unexpected: E()").fields["pod"] == nil)
    }

    @Test func dockerLogsTimestampsAndCRILines() {
        let docker = parseLine("2014-09-16T06:17:46.000000000Z [2024-01-01 10:00:00 +0000] [1] [INFO] Booting worker with pid: 7")
        #expect(docker == ParsedLine(timestamp: "2024-01-01T10:00:00.000Z", message: "Booting worker with pid: 7",
                                     fields: ["level": "INFO", "pid": "1"]))
        #expect(parseLine("2014-09-16T06:17:46.000000000Z Traceback (most recent call last):")
                == ParsedLine(timestamp: "2014-09-16T06:17:46.000Z", message: "Traceback (most recent call last):"))
        let crio = parseLine("2020-01-26T03:17:29.346494690+00:00 stderr F 2020/01/26 03:17:29 provider.go:117: Defaulting client-id")
        #expect(crio.fields == ["stream": "stderr"] && crio.timestamp == "2020-01-26T03:17:29.000Z")
        #expect(parseLine("2018-10-31T19:24:43.718512241Z stderr F ").message == "")
        #expect(parseLine("2022-06-09T18:10:18.591779133Z stdout F") == ParsedLine(timestamp: "2022-06-09T18:10:18.591Z", message: "",
                                                                                  fields: ["stream": "stdout"]))
        // rsyslog's six-digit stamps stay syslog lines.
        #expect(parseLine("2026-11-23T10:15:00.123456+01:00 render-01 celery[2211]: x").ident == "celery")
    }
}

/// Long lines cut by container runtimes, joined by the reader.
@Suite struct PartialLineTests {
    @Test func criPartialLinesAreJoinedPerStream() throws {
        let log = """
            2017-11-17T07:08:25.666705234Z stdout P [2017-11-17 07:08:25 +0000] [9] [ERROR] Error handling
            2017-11-17T07:08:25.666800000Z stderr F unrelated stderr line
            2017-11-17T07:08:25.666900000Z stdout P  request /api/
            2017-11-17T07:08:25.667000000Z stdout F export
            2017-11-17T07:08:26.000000000Z stdout F next
            """
        let records = try readRecords(log)
        #expect(records.map(\.message) == ["unrelated stderr line", "Error handling request /api/export", "next"])
        #expect(records[1].timestamp == "2017-11-17T07:08:25.000Z" && records[1].fields["level"] == "ERROR")
    }

    @Test func aPartialLineNeverCompletedStillComesOut() throws {
        let records = try readRecords("2020-12-07T15:32:38.994574754Z stdout P Hello from init container!\n")
        #expect(records == [ParsedLine(timestamp: "2020-12-07T15:32:38.994Z", message: "Hello from init container!",
                                       fields: ["stream": "stdout"])])
    }

    @Test func dockerJSONFileLinesAreParsedAndJoined() throws {
        let log = """
            {"log":"[2024-11-05 09:26:00 +0000] [16] [ERROR] Worker (pid:17) was sent SIGKILL! Perhaps out of memory?\\n","stream":"stderr","time":"2024-11-05T09:26:00.36791762Z"}
            {"log":"{\\"@timestamp\\":\\"2021-10-18T17:35:54.263Z\\", part one ","stream":"stdout","time":"2021-10-20T02:35:38.970719033Z"}
            {"log":"and part two\\n","stream":"stdout","time":"2021-10-20T02:35:38.970719033Z"}
            {"log":"cut off at exit","stream":"stderr","time":"2021-10-20T02:35:39.000000000Z"}
            """
        let records = try readRecords(log)
        #expect(records.count == 3)
        #expect(records[0].message == "Worker (pid:17) was sent SIGKILL! Perhaps out of memory?")
        #expect(records[0].fields["level"] == "ERROR" && records[0].fields["stream"] == "stderr")
        #expect(records[0].timestamp == "2024-11-05T09:26:00.000Z")
        #expect(records[1].message == #"{"@timestamp":"2021-10-18T17:35:54.263Z", part one and part two"#)
        #expect(records[1].timestamp == "2021-10-20T02:35:38.970Z")
        #expect(records[2].message == "cut off at exit" && records[2].fields["stream"] == "stderr")
    }
}
