//! `firedrill test`: promtool rule unit-test files replayed live through the real Prometheus,
//! Alertmanager and the Slack mock, on the backend `FIREDRILL_BACKEND` names, with promtool as
//! the oracle. The fixture is `fixtures/rule-tests/service-alerts` (18 rules, 18 tests).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use firedrill::{
    assert_rule_tests_passed, CheckStatus, Error, RuleTestReport, RuleTests, TestReport,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/rule-tests/service-alerts")
}

fn test_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture().join("tests"))
        .expect("the fixture's tests")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.to_string_lossy().ends_with("_test.yaml"))
        .collect();
    files.sort();
    files
}

/// The report, or `None` on the kube backend, where `firedrill test` is refused by name
/// (each test needs a Prometheus and an Alertmanager of its own, in seconds).
async fn run(manifests: &Path, files: &[PathBuf], unscaled: bool) -> Option<RuleTestReport> {
    let mut tests = RuleTests::new(manifests);
    if unscaled {
        tests = tests.with_unscaled_expressions();
    }
    run_tests(tests, files).await
}

/// [`run`] for tests set up by the caller.
async fn run_tests(mut tests: RuleTests, files: &[PathBuf]) -> Option<RuleTestReport> {
    for file in files {
        tests = tests.with_file(file);
    }
    let result = tests.run().await;
    if std::env::var("FIREDRILL_BACKEND").as_deref() == Ok("kube") {
        let err = result.expect_err("firedrill test is refused on kube");
        assert!(
            matches!(err, Error::Input(_))
                && err
                    .to_string()
                    .contains("runs on the process and docker backends, not kube"),
            "not refused by name: {err}"
        );
        return None;
    }
    Some(result.unwrap_or_else(|e| panic!("{e}")))
}

