//! A rule the test adds, driven by the traffic it sends: it fires, then resolves, and both
//! messages reach Slack.

use std::time::Duration;

use firedrill::fixtures::seed_manifests;
use firedrill::internal::PrometheusClient;
use firedrill::internal::{poll, Look};
use firedrill::StackBuilder;
use firedrill::{assert_all_passed, Check, CheckStatus, MetricExpectation, Traffic};

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
    let hello = |count| Traffic::get("/hello", count);
    // The increase since before the stack's first request: all of the test's traffic so far.
    let metric = |increase| MetricExpectation {
        name: "api_request_total".into(),
        increase,
    };

    // Before any check has seen it active, its resolution proves nothing, and the check says
    // so at once rather than waiting.
    let premature = run(&stack, &[Check::AlertResolved(alert.clone())]).await;
    assert_eq!(
        (
            premature[0].status,
            premature[0].elapsed < Duration::from_secs(2)
        ),
        (CheckStatus::Failed, true),
        "{premature:#?}"
    );
    assert!(
        premature[0].detail.contains("never seen active"),
        "{premature:#?}"
    );

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

    let more_traffic = run(
        &stack,
        &[
            Check::SendTraffic(vec![hello(2)]),
            Check::MetricValue(metric(5.0)),
        ],
    )
    .await;
    assert_all_passed(&more_traffic);

    // The resolved check starts only once Prometheus has dropped the alert, in a run of its
    // own: what it knows of the alert comes from the checks that saw it firing.
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    let deadline = stack.deadlines().stops_firing();
    poll(deadline, || {
        let prometheus = prometheus.clone();
        let alert = alert.clone();
        async move {
            match prometheus.alerts().await {
                Err(e) => Look::NotYet(e.to_string()),
                Ok(alerts) if alerts.iter().any(|a| a.labels["alertname"] == alert) => {
                    Look::NotYet(format!("{alert} still active"))
                }
                Ok(_) => Look::Ready(()),
            }
        }
    })
    .await
    .unwrap_or_else(|e| panic!("HelloTrafficBurst never left prometheus's alerts: {e}"));
    let resolved = run(&stack, &[Check::AlertResolved(alert.clone())]).await;
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
