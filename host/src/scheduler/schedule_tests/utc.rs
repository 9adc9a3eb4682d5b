//! Next fire times in UTC: fields, steps, lists, names, seconds, leap days, and
//! dates that never come.

use super::*;

#[test]
fn utc_basics_steps_lists_and_names() {
    check(&[
        // Strictly after: the minute `after` sits on does not fire again.
        (
            "* * * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"],
        ),
        // Sub-second `after` still goes to the next whole minute.
        (
            "* * * * *",
            "UTC",
            "2026-01-01T00:00:59.999Z",
            &["2026-01-01T00:01:00Z"],
        ),
        (
            "0 0 * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"],
        ),
        // Fri 09:00 exactly -> Mon 09:00 (weekend skipped), then Tue.
        (
            "0 9 * * 1-5",
            "UTC",
            "2026-01-02T09:00:00Z",
            &["2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"],
        ),
        (
            "0 9 * * 1-5",
            "UTC",
            "2026-01-02T08:59:59Z",
            &["2026-01-02T09:00:00Z"],
        ),
        // Thu Jan 1 -> Sundays Jan 4 and 11, whether Sunday is 0, 7 or SUN.
        (
            "0 0 * * 0",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"],
        ),
        (
            "0 0 * * 7",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"],
        ),
        (
            "0 0 * * sun",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"],
        ),
        // FRI-SUN is Fri, Sat, Sun (SUN as a range end means 7); same as 5-7.
        (
            "0 0 * * FRI-SUN",
            "UTC",
            "2026-01-01T00:00:00Z",
            &[
                "2026-01-02T00:00:00Z",
                "2026-01-03T00:00:00Z",
                "2026-01-04T00:00:00Z",
                "2026-01-09T00:00:00Z",
            ],
        ),
        (
            "0 0 * * 5-7",
            "UTC",
            "2026-01-01T00:00:00Z",
            &[
                "2026-01-02T00:00:00Z",
                "2026-01-03T00:00:00Z",
                "2026-01-04T00:00:00Z",
                "2026-01-09T00:00:00Z",
            ],
        ),
        // Vixie OR: both day fields restricted, so the 13th (Tue Jan 13) and
        // every Friday (Jan 2, 9, 16) fire.
        (
            "0 0 13 * 5",
            "UTC",
            "2026-01-01T00:00:00Z",
            &[
                "2026-01-02T00:00:00Z",
                "2026-01-09T00:00:00Z",
                "2026-01-13T00:00:00Z",
                "2026-01-16T00:00:00Z",
            ],
        ),
        // Friday the 13th (Feb 2026) fires once, then the next Friday.
        (
            "0 0 13 * 5",
            "UTC",
            "2026-02-12T00:00:00Z",
            &["2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"],
        ),
        // Feb 30 never exists but the OR lets the Mondays of February fire:
        // Feb 1 2026 is a Sunday, so Feb 2 and Feb 9.
        (
            "0 0 30 2 1",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"],
        ),
        // 1-31 is restricted (does not start with *): OR with Monday = every day.
        (
            "0 0 1-31 * 1",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"],
        ),
        // */1 starts with * so it counts as starred: AND -> Mondays only.
        (
            "0 0 */1 * 1",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"],
        ),
        // */10 = 1,11,21,31, starred -> AND with Monday. Jan-Apr 2026 have no
        // Monday on those days; May 11 2026 is a Monday.
        (
            "0 0 */10 * 1",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-05-11T00:00:00Z"],
        ),
        // ? is * in a day field: Mondays.
        (
            "0 0 ? * 1",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"],
        ),
        (
            "*/15 * * * *",
            "UTC",
            "2026-01-01T10:07:00Z",
            &[
                "2026-01-01T10:15:00Z",
                "2026-01-01T10:30:00Z",
                "2026-01-01T10:45:00Z",
                "2026-01-01T11:00:00Z",
            ],
        ),
        // 8-18/4 = 8, 12, 16 (20 is past 18).
        (
            "0 8-18/4 * * *",
            "UTC",
            "2026-01-01T12:00:00Z",
            &["2026-01-01T16:00:00Z", "2026-01-02T08:00:00Z"],
        ),
        // 7/20 = 7-59/20 = 7, 27, 47.
        (
            "7/20 * * * *",
            "UTC",
            "2026-01-01T10:30:00Z",
            &["2026-01-01T10:47:00Z", "2026-01-01T11:07:00Z"],
        ),
        (
            "0,30 1,13 * * *",
            "UTC",
            "2026-01-01T01:30:00Z",
            &[
                "2026-01-01T13:00:00Z",
                "2026-01-01T13:30:00Z",
                "2026-01-02T01:00:00Z",
            ],
        ),
        // Mondays of January and July; Jan 26 is the last January Monday, and
        // July 1 2026 is a Wednesday, so July 6 then 13.
        (
            "0 12 * JAN,jul Mon",
            "UTC",
            "2026-01-26T12:00:00Z",
            &["2026-07-06T12:00:00Z", "2026-07-13T12:00:00Z"],
        ),
        (
            "0 0 1 jan-Mar *",
            "UTC",
            "2026-03-01T00:00:00Z",
            &["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"],
        ),
        // Only months with a 31st: Feb and Apr are skipped.
        (
            "0 0 31 * *",
            "UTC",
            "2026-01-31T00:00:00Z",
            &["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"],
        ),
        (
            "59 23 31 12 *",
            "UTC",
            "2026-06-01T00:00:00Z",
            &["2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"],
        ),
        (
            "0 0 1 1 *",
            "UTC",
            "2026-12-31T23:59:59Z",
            &["2027-01-01T00:00:00Z"],
        ),
    ]);
}

