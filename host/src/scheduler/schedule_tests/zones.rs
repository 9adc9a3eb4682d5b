//! Next fire times in zones with and without DST, across their transitions.

use super::*;

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
