import CrierCore
import Testing

@testable import CrierSources

/// Prefixes programs write themselves: Apache's error log, gunicorn, Python logging, logfmt.
@Suite struct ApacheErrorLogTests {
    @Test func modWsgiEmbeddedAndDaemonMode() {
        let embedded = parseLine("[Fri Aug 04 05:52:07.140596 2023] [wsgi:error] [pid 31401:tid 140424949622528] [client 71.233.224.210:49493] Traceback (most recent call last):")
        #expect(embedded == ParsedLine(timestamp: "2023-08-04T05:52:07.140Z", ident: "httpd", pid: "31401",
                                       message: "Traceback (most recent call last):",
                                       fields: ["level": "error", "module": "wsgi", "tid": "140424949622528",
                                                "client": "71.233.224.210:49493"]))
        let daemon = parseLine("[Thu May 21 16:17:44.258975 2020] [wsgi:error] [pid 17700] [remote 157.37.166.244:47564]   File \"/home/ubuntu/ITB_Project/env/lib/python3.6/site-packages/django/core/handlers/exception.py\", line 34, in inner")
        #expect(daemon.pid == "17700" && daemon.ident == "httpd" && daemon.fields["client"] == "157.37.166.244:47564")
        #expect(daemon.message.hasPrefix("  File \"/home/ubuntu/"))
    }

    @Test func everyLineOfOneTracebackIsOneStream() {
        let lines = [
            "[Thu May 21 16:17:44.258930 2020] [wsgi:error] [pid 17700] [remote 157.37.166.244:47564] Traceback (most recent call last):",
            "[Thu May 21 16:17:44.258975 2020] [wsgi:error] [pid 17700] [remote 157.37.166.244:47564]   File \"/srv/app/views.py\", line 34, in inner",
            "[Thu May 21 16:17:44.258981 2020] [wsgi:error] [pid 17700] [remote 157.37.166.244:47564]     response = get_response(request)",
            "[Thu May 21 16:17:44.259001 2020] [wsgi:error] [pid 17700] [remote 157.37.166.244:47564] ZeroDivisionError: division by zero",
        ]
        let parsed = parseLines(lines)
        #expect(Set(parsed.map { "\($0.host ?? "")|\($0.ident ?? "")|\($0.pid ?? "")" }) == ["|httpd|17700"])
        #expect(parsed.map(\.message) == ["Traceback (most recent call last):", "  File \"/srv/app/views.py\", line 34, in inner",
                                          "    response = get_response(request)", "ZeroDivisionError: division by zero"])
    }

    @Test func apache22OldModWsgiDebugRefererAndWindows() {
        #expect(parseLine("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties")
                == ParsedLine(timestamp: "2005-12-04T04:47:44.000Z", ident: "httpd", message: "workerEnv.init() ok /etc/httpd/conf/workers2.properties",
                              fields: ["level": "notice"]))
        let v22 = parseLine("[Tue Mar 17 15:37:06 2009] [error] [client 192.168.0.103] (13)Permission denied: access to /kontrollbase/includes/pages/overview.php denied, referer: http://192.168.0.23/kontrollbase/")
        #expect(v22.message == "(13)Permission denied: access to /kontrollbase/includes/pages/overview.php denied")
        #expect(v22.fields == ["level": "error", "client": "192.168.0.103", "referer": "http://192.168.0.23/kontrollbase/"])
        let empty = parseLine("[Tue Sep 08 22:22:03.015398 2015] [:error] [pid 1952] [remote 10.0.0.1:4242]   File \"/var/www/html/portal.wsgi\", line 64")
        #expect(empty.pid == "1952" && empty.fields["module"] == nil && empty.message == "  File \"/var/www/html/portal.wsgi\", line 64")
        let debug = parseLine("[Tue Oct 02 10:07:23.384814 2018] [authz_core:debug] [pid 17883:tid 139647237748480] mod_authz_core.c(809): [client 127.0.0.1:56772] AH01626: authorization result of Require all granted: granted")
        #expect(debug.message == "AH01626: authorization result of Require all granted: granted" && debug.fields["client"] == "127.0.0.1:56772")
        let windows = parseLine(#"[Tue Apr 30 11:28:09.134970 2024] [wsgi:error] [pid 11692:tid 1184] [client 127.0.0.1:49610] Traceback (most recent call last):\r"#)
        #expect(windows.message == "Traceback (most recent call last):")
        // Through syslog (ErrorLog syslog:): no date, the syslog frame's pid stays.
        let syslog = parseLine("Nov 23 10:00:00 web apache2[2305]: [proxy:error] [pid 2305:tid 140101] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed")
        #expect(syslog.ident == "apache2" && syslog.pid == "2305" && syslog.message.hasPrefix("(111)Connection refused: AH00957"))
        // Other programs' `[error]` words are left alone without a date or a `[pid`.
        #expect(parseLine("Nov 23 10:00:00 web app[1]: [error] something").message == "[error] something")
    }
}

