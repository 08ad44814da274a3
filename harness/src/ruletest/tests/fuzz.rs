//! Bad input never panics: the expanding notation, series notation and whole rule test files
//! fed any text and text shaped like them (`PROPTEST_CASES` cases each); what is well formed
//! reads back to what was written.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use super::super::values::MAX_VALUES;
use super::super::*;
use crate::error::Error;

/// One item of the notation, as written and as promtool expands it.
#[derive(Debug, Clone)]
enum Item {
    /// `a`, `axn` or `a+bxn` / `a-bxn`.
    Values { start: i32, step: i32, times: u8 },
    /// `_` or `_xn`.
    Blanks(Option<u8>),
    /// `stale`.
    Stale,
}

impl Item {
    fn written(&self) -> String {
        match self {
            Item::Values {
                start,
                step: 0,
                times: 0,
            } => format!("{start}"),
            Item::Values {
                start,
                step: 0,
                times,
            } => format!("{start}x{times}"),
            Item::Values { start, step, times } if *step < 0 => {
                format!("{start}-{}x{times}", step.unsigned_abs())
            }
            Item::Values { start, step, times } => format!("{start}+{step}x{times}"),
            Item::Blanks(None) => "_".into(),
            Item::Blanks(Some(n)) => format!("_x{n}"),
            Item::Stale => "stale".into(),
        }
    }

