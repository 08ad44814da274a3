//! One time model: rules rewritten for a time scale compute, on the same series at compressed
//! steps, what they compute in production. Prometheus's own engine is the judge: `promtool
//! test rules` must find the same alerts, labels and annotations (values included) in the
//! production file and in its compressed twin (`fixtures/rule-tests/time-model`).

use std::path::{Path, PathBuf};
use std::process::Command;

use firedrill::fixtures::repository_root;
use firedrill::internal::{on_path, scaled_rule_file};
use serde_yaml::Value;

fn fixture() -> PathBuf {
    repository_root().join("fixtures/rule-tests/time-model")
}

fn promtool() -> PathBuf {
    std::env::var_os("FIREDRILL_PROMTOOL_BIN")
        .map(PathBuf::from)
        .or_else(|| on_path("promtool"))
        .expect(
            "promtool is needed to judge the time model: install it with ci/install-deps \
             (apt-get install prometheus) or set FIREDRILL_PROMTOOL_BIN",
        )
}

/// `promtool test rules FILE`: whether it passed, and what it said.
fn promtool_test(file: &Path) -> (bool, String) {
    let output = Command::new(promtool())
        .args(["test", "rules"])
        .arg(file)
        .output()
        .expect("promtool runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// `2m`, `30s`, `1h` divided by `scale`, in milliseconds (`4000ms`).
fn scaled_duration(text: &str, scale: f64) -> String {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_alphabetic()).expect("a unit"));
    let seconds: f64 = number.parse::<f64>().expect("a number")
        * match unit {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => panic!("unit {other} not used by the fixture"),
        };
    format!("{}ms", (seconds * 1000.0 / scale).round())
}

/// The promtool test file in compressed time: its evaluation interval, each test's interval
/// and every `eval_time` divided by `scale`; the series (values per step) unchanged.
fn scaled_tests(yaml: &str, scale: f64) -> String {
    let mut tests: Value = serde_yaml::from_str(yaml).expect("the fixture is YAML");
    let scale_key = |map: &mut Value, key: &str| {
        if let Some(Value::String(text)) = map.get_mut(key) {
            *text = scaled_duration(text, scale);
        }
    };
    scale_key(&mut tests, "evaluation_interval");
    for test in tests["tests"].as_sequence_mut().expect("tests") {
        scale_key(test, "interval");
        for kind in ["alert_rule_test", "promql_expr_test"] {
            if let Some(cases) = test.get_mut(kind).and_then(Value::as_sequence_mut) {
                for case in cases {
                    scale_key(case, "eval_time");
                }
            }
        }
    }
    serde_yaml::to_string(&tests).expect("YAML")
}

/// Only `for` and the group intervals divided by `scale`, expressions as written: the time
/// model firedrill had before it rewrote expressions.
fn durations_only(yaml: &str, scale: f64) -> String {
    let mut rules: Value = serde_yaml::from_str(yaml).expect("the fixture is YAML");
    for group in rules["groups"].as_sequence_mut().expect("groups") {
        if let Some(Value::String(interval)) = group.get_mut("interval") {
            *interval = scaled_duration(interval, scale);
        }
        for rule in group["rules"].as_sequence_mut().expect("rules") {
            if let Some(Value::String(for_)) = rule.get_mut("for") {
                *for_ = scaled_duration(for_, scale);
            }
        }
    }
    serde_yaml::to_string(&rules).expect("YAML")
}

/// The fixture's tests and `rules` (as given) in a temp dir, judged by promtool.
fn judge(rules: &str, tests: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("rules.yaml"), rules).expect("writing rules");
    std::fs::write(dir.path().join("tests.yaml"), tests).expect("writing tests");
    promtool_test(&dir.path().join("tests.yaml"))
}

#[test]
fn rules_rewritten_for_a_time_scale_fire_with_the_values_production_computes() {
    let rules = std::fs::read_to_string(fixture().join("rules.yaml")).expect("the rules");
    let tests = std::fs::read_to_string(fixture().join("tests.yaml")).expect("the tests");
    let (passed, said) = promtool_test(&fixture().join("tests.yaml"));
    assert!(
        passed,
        "the fixture fails in production time already:\n{said}"
    );
    for scale in [10.0, 30.0, 60.0] {
        let rewritten = scaled_rule_file(&rules, scale).unwrap_or_else(|e| panic!("{e}"));
        let (passed, said) = judge(&rewritten, &scaled_tests(&tests, scale));
        assert!(
            passed,
            "at time scale {scale}, promtool finds other alerts than in production:\n{said}\n\
             the rules as rewritten:\n{rewritten}"
        );
    }
}

#[test]
fn with_only_for_and_intervals_scaled_the_same_rules_disagree_with_production() {
    let rules = std::fs::read_to_string(fixture().join("rules.yaml")).expect("the rules");
    let tests = std::fs::read_to_string(fixture().join("tests.yaml")).expect("the tests");
    let (passed, said) = judge(&durations_only(&rules, 30.0), &scaled_tests(&tests, 30.0));
    assert!(
        !passed,
        "the planted wrong time model passed, so the agreement check could not fail:\n{said}"
    );
    assert!(said.contains("FAILED"), "{said}");
}
