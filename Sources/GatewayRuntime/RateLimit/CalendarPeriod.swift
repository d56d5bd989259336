import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
/// UTC calendar days and months as integers, computed without Foundation on the hot path.
enum CalendarPeriod {
    /// Days since 1970-01-01 (UTC).
    static func day(unixSeconds: Int64) -> Int64 { unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400 }

    /// Months since 1970-01 (UTC): year * 12 + month - 1 - 1970 * 12.
    static func month(day: Int64) -> Int64 {
        let (year, month, _) = civil(fromDays: day)
        return (year - 1970) * 12 + (month - 1)
    }

    /// Seconds from `unixSeconds` to the start of the next UTC day.
    static func secondsToNextDay(unixSeconds: Int64) -> Int64 { (day(unixSeconds: unixSeconds) + 1) * 86_400 - unixSeconds }

    /// Seconds from `unixSeconds` to the start of the next UTC month.
    static func secondsToNextMonth(unixSeconds: Int64) -> Int64 {
        let (year, month, _) = civil(fromDays: day(unixSeconds: unixSeconds))
        let nextYear = month == 12 ? year + 1 : year
        let nextMonth = month == 12 ? 1 : month + 1
        return days(fromCivil: nextYear, nextMonth, 1) * 86_400 - unixSeconds
    }

    /// First day of a month number, as days since the epoch.
    static func firstDay(ofMonth month: Int64) -> Int64 {
        days(fromCivil: 1970 + month / 12, month % 12 + 1, 1)
    }

    /// Howard Hinnant's civil_from_days.
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Howard Hinnant's days_from_civil.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
