//! Cron schedules with Vixie cron semantics, evaluated in an IANA time zone.
//!
//! # Syntax
//!
//! Five fields `minute hour day-of-month month day-of-week`, or six with a
//! `second` field first. Fields are separated by any whitespace.
//!
//! | field        | values | names |
//! |--------------|--------|-------|
//! | second       | 0-59   |       |
//! | minute       | 0-59   |       |
//! | hour         | 0-23   |       |
//! | day-of-month | 1-31   |       |
//! | month        | 1-12   | `JAN`-`DEC` |
//! | day-of-week  | 0-7 (0 and 7 are Sunday) | `SUN`-`SAT` |
//!
//! Names are three letters, case-insensitive, and may be used wherever a number
//! may (not as a step). Each field is a comma-separated list of items; an item
//! is `*`, a value `a`, a range `a-b` (`a <= b`), optionally followed by a step
//! `/n` (`n >= 1`): `*/n`, `a-b/n`, and `a/n` (which means `a-max/n`, as in
//! cronie). In the day-of-week field, `SUN` as the *end* of a range means 7,
//! so `FRI-SUN` is Friday to Sunday. `?` is accepted in the two day fields and
//! means exactly what `*` means. Anything else (wrong field count, values out
//! of range, inverted ranges, step 0, empty list items, `L`/`W`/`#`, `@daily`)
//! is rejected with a [`ScheduleError`] naming the field and the problem.
//!
//! # Day matching (the Vixie rule)
//!
//! A field "is starred" when its text begins with `*` (or `?`), so `*/2` counts
//! as starred, exactly as in Vixie cron. If either day field is starred, a day
//! must match both fields (which in practice means only the other field
//! matters). If neither is starred, a day matching *either* fires:
//! `0 0 13 * 5` runs on every 13th and on every Friday.
//!
//! # Time zones and daylight-saving time
//!
//! [`Schedule::next_after`] matches the fields against the wall clock of the
//! given zone. Every matching wall-clock time fires exactly once:
//!
//! * A wall-clock time that exists once fires at that instant.
//! * A wall-clock time skipped by a spring-forward gap is not lost: it fires at
//!   the first instant after the gap, like Vixie cron and systemd. In
//!   Europe/Berlin `30 2 * * *` fires on 2026-03-29 at 03:00 CEST (01:00 UTC).
//!   Several skipped times (e.g. `*/15 * * * *` during the gap) and a time
//!   right at the end of the gap (03:00) collapse into that one firing. An
//!   hourly `30 * * * *` therefore fires at 01:30, 03:00 and 03:30 that night.
//! * A wall-clock time repeated by a fall-back fires once, at its first
//!   occurrence (the earlier UTC instant); the second pass through the repeated
//!   times is silent. This holds for every schedule, including `* * * * *` and
//!   `*/15 * * * *`: each wall-clock minute (or second) of the repeated hour
//!   fires once, during the first pass, so such a job pauses for one real hour
//!   instead of running twice. In Europe/Berlin on 2026-10-25, `30 2 * * *`
//!   fires at 02:30 CEST (00:30 UTC) only, not again at 02:30 CET.
//!
//! Unlike Vixie cron, which distinguishes "wildcard" jobs (minute or hour
//! starred) from fixed-time jobs when the clock jumps, one rule applies to all.
//! The fire times returned are non-decreasing in the wall-clock times they
//! stand for, so repeatedly calling `next_after` with the previous result
//! visits each firing once.
//!
//! The search skips by month, day, hour, minute and second using bit sets,
//! and gives up (returns `None`) if nothing fires within
//! [`HORIZON_YEARS`] calendar years, e.g. for `0 0 30 2 *`. The horizon is 8
//! years so that `0 0 29 2 *` always finds the next February 29 even across a
//! century that is not a leap year (2096 → 2104).

use std::fmt;
use std::str::FromStr;

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// How many calendar years ahead [`Schedule::next_after`] searches.
pub const HORIZON_YEARS: i32 = 8;

/// A parsed cron expression. See the module documentation for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    seconds: u64,
    minutes: u64,
    hours: u64,
    /// Bits 1..=31.
    days_of_month: u64,
    /// Bits 1..=12.
    months: u64,
    /// Bits 0..=6, Sunday = 0 (a 7 in the expression is folded onto 0).
    days_of_week: u64,
    dom_starred: bool,
    dow_starred: bool,
}

/// Why an expression was rejected. `Display` gives e.g.
/// `day-of-week: 8 is out of range 0-7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    field: Option<&'static str>,
    message: String,
}

