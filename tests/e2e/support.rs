//! Helpers shared by the end-to-end tests.

use firedrill::internal::standard_checks;
use firedrill::internal::Expectations;
use firedrill::ComponentKind;
use firedrill::Stack;
use firedrill::{Check, CheckOutcome};

/// Whether the environment leaves Grafana out explicitly (`FIREDRILL_SKIP=grafana`).
pub fn grafana_opted_out() -> bool {
    std::env::var("FIREDRILL_SKIP")
        .map(|v| v.split(',').any(|s| s.trim() == "grafana"))
        .unwrap_or(false)
}

/// Runs the standard checks for the stack's default expectations.
pub async fn run_standard_checks(stack: &Stack) -> Vec<CheckOutcome> {
    let spec = &stack.plan().spec;
    let expectations =
        Expectations::for_spec(spec, vec![], vec![], vec![], None).expect("default expectations");
    run(stack, &standard_checks(&expectations)).await
}

/// Runs the given checks in order.
pub async fn run(stack: &Stack, checks: &[Check]) -> Vec<CheckOutcome> {
    stack.run(checks).await.unwrap_or_else(|e| panic!("{e}"))
}

/// Grafana's checks are skipped exactly when Grafana was left out on purpose.
#[track_caller]
pub fn assert_grafana_skipped_only_by_opt_out(stack: &Stack, outcomes: &[CheckOutcome]) {
    let grafana_checks: Vec<&CheckOutcome> = outcomes
        .iter()
        .filter(|o| o.name.starts_with("grafana"))
        .collect();
    assert!(
        !grafana_checks.is_empty(),
        "no grafana check ran: {outcomes:#?}"
    );
    let skipped = grafana_checks
        .iter()
        .all(|o| o.status == firedrill::CheckStatus::Skipped);
    assert_eq!(
        skipped,
        grafana_opted_out() && stack.is_skipped(ComponentKind::Grafana),
        "grafana checks skipped={skipped} but FIREDRILL_SKIP opt-out={}: {grafana_checks:#?}",
        grafana_opted_out()
    );
}
