//! The seed's Slack payloads, snapshotted: a change to its template shows as a diff.
//! `cargo insta review` accepts a change; CI (`INSTA_UPDATE=no`) fails on it.

use firedrill::assert_all_passed;
use firedrill::fixtures::seed_stack;
use firedrill::Stack;
use rstest::rstest;

use super::support::run_standard_checks;

#[rstest]
#[tokio::test]
async fn the_seed_delivers_the_slack_payload_its_snapshot_shows(#[future] seed_stack: Stack) {
    let stack = seed_stack.await;
    let outcomes = run_standard_checks(&stack).await;
    assert_all_passed(&outcomes);
    assert!(
        outcomes
            .iter()
            .any(|o| o.name == "alert DeadMansSwitch delivered to Slack"),
        "the delivered check did not run: {outcomes:#?}"
    );
    let payloads = firedrill::snapshot::normalised_payloads(&stack).await;
    stack.shutdown().await;
    insta::assert_snapshot!("seed_slack_payloads", payloads);
}
