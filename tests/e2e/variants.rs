//! Other manifests verify without code changes.

use firedrill::checks::assert_all_passed;
use firedrill::fixtures::{projected_manifests, renamed_manifests, StackBuilder};

use super::support::{assert_grafana_skipped_only_by_opt_out, run_standard_checks};

#[tokio::test]
async fn manifests_with_other_names_ports_channel_and_credentials_pass_unchanged() {
    let stack = StackBuilder::new(renamed_manifests())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let outcomes = run_standard_checks(&stack).await;
    assert_all_passed(&outcomes);
    assert_grafana_skipped_only_by_opt_out(&stack, &outcomes);
    assert!(
        outcomes
            .iter()
            .any(|o| o.name == "alert AlwaysOnWatchdog delivered to Slack"),
        "the renamed alert was not expected: {outcomes:#?}"
    );
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
    let stack = StackBuilder::new(projected_manifests())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stack.plan().spec.grafana().map(|g| g.admin_user.as_str()),
        Some("projected-admin"),
        "grafana's user comes from envFrom"
    );
    let outcomes = run_standard_checks(&stack).await;
    assert_all_passed(&outcomes);
    assert_grafana_skipped_only_by_opt_out(&stack, &outcomes);
    assert!(
        outcomes
            .iter()
            .any(|o| o.name == "alert DeadMansSwitch delivered to Slack"),
        "the rule from the projected volume was not expected: {outcomes:#?}"
    );
    stack.shutdown().await;
}
