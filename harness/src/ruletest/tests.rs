//! The expanding notation (every form, with what promtool 2.42 expands it to: each expectation
//! below marked "promtool" was read back from `promtool test rules` through a
//! `promql_expr_test`), series notation, defaults, strictness, and every refusal naming file,
//! test, key and token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::SeriesValue::{Missing, Stale, Value};
use super::*;
use crate::error::{Error, InputError};

fn values(text: &str) -> Vec<SeriesValue> {
    expand_values(text).unwrap_or_else(|e| panic!("`{text}` should expand, got: {e}"))
}

fn floats(text: &str) -> Vec<f64> {
    values(text)
        .into_iter()
        .map(|v| match v {
            Value(f) => f,
            other => panic!("`{text}`: expected only values, got {other:?}"),
        })
        .collect()
}

fn refused(text: &str) -> String {
    match expand_values(text) {
        Ok(values) => panic!("`{text}` should be refused, expanded to {values:?}"),
        Err(e) => e,
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse_ok(text: &str) -> TestFile {
    parse_test_file(Path::new("rules/tests.yml"), text)
        .unwrap_or_else(|e| panic!("should parse, got: {e}\n{text}"))
}

fn parse_err(text: &str) -> InputError {
    match parse_test_file(Path::new("rules/tests.yml"), text) {
        Ok(file) => panic!("should be refused, parsed: {file:#?}\n{text}"),
        Err(Error::Input(e)) => e,
        Err(other) => panic!("expected an input error, got: {other}"),
    }
}

fn duration(text: &str) -> PromDuration {
    PromDuration::parse(text).unwrap()
}

/// A one-test file whose test is `body` (YAML lines indented for a test's keys).
fn one_test(body: &str) -> String {
    format!(
        "rule_files: [rules.yml]\ntests:\n  - {}\n",
        body.trim_start()
    )
}

// --- the expanding notation --------------------------------------------------------------

#[test]
fn plain_numbers_in_every_form_promtool_accepts_are_read() {
    assert_eq!(floats("1 2 3"), [1.0, 2.0, 3.0]);
    // promtool: 1e3 -2 +5 .5 5. 1.5e-1 1E3
    assert_eq!(
        floats("1e3 -2 +5 .5 5. 1.5e-1 1E3"),
        [1000.0, -2.0, 5.0, 0.5, 5.0, 0.15, 1000.0]
    );
    // promtool: Inf, inf, +Inf, -Inf
    assert_eq!(
        floats("Inf inf +Inf -Inf"),
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY
        ]
    );
    let nans = floats("NaN nan");
    assert!(
        nans.len() == 2 && nans.iter().all(|f| f.is_nan()),
        "{nans:?}"
    );
}

#[test]
fn a_leading_zero_makes_a_whole_number_octal_as_in_promtool() {
    // promtool: `010` is 8 (Go's base-0 integer syntax); `08` is not octal, so decimal.
    assert_eq!(floats("010 08 0 0.5"), [8.0, 8.0, 0.0, 0.5]);
}

#[test]
fn an_expansion_gives_n_plus_one_values() {
    // promtool: 1-2x3 is 1 -1 -3 -5
    assert_eq!(floats("1-2x3"), [1.0, -1.0, -3.0, -5.0]);
    assert_eq!(floats("-2+4x3"), [-2.0, 2.0, 6.0, 10.0]);
    assert_eq!(floats("-1-1x2"), [-1.0, -2.0, -3.0]);
    assert_eq!(floats("0+1.5x2"), [0.0, 1.5, 3.0]);
    // the docs' example: 10 20 30 30 50 70 90 110 130
    assert_eq!(
        floats("10+10x2 30+20x5"),
        [10.0, 20.0, 30.0, 30.0, 50.0, 70.0, 90.0, 110.0, 130.0]
    );
    // promtool: Inf+1x2 is Inf three times
    assert_eq!(floats("Inf+1x2"), [f64::INFINITY; 3]);
}

#[test]
fn a_repetition_gives_n_plus_one_copies_and_x0_gives_one() {
    assert_eq!(floats("5x3"), [5.0; 4]);
    // promtool: 1x0 is one sample, 1+0x0 too
    assert_eq!(floats("1x0"), [1.0]);
    assert_eq!(floats("1+0x0 9"), [1.0, 9.0]);
    assert_eq!(floats("1e3x1"), [1000.0, 1000.0]);
    // the count is decimal even with a leading zero: promtool's 1x010 is eleven samples
    assert_eq!(floats("1x010").len(), 11);
}

#[test]
fn blanks_are_missing_samples_and_blank_xn_is_n_of_them() {
    assert_eq!(values("_"), [Missing]);
    // promtool: `_x2 5` has its first sample at 2m; `1 _x2 5` its second at 3m
    assert_eq!(values("_x2 5"), [Missing, Missing, Value(5.0)]);
    assert_eq!(
        values("1 _x2 5"),
        [Value(1.0), Missing, Missing, Value(5.0)]
    );
    assert_eq!(values("_x0"), []);
}

#[test]
fn stale_is_a_staleness_marker() {
    // promtool: `1 stale 2` has no sample at 1m and 2 at 2m
    assert_eq!(values("1 stale 2"), [Value(1.0), Stale, Value(2.0)]);
    assert_eq!(
        values(" 1 _x3 stale"),
        [Value(1.0), Missing, Missing, Missing, Stale]
    );
    // promtool: stale+1x2 is the marker, then NaN twice (stale plus a step is a plain NaN)
    let expanded = values("stale+1x2");
    assert_eq!(expanded[0], Stale);
    assert!(
        expanded[1..]
            .iter()
            .all(|v| matches!(v, Value(f) if f.is_nan())),
        "{expanded:?}"
    );
    assert_eq!(expanded.len(), 3);
}

#[test]
fn spaces_and_tabs_separate_items_and_empty_values_are_no_samples() {
    assert_eq!(floats("  1 \t 2  "), [1.0, 2.0]);
    assert_eq!(values(""), []);
    assert_eq!(
        values("1+1x2 _ 3"),
        [Value(1.0), Value(2.0), Value(3.0), Missing, Value(3.0)]
    );
}

#[test]
fn a_token_that_is_not_a_value_is_refused_naming_it() {
    let e = refused("1 foo 2");
    assert!(
        e.contains("`foo`") && e.contains("neither a number nor `stale`"),
        "{e}"
    );
    // every one of these is refused by promtool 2.42 too
    for bad in [
        "0x1F", "1_000", "0b101", "stalex2", "Infx2", "1+Infx2", "infinity", "-stale", "+-1",
        "1,2", "1x2x3", "1+2", "1x", "x3", "_5", "1.2.3", "1e",
    ] {
        let e = refused(bad);
        assert!(e.starts_with(&format!("`{bad}`")), "`{bad}`: {e}");
    }
}

#[test]
fn a_step_without_a_number_is_refused() {
    let e = refused("1+xz");
    assert!(e.starts_with("`1+xz`: a number must follow `+`"), "{e}");
}

#[test]
fn a_negative_or_fractional_repeat_count_is_refused() {
    let e = refused("1x-3");
    assert_eq!(e, "`1x-3`: the repeat count after `x` cannot be negative");
    let e = refused("_x-2");
    assert!(e.contains("cannot be negative"), "{e}");
    let e = refused("1x1.5");
    assert!(e.contains("must be a whole number, found `1.5`"), "{e}");
}

#[test]
fn native_histograms_are_refused_saying_so() {
    let e = refused("1 2 {{schema:0 sum:1 count:2}}");
    assert!(e.starts_with("`{{schema:0`"), "{e}");
    assert!(e.contains("native histogram"), "{e}");
}

#[test]
fn a_line_break_in_values_is_refused() {
    // promtool reads the part after the break as another series and fails
    let e = refused("1 2\n3");
    assert!(e.contains("line break"), "{e}");
}

#[test]
fn a_huge_expansion_is_refused_before_it_is_built() {
    let e = refused("1x100000000");
    assert!(e.contains("more than"), "{e}");
    let e = refused("_x18446744073709551615");
    assert!(e.contains("more than"), "{e}");
    let e = refused("1x99999999999999999999");
    assert!(e.contains("too large"), "{e}");
}

// --- series notation ---------------------------------------------------------------------

#[test]
fn a_series_reads_into_its_labels_with_the_name_as_name_label() {
    let parsed = parse_series(
        r#"api_request_total{job="echo", code="500"}"#,
        SeriesUse::Input,
    );
    assert_eq!(
        parsed.unwrap(),
        labels(&[
            ("__name__", "api_request_total"),
            ("code", "500"),
            ("job", "echo")
        ])
    );
    let parsed = parse_series(r#"{__name__="x", a="b"}"#, SeriesUse::Input).unwrap();
    assert_eq!(parsed, labels(&[("__name__", "x"), ("a", "b")]));
    let parsed = parse_series("job:errors:ratio_rate5m", SeriesUse::Input).unwrap();
    assert_eq!(parsed, labels(&[("__name__", "job:errors:ratio_rate5m")]));
    let parsed = parse_series(
        r#"x{a='single', b=`raw\n`, c="esc\"aped",}"#,
        SeriesUse::Input,
    );
    assert_eq!(
        parsed.unwrap(),
        labels(&[
            ("__name__", "x"),
            ("a", "single"),
            ("b", "raw\\n"),
            ("c", "esc\"aped")
        ])
    );
}

#[test]
fn an_empty_label_value_is_left_out_of_an_input_series_as_prometheus_stores_it() {
    // promtool: `sum{a=""}` is stored as {__name__="sum"}
    let parsed = parse_series(r#"x{a="", b="c"}"#, SeriesUse::Input).unwrap();
    assert_eq!(parsed, labels(&[("__name__", "x"), ("b", "c")]));
    let e = parse_series(r#"{a=""}"#, SeriesUse::Input).unwrap_err();
    assert!(e.contains("no metric name and no label"), "{e}");
}

#[test]
fn a_keyword_is_a_valid_metric_name_in_a_series() {
    let parsed = parse_series(r#"sum{a="b"}"#, SeriesUse::Input).unwrap();
    assert_eq!(parsed, labels(&[("__name__", "sum"), ("a", "b")]));
    let parsed = parse_series("offset", SeriesUse::Input).unwrap();
    assert_eq!(parsed, labels(&[("__name__", "offset")]));
}

#[test]
fn only_equality_may_set_a_label_in_a_series() {
    for (text, op) in [
        (r#"x{a!="b"}"#, "!="),
        (r#"x{a=~"b.*"}"#, "=~"),
        (r#"x{a!~"b"}"#, "!~"),
    ] {
        let e = parse_series(text, SeriesUse::Input).unwrap_err();
        assert!(
            e.contains(&format!("matched with `{op}`")) && e.contains("with `=`"),
            "{text}: {e}"
        );
    }
}

#[test]
fn what_promtool_refuses_as_a_series_is_refused() {
    for (text, why) in [
        ("{}", "no metric name and no label"),
        ("", "no metric name and no label"),
        (r#"x{a="1", a="2"}"#, "twice"),
        (r#"x{__name__="y"}"#, "names the metric twice"),
        (r#"x {a="b"}"#, "space between the metric name"),
        ("x offset 5m", "not a series"),
        (r#"x{a="b"} offset 5m"#, "modifier"),
        ("x[5m]", "not a series"),
        (r#"x{a="b"}[5m]"#, "expression"),
        ("rate(x[5m])", "not a series"),
        (r#"x{a="b"} 1 2"#, "not a series"),
        (r#"x{a="b" or c="d"}"#, "`or`"),
    ] {
        let e = parse_series(text, SeriesUse::Input).unwrap_err();
        assert!(e.contains(why), "`{text}`: expected `{why}` in: {e}");
    }
}

#[test]
fn expected_labels_may_be_empty_for_a_scalar() {
    assert_eq!(parse_series("", SeriesUse::Expected).unwrap(), labels(&[]));
    assert_eq!(
        parse_series("{}", SeriesUse::Expected).unwrap(),
        labels(&[])
    );
    assert_eq!(
        parse_series(r#"x {a="b"}"#, SeriesUse::Expected).unwrap(),
        labels(&[("__name__", "x"), ("a", "b")])
    );
    assert_eq!(
        parse_series(r#"{a=""}"#, SeriesUse::Expected).unwrap(),
        labels(&[("a", "")])
    );
}

// --- the file ----------------------------------------------------------------------------

#[test]
fn a_full_test_file_reads_every_key() {
    let file = parse_ok(
        r#"
rule_files: [alerts.yml, 'more/*.yml']
evaluation_interval: 30s
group_eval_order: [first, second]
tests:
  - name: errors fire
    interval: 15s
    external_labels: {cluster: eu1}
    external_url: http://prom.example
    input_series:
      - series: 'api_request_total{job="api", code="500"}'
        values: '0+10x3 _ stale'
    alert_rule_test:
      - eval_time: 1m
        alertname: HighErrors
        exp_alerts:
          - exp_labels: {severity: page, job: api}
            exp_annotations: {summary: "api fails"}
      - eval_time: 0
        alertname: HighErrors
    promql_expr_test:
      - expr: sum(api_request_total)
        eval_time: 45s
        exp_samples:
          - labels: '{}'
            value: 30
          - labels: ''
            value: .inf
"#,
    );
    assert_eq!(file.path, PathBuf::from("rules/tests.yml"));
    assert_eq!(file.rule_files, ["alerts.yml", "more/*.yml"]);
    assert_eq!(file.evaluation_interval, duration("30s"));
    assert_eq!(file.group_eval_order, ["first", "second"]);
    let test = &file.tests[0];
    assert_eq!(test.index, 0);
    assert_eq!(test.display_name(), "errors fire");
    assert_eq!(test.interval, duration("15s"));
    assert_eq!(test.external_labels, labels(&[("cluster", "eu1")]));
    assert_eq!(test.external_url.as_deref(), Some("http://prom.example"));
    let series = &test.input_series[0];
    assert_eq!(series.text, r#"api_request_total{job="api", code="500"}"#);
    assert_eq!(
        series.labels,
        labels(&[
            ("__name__", "api_request_total"),
            ("code", "500"),
            ("job", "api")
        ])
    );
    assert_eq!(
        series.values,
        [
            Value(0.0),
            Value(10.0),
            Value(20.0),
            Value(30.0),
            Missing,
            Stale
        ]
    );
    assert_eq!(
        test.alert_rule_test[0],
        AlertRuleTest {
            eval_time: duration("1m"),
            alertname: "HighErrors".into(),
            exp_alerts: vec![ExpAlert {
                exp_labels: labels(&[("job", "api"), ("severity", "page")]),
                exp_annotations: labels(&[("summary", "api fails")]),
            }],
        }
    );
    assert_eq!(test.alert_rule_test[1].eval_time, duration("0s"));
    assert!(test.alert_rule_test[1].exp_alerts.is_empty());
    let expr = &test.promql_expr_test[0];
    assert_eq!(expr.expr, "sum(api_request_total)");
    assert_eq!(expr.eval_time, duration("45s"));
    assert_eq!(expr.exp_samples[0].text, "{}");
    assert_eq!(expr.exp_samples[0].labels, labels(&[]));
    assert_eq!(expr.exp_samples[0].value, 30.0);
    assert_eq!(expr.exp_samples[1].value, f64::INFINITY);
    assert_eq!(test.max_eval_time(), duration("1m"));
    // the stale marker is the last sample: step 5 at 15s steps
    assert_eq!(test.last_sample_time(), duration("1m15s"));
}

#[test]
fn defaults_are_promtools() {
    let file = parse_ok(&one_test(
        r#"
    input_series:
      - series: up
        values: '1 1 _ _'
"#,
    ));
    assert_eq!(file.evaluation_interval, duration("1m"));
    assert!(file.group_eval_order.is_empty());
    let test = &file.tests[0];
    assert_eq!(test.name, None);
    assert_eq!(test.display_name(), "test 0");
    // promtool ≥ 2.48: a test without `interval` steps by the evaluation interval
    assert_eq!(test.interval, duration("1m"));
    assert!(test.alert_rule_test.is_empty() && test.promql_expr_test.is_empty());
    assert!(test.external_labels.is_empty());
    assert_eq!(test.external_url, None);
    assert_eq!(test.max_eval_time(), duration("0s"));
    // trailing blanks are not samples
    assert_eq!(test.last_sample_time(), duration("1m"));

    let file = parse_ok(
        "evaluation_interval: 20s\ntests:\n  - input_series: [{series: up, values: '1 1'}]\n",
    );
    assert_eq!(file.tests[0].interval, duration("20s"));
    assert!(file.rule_files.is_empty());
    // `0s` is unset, for both intervals, as in promtool
    let file = parse_ok("evaluation_interval: 0s\ntests:\n  - interval: 0\n");
    assert_eq!(file.evaluation_interval, duration("1m"));
    assert_eq!(file.tests[0].interval, duration("1m"));
}

#[test]
fn an_empty_file_has_no_tests() {
    let file = parse_ok("");
    assert!(file.tests.is_empty() && file.rule_files.is_empty());
}

#[test]
fn an_expected_sample_without_labels_or_value_is_an_empty_label_set_and_zero() {
    let file = parse_ok(&one_test(
        r#"
    promql_expr_test:
      - expr: vector(0)
        eval_time: 1m
        exp_samples: [{}]
"#,
    ));
    let sample = &file.tests[0].promql_expr_test[0].exp_samples[0];
    assert_eq!((sample.text.as_str(), sample.value), ("", 0.0));
    assert!(sample.labels.is_empty());
}

#[test]
fn an_unknown_key_is_refused_at_every_level_with_the_nearest_known_one() {
    let e = parse_err("rule_file: [a.yml]\n");
    assert_eq!(e.key.as_deref(), Some("rule_file"));
    assert!(e.message.contains("did you mean `rule_files`?"), "{e}");
    assert!(e.message.contains("reads test files strictly"), "{e}");

    for (body, key) in [
        ("intervall: 1m", "tests[0].intervall"),
        (
            "input_series: [{series: up, value: '1'}]",
            "tests[0].input_series[0].value",
        ),
        (
            "alert_rule_test: [{eval_time: 1m, alertname: A, exp_alert: []}]",
            "tests[0].alert_rule_test[0].exp_alert",
        ),
        (
            "alert_rule_test: [{eval_time: 1m, alertname: A, exp_alerts: [{labels: {}}]}]",
            "tests[0].alert_rule_test[0].exp_alerts[0].labels",
        ),
        (
            "promql_expr_test: [{expr: up, eval_time: 1m, foo: 1}]",
            "tests[0].promql_expr_test[0].foo",
        ),
        (
            "promql_expr_test: [{expr: up, eval_time: 1m, exp_samples: [{label: up}]}]",
            "tests[0].promql_expr_test[0].exp_samples[0].label",
        ),
    ] {
        let e = parse_err(&one_test(body));
        assert_eq!(e.key.as_deref(), Some(key), "{body}: {e}");
        assert!(e.message.starts_with("unknown key"), "{body}: {e}");
    }
}

#[test]
fn a_bad_value_token_names_file_test_key_and_token() {
    let e = parse_err(
        r#"
tests:
  - name: first
  - name: api errors
    input_series:
      - series: up
        values: '1 2 3'
      - series: 'api_request_total{code="500"}'
        values: '0+1x3 1+xz'
"#,
    );
    assert_eq!(
        e.to_string(),
        "bad input in rules/tests.yml, resource test `api errors`, key \
         `tests[1].input_series[1].values`: `1+xz`: a number must follow `+` (write `a+bxn`, \
         e.g. `0+10x5`), found `x`"
    );
}

#[test]
fn an_unnamed_test_is_named_by_its_key() {
    let e = parse_err(&one_test("input_series: [{series: up, values: '1 two'}]"));
    assert_eq!(e.resource, None);
    assert_eq!(e.key.as_deref(), Some("tests[0].input_series[0].values"));
    assert!(e.message.starts_with("`two`: "), "{e}");
}

#[test]
fn a_non_number_token_a_negative_repeat_and_a_histogram_are_refused_in_a_file() {
    for (values, wanted) in [
        ("1 x 2", "`x`"),
        ("1x-3", "cannot be negative"),
        ("{{schema:0 sum:1}}", "native histogram"),
    ] {
        let e = parse_err(&one_test(&format!(
            "input_series: [{{series: up, values: '{values}'}}]"
        )));
        assert_eq!(e.key.as_deref(), Some("tests[0].input_series[0].values"));
        assert!(e.message.contains(wanted), "{values}: {e}");
    }
}

#[test]
fn a_non_equality_matcher_in_series_is_refused_naming_the_key() {
    let e = parse_err(&one_test(
        r#"input_series: [{series: 'up{job!="api"}', values: '1'}]"#,
    ));
    assert_eq!(e.key.as_deref(), Some("tests[0].input_series[0].series"));
    assert!(e.message.contains("matched with `!=`"), "{e}");
}

#[test]
fn bad_expected_labels_are_refused_naming_the_key() {
    let e = parse_err(&one_test(
        "promql_expr_test: [{expr: up, eval_time: 1m, exp_samples: [{labels: 'up{a=~\"b\"}'}]}]",
    ));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].promql_expr_test[0].exp_samples[0].labels")
    );
    assert!(e.message.contains("matched with `=~`"), "{e}");
}

#[test]
fn a_missing_eval_time_is_refused_in_both_kinds_of_test() {
    let e = parse_err(&one_test("alert_rule_test: [{alertname: HighErrors}]"));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].alert_rule_test[0].eval_time")
    );
    assert!(
        e.message.starts_with("is missing; say when to check"),
        "{e}"
    );
    let e = parse_err(&one_test("promql_expr_test: [{expr: up}]"));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].promql_expr_test[0].eval_time")
    );
}

#[test]
fn a_missing_alertname_expr_or_series_is_refused() {
    let e = parse_err(&one_test("alert_rule_test: [{eval_time: 1m}]"));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].alert_rule_test[0].alertname")
    );
    let e = parse_err(&one_test("promql_expr_test: [{eval_time: 1m, expr: ''}]"));
    assert_eq!(e.key.as_deref(), Some("tests[0].promql_expr_test[0].expr"));
    assert!(e.message.starts_with("is empty"), "{e}");
    let e = parse_err(&one_test("input_series: [{values: '1'}]"));
    assert_eq!(e.key.as_deref(), Some("tests[0].input_series[0].series"));
}

#[test]
fn a_bad_duration_or_type_is_refused_naming_the_key() {
    let e = parse_err("evaluation_interval: 1 minute\n");
    assert_eq!(e.key.as_deref(), Some("evaluation_interval"));
    assert!(e.message.contains("`1 minute`"), "{e}");
    let e = parse_err(&one_test(
        "alert_rule_test: [{eval_time: 60, alertname: A}]",
    ));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].alert_rule_test[0].eval_time")
    );
    let e = parse_err(&one_test(
        "promql_expr_test: [{expr: up, eval_time: 1m, exp_samples: [{value: '1'}]}]",
    ));
    assert_eq!(
        e.key.as_deref(),
        Some("tests[0].promql_expr_test[0].exp_samples[0].value")
    );
    assert!(e.message.contains("must be a number"), "{e}");
    let e = parse_err("tests: {name: x}\n");
    assert_eq!(e.key.as_deref(), Some("tests"));
    assert!(e.message.contains("must be a list"), "{e}");
    let e = parse_err("- a\n- b\n");
    assert_eq!(e.key, None);
    assert!(e.message.contains("must be a mapping"), "{e}");
}

#[test]
fn a_group_listed_twice_in_the_order_is_refused() {
    let e = parse_err("group_eval_order: [a, b, a]\n");
    assert_eq!(e.key.as_deref(), Some("group_eval_order[2]"));
    assert!(e.message.contains("`a` is listed twice"), "{e}");
}

#[test]
fn invalid_yaml_is_refused_with_its_line() {
    let e = parse_err("tests:\n  - name: [unclosed\n");
    assert!(e.message.starts_with("not valid YAML at line"), "{e}");
    let e = parse_err("tests: []\ntests: []\n");
    assert!(e.message.contains("duplicate"), "{e}");
}

#[test]
fn a_missing_file_is_an_input_error_naming_it() {
    let path = Path::new("/nonexistent/firedrill/tests.yml");
    match read_test_file(path) {
        Err(Error::Input(e)) => {
            assert_eq!(e.file, path);
            assert!(
                e.message.starts_with("cannot read the rule test file"),
                "{e}"
            );
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

// --- real files --------------------------------------------------------------------------

#[test]
fn every_test_file_of_the_service_alerts_fixture_reads() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/rule-tests/service-alerts/tests");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_test.yaml") {
            continue;
        }
        let file = read_test_file(&path).unwrap_or_else(|e| panic!("{e}"));
        // firedrill's expectations beside it, where there are some, read too.
        read_expectations(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            file.rule_files,
            ["records.yaml", "alerts.yaml"],
            "{}",
            path.display()
        );
        assert!(!file.tests.is_empty(), "{}", path.display());
        read += 1;
    }
    assert_eq!(read, 6, "six test files in {}", dir.display());
}

#[test]
fn the_time_model_fixture_reads() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/rule-tests/time-model/tests.yaml");
    let file = read_test_file(&path).unwrap();
    assert_eq!(file.rule_files, ["rules.yaml"]);
    assert!(!file.tests.is_empty());
    for test in &file.tests {
        assert!(!test.input_series.is_empty(), "{}", test.display_name());
        assert!(
            test.alert_rule_test.len() + test.promql_expr_test.len() > 0,
            "{}",
            test.display_name()
        );
    }
}

mod expectations {
    use std::path::Path;

    use super::parse_ok;
    use crate::ruletest::expect::parse_expectations;
    use crate::ruletest::{NotificationExpectation, TestExpectations};

    const FILE: &str = r#"
rule_files: [alerts.yaml]
tests:
  - name: errors fail
    input_series: []
    alert_rule_test:
      - eval_time: 5m
        alertname: HighErrors
        exp_alerts: [{exp_labels: {severity: warning}}]
      - eval_time: 5m
        alertname: Quiet
        exp_alerts: []
  - input_series: []
"#;

    fn read(text: &str) -> Result<Vec<(usize, TestExpectations)>, String> {
        parse_expectations(
            Path::new("rules/tests.firedrill.yaml"),
            text,
            &parse_ok(FILE),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_test_named_or_indexed_gets_its_receivers_channels_and_no_other_notifications() {
        let read = read(
            "tests:\n  - test: errors fail\n    notifications:\n      - alertname: HighErrors\n        receiver: slack-warning\n        channel: '#warn'\n    no_other_notifications: true\n  - test: 1\n    no_other_notifications: false\n",
        )
        .unwrap();
        assert_eq!(
            read,
            vec![
                (
                    0,
                    TestExpectations {
                        notifications: vec![NotificationExpectation {
                            alertname: "HighErrors".into(),
                            receiver: Some("slack-warning".into()),
                            channel: Some("#warn".into()),
                        }],
                        no_other_notifications: true,
                    }
                ),
                (1, TestExpectations::default()),
            ]
        );
    }

    #[test]
    fn an_unknown_test_key_or_an_alert_never_expected_firing_is_refused_naming_the_key() {
        for (text, wants) in [
            (
                "tests:\n  - test: errors fial\n",
                "key `tests[0].test`: no test of rules/tests.yml is named `errors fial`; did you mean `errors fail`?",
            ),
            ("tests:\n  - test: 7\n", "is not the index of one of the 2 tests"),
            (
                "tests:\n  - test: 0\n    notify: []\n",
                "key `tests[0].notify`: unknown key; firedrill reads its expectations strictly (the keys here are test, notifications, no_other_notifications)",
            ),
            (
                "tests:\n  - test: 0\n    notifications: [{alertname: Quiet, receiver: x}]\n",
                "Quiet is never expected firing in test `errors fail`",
            ),
            (
                "tests:\n  - test: 0\n    notifications: [{alertname: HighErrors}]\n",
                "give a receiver, a channel or both",
            ),
            (
                "tests:\n  - test: 0\n  - test: errors fail\n",
                "names a test named before",
            ),
        ] {
            let err = read(text).expect_err(text);
            assert!(
                err.contains("rules/tests.firedrill.yaml") && err.contains(wants),
                "{text}\nsays: {err}\nwants: {wants}"
            );
        }
    }
}

mod fuzz;
