import Foundation

/// Splits a SQL script into statements. PostgresNIO speaks only the extended query protocol,
/// which runs one statement per query, so migration files are split on top-level semicolons,
/// respecting quotes, dollar-quoted bodies and comments.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        while index < chars.count {
            let c = chars[index]
            let next: Unicode.Scalar? = index + 1 < chars.count ? chars[index + 1] : nil
            if c == "-" && next == "-" {
                while index < chars.count && chars[index] != "\n" { current.append(chars[index]); index += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 0
                repeat {
                    if chars[index] == "/" && index + 1 < chars.count && chars[index + 1] == "*" {
                        depth += 1; current.append(chars[index]); index += 1
                    } else if chars[index] == "*" && index + 1 < chars.count && chars[index + 1] == "/" {
                        depth -= 1; current.append(chars[index]); index += 1
                    }
                    current.append(chars[index]); index += 1
                } while depth > 0 && index < chars.count
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c); index += 1
                while index < chars.count {
                    current.append(chars[index])
                    if chars[index] == c {
                        if index + 1 < chars.count && chars[index + 1] == c { index += 1; current.append(chars[index]) } else { index += 1; break }
                    }
                    index += 1
                }
                continue
            }
            if c == "$", let tag = dollarTag(chars, at: index) {
                current.append(contentsOf: tag); index += tag.count
                while index < chars.count {
                    if chars[index] == "$", dollarTag(chars, at: index) == tag {
                        current.append(contentsOf: tag); index += tag.count
                        break
                    }
                    current.append(chars[index]); index += 1
                }
                continue
            }
            if c == ";" {
                flush(); index += 1
                continue
            }
            current.append(c); index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, if there is one.
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < chars.count, chars[end] == "_" || chars[end].properties.isAlphabetic || (chars[end] >= "0" && chars[end] <= "9") {
            end += 1
        }
        guard end < chars.count, chars[end] == "$" else { return nil }
        if end > index + 1, chars[index + 1] >= "0" && chars[index + 1] <= "9" { return nil }  // $1 is a parameter
        return Array(chars[index...end])
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}
