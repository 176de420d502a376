// The only Swift file that imports libcurl (DESIGN §2).
internal import CCurl
public import CrierCore

/// HTTP(S) and SMTP through one reused libcurl easy handle (keep-alive). TLS verification is
/// on; the proxy environment variables (`https_proxy`, `no_proxy`…) are honoured by libcurl.
/// Not thread-safe: one per notifier, on that notifier's transport thread.
public final class CurlTransport: Transport {
    private let handle: UnsafeMutableRawPointer?
    /// A CA bundle to trust instead of the system's (self-hosted endpoints, tests).
    public let caBundle: String?

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(caBundle: String? = nil) {
        _ = CurlTransport.globalInit
        handle = curl_easy_init()
        self.caBundle = caBundle
    }

    deinit { if let handle { curl_easy_cleanup(handle) } }

    public func send(_ request: DeliveryRequest) -> TransportResult {
        switch request {
        case .http(let http): .http(send(http))
        case .mail(let mail): .mail(send(mail: mail))
        case .console: .http(.failure(.network("a console line is not a network request")))
        }
    }

    /// Collects response bytes and header lines from libcurl's callbacks.
    final class Collector {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var upload: [UInt8] = []
        var uploadOffset = 0
    }

    public func send(_ request: HTTPRequest) -> Result<HTTPResponse, TransportFailure> {
        guard let h = handle else { return .failure(.network("libcurl could not start")) }
        curl_easy_reset(h)
        let collector = Collector()
        let box = Unmanaged.passUnretained(collector).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // libcurl would otherwise send "Expect: 100-continue" for larger bodies and wait.
        headerList = curl_slist_append(headerList, "Expect:")

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            crier_curl_setopt_string(h, CURLOPT_URL, request.url.exposedValue)
            crier_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
            crier_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errors.baseAddress)
            crier_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.microseconds / 1000))
            crier_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout.microseconds / 1000))
            crier_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1)
            crier_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2)
            if let caBundle { crier_curl_setopt_string(h, CURLOPT_CAINFO, caBundle) }
            crier_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList)
            crier_curl_setopt_string(h, CURLOPT_USERAGENT, "crier")
            switch request.method {
            case .get:
                crier_curl_setopt_long(h, CURLOPT_HTTPGET, 1)
            case .post, .patch:
                crier_curl_setopt_offt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                request.body.withUnsafeBufferPointer { body in
                    _ = crier_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafePointer(bitPattern: 1)!))
                }
                if request.method == .patch { crier_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, "PATCH") }
            }
            crier_curl_setopt_callback(h, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let c = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
                c.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }
            crier_curl_setopt_pointer(h, CURLOPT_WRITEDATA, box)
            crier_curl_setopt_callback(h, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                let c = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") {
                    c.headers = [:]  // a new response (after a 100 or a redirect): start over
                } else if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t\r\n")
                    c.headers[name] = value
                }
                return size * count
            }
            crier_curl_setopt_pointer(h, CURLOPT_HEADERDATA, box)
            return curl_easy_perform(h)
        }
        if code != CURLE_OK { return .failure(CurlTransport.failure(code, errorBuffer)) }
        var status = 0
        crier_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        var micros: curl_off_t = 0
        crier_curl_getinfo_offt(h, CURLINFO_TOTAL_TIME_T, &micros)
        return .success(HTTPResponse(status: status, headers: collector.headers, body: collector.body,
                                     duration: .microseconds(Int64(micros))))
    }

    public func send(mail: MailRequest) -> Result<Void, TransportFailure> {
        guard let h = handle else { return .failure(.network("libcurl could not start")) }
        curl_easy_reset(h)
        let collector = Collector()
        collector.upload = mail.message
        let box = Unmanaged.passUnretained(collector).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for r in mail.recipients { recipients = curl_slist_append(recipients, "<\(r)>") }
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            crier_curl_setopt_string(h, CURLOPT_URL, mail.server.exposedValue)
            crier_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
            crier_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errors.baseAddress)
            crier_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(mail.timeout.microseconds / 1000))
            crier_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, 5_000)
            if let caBundle { crier_curl_setopt_string(h, CURLOPT_CAINFO, caBundle) }
            if mail.startTLS { crier_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
            if let user = mail.username { crier_curl_setopt_string(h, CURLOPT_USERNAME, user) }
            if let password = mail.password { crier_curl_setopt_string(h, CURLOPT_PASSWORD, password.exposedValue) }
            crier_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(mail.from)>")
            crier_curl_setopt_slist(h, CURLOPT_MAIL_RCPT, recipients)
            crier_curl_setopt_long(h, CURLOPT_UPLOAD, 1)
            crier_curl_setopt_callback(h, CURLOPT_READFUNCTION) { buffer, size, count, user in
                let c = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
                let n = min(size * count, c.upload.count - c.uploadOffset)
                if n > 0 {
                    c.upload.withUnsafeBytes { src in
                        UnsafeMutableRawPointer(buffer!).copyMemory(from: src.baseAddress! + c.uploadOffset, byteCount: n)
                    }
                    c.uploadOffset += n
                }
                return n
            }
            crier_curl_setopt_pointer(h, CURLOPT_READDATA, box)
            return curl_easy_perform(h)
        }
        return code == CURLE_OK ? .success(()) : .failure(CurlTransport.failure(code, errorBuffer))
    }

    static func failure(_ code: CURLcode, _ buffer: [CChar]) -> TransportFailure {
        let detail = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout(text)
        case CURLE_COULDNT_CONNECT: return .connect(text)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .resolve(text)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE:
            return .tls(text)
        default: return .network(text)
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension CurlTransport {
    /// The libcurl loaded at run time and its TLS library (`7.88.1 (OpenSSL/3.0.17)`). Both
    /// fields exist since the struct's first age (CURLVERSION_NOW is a macro Swift cannot see).
    public static var libraryVersion: String {
        guard let info = curl_version_info(CURLVERSION_FIRST)?.pointee, let version = info.version else { return "unknown" }
        return String(cString: version) + (info.ssl_version.map { " (\(String(cString: $0)))" } ?? "")
    }
}
