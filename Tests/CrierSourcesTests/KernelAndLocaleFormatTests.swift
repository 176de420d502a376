import CrierCore
import Testing

@testable import CrierSources

/// The kernel ring buffer as dmesg and syslog write it, and journalctl's short output
/// under other locales (samples from formats research: util-linux 2.38, glibc 2.36).
@Suite struct KernelRingBufferTests {
    @Test func dmesgUptimeLinesAreKernelMessagesWhateverTheStampWidth() {
        for stamp in ["[    0.000000]", "[  518.050606]", "[12383.047455]", "[237163.158966]", "[  +0.000123]"] {
            let p = parseLine("\(stamp) Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB")
            #expect(p == ParsedLine(ident: "kernel", message: "Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB"),
                    "\(stamp)")
        }
        // dmesg -r keeps the printk level.
        #expect(parseLine("<4>[    0.000000] [Firmware Bug]: TSC doesn't count with P0 frequency!")
                == ParsedLine(ident: "kernel", message: "[Firmware Bug]: TSC doesn't count with P0 frequency!"))
    }

    @Test func aSegfaultNamesTheProgramAndItsPid() {
        let dmesg = parseLine("[  600.436815] bpftrace[2166]: segfault at 50 ip 00007f88766c71e0 sp 00007ffe8c583868 error 4 in libbpf.so.1.4.7[131e0,7f88766c0000+3e000] likely on CPU 0 (core 0, socket 0)")
        #expect(dmesg.ident == "bpftrace" && dmesg.pid == "2166")
        #expect(dmesg.message.hasPrefix("bpftrace[2166]: segfault at 50 ip "))
        let syslog = parseLine("Sep 28 17:46:17 elsinki kernel: btrfstune[796483]: segfault at ffffffffff000f2f ip 0000564b6c2107aa sp 00007ffdc8ad25c8 error 5 in btrfstune[564b6c1d1000+5b000] likely on CPU 3 (core 2, socket 0)")
        #expect(syslog.host == "elsinki" && syslog.ident == "btrfstune" && syslog.pid == "796483")
        let spaced = parseLine("Nov 23 10:00:00 desk kernel: [ 7340.337579] Web Content[4242]: segfault at 0 ip 00007f4161aeac9d sp 00007f41615a6a00 error 6")
        #expect(spaced.ident == "Web Content" && spaced.pid == "4242")
        #expect(spaced.message == "Web Content[4242]: segfault at 0 ip 00007f4161aeac9d sp 00007f41615a6a00 error 6")
        // The kernel's split continuation stays a kernel line.
        #expect(parseLine("[ 7340.338179]  in libc.so.6[61c9d,7f4161aaf000+160000]").ident == "kernel")
    }

    @Test func syslogKernelLinesLoseTheUptimeStamp() {
        let p = parseLine("May 15 23:09:30 ubuntu-s-1vcpu-2gb-ams3-01 kernel: [  518.053407] oom_reaper: reaped process 15784 (python3), now anon-rss:0kB")
        #expect(p == ParsedLine(timestamp: "2026-05-15T23:09:30.000Z", host: "ubuntu-s-1vcpu-2gb-ams3-01", ident: "kernel",
                                message: "oom_reaper: reaped process 15784 (python3), now anon-rss:0kB"))
    }

    @Test func dmesgHumanTimesInAnyLocale() {
        let cases = [
            "[Thu Dec  3 19:08:15 2026] [Firmware Bug]: TSC doesn't count with P0 frequency!",
            "[jeu. déc.  3 19:08:15 2026] [Firmware Bug]: TSC doesn't count with P0 frequency!",
            "[Do Dez  3 19:08:15 2026] [Firmware Bug]: TSC doesn't count with P0 frequency!",
        ]
        for line in cases {
            #expect(parseLine(line) == ParsedLine(timestamp: "2026-12-03T19:08:15.000Z", ident: "kernel",
                                                 message: "[Firmware Bug]: TSC doesn't count with P0 frequency!"), "\(line)")
        }
        let segfault = parseLine("[Sat Mar 20 17:12:52 2021] a.out[40342]: segfault at 0 ip 00000000004005b1 sp 00007ffc5b1be400 error 4 in a.out[400000+1000]")
        #expect(segfault.timestamp == "2021-03-20T17:12:52.000Z" && segfault.ident == "a.out" && segfault.pid == "40342")
    }

    @Test func shortMonotonicAndProgramsWritingToKmsg() {
        #expect(parseLine("[  518.050606] web01 kernel: Out of memory: Killed process 15784 (python3)")
                == ParsedLine(host: "web01", ident: "kernel", message: "Out of memory: Killed process 15784 (python3)"))
        #expect(parseLine("[12383.047455] systemd[1]: systemd-journald.service: Scheduled restart job, restart counter is at 3.")
                == ParsedLine(ident: "systemd", pid: "1", message: "systemd-journald.service: Scheduled restart job, restart counter is at 3."))
        // `usb 1-1:` is a device, not a host and a program.
        #expect(parseLine("[    3.100000] usb 1-1: new high-speed USB device number 2 using xhci_hcd")
                == ParsedLine(ident: "kernel", message: "usb 1-1: new high-speed USB device number 2 using xhci_hcd"))
    }

    @Test func fail2bansKernelStampAfterTheIdentIsDropped() {
        let lines = [
            "srv sshd[20878]: kernel:[  970.699396]: Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
            "srv sshd[20879]: kernel: [  970.699397] Failed password for user admin from 192.0.2.10 port 42745 ssh2",
            "srv sshd[20880]: kernel:[12970.699398] Failed password for user admin from 2001:db8::1 port 42746 ssh2",
        ]
        let parsed = parseLines(lines)
        #expect(parsed.map(\.message) == [
            "Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
            "Failed password for user admin from 192.0.2.10 port 42745 ssh2",
            "Failed password for user admin from 2001:db8::1 port 42746 ssh2",
        ])
        #expect(parsed.allSatisfy { $0.host == "srv" && $0.ident == "sshd" })
    }
}

