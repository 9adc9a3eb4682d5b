//! What the parser refuses, and how it says so; `FromStr` and the error accessors.

use super::*;

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
