//! The front door gives a test in another repository what `firedrill verify` gives: lint
//! before anything starts, an alert no rule defines refused at once, artifacts and the review
//! page where asked.

use std::time::{Duration, Instant};

use firedrill::fixtures::{repository_root, seed_manifests};
use firedrill::{assert_all_passed, Check, CheckStatus, Error, StackBuilder};

#[tokio::test]
async fn a_template_typo_lint_rejects_fails_the_start_before_anything_starts() {
    let manifests =
        repository_root().join("fixtures/manifests/corpus/broken/misspelt-annotation/manifests");
    let started = Instant::now();
    let result = StackBuilder::new(&manifests).start().await;
    let error = match result {
        Ok(_) => panic!("a stack whose template reads `.Annotations.sumary` started"),
        Err(error) => error,
    };
    assert!(
        matches!(error, Error::Lint(_)),
        "not refused by lint: {error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("annotation `sumary`, which no alert routed here has"),
        "{text}"
    );
    assert!(text.contains("did you mean `summary`?"), "{text}");
    // Refused by lint, not after a stack started and a check waited out its deadline.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_alert_no_rule_defines_is_refused_at_once_and_artifacts_land_where_asked() {
    let artifacts = tempfile::tempdir().expect("a temp dir");
    let stack = StackBuilder::new(seed_manifests())
        .with_artifacts(artifacts.path())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let asked = Instant::now();
    let refused = stack
        .run(&[
            Check::AlertFiring("DeadMansSwitch".into()),
            Check::AlertDelivered("DeadMansSwich".into()),
        ])
        .await;
    let error = match refused {
        Ok(outcomes) => panic!("a check of an undefined alert ran: {outcomes:#?}"),
        Err(error) => error.to_string(),
    };
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "refused only after {:?}",
        asked.elapsed()
    );
    assert!(
        error.contains(
            "expected alert `DeadMansSwich` is not defined by any rule (defined: DeadMansSwitch)"
        ),
        "{error}"
    );
    assert!(
        !artifacts.path().join("summary.json").exists(),
        "a refused run wrote a summary"
    );

    let outcomes = stack
        .run(&[
            Check::AlertFiring("DeadMansSwitch".into()),
            Check::AlertDelivered("DeadMansSwitch".into()),
        ])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_all_passed(&outcomes);
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(artifacts.path().join("summary.json"))
            .expect("summary.json where with_artifacts asked"),
    )
    .expect("summary.json is JSON");
    let statuses: Vec<&str> = summary["checks"]
        .as_array()
        .expect("the checks")
        .iter()
        .map(|c| c["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(statuses, ["passed", "passed"], "{summary:#}");
    assert_eq!(summary["passed"], true, "{summary:#}");
    let review = std::fs::read_to_string(artifacts.path().join("review.html"))
        .expect("review.html where with_artifacts asked");
    assert!(
        review.contains("DeadMansSwitch"),
        "the review page shows no message"
    );
    assert!(
        artifacts.path().join("slack/0001.json").exists(),
        "the delivered payload is not among the artifacts"
    );
    assert_eq!(
        stack
            .summary()
            .checks
            .iter()
            .map(|c| c.status)
            .collect::<Vec<_>>(),
        [CheckStatus::Passed, CheckStatus::Passed]
    );
    stack.shutdown().await;
}
