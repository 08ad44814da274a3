use std::path::Path;
use std::time::Duration;

use super::run::{expected_alerts, Follow};
use super::spec::MatchedRules;
use super::timeline::choose_scale;
use crate::ruletest::parse_test_file;

const FILE: &str = r#"
rule_files: [alerts.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="api"}'
        values: '1 1 0x20'
    alert_rule_test:
      - eval_time: 1m
        alertname: TargetDown
        exp_alerts: []
      - eval_time: 10m
        alertname: TargetDown
        exp_alerts:
          - exp_labels: {job: api}
      - eval_time: 20m
        alertname: TargetDown
        exp_alerts: []
      - eval_time: 15m
        alertname: Other
        exp_alerts: []
"#;

fn no_rules() -> MatchedRules {
    MatchedRules { files: Vec::new() }
}

#[test]
fn an_alert_is_followed_from_the_eval_time_before_it_first_fires_and_resolves_when_a_later_one_expects_it_gone(
) {
    let file = parse_test_file(Path::new("t.yaml"), FILE).unwrap();
    let follows = expected_alerts(&file.tests[0]);
    assert_eq!(
        follows.get("TargetDown"),
        Some(&Follow {
            start: Duration::from_secs(60),
            resolves: true
        })
    );
    assert!(
        !follows.contains_key("Other"),
        "an alert expected to fire nowhere is not followed: {follows:?}"
    );
}

#[test]
fn the_scale_is_the_largest_that_divides_every_duration_and_keeps_an_evaluation_200_ms_long() {
    let file = parse_test_file(Path::new("t.yaml"), FILE).unwrap();
    let scale = choose_scale(&file, &no_rules(), None).unwrap();
    assert_eq!((scale.factor, scale.tick_ms), (300, 200));
}

#[test]
fn a_given_scale_that_does_not_divide_a_duration_is_refused_naming_it() {
    let text = FILE.replace("eval_time: 15m", "eval_time: 15m7s");
    let file = parse_test_file(Path::new("t.yaml"), &text).unwrap();
    let err = choose_scale(&file, &no_rules(), Some(600))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tests[0].alert_rule_test[3].eval_time") && err.contains("15m7s"),
        "{err}"
    );
    let chosen = choose_scale(&file, &no_rules(), None).unwrap();
    assert_eq!(
        (chosen.factor, chosen.tick_ms),
        (200, 300),
        "15m7s is 907000 ms: 200 is the largest listed scale dividing it: {chosen:?}"
    );
}
