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
fn the_scale_is_the_largest_that_divides_every_duration_and_keeps_an_evaluation_the_minimum_tick_long(
) {
    let file = parse_test_file(Path::new("t.yaml"), FILE).unwrap();
    let scale = choose_scale(&file, &no_rules(), None, Duration::from_millis(200)).unwrap();
    assert_eq!((scale.factor, scale.tick_ms), (300, 200));
    let scale = choose_scale(&file, &no_rules(), None, Duration::from_millis(100)).unwrap();
    assert_eq!((scale.factor, scale.tick_ms), (600, 100));
}

#[test]
fn a_test_run_again_on_a_loaded_machine_evaluates_at_least_twice_as_slowly() {
    let file = parse_test_file(Path::new("t.yaml"), FILE).unwrap();
    let scale = choose_scale(&file, &no_rules(), None, Duration::from_millis(200)).unwrap();
    let slower = super::timeline::slower(&file, &no_rules(), scale).expect("a slower scale");
    assert_eq!((slower.factor, slower.tick_ms), (150, 400));
    let slowest = super::timeline::Scale {
        factor: 2,
        tick_ms: 30_000,
    };
    assert_eq!(
        super::timeline::slower(&file, &no_rules(), slowest),
        None,
        "only real time is twice as slow as 2, and it is not chosen"
    );
}

#[test]
fn a_few_tests_at_once_evaluate_every_100_ms_and_many_every_200_ms() {
    let cores = super::timeline::cores();
    assert_eq!(
        super::timeline::min_tick(3 * cores),
        Duration::from_millis(100)
    );
    assert_eq!(
        super::timeline::min_tick(3 * cores + 1),
        Duration::from_millis(200)
    );
}

#[test]
fn a_given_scale_that_does_not_divide_a_duration_is_refused_naming_it() {
    let text = FILE.replace("eval_time: 15m", "eval_time: 15m7s");
    let file = parse_test_file(Path::new("t.yaml"), &text).unwrap();
    let err = choose_scale(&file, &no_rules(), Some(600), Duration::from_millis(200))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tests[0].alert_rule_test[3].eval_time") && err.contains("15m7s"),
        "{err}"
    );
    let chosen = choose_scale(&file, &no_rules(), None, Duration::from_millis(200)).unwrap();
    assert_eq!(
        (chosen.factor, chosen.tick_ms),
        (200, 300),
        "15m7s is 907000 ms: 200 is the largest listed scale dividing it: {chosen:?}"
    );
}

mod snapshot {
    use super::super::run::Snapshot;
    use crate::clients::RuleGroupStatus;

    /// Time zero's evaluation by the wall clock, and the tick, in milliseconds.
    const T0: i64 = 1_700_000_000_000;
    const TICK: i64 = 200;

    fn at(tick: i64) -> String {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis((T0 + tick * TICK) as u64);
        crate::time::format_timestamp(t)
    }

    /// The rules API's answer: the replay group with two alerting rules (`A` and `B`), each
    /// last evaluated at the tick given, firing with that tick as its value.
    fn answer(a: i64, b: i64) -> Vec<RuleGroupStatus> {
        let rule = |name: &str, tick: i64| {
            serde_json::json!({
                "name": name, "query": "vector(1)", "type": "alerting",
                "lastEvaluation": at(tick),
                "alerts": [{
                    "labels": {"alertname": name}, "annotations": {"tick": tick.to_string()},
                    "state": "firing", "value": format!("{tick}")
                }]
            })
        };
        serde_json::from_value(serde_json::json!([{
            "name": super::super::spec::GROUP,
            "rules": [
                {"name": "firedrill_replay_tick", "query": "vector(1)", "type": "recording",
                 "lastEvaluation": at(b)},
                rule("A", a),
                rule("B", b),
            ]
        }]))
        .unwrap()
    }

    fn ticks(snapshot: &Snapshot, name: &str) -> Vec<i64> {
        snapshot.named(name).map(|(tick, _)| tick).collect()
    }

    #[test]
    fn a_read_during_the_next_evaluation_keeps_each_rule_from_the_answer_that_shows_it_at_the_tick()
    {
        let mut snapshot = Snapshot::default();
        // Too early: B still shows tick 3.
        snapshot.merge(Ok(answer(4, 3)), 4, T0, TICK).unwrap();
        assert!(!snapshot.complete(), "B was not read at tick 4 or after");
        // Read while tick 5 runs: A already at 5, B at 4.
        snapshot.merge(Ok(answer(5, 4)), 4, T0, TICK).unwrap();
        assert!(snapshot.complete());
        assert_eq!(
            (ticks(&snapshot, "A"), ticks(&snapshot, "B")),
            (vec![4], vec![4]),
            "A was read at tick 4 by the first answer, B by the second"
        );
        assert!(snapshot.all_at(4));
    }

    #[test]
    fn a_rule_seen_only_later_keeps_its_earliest_later_read_and_an_answer_arriving_late_restores_the_tick(
    ) {
        let mut snapshot = Snapshot::default();
        snapshot.merge(Ok(answer(6, 6)), 4, T0, TICK).unwrap();
        snapshot.merge(Ok(answer(5, 7)), 4, T0, TICK).unwrap();
        assert_eq!(
            (ticks(&snapshot, "A"), ticks(&snapshot, "B")),
            (vec![5], vec![6])
        );
        assert!(snapshot.complete() && !snapshot.all_at(4));
        // An answer sent earlier and received last shows tick 4 for A: it wins.
        snapshot.merge(Ok(answer(4, 3)), 4, T0, TICK).unwrap();
        assert_eq!(
            (ticks(&snapshot, "A"), ticks(&snapshot, "B")),
            (vec![4], vec![6])
        );
        assert!(!snapshot.all_at(4), "B was never read at tick 4");
    }

    #[test]
    fn an_answer_without_the_replay_group_stops_the_run_and_a_failed_request_does_not() {
        let mut snapshot = Snapshot::default();
        let error = crate::clients::ClientError::Status {
            endpoint: crate::clients::error::Endpoint {
                method: "GET",
                path: "/api/v1/rules".to_string(),
            },
            status: 503,
            body: String::new(),
        };
        assert!(snapshot.merge(Err(error), 4, T0, TICK).unwrap().is_some());
        assert!(snapshot.merge(Ok(Vec::new()), 4, T0, TICK).is_err());
    }
}
