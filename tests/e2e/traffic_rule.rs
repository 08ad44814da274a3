//! A rule the test adds, driven by the traffic it sends: it fires, then resolves, and both
//! messages reach Slack.

use firedrill::checks::{assert_all_passed, Check, MetricExpectation, Traffic};
use firedrill::fixtures::{seed_manifests, StackBuilder};

use super::support::run;

const BURST_RULES: &str = r#"
groups:
  - name: firedrill-traffic
    rules:
      - alert: HelloTrafficBurst
        expr: sum(api_request_total) >= 3 and sum(api_request_total) < 5
        for: 15s
        labels:
          severity: info
        annotations:
          summary: three hellos seen
          description: fires at 3 to 4 requests, resolves at 5
"#;

#[tokio::test]
async fn a_traffic_driven_rule_added_by_the_test_fires_then_resolves() {
    let stack = StackBuilder::new(seed_manifests())
        .with_extra_rules("burst-rules.yaml", BURST_RULES)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let alert = "HelloTrafficBurst".to_string();
    let hello = |count| Traffic {
        path: "/hello".into(),
        count,
    };
    let metric = |value| MetricExpectation {
        name: "api_request_total".into(),
        value,
    };

    let firing = run(
        &stack,
        &[
            Check::RulesHealthy,
            Check::SendTraffic(vec![hello(3)]),
            Check::MetricValue(metric(3.0)),
            Check::AlertPending(alert.clone()),
            Check::AlertFiring(alert.clone()),
            Check::AlertInAlertmanager(alert.clone()),
            Check::AlertDelivered(alert.clone()),
        ],
    )
    .await;
    assert_all_passed(&firing);

    let resolved = run(
        &stack,
        &[
            Check::SendTraffic(vec![hello(2)]),
            Check::MetricValue(metric(5.0)),
            Check::AlertResolved(alert.clone()),
        ],
    )
    .await;
    assert_all_passed(&resolved);

    let messages = stack.slack().messages().await;
    let naming: Vec<_> = messages
        .iter()
        .filter(|m| m.texts().iter().any(|t| t.contains("HelloTrafficBurst")))
        .collect();
    assert!(
        naming.len() >= 2,
        "expected a firing and a resolved message naming the alert, got {messages:#?}"
    );
    stack.shutdown().await;
}