    fn expanded(&self) -> Vec<SeriesValue> {
        match self {
            Item::Values { start, step, times } => (0..=i64::from(*times))
                .map(|k| SeriesValue::Value((i64::from(*start) + k * i64::from(*step)) as f64))
                .collect(),
            Item::Blanks(n) => vec![SeriesValue::Missing; n.map_or(1, usize::from)],
            Item::Stale => vec![SeriesValue::Stale],
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        // No leading zero: `010` is octal, as in promtool (its own unit test).
        (-999i32..=999, -99i32..=99, any::<u8>()).prop_map(|(start, step, times)| {
            Item::Values {
                start,
                step,
                times: times % 40,
            }
        }),
        proptest::option::of(0u8..40).prop_map(Item::Blanks),
        Just(Item::Stale),
    ]
}

/// Expands `text`: values no more than the limit, or a refusal that names what is wrong.
#[track_caller]
fn check_values(text: &str) {
    match expand_values(text) {
        Ok(values) => assert!(values.len() <= MAX_VALUES, "`{text}`"),
        Err(why) => assert!(!why.is_empty(), "`{text}`: an empty refusal"),
    }
}

/// Reads `text` as a series both ways: labels, or a refusal that quotes the text.
#[track_caller]
fn check_series(text: &str) {
    for usage in [SeriesUse::Input, SeriesUse::Expected] {
        match parse_series(text, usage) {
            Ok(labels) => assert!(
                labels.keys().all(|k| !k.is_empty()),
                "`{text}` ({usage:?}): an empty label name in {labels:?}"
            ),
            Err(why) => assert!(
                why.contains(&format!("`{}", text.trim())),
                "`{text}` ({usage:?}): the refusal does not quote it: {why}"
            ),
        }
    }
}

/// A label value in PromQL's double quotes.
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest! {
    #[test]
    fn any_text_expands_or_is_refused(text in "\\PC{0,40}") {
        check_values(&text);
    }

    #[test]
    fn text_shaped_like_the_notation_expands_or_is_refused(
        text in "([-+ _x.eE0-9]|stale|inf|nan|Inf|NaN|\t|\\{\\{|e\\+|0x){0,24}"
    ) {
        check_values(&text);
    }

    #[test]
    fn huge_repeat_counts_are_refused_before_they_are_built(
        a in 0u64..10, n in (MAX_VALUES as u64)..u64::MAX
    ) {
        for text in [format!("{a}x{n}"), format!("_x{n}"), format!("{a}+1x{n}"), format!("stale+1x{n}")] {
            prop_assert!(expand_values(&text).is_err(), "{}", text);
        }
    }

    #[test]
    fn the_notation_expands_to_what_promtool_makes_of_it(
        items in proptest::collection::vec(item(), 0..12),
        separators in proptest::collection::vec("[ \t]{1,3}", 12)
    ) {
        let text: String = items
            .iter()
            .zip(&separators)
            .map(|(item, gap)| format!("{}{gap}", item.written()))
            .collect();
        let expected: Vec<SeriesValue> = items.iter().flat_map(Item::expanded).collect();
        let expanded = expand_values(&text).map_err(|e| TestCaseError::fail(format!("`{text}`: {e}")))?;
        prop_assert_eq!(expanded.len(), expected.len(), "`{}`", text);
        for (got, want) in expanded.iter().zip(&expected) {
            match (got, want) {
                (SeriesValue::Value(g), SeriesValue::Value(w)) => {
                    prop_assert!((g - w).abs() < 1e-6, "`{}`: {} for {}", text, g, w);
                }
                _ => prop_assert_eq!(got, want, "`{}`", text),
            }
        }
    }

    #[test]
    fn any_text_reads_as_a_series_or_is_refused_quoting_it(text in "\\PC{0,40}") {
        check_series(&text);
    }

    #[test]
    fn text_shaped_like_a_series_reads_or_is_refused_quoting_it(
        text in "[a-z_:]{0,6}[ ]?\\{?([a-z_]{0,4}(=|!=|=~|,)?(\"[^\"]{0,4}\"|'[a-z\\\\]{0,3}'|`[^`]{0,3}`)?,?[ ]?){0,4}\\}?( offset 5m|\\[1m\\]| or| 1)?"
    ) {
        check_series(&text);
    }

    #[test]
    fn a_series_written_from_labels_reads_back_to_them(
        name in "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
        labels in proptest::collection::btree_map("[a-zA-Z][a-zA-Z0-9_]{0,8}", "\\PC{1,12}", 0..5)
    ) {
        let written = format!(
            "{name}{{{}}}",
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", quoted(v)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut expected: BTreeMap<String, String> = labels.clone();
        expected.insert("__name__".into(), name.clone());
        let read = parse_series(&written, SeriesUse::Input)
            .map_err(|e| TestCaseError::fail(format!("`{written}`: {e}")))?;
        prop_assert_eq!(read, expected, "`{}`", written);
    }

    #[test]
    fn any_rule_test_file_reads_or_is_refused_naming_the_file(text in "\\PC{0,200}") {
        check_test_file(&text);
    }

    #[test]
    fn a_rule_test_file_with_any_values_and_series_reads_or_is_refused_naming_the_file(
        series in "\\PC{0,30}",
        values in "\\PC{0,30}",
        eval_time in "[0-9a-z]{0,5}",
        interval in "[0-9a-z]{0,5}",
    ) {
        let text = format!(
            "rule_files: [rules.yml]\nevaluation_interval: {interval:?}\ntests:\n  - interval: {interval:?}\n    input_series:\n      - series: {series:?}\n        values: {values:?}\n    alert_rule_test:\n      - eval_time: {eval_time:?}\n        alertname: A\n    promql_expr_test:\n      - expr: up\n        eval_time: {eval_time:?}\n        exp_samples:\n          - labels: {series:?}\n            value: 1\n"
        );
        check_test_file(&text);
    }
}

/// Reads `text` as a rule test file: a file, or bad input naming the file.
#[track_caller]
fn check_test_file(text: &str) {
    let path = Path::new("rules/tests.yml");
    match parse_test_file(path, text) {
        Ok(_) => {}
        Err(Error::Input(e)) => assert!(
            e.file == path && e.to_string().starts_with("bad input in rules/tests.yml"),
            "{e}\n{text}"
        ),
        Err(other) => panic!("expected bad input, got: {other}\n{text}"),
    }
}
