//! Nothing a stack started outlives it: not after a drop, not after a panic.

use std::time::Duration;

use firedrill::fixtures::seed_manifests;
use firedrill::internal::{poll, Look};
use firedrill::Endpoints;
use firedrill::Fault;
use firedrill::StackBuilder;

/// How long components may take to go away after the stack is dropped.
const GONE_WITHIN: Duration = Duration::from_secs(30);

async fn assert_nothing_answers(endpoints: &Endpoints) {
    let mut urls = vec![endpoints.prometheus.clone(), endpoints.alertmanager.clone()];
    urls.extend(endpoints.apps.iter().map(|a| a.url.clone()));
    urls.extend(endpoints.grafana.clone());
    let client = reqwest::Client::new();
    for url in urls {
        let outcome = poll(GONE_WITHIN, || {
            let client = client.clone();
            let url = url.clone();
            async move {
                match client
                    .get(&url)
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await
                {
                    Ok(response) => {
                        Look::NotYet(format!("{url} still answers {}", response.status()))
                    }
                    // Gone: nothing accepts the connection. A time-out or another error
                    // is not proof (a stopped-but-not-removed process times out).
                    Err(e) if e.is_connect() => Look::Ready(()),
                    Err(e) => Look::NotYet(format!("{url}: {e}")),
                }
            }
        })
        .await;
        if let Err(e) = outcome {
            panic!("a component outlived its stack: {e}");
        }
    }
}

#[tokio::test]
async fn dropping_a_stack_stops_every_component_it_started() {
    let stack = StackBuilder::new(seed_manifests())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let endpoints = stack.endpoints().clone();
    drop(stack);
    assert_nothing_answers(&endpoints).await;
}

/// Starts the seed's stack in a task, applies `fault` to its app (if any), then panics there
/// on purpose; the stack's endpoints, once the task has panicked.
async fn endpoints_of_a_stack_whose_test_panicked(fault: Option<Fault>) -> Endpoints {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let stack = StackBuilder::new(seed_manifests())
            .start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if let Some(fault) = fault {
            stack
                .apply_fault("echo-server", fault)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let _ = sender.send(stack.endpoints().clone());
        panic!("this test panics on purpose while its stack runs");
    });
    let joined = task.await;
    assert!(
        joined.as_ref().is_err_and(|e| e.is_panic()),
        "the task should have panicked: {joined:?}"
    );
    receiver.await.expect("the stack started before the panic")
}

#[tokio::test]
async fn a_test_that_panics_leaves_nothing_running() {
    let endpoints = endpoints_of_a_stack_whose_test_panicked(None).await;
    assert_nothing_answers(&endpoints).await;
}

#[tokio::test]
async fn a_test_that_panics_while_a_stand_in_answers_in_the_apps_place_leaves_nothing_running() {
    let endpoints = endpoints_of_a_stack_whose_test_panicked(Some(Fault::Fail(500))).await;
    assert_nothing_answers(&endpoints).await;
}