@Suite struct PythonLoggingPrefixTests {
    @Test func gunicornNewAndOldFormats() {
        #expect(parseLine("[2024-11-05 09:26:00 +0000] [16] [ERROR] Worker (pid:17) was sent SIGKILL! Perhaps out of memory?")
                == ParsedLine(timestamp: "2024-11-05T09:26:00.000Z", message: "Worker (pid:17) was sent SIGKILL! Perhaps out of memory?",
                              fields: ["level": "ERROR", "pid": "16"]))
        #expect(parseLine("2010-07-28 23:01:19 [5869] [CRITICAL] WORKER TIMEOUT (pid:5870)")
                == ParsedLine(timestamp: "2010-07-28T23:01:19.000Z", message: "WORKER TIMEOUT (pid:5870)",
                              fields: ["level": "CRITICAL", "pid": "5869"]))
        // Through journald: the syslog frame keeps its time and pid.
        let journal = parseLine("Jul 05 09:13:44 webapps wsgi.sh[3129704]: [2024-07-05 09:13:44 +0200] [3129704] [CRITICAL] WORKER TIMEOUT (pid:3129714)")
        #expect(journal == ParsedLine(timestamp: "2026-07-05T09:13:44.000Z", host: "webapps", ident: "wsgi.sh", pid: "3129704",
                                      message: "WORKER TIMEOUT (pid:3129714)", fields: ["level": "CRITICAL", "pid": "3129704"]))
    }

    @Test func accessLinesBehindALoggerPrefix() {
        let access = #"10.0.0.5 - - [01/Jan/2024:10:00:00 +0000] "GET /health HTTP/1.1" 500 141 "-" "curl/8.5.0""#
        for (line, level) in [("INFO gunicorn.access: \(access)", "INFO"), ("[ERROR] gunicorn.access: \(access)", "ERROR"),
                              ("INFO:gunicorn.access:\(access)", "INFO")] {
            #expect(parseLine(line) == ParsedLine(timestamp: "2024-01-01T10:00:00.000Z", message: access,
                                                  fields: ["level": level, "logger": "gunicorn.access"]), "\(line)")
        }
        #expect(parseLine(#"INFO:     127.0.0.1:54321 - "GET /api HTTP/1.1" 500 Internal Server Error"#)
                == ParsedLine(message: #"127.0.0.1:54321 - "GET /api HTTP/1.1" 500 Internal Server Error"#, fields: ["level": "INFO"]))
        #expect(parseLine("ERROR:    Exception in ASGI application").message == "Exception in ASGI application")
        #expect(parseLine("CRITICAL: boom").fields["level"] == "CRITICAL")
        #expect(parseLine("\u{1B}[32mINFO\u{1B}[0m:     Started server process [\u{1B}[36m1200\u{1B}[0m]").message
                == "Started server process [1200]")
        #expect(parseLine("ERROR gunicorn.error: Worker (pid:1234) was sent SIGKILL! Perhaps out of memory?").fields["logger"]
                == "gunicorn.error")
        #expect(parseLine("[INFO] Starting gunicorn 23.0.0") == ParsedLine(message: "Starting gunicorn 23.0.0", fields: ["level": "INFO"]))
    }

    @Test func otherColonsAreNoLoggerPrefix() {
        for line in [#"ERROR:  could not extend file "base/16511/16540": No space left on device"#, "WARNING: Retrying (Retry(total=4))",
                     "ERROR Failed: to do it", "INFO celery.app.trace 2407 Task x[1] succeeded"] {
            let p = parseLine(line)
            #expect(p.message == line && p.fields.isEmpty, "\(line)")
        }
    }
}

@Suite struct LogfmtTests {
    @Test func logrusSlogAndPythonShapes() {
        let logrus = parseLine(#"time="2022-12-11T19:55:28-08:00" level=fatal msg="listen tcp :60022: bind: address already in use" caller="gost/config.go:123""#)
        #expect(logrus == ParsedLine(timestamp: "2022-12-12T03:55:28.000Z", message: "listen tcp :60022: bind: address already in use",
                                     fields: ["time": "2022-12-11T19:55:28-08:00", "level": "fatal",
                                              "msg": "listen tcp :60022: bind: address already in use", "caller": "gost/config.go:123"]))
        let slog = parseLine(#"time=2023-05-06T13:24:00.476+02:00 level=INFO msg="added `count` x `item` to shopping cart by `user`" count=7 item=Hat user="John Doe""#)
        #expect(slog.message == "added `count` x `item` to shopping cart by `user`" && slog.fields["user"] == "John Doe")
        #expect(parseLine("level=INFO msg=hello count=3").message == "hello")
        let python = parseLine(#"at=WARNING msg="user created" first_name=John last_name=Doe age=25"#)
        #expect(python.message == "user created" && python.fields["level"] == "WARNING")
        #expect(parseLine(#"ts=2022-10-14T17:41:15+0200 lvl=INFO message="Hello World" foo=bar"#).message == "Hello World")
    }

    @Test func escapesAndUnquotedValuesWithSpaces() {
        let escaped = parseLine(#"time="2026-11-23T10:00:00Z" level=error msg="Task failed: ValueError(\"bad \\\"x\\\"\")\nnext" k=v"#)
        #expect(escaped.message == "Task failed: ValueError(\"bad \\\"x\\\"\")\nnext")
        let logrus = parseLine(#"time="2015-03-26T01:27:38-04:00" level=fatal msg="The ice breaks!" err=&{0x2082280c0 map[animal:orca size:9009] 2015-03-26 01:27:38.441574009 -0400 EDT panic It's over 9000!} number=100 omg=true"#)
        #expect(logrus.message == "The ice breaks!")
        #expect(logrus.fields["err"] == "&{0x2082280c0 map[animal:orca size:9009] 2015-03-26 01:27:38.441574009 -0400 EDT panic It's over 9000!}")
        #expect(logrus.fields["number"] == "100")
    }

    @Test func keyValueLinesWithoutLevelOrTimeKeepTheirText() {
        for line in ["type=USER_AUTH msg=audit(1795428000.123:456): pid=1 uid=0 msg='op=PAM:authentication res=failed'",
                     "job=montage-42 status=completed output=s3://renders/42.mp4", #"level=error msg="unterminated"#] {
            let p = parseLine(line)
            #expect(p.message == line && p.fields.isEmpty, "\(line)")
        }
    }
}
