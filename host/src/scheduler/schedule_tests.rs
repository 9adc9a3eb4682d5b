//! Tests for `schedule.rs`. Every expected time below was worked out by hand
//! from the calendar and the zones' rules (weekdays and UTC offsets
//! cross-checked against the system's `date`/tzdata), never copied from the
//! code's output. Times are written as local wall-clock time with the offset
//! in force, so the reasoning can be read off the literal.
//!
//! Calendar facts used: 2026-01-01 is a Thursday, so the Mondays of January
//! 2026 are 5, 12, 19, 26; 2026-02-13 and 2026-03-13 are Fridays; 2026-07-01 is
//! a Wednesday; 2028-02-29 exists, 2100-02-29 does not.
//! Zone facts: Europe/Berlin CET +01 / CEST +02, 2026-03-29 02:00 -> 03:00 and
//! 2026-10-25 03:00 -> 02:00; America/New_York EST -05 / EDT -04, 2026-03-08
//! 02:00 -> 03:00 and 2026-11-01 02:00 -> 01:00; Asia/Kolkata +05:30 all year;
//! Australia/Sydney AEDT +11 / AEST +10, 2026-04-05 03:00 -> 02:00 and
//! 2026-10-04 02:00 -> 03:00.

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
        .with_timezone(&Utc)
}

/// (expression, zone, after, expected successive fire times): the first
/// expected time is `next_after(after)`, each later one is `next_after` of the
/// one before it.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for &(expr, zone, after, expected) in cases {
        let schedule =
            Schedule::parse(expr).unwrap_or_else(|e| panic!("{expr:?} failed to parse: {e}"));
        let tz: Tz = zone.parse().unwrap();
        let mut from = at(after);
        for want in expected {
            let got = schedule.next_after(from, tz);
            if got != Some(at(want)) {
                failures.push(format!(
                    "{expr:?} in {zone} after {from}: want {}, got {got:?}",
                    at(want)
                ));
                break;
            }
            from = at(want);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

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
fn europe_berlin_including_dst() {
    check(&[
        (
            "0 9 * * 1-5",
            "Europe/Berlin",
            "2026-01-02T12:00:00Z",
            &["2026-01-05T09:00:00+01:00", "2026-01-06T09:00:00+01:00"],
        ),
        (
            "0 9 * * *",
            "Europe/Berlin",
            "2026-07-01T00:00:00Z",
            &["2026-07-01T09:00:00+02:00"],
        ),
        // Spring forward: 02:30 does not exist on Mar 29; it fires at the
        // first instant after the gap, 03:00 CEST = 01:00 UTC. Next day normal.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-03-28T12:00:00Z",
            &["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"],
        ),
        (
            "0 3 * * *",
            "Europe/Berlin",
            "2026-03-28T12:00:00Z",
            &["2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00"],
        ),
        // 02:00 and 02:30 are skipped and collapse with 03:00 into one firing.
        (
            "*/30 * * * *",
            "Europe/Berlin",
            "2026-03-29T01:15:00+01:00",
            &[
                "2026-03-29T01:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T03:30:00+02:00",
            ],
        ),
        // Hourly at :30: the lost 02:30 is caught up at 03:00, then 03:30.
        (
            "30 * * * *",
            "Europe/Berlin",
            "2026-03-29T01:00:00+01:00",
            &[
                "2026-03-29T01:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T03:30:00+02:00",
            ],
        ),
        // Midnight exactly as `after`: next midnight is already summer time.
        (
            "0 0 * * *",
            "Europe/Berlin",
            "2026-03-29T00:00:00+01:00",
            &["2026-03-30T00:00:00+02:00"],
        ),
        // Fall back: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET);
        // only the first fires; the next day is plain CET.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-24T12:00:00Z",
            &["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        ),
        // `after` in the second pass (02:00 CET = 01:00 UTC): 02:30 already
        // fired at its first occurrence, so the next firing is the next day.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-25T02:00:00+01:00",
            &["2026-10-26T02:30:00+01:00"],
        ),
        // Minute steps through the repeated hour: first pass only, then a one
        // hour pause until 03:00 CET.
        (
            "*/20 * * * *",
            "Europe/Berlin",
            "2026-10-25T01:50:00+02:00",
            &[
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:20:00+02:00",
                "2026-10-25T02:40:00+02:00",
                "2026-10-25T03:00:00+01:00",
            ],
        ),
        (
            "0 * * * *",
            "Europe/Berlin",
            "2026-10-25T01:30:00+02:00",
            &["2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"],
        ),
        // Every second, `after` at the start of the second pass: every wall
        // second up to 02:59:59 fired in the first pass, so 03:00:00 CET.
        (
            "* * * * * *",
            "Europe/Berlin",
            "2026-10-25T02:00:00+01:00",
            &["2026-10-25T03:00:00+01:00"],
        ),
    ]);
}

