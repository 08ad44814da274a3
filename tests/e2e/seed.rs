//! The seed's stack, checked as its author checked it by hand.

use firedrill::assert_all_passed;
use firedrill::fixtures::seed_stack;
use firedrill::Stack;
use rstest::rstest;

use super::support::{assert_grafana_skipped_only_by_opt_out, run_standard_checks};

const SEED_TEXT: &str = "\n*Alert:* DeadMansSwitch\n*Summary:* テストアラート\n*Description:* このアラートは常に発生します\n*Details:*\n *alertname:* `DeadMansSwitch`\n *severity:* `__severity__`\n\n";

#[rstest]
#[tokio::test]
async fn the_seed_stack_is_scraped_fires_and_delivers_its_slack_message(
    #[future] seed_stack: Stack,
) {
    let stack = seed_stack.await;
    let outcomes = run_standard_checks(&stack).await;
    assert_all_passed(&outcomes);
    assert_grafana_skipped_only_by_opt_out(&stack, &outcomes);

    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    for expected in [
        "app reachable",
        "every scrape target up",
        "metric api_request_total rose by 3 with the traffic",
        "every rule healthy",
        "alert DeadMansSwitch pending",
        "alert DeadMansSwitch firing, not before its for",
        "alert DeadMansSwitch in Alertmanager with its receiver",
        "alert DeadMansSwitch delivered to Slack",
    ] {
        assert!(
            names.contains(&expected),
            "check `{expected}` did not run; ran {names:?}"
        );
    }

    let messages = stack.slack().messages().await;
    let first = messages
        .first()
        .unwrap_or_else(|| panic!("no Slack message recorded"));
    assert_eq!(first.channel(), Some("#alerts"), "{first:#?}");
    assert_eq!(
        first.texts(),
        vec![SEED_TEXT],
        "the seed's template rendered differently: {first:#?}"
    );
    assert!(
        first.titles().iter().any(|t| t.starts_with("[FIRING:1]")),
        "the default title should say FIRING: {first:#?}"
    );
    stack.shutdown().await;
}
