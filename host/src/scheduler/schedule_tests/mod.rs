//! Tests for `schedule.rs`, by feature: plain UTC schedules (`utc`), zones and
//! their DST transitions (`zones`), and parse errors (`parse`).
//!
//! Every expected time in them was worked out by hand from the calendar and
//! the zones' rules (weekdays and UTC offsets cross-checked against the
//! system's `date`/tzdata), never copied from the code's output. Times are
//! written as local wall-clock time with the offset in force, so the reasoning
//! can be read off the literal.
//!
//! Calendar facts used: 2026-01-01 is a Thursday, so the Mondays of January
//! 2026 are 5, 12, 19, 26; 2026-02-13 and 2026-03-13 are Fridays; 2026-07-01 is
//! a Wednesday; 2028-02-29 exists, 2100-02-29 does not.
//! Zone facts: Europe/Berlin CET +01 / CEST +02, 2026-03-29 02:00 -> 03:00 and
//! 2026-10-25 03:00 -> 02:00; America/New_York EST -05 / EDT -04, 2026-03-08
//! 02:00 -> 03:00 and 2026-11-01 02:00 -> 01:00; Asia/Kolkata +05:30 all year;
//! Australia/Sydney AEDT +11 / AEST +10, 2026-04-05 03:00 -> 02:00 and
//! 2026-10-04 02:00 -> 03:00.

mod parse;
mod utc;
mod zones;

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