impl ScheduleError {
    /// The field at fault (`"second"`, `"minute"`, `"hour"`, `"day-of-month"`,
    /// `"month"`, `"day-of-week"`), or `None` for a whole-expression problem.
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }

    /// The problem, without the field name.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ScheduleError {}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names for the values `min..`, in order.
    names: &'static [&'static str],
    /// Whether `?` may stand for `*`.
    day: bool,
}

const SECOND: Field = Field {
    name: "second",
    min: 0,
    max: 59,
    names: &[],
    day: false,
};
const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    day: false,
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    day: false,
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    day: true,
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    day: false,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    day: true,
};

impl Field {
    fn error(&self, message: impl Into<String>) -> ScheduleError {
        ScheduleError {
            field: Some(self.name),
            message: message.into(),
        }
    }

    /// Parses one value: a number in range or a name. `range_end` makes `SUN`
    /// mean 7 so that `FRI-SUN` is not an inverted range.
    fn value(&self, token: &str, range_end: bool) -> Result<u32, ScheduleError> {
        if token.is_empty() {
            return Err(self.error("missing value"));
        }
        if token.bytes().all(|b| b.is_ascii_digit()) {
            return match token.parse::<u32>() {
                Ok(n) if (self.min..=self.max).contains(&n) => Ok(n),
                _ => Err(self.error(format!("{token} is out of range {}-{}", self.min, self.max))),
            };
        }
        if let Some(i) = self
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(token))
        {
            let value = self.min + i as u32;
            return Ok(if range_end && self.day && value == 0 {
                7
            } else {
                value
            });
        }
        Err(self.error(if self.names.is_empty() {
            format!(
                "invalid value '{token}' (expected a number {}-{})",
                self.min, self.max
            )
        } else {
            format!(
                "invalid value '{token}' (expected a number {}-{} or a name {}-{})",
                self.min,
                self.max,
                self.names[0],
                self.names[self.names.len() - 1]
            )
        }))
    }

    /// Parses a whole field into a bit set; also returns whether it is starred.
    fn parse(&self, text: &str) -> Result<(u64, bool), ScheduleError> {
        let is_star = |s: &str| s == "*" || (self.day && s == "?");
        let starred = text.starts_with('*') || (self.day && text.starts_with('?'));
        if !self.day && text.contains('?') {
            return Err(self.error("'?' is only allowed in day-of-month and day-of-week"));
        }
        let mut bits = 0u64;
        for item in text.split(',') {
            if item.is_empty() {
                return Err(self.error(format!("empty list item in '{text}'")));
            }
            let (range, step) = match item.split_once('/') {
                None => (item, None),
                Some((range, step)) => {
                    if step.is_empty() || !step.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(self.error(format!("invalid step '{step}' in '{item}'")));
                    }
                    match step.parse::<u32>() {
                        Ok(0) => {
                            return Err(
                                self.error(format!("step 0 in '{item}' (must be at least 1)"))
                            );
                        }
                        Ok(n) => (range, Some(n)),
                        Err(_) => {
                            return Err(
                                self.error(format!("step '{step}' in '{item}' is too large"))
                            );
                        }
                    }
                }
            };
            let (low, high) = if is_star(range) {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (low, high) = (self.value(a, false)?, self.value(b, true)?);
                if low > high {
                    return Err(self.error(format!("range '{range}' is inverted ({low} > {high})")));
                }
                (low, high)
            } else {
                let low = self.value(range, false)?;
                (low, if step.is_some() { self.max } else { low })
            };
            let step = step.unwrap_or(1) as usize;
            for v in (low..=high).step_by(step) {
                bits |= 1 << v;
            }
        }
        if self.day && self.max == 7 && bits & (1 << 7) != 0 {
            bits = (bits & !(1 << 7)) | 1; // 7 is Sunday, like 0
        }
        Ok((bits, starred))
    }
}

/// The lowest set bit of `bits` at or above `from`.
fn next_bit(bits: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = bits & (u64::MAX << from);
    (rest != 0).then(|| rest.trailing_zeros())
}