#[test]
fn utc_seconds_and_leap_days() {
    check(&[
        // Six fields: second first.
        (
            "30 * * * * *",
            "UTC",
            "2026-01-01T10:00:30Z",
            &["2026-01-01T10:01:30Z", "2026-01-01T10:02:30Z"],
        ),
        (
            "*/20 * * * * *",
            "UTC",
            "2026-01-01T10:00:00Z",
            &[
                "2026-01-01T10:00:20Z",
                "2026-01-01T10:00:40Z",
                "2026-01-01T10:01:00Z",
            ],
        ),
        // Fri 12:00 -> Mon 12:00.
        (
            "0 0 12 * * MON-FRI",
            "UTC",
            "2026-01-02T12:00:00Z",
            &["2026-01-05T12:00:00Z"],
        ),
        // Seconds 15 and 45 of 09:30 on Jan 1, then a year later.
        (
            "15,45 30 9 1 1 *",
            "UTC",
            "2026-01-01T09:30:15Z",
            &["2026-01-01T09:30:45Z", "2027-01-01T09:30:15Z"],
        ),
        // Feb 29 only in leap years: 2028, 2032.
        (
            "0 0 29 2 *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"],
        ),
        (
            "0 0 29 2 *",
            "UTC",
            "2024-02-29T00:00:00Z",
            &["2028-02-29T00:00:00Z"],
        ),
        // 2100 is not a leap year: 2096 -> 2104, eight years, within the horizon.
        (
            "0 0 29 2 *",
            "UTC",
            "2096-03-01T00:00:00Z",
            &["2104-02-29T00:00:00Z"],
        ),
    ]);
}

#[test]
fn impossible_dates_give_none_quickly() {
    for expr in [
        "0 0 30 2 *",
        "0 0 31 2 *",
        "0 0 31 4,6,9,11 *",
        "0 0 0 30 2 *",
        "* * 31 6 ?",
    ] {
        let schedule = Schedule::parse(expr).unwrap();
        for zone in ["UTC", "Europe/Berlin", "Australia/Sydney"] {
            let started = std::time::Instant::now();
            assert_eq!(
                schedule.next_after(at("2026-01-01T00:00:00Z"), zone.parse().unwrap()),
                None,
                "{expr}"
            );
            // Generous even for a debug build; brute force over minutes would take far longer.
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "{expr} took {:?}",
                started.elapsed()
            );
        }
    }
}