fn tests(report: &RuleTestReport) -> impl Iterator<Item = &TestReport> {
    report.files.iter().flat_map(|f| &f.tests)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_test_of_the_service_alerts_fixture_passes_end_to_end_and_agrees_with_promtool() {
    let files = test_files();
    assert_eq!(files.len(), 6, "{files:?}");
    let Some(report) = run(&fixture().join("manifests"), &files, false).await else {
        return;
    };
    assert_rule_tests_passed(&report);
    assert_eq!(tests(&report).count(), 18, "{report}");
    for test in tests(&report) {
        assert!(
            test.promtool.passed && test.compared > 0,
            "{}: promtool passed {}, {} evaluations compared",
            test.name,
            test.promtool.passed,
            test.compared
        );
    }
    // Every alerting rule was followed to Slack (or found inhibited by Alertmanager) in
    // some test: nothing passes by not being looked at.
    let spec = firedrill::internal::load_dir(&fixture().join("manifests")).expect("the fixture");
    let alerts: BTreeSet<String> = spec
        .prometheus()
        .alert_rules()
        .filter_map(|(_, rule)| rule.alert.clone())
        .collect();
    assert!(alerts.len() >= 10, "{alerts:?}");
    let delivered: BTreeSet<String> = tests(&report)
        .flat_map(|t| &t.checks)
        .filter(|c| c.outcome.status == CheckStatus::Passed)
        .filter(|c| {
            c.outcome.name.ends_with("delivered to Slack")
                || c.outcome.name.ends_with("inhibited in Alertmanager")
        })
        .filter_map(|c| c.outcome.name.split_whitespace().nth(1).map(str::to_string))
        .collect();
    let missed: Vec<&String> = alerts.difference(&delivered).collect();
    assert!(
        missed.is_empty(),
        "alerts no test followed to Slack: {missed:?}\n{report}"
    );
    assert!(
        tests(&report).any(|t| t
            .checks
            .iter()
            .any(|c| c.outcome.name.contains("resolved") && c.outcome.passed())),
        "no resolved message was proven: {report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_time_model_is_reported_as_a_disagreement_with_promtool() {
    let errors = fixture().join("tests/errors_test.yaml");
    let Some(report) = run(&fixture().join("manifests"), &[errors], true).await else {
        return;
    };
    assert!(!report.passed(), "the planted time model passed: {report}");
    let disagreeing: Vec<&TestReport> = tests(&report)
        .filter(|t| !t.disagreements.is_empty())
        .collect();
    assert!(
        !disagreeing.is_empty(),
        "no test reported a disagreement with promtool: {report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("the live run disagrees with promtool")
            && text.contains("promtool found")
            && text.contains("the live Prometheus"),
        "the report does not say what each side found: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_that_fires_but_reaches_no_slack_receiver_fails_naming_its_route() {
    let dir = manifests_copy(|path, text| {
        if !path.ends_with("alertmanager-secret.yaml") {
            return text;
        }
        // The default route (where the info alerts go) now notifies no one.
        text.replacen(
            "      receiver: slack-default\n",
            "      receiver: nowhere\n",
            1,
        )
        .replacen(
            "    receivers:\n",
            "    receivers:\n      - name: nowhere\n",
            1,
        )
    });
    let errors = fixture().join("tests/errors_test.yaml");
    let Some(report) = run(dir.path(), &[errors], false).await else {
        return;
    };
    assert!(!report.passed(), "{report}");
    let failed: Vec<String> = tests(&report).filter_map(TestReport::cause).collect();
    assert!(
        failed
            .iter()
            .any(|cause| cause.contains("EchoServerErrorBurst")
                && cause.contains("receiver `nowhere`")
                && cause.contains("no slack_configs")),
        "no failure names the route to a receiver without Slack: {failed:#?}"
    );
}

/// The target down for an hour, nothing else amiss: EchoTargetDown is the one alert that
/// fires, from 2m on.
const DOWN_FOR_AN_HOUR: &str = r#"
rule_files: [records.yaml, alerts.yaml]
evaluation_interval: 1m
tests:
  - name: the target is down for an hour while requests keep coming
    interval: 1m
    input_series:
      - series: 'up{job="echo", instance="echo-service:80", service="echo"}'
        values: '0x60'
      - series: 'api_request_total{job="echo", service="echo", path="/", code="200"}'
        values: '0+60x60'
    alert_rule_test:
      - eval_time: 60m
        alertname: EchoTargetDown
        exp_alerts:
          - exp_labels:
              severity: critical
              job: echo
              instance: echo-service:80
              service: echo
            exp_annotations:
              summary: "echo target echo-service:80 is down"
              description: "Prometheus has failed to scrape echo-service:80 for 2 minutes."
              runbook_url: https://runbooks.example.com/echo/target-down
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_that_comes_after_its_deadline_makes_the_test_inconclusive_not_failed() {
    // Slack answers the first message 404, which Alertmanager does not retry: it sends the
    // alert again at the group's next flush, a group_interval (30m, 6 s at time scale 300)
    // later. That is after the delivered check's deadline (group_wait, a second and a 2 s
    // margin), and before the test ends (60m), as a notification held up on a loaded machine
    // would come.
    let dir = manifests_copy(|path, text| {
        if path.ends_with("alertmanager-secret.yaml") {
            text.replacen("group_interval: 5m", "group_interval: 30m", 1)
        } else {
            text
        }
    });
    let files = tempfile::tempdir().expect("a temp dir");
    let file = files.path().join("down_test.yaml");
    std::fs::write(&file, DOWN_FOR_AN_HOUR).expect("written");
    let options = firedrill::StartOptions::from_env()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_slack_fault(firedrill::SlackFault::status(404, Some(1)));
    let late = RuleTests::new(dir.path())
        .with_options(options)
        .with_time_scale(300)
        .with_margin(std::time::Duration::from_secs(2));
    let Some(report) = run_tests(late, &[file]).await else {
        return;
    };
    let test = tests(&report).next().expect("the one test");
    let cause = test.cause().unwrap_or_default();
    assert!(
        test.inconclusive
            && cause.starts_with("alert EchoTargetDown delivered to Slack only ")
            && cause.contains(" s after its deadline: a notification that comes late"),
        "not inconclusive for a late notification: {cause}\n{report}"
    );
    let delivered = test
        .checks
        .iter()
        .find(|c| c.outcome.name == "alert EchoTargetDown delivered to Slack")
        .expect("the delivered check");
    assert!(
        delivered.outcome.status == CheckStatus::Failed && delivered.outcome.detail.contains("404"),
        "the delivered check does not name Slack's 404: {:?}",
        delivered.outcome
    );
}

/// A copy of the fixture's manifests in a temp dir, each file's text changed by `edit`.
fn manifests_copy(edit: impl Fn(&Path, String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(fixture().join("manifests")).expect("the manifests") {
        let path = entry.expect("an entry").path();
        let text = edit(&path, std::fs::read_to_string(&path).expect("a manifest"));
        std::fs::write(dir.path().join(path.file_name().expect("a name")), text).expect("a copy");
    }
    dir
}

const SNAPSHOT_CHECK: &str = "Slack messages match their snapshot";

#[tokio::test(flavor = "multi_thread")]
async fn slack_messages_are_compared_with_their_snapshots_and_a_changed_template_fails_with_a_diff()
{
    let snapshots = fixture().join("snapshots");
    let availability = fixture().join("tests/availability_test.yaml");
    // The committed snapshots are what the manifests deliver.
    let tests_of = |manifests: &Path| RuleTests::new(manifests).with_snapshots(&snapshots);
    let Some(report) = run_tests(
        tests_of(&fixture().join("manifests")),
        std::slice::from_ref(&availability),
    )
    .await
    else {
        return;
    };
    assert_rule_tests_passed(&report);
    let compared = tests(&report)
        .filter(|t| {
            t.checks
                .iter()
                .any(|c| c.outcome.name == SNAPSHOT_CHECK && c.outcome.passed())
        })
        .count();
    assert_eq!(compared, 4, "every test's messages compared: {report}");

    // A template whose wording changed: every message differs, and the diff shows the line.
    let changed = manifests_copy(|path, text| {
        if path.ends_with("alertmanager-secret.yaml") {
            text.replacen("*Summary:*", "*What:*", 1)
        } else {
            text
        }
    });
    let Some(report) = run_tests(tests_of(changed.path()), &[availability]).await else {
        return;
    };
    assert!(!report.passed(), "{report}");
    for test in tests(&report) {
        let cause = test.cause().unwrap_or_default();
        let evidence = test
            .checks
            .iter()
            .find(|c| c.outcome.name == SNAPSHOT_CHECK)
            .and_then(|c| c.outcome.evidence.clone())
            .unwrap_or_default();
        assert!(
            cause.contains("the payloads differ from")
                && cause.contains("--update-snapshots")
                && evidence.contains("-      *Summary:* ")
                && evidence.contains("+      *What:* "),
            "{}: not failed with a diff of the changed line: {cause}\n{evidence}",
            test.name
        );
    }
    let printed = report.to_string();
    assert!(printed.contains("+++ delivered"), "{printed}");
}

/// One test of a fixture file, alone in a file of the same name in `dir`.
fn one_test_of(file: &str, index: usize, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture().join("tests").join(file)).expect("the file");
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let tests = doc["tests"].as_sequence_mut().expect("tests");
    let test = tests.remove(index);
    *tests = vec![test];
    let path = dir.join(file);
    std::fs::write(&path, serde_yaml::to_string(&doc).expect("YAML")).expect("written");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_in_another_channel_or_an_alert_no_test_expects_fails_the_expectations_beside_the_test(
) {
    let dir = tempfile::tempdir().expect("a temp dir");
    // The bad deploy: the p99 alert goes to #alerts-warning, not #alerts-critical.
    let routing = one_test_of("routing_test.yaml", 0, dir.path());
    std::fs::write(
        dir.path().join("routing_test.firedrill.yaml"),
        "tests:\n  - test: 0\n    notifications:\n      - alertname: EchoLatencyP99High\n        channel: '#alerts-critical'\n",
    )
    .expect("written");
    // A steady counter, and no `up` at all: EchoTargetMissing fires, which the test never
    // names.
    let availability = one_test_of("availability_test.yaml", 3, dir.path());
    std::fs::write(
        dir.path().join("availability_test.firedrill.yaml"),
        "tests:\n  - test: a counter exported all along is not missing\n    no_other_notifications: true\n",
    )
    .expect("written");
    let Some(report) = run(
        &fixture().join("manifests"),
        &[routing, availability],
        false,
    )
    .await
    else {
        return;
    };
    let causes: Vec<String> = tests(&report).filter_map(TestReport::cause).collect();
    assert!(
        causes.iter().any(|c| c.starts_with(
            "alert EchoLatencyP99High notified in #alerts-critical: EchoLatencyP99High was \
             notified through slack-warning in #alerts-warning, not in #alerts-critical"
        )),
        "the wrong channel is not the cause: {causes:#?}\n{report}"
    );
    assert!(
        causes
            .iter()
            .any(|c| c.starts_with("no other notification: ")
                && c.contains("EchoTargetMissing for receiver slack-critical")),
        "the other alert is not the cause: {causes:#?}\n{report}"
    );
    assert_eq!(causes.len(), 2, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_file_promtool_would_refuse_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let bad = dir.path().join("bad_test.yaml");
    std::fs::write(
        &bad,
        "rule_files: [alerts.yaml]\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'up{job=\"echo\"}'\n        values: '1 1 x'\n",
    )
    .expect("a test file");
    let started = std::time::Instant::now();
    let err = RuleTests::new(fixture().join("manifests"))
        .with_file(&bad)
        .run()
        .await
        .expect_err("a bad test file is refused");
    assert!(
        matches!(err, Error::Input(_)),
        "not a bad-input error: {err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("bad_test.yaml") && text.contains("tests[0].input_series[0].values"),
        "the error does not name the file and the key: {text}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refusing took {:?}: something was started",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_file_the_manifests_do_not_deploy_is_refused_naming_both() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("other_test.yaml");
    std::fs::write(
        &file,
        "rule_files: [other-rules.yaml]\ntests:\n  - interval: 1m\n    input_series: []\n",
    )
    .expect("a test file");
    let err = RuleTests::new(fixture().join("manifests"))
        .with_file(&file)
        .run()
        .await
        .expect_err("an unknown rule file is refused");
    let text = err.to_string();
    assert!(
        text.contains("other-rules.yaml")
            && text.contains("/etc/prometheus/rules/alerts.yaml")
            && text.contains("rule_files"),
        "the error does not name both sides: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_with_kubernetes_discovery_has_its_alert_tested_end_to_end_without_scraping_anything(
) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let manifests = root.join("manifests/kubernetes-discovery");
    let file = root.join("rule-tests/kubernetes-discovery/deadmansswitch_test.yaml");
    let Some(report) = run(&manifests, &[file], false).await else {
        return;
    };
    assert_rule_tests_passed(&report);
    let test = &report.files[0].tests[0];
    assert!(
        test.checks.iter().any(
            |c| c.outcome.name == "alert DeadMansSwitch delivered to Slack" && c.outcome.passed()
        ),
        "DeadMansSwitch was not proven delivered: {report}"
    );
    assert!(
        report.files[0]
            .changes
            .iter()
            .any(|c| c.contains("scrape_configs") && c.contains("remote write")),
        "the scrape jobs' removal is not a listed change: {:#?}",
        report.files[0].changes
    );
}