impl Schedule {
    /// Parses a 5-field (`min hour dom month dow`) or 6-field (seconds first)
    /// cron expression.
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            n => {
                return Err(ScheduleError {
                    field: None,
                    message: format!(
                        "expected 5 fields (minute hour day-of-month month day-of-week) \
                         or 6 (with second first), found {n}"
                    ),
                });
            }
        };
        let (seconds, _) = SECOND.parse(second)?;
        let (minutes, _) = MINUTE.parse(rest[0])?;
        let (hours, _) = HOUR.parse(rest[1])?;
        let (days_of_month, dom_starred) = DAY_OF_MONTH.parse(rest[2])?;
        let (months, _) = MONTH.parse(rest[3])?;
        let (days_of_week, dow_starred) = DAY_OF_WEEK.parse(rest[4])?;
        Ok(Schedule {
            seconds,
            minutes,
            hours,
            days_of_month,
            months,
            days_of_week,
            dom_starred,
            dow_starred,
        })
    }

    /// The shortest time between two of its runs on the wall clock, in seconds, as if
    /// every day matched (so at most a day): what the pace limits of `pace.rs` compare.
    pub fn shortest_gap_secs(&self) -> u32 {
        const DAY: u32 = 86_400;
        let values = |bits: u64, max: u32| (0..=max).filter(move |v| bits & (1u64 << *v) != 0);
        let (mut first, mut last, mut shortest) = (None, None, DAY);
        for h in values(self.hours, 23) {
            for m in values(self.minutes, 59) {
                for s in values(self.seconds, 59) {
                    let t = h * 3600 + m * 60 + s;
                    if let Some(before) = last {
                        shortest = shortest.min(t - before);
                    }
                    first.get_or_insert(t);
                    last = Some(t);
                }
            }
        }
        if let (Some(first), Some(last)) = (first, last) {
            shortest = shortest.min(first + DAY - last);
        }
        shortest
    }

    /// The first fire time strictly after `after`, with the fields matched
    /// against the wall clock of `tz` and the daylight-saving policy of the
    /// module documentation. `None` if nothing fires within [`HORIZON_YEARS`].
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&tz).naive_local().with_nanosecond(0)?;
        let limit = NaiveDate::from_ymd_opt(local.year().checked_add(HORIZON_YEARS)?, 12, 31)?;
        // Every wall-clock time up to `local` fires at or before `after`
        // (fire times never decrease as wall-clock time increases), so the
        // search starts one second later. Times right after it may still fire
        // too early when `after` lies in the second pass of a repeated hour;
        // the loop skips those.
        let mut cursor = local.checked_add_signed(TimeDelta::seconds(1))?;
        loop {
            let wall = self.next_wall_clock(cursor, limit)?;
            let fire = match tz.from_local_datetime(&wall) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
                LocalResult::None => gap_end(tz, wall)?,
            };
            if fire > after {
                return Some(fire);
            }
            cursor = wall.checked_add_signed(TimeDelta::seconds(1))?;
        }
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
        if self.dom_starred || self.dow_starred {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first matching wall-clock time at or after `from`, on or before
    /// `limit`.
    fn next_wall_clock(&self, from: NaiveDateTime, limit: NaiveDate) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut time = (from.hour(), from.minute(), from.second());
        while date <= limit {
            if self.months & (1 << date.month()) == 0 {
                let (y, m) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                date = NaiveDate::from_ymd_opt(y, m, 1)?;
                time = (0, 0, 0);
                continue;
            }
            if self.day_matches(date)
                && let Some(t) = self.next_time_of_day(time)
            {
                return Some(date.and_time(t));
            }
            date = date.succ_opt()?;
            time = (0, 0, 0);
        }
        None
    }

    /// The first matching time of day at or after `(h0, m0, s0)`.
    fn next_time_of_day(&self, (h0, m0, s0): (u32, u32, u32)) -> Option<NaiveTime> {
        let mut hour = next_bit(self.hours, h0)?;
        loop {
            let mut minute = next_bit(self.minutes, if hour == h0 { m0 } else { 0 });
            while let Some(m) = minute {
                let from = if hour == h0 && m == m0 { s0 } else { 0 };
                if let Some(s) = next_bit(self.seconds, from) {
                    return NaiveTime::from_hms_opt(hour, m, s);
                }
                minute = next_bit(self.minutes, m + 1);
            }
            hour = next_bit(self.hours, hour + 1)?;
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}

/// The first instant after the spring-forward gap that swallowed the
/// wall-clock time `wall`.
fn gap_end(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Walk forward whole minutes to the first wall-clock time that exists
    // (gaps are at most a day long, e.g. Pacific/Apia on 2011-12-30)...
    let mut probe = wall.with_second(0)?;
    for _ in 0..=(26 * 60) {
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            // ...then back off by seconds in case the gap ends off a minute
            // boundary (historic local-mean-time offsets): the transition is
            // the first instant whose wall-clock time is past `wall`.
            let mut t = t.with_timezone(&Utc);
            while (t - TimeDelta::seconds(1)).with_timezone(&tz).naive_local() > wall {
                t -= TimeDelta::seconds(1);
            }
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
#[path = "schedule_tests/mod.rs"]
mod tests;
