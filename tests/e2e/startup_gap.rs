//! Start-up is not a fault: between Prometheus's start and its first scrape every series is
//! absent, which in compressed time is minutes; the rules never see that gap, so an
//! `absent()` rule fires only because of what the run did to the stack.

use firedrill::fixtures::seed_manifests;
use firedrill::internal::PrometheusClient;
use firedrill::internal::{poll, Look};
use firedrill::StackBuilder;

const ABSENCE_RULES: &str = r#"
groups:
  - name: absences
    rules:
      - alert: EchoAbsent
        expr: absent(up{job="echo"})
        for: 1m
      - alert: EchoAbsentOverTime
        expr: absent_over_time(up{job="echo"}[1m])
      # The control: a job that really is absent fires, so the history read below sees alerts.
      - alert: NothingThereAbsent
        expr: absent(up{job="nothing-there"})
        for: 1m
"#;

/// How many times an alert was pending or firing, by Prometheus's own `ALERTS` history.
async fn alert_samples(prometheus: &PrometheusClient, alert: &str) -> f64 {
    let expr = format!("sum(count_over_time(ALERTS{{alertname=\"{alert}\"}}[1h]))");
    prometheus
        .query(&expr)
        .await
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .first()
        .map_or(0.0, |s| s.value)
}

#[tokio::test]
async fn an_absent_rule_on_a_healthy_stack_never_fires_during_start_up() {
    let stack = StackBuilder::new(seed_manifests())
        .with_extra_rules("absence-rules.yaml", ABSENCE_RULES)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    let deadlines = stack.deadlines();
    let opened = poll(deadlines.scraped() + deadlines.margin, || async {
        match stack.session().rules_started() {
            Some(opened) => Look::Ready(opened),
            None => Look::NotYet("the start-up gate is still closed".to_string()),
        }
    })
    .await
    .unwrap_or_else(|e| panic!("the rules never started: {e}"));
    assert_eq!(opened.unscraped, None, "{opened:?}");
    // Long enough for the control's `for` and then some: until Prometheus's own recording of
    // the gate spans the `for` (1m, scaled) and three evaluations more.
    let timings = stack.plan().timings;
    let enough = timings.longest_for + 3 * timings.longest_group_interval;
    poll(enough * 4 + deadlines.margin, || async {
        let control = alert_samples(&prometheus, "NothingThereAbsent").await;
        let query = "time() - min_over_time(timestamp(firedrill_started)[1h:])".to_string();
        let span = prometheus
            .query(&query)
            .await
            .ok()
            .and_then(|s| s.first().map(|s| s.value))
            .unwrap_or(0.0);
        if span >= enough.as_secs_f64() && control > 0.0 {
            Look::Ready(())
        } else {
            Look::NotYet(format!(
                "the rules have seen the stack for {span:.1} s of {:.1} s; the control alert \
                 has {control} samples",
                enough.as_secs_f64()
            ))
        }
    })
    .await
    .unwrap_or_else(|e| panic!("the control never fired: {e}"));
    for alert in ["EchoAbsent", "EchoAbsentOverTime"] {
        let seen = alert_samples(&prometheus, alert).await;
        assert_eq!(
            seen, 0.0,
            "{alert} was pending or firing in {seen} evaluations of a healthy stack's start-up"
        );
    }
    stack.shutdown().await;
}