@Suite struct LocalizedJournalTests {
    /// glibc 2.36 `abmon` of each locale, January to December.
    static let locales: [(String, [String])] = [
        ("fr_FR", ["janv.", "févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]),
        ("de_DE", ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"]),
        ("es_ES", ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]),
        ("it_IT", ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"]),
        ("pt_PT", ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"]),
        ("nl_NL", ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]),
        ("pl_PL", ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"]),
        ("sv_SE", ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]),
        ("ru_RU", ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]),
        ("ru_RU before glibc 2.27", ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]),
        ("uk_UA", ["січ", "лют", "бер", "кві", "тра", "чер", "лип", "сер", "вер", "жов", "лис", "гру"]),
        ("cs_CZ", ["led", "úno", "bře", "dub", "kvě", "čen", "čec", "srp", "zář", "říj", "lis", "pro"]),
    ]

    @Test func everyMonthOfEveryLocale() {
        for (locale, months) in Self.locales {
            for (index, month) in months.enumerated() {
                // A fresh parser per line: year inference must not see the months in order.
                let p = parseLine("\(month) 07 10:11:12 web01 myapp[4242]: month \(index + 1) test line")
                let expectedMonth = index < 9 ? "0\(index + 1)" : "\(index + 1)"
                #expect(p.timestamp?.dropFirst(5).hasPrefix("\(expectedMonth)-07T10:11:12") == true, "\(locale) \(month): \(p)")
                #expect(p.host == "web01" && p.ident == "myapp" && p.pid == "4242" && p.message == "month \(index + 1) test line",
                        "\(locale) \(month)")
            }
        }
    }

    @Test func realLocalizedJournalLines() {
        #expect(parseLine("déc. 11 08:29:21 lingerie systemd[1]: ebusd.service: Start request repeated too quickly.")
                == ParsedLine(timestamp: "2025-12-11T08:29:21.000Z", host: "lingerie", ident: "systemd", pid: "1",
                              message: "ebusd.service: Start request repeated too quickly."))
        #expect(parseLine("mar 07 13:28:11 ubuntu-miniflux systemd[1]: miniflux.service: Main process exited, code=exited, status=1/FAILURE").ident
                == "systemd")
        // The reporter removed the host.
        #expect(parseLine("avril 16 21:08:50 systemd-oomd[93234]: Considered 97 cgroups for killing, top candidates were:")
                == ParsedLine(timestamp: "2026-04-16T21:08:50.000Z", ident: "systemd-oomd", pid: "93234",
                              message: "Considered 97 cgroups for killing, top candidates were:"))
        // short-precise, capitalised Cyrillic.
        #expect(parseLine("déc. 07 10:11:12.123456 web01 myapp[4242]: x").timestamp == "2025-12-07T10:11:12.000Z")
        #expect(parseLine("Янв 07 10:11:12 web01 myapp[4242]: x").timestamp == "2026-01-07T10:11:12.000Z")
    }

    @Test func wordsThatAreNoMonthStayBareLines() {
        for line in ["Error 12 10:00:00 something broke", "Note 12 10:00:00 web01 app[1]: x", "maio 07 10:11:12 web01 app[1]: x"] {
            let p = parseLine(line)
            #expect(p.timestamp == nil && p.ident == nil && p.message == line, "\(line)")
        }
    }
}