#[test]
fn america_new_york_including_dst() {
    check(&[
        // Mon 09:00 EST exactly -> Tue 09:00 EST.
        (
            "0 9 * * 1-5",
            "America/New_York",
            "2026-01-05T09:00:00-05:00",
            &["2026-01-06T09:00:00-05:00"],
        ),
        // Sat 13:00 EST -> Sun noon, already EDT.
        (
            "0 12 * * *",
            "America/New_York",
            "2026-03-07T13:00:00-05:00",
            &["2026-03-08T12:00:00-04:00"],
        ),
        // 02:30 does not exist on Mar 8 -> 03:00 EDT (07:00 UTC).
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00Z",
            &["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
        ),
        // 01:30 happens twice on Nov 1; first (EDT, 05:30 UTC) only.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00:00Z",
            &["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
        ),
        // Repeated 01:00-01:59: 01:30 EDT fires, 01:00/01:30 EST do not.
        (
            "*/30 * * * *",
            "America/New_York",
            "2026-11-01T01:10:00-04:00",
            &["2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00"],
        ),
    ]);
}

#[test]
fn asia_kolkata_and_australia_sydney() {
    check(&[
        (
            "0 9 * * *",
            "Asia/Kolkata",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"],
        ),
        // 23:30 IST on Jan 31 (18:00 UTC) -> 00:30 IST on Feb 1 (19:00 UTC Jan 31).
        (
            "30 0 1 * *",
            "Asia/Kolkata",
            "2026-01-31T23:30:00+05:30",
            &["2026-02-01T00:30:00+05:30"],
        ),
        // Sat 17:30 IST -> Sun 00:00 IST, which is still Saturday in UTC.
        (
            "0 0 * * 0",
            "Asia/Kolkata",
            "2026-01-03T17:30:00+05:30",
            &["2026-01-04T00:00:00+05:30"],
        ),
        // Thu 11:00 AEDT -> Fri 09:00 AEDT (Thu 22:00 UTC).
        (
            "0 9 * * 1-5",
            "Australia/Sydney",
            "2026-01-01T00:00:00Z",
            &["2026-01-02T09:00:00+11:00"],
        ),
        // Sydney falls back on Apr 5: 02:30 AEDT first, then plain AEST.
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-04-04T00:00:00Z",
            &["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"],
        ),
        // Sydney springs forward on Oct 4: 02:30 -> 03:00 AEDT.
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-10-03T00:00:00Z",
            &["2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"],
        ),
        // Sun Feb 1 11:00 AEDT: Fridays Feb 6, 13 (also the 13th, once), 20.
        (
            "0 0 13 * 5",
            "Australia/Sydney",
            "2026-02-01T00:00:00Z",
            &[
                "2026-02-06T00:00:00+11:00",
                "2026-02-13T00:00:00+11:00",
                "2026-02-20T00:00:00+11:00",
            ],
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

#[test]
fn consecutive_calls_visit_each_minute_once_across_berlin_transitions() {
    // Walking `* * * * *` over both 2026 transition nights: each call moves
    // forward, and the count of firings equals the count of distinct fire
    // instants. Spring night 00:00-04:00 UTC is 01:00 CET .. 06:00 CEST with
    // 02:00-02:59 missing: 240 real minutes, 02:xx all map to 01:00 UTC which
    // is also 03:00 CEST, so 240 firings (one per UTC minute).
    // Autumn night 23:00-03:00 UTC: 240 real minutes, but 01:00-01:59 UTC is
    // the silent second pass, so 180 firings.
    let schedule = Schedule::parse("* * * * *").unwrap();
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    for (from, to, want) in [
        ("2026-03-29T00:00:00Z", "2026-03-29T04:00:00Z", 240),
        ("2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z", 180),
    ] {
        let (mut t, end, mut n) = (at(from), at(to), 0);
        while let Some(next) = schedule.next_after(t, tz).filter(|&x| x <= end) {
            assert!(next > t);
            n += 1;
            t = next;
        }
        assert_eq!(n, want, "from {from}");
    }
}

#[test]
fn parse_errors_name_the_field_and_problem() {
    let count = |n: usize| {
        format!(
            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with second first), found {n}"
        )
    };
    let cases: Vec<(&str, String)> = vec![
        ("", count(0)),
        ("* * * *", count(4)),
        ("* * * * * * *", count(7)),
        ("@daily", count(1)),
        ("60 * * * *", "minute: 60 is out of range 0-59".into()),
        (
            "99999999999 * * * *",
            "minute: 99999999999 is out of range 0-59".into(),
        ),
        ("0 24 * * *", "hour: 24 is out of range 0-23".into()),
        ("0 0 0 * *", "day-of-month: 0 is out of range 1-31".into()),
        ("0 0 32 * *", "day-of-month: 32 is out of range 1-31".into()),
        ("0 0 * 0 *", "month: 0 is out of range 1-12".into()),
        ("0 0 * 13 *", "month: 13 is out of range 1-12".into()),
        ("0 0 * * 8", "day-of-week: 8 is out of range 0-7".into()),
        ("0 0 * * 1-9", "day-of-week: 9 is out of range 0-7".into()),
        ("60 0 0 * * *", "second: 60 is out of range 0-59".into()),
        (
            "0 5-1 * * *",
            "hour: range '5-1' is inverted (5 > 1)".into(),
        ),
        (
            "0 0 * * SAT-MON",
            "day-of-week: range 'SAT-MON' is inverted (6 > 1)".into(),
        ),
        (
            "0 0 * DEC-JAN *",
            "month: range 'DEC-JAN' is inverted (12 > 1)".into(),
        ),
        (
            "*/0 * * * *",
            "minute: step 0 in '*/0' (must be at least 1)".into(),
        ),
        (
            "0 0 1-10/0 * *",
            "day-of-month: step 0 in '1-10/0' (must be at least 1)".into(),
        ),
        ("*/x * * * *", "minute: invalid step 'x' in '*/x'".into()),
        ("*/ * * * *", "minute: invalid step '' in '*/'".into()),
        (
            "0 0 * * */MON",
            "day-of-week: invalid step 'MON' in '*/MON'".into(),
        ),
        (
            "*/99999999999 * * * *",
            "minute: step '99999999999' in '*/99999999999' is too large".into(),
        ),
        ("1,,2 * * * *", "minute: empty list item in '1,,2'".into()),
        ("1, * * * *", "minute: empty list item in '1,'".into()),
        ("0 0 ,1 * *", "day-of-month: empty list item in ',1'".into()),
        ("1- * * * *", "minute: missing value".into()),
        ("0 -3 * * *", "hour: missing value".into()),
        (
            "0 0 * FOO *",
            "month: invalid value 'FOO' (expected a number 1-12 or a name JAN-DEC)".into(),
        ),
        (
            "0 0 * MON *",
            "month: invalid value 'MON' (expected a number 1-12 or a name JAN-DEC)".into(),
        ),
        (
            "0 0 * * MONDAY",
            "day-of-week: invalid value 'MONDAY' (expected a number 0-7 or a name SUN-SAT)".into(),
        ),
        (
            "0 0 * * 1#2",
            "day-of-week: invalid value '1#2' (expected a number 0-7 or a name SUN-SAT)".into(),
        ),
        (
            "0 0 L * *",
            "day-of-month: invalid value 'L' (expected a number 1-31)".into(),
        ),
        (
            "*5 * * * *",
            "minute: invalid value '*5' (expected a number 0-59)".into(),
        ),
        (
            "? * * * *",
            "minute: '?' is only allowed in day-of-month and day-of-week".into(),
        ),
        (
            "0 0 * ? *",
            "month: '?' is only allowed in day-of-month and day-of-week".into(),
        ),
    ];
    let mut failures = Vec::new();
    for (expr, want) in &cases {
        match Schedule::parse(expr) {
            Ok(s) => failures.push(format!("{expr:?} parsed as {s:?}, want error {want:?}")),
            Err(e) if e.to_string() != *want => {
                failures.push(format!("{expr:?}: got {:?}, want {want:?}", e.to_string()))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_accessors_and_from_str() {
    let e = Schedule::parse("0 0 * * 8").unwrap_err();
    assert_eq!(e.field(), Some("day-of-week"));
    assert_eq!(e.message(), "8 is out of range 0-7");
    assert_eq!(Schedule::parse("* *").unwrap_err().field(), None);
    let via_from_str: Schedule = "0 9 * * mon-fri".parse().unwrap();
    assert_eq!(via_from_str, Schedule::parse("0 9 * * 1-5").unwrap());
    // 0 and 7 both mean Sunday; a 5-field expression has second 0.
    assert_eq!(
        Schedule::parse("0 0 * * 7").unwrap(),
        Schedule::parse("0 0 * * 0").unwrap()
    );
    assert_eq!(
        Schedule::parse("0 0 * * *").unwrap(),
        Schedule::parse("0 0 0 * * *").unwrap()
    );
    // Extra whitespace between fields is fine.
    assert_eq!(Schedule::parse("  0\t9  * *   1-5 ").unwrap(), via_from_str);
}
