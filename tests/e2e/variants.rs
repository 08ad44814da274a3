//! Other manifests verify without code changes.

use std::path::PathBuf;

use firedrill::assert_all_passed;
use firedrill::fixtures::{projected_manifests, renamed_manifests, template_files_manifests};
use firedrill::Stack;
use firedrill::StackBuilder;

use super::support::{assert_grafana_skipped_only_by_opt_out, run_standard_checks};

/// Starts the variant, runs the standard checks, and asserts they all passed, that Grafana
/// was skipped only by opt-out, and that `alert` was among the expected alerts.
async fn verify_variant(dir: PathBuf, alert: &str) -> Stack {
    let stack = StackBuilder::new(dir)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let outcomes = run_standard_checks(&stack).await;
    assert_all_passed(&outcomes);
    assert_grafana_skipped_only_by_opt_out(&stack, &outcomes);
    let delivered = format!("alert {alert} delivered to Slack");
    assert!(
        outcomes.iter().any(|o| o.name == delivered),
        "{alert} was not expected: {outcomes:#?}"
    );
    stack
}

#[tokio::test]
async fn manifests_with_other_names_ports_channel_and_credentials_pass_unchanged() {
    let stack = verify_variant(renamed_manifests(), "AlwaysOnWatchdog").await;
    let messages = stack.slack().messages().await;
    let first = messages
        .first()
        .unwrap_or_else(|| panic!("no Slack message recorded"));
    assert_eq!(first.channel(), Some("#ops-firedrill"), "{first:#?}");
    assert_eq!(first.username(), Some("firedrill-bot"), "{first:#?}");
    assert_eq!(
        first.titles(),
        vec!["[FIRING] AlwaysOnWatchdog"],
        "{first:#?}"
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn manifests_mounting_configs_through_projected_volumes_and_env_from_pass_unchanged() {
    let stack = verify_variant(projected_manifests(), "DeadMansSwitch").await;
    assert_eq!(
        stack.plan().spec.grafana().map(|g| g.admin_user.as_str()),
        Some("projected-admin"),
        "grafana's user comes from envFrom"
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn templates_rule_globs_target_files_and_token_files_the_configs_name_are_placed_and_used() {
    let stack = verify_variant(template_files_manifests(), "DeadMansSwitch").await;
    let messages = stack.slack().messages().await;
    let first = messages
        .first()
        .unwrap_or_else(|| panic!("no Slack message recorded"));
    assert!(
        first
            .texts()
            .iter()
            .any(|t| t.contains("*Alert (from my.tmpl):* DeadMansSwitch")),
        "the text is not my.tmpl's `my.text`: {first:#?}"
    );
    stack.shutdown().await;
}
