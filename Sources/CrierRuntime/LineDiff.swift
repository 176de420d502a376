/// A unified diff of two line lists, for `crier test` failures. Goldens are small, so the
/// plain O(n·m) longest-common-subsequence table is fine.
public enum LineDiff {
    public static func unified(expected: [String], actual: [String], context: Int = 2) -> [String] {
        let n = expected.count, m = actual.count
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        enum Op { case same(String), removed(String), added(String) }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && expected[i] == actual[j] {
                ops.append(.same(expected[i])); i += 1; j += 1
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                ops.append(.added(actual[j])); j += 1
            } else {
                ops.append(.removed(expected[i])); i += 1
            }
        }
        // Keep changed lines and `context` unchanged lines around them.
        var keep = Array(repeating: false, count: ops.count)
        for (k, op) in ops.enumerated() {
            if case .same = op { continue }
            for c in max(0, k - context)...min(ops.count - 1, k + context) { keep[c] = true }
        }
        var out: [String] = []
        var skipped = false
        for (k, op) in ops.enumerated() {
            guard keep[k] else { skipped = true; continue }
            if skipped { out.append("  …"); skipped = false }
            switch op {
            case .same(let s): out.append("  \(s)")
            case .removed(let s): out.append("- \(s)")
            case .added(let s): out.append("+ \(s)")
            }
        }
        return out
    }
}
