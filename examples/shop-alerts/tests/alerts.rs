//! The shop's alerting, end to end, on its own manifests (`k8s/`): real Prometheus and
//! Alertmanager, the shop's own app (`orders-api`, this crate's binary), Slack mocked.
//!
//! This is all another repository needs: `firedrill` as a dev-dependency, its manifests, and
//! a map from its app image to a command. It runs on the process backend (the app image
//! exists in no registry here); Prometheus and Alertmanager come from PATH or
//! `FIREDRILL_PROMETHEUS_BIN` / `FIREDRILL_ALERTMANAGER_BIN`.

use std::path::PathBuf;

use firedrill::ComponentKind;
use firedrill::Stack;
use firedrill::StackBuilder;
use firedrill::{assert_all_passed, Check, Traffic};
use firedrill::{BackendKind, StartOptions};

const ORDERS_API_IMAGE: &str = "registry.example.com/shop/orders-api:1.4.2";

fn manifests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("k8s")
}

async fn shop() -> Stack {
    let options = StartOptions::new(BackendKind::Process).with_app_command(
        ORDERS_API_IMAGE,
        format!("{} --listen {{listen}}", env!("CARGO_BIN_EXE_orders-api")),
    );
    StackBuilder::new(manifests())
        .with_options(options)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn placing_orders_pages_the_shop_team_in_its_channel() {
    let stack = shop().await;
    let checks = [
        Check::AppReachable,
        Check::SendTraffic(vec![Traffic::get("/orders", 2)]),
        Check::RulesHealthy,
        Check::TargetsUp,
        Check::AlertPending("OrdersPlaced".into()),
        Check::AlertFiring("OrdersPlaced".into()),
        Check::AlertInAlertmanager("OrdersPlaced".into()),
        Check::AlertDelivered("OrdersPlaced".into()),
    ];
    let outcomes = stack.run(&checks).await.unwrap_or_else(|e| panic!("{e}"));
    assert_all_passed(&outcomes);
    let messages = stack.slack().messages().await;
    let page = messages
        .iter()
        .find(|m| m.channel() == Some("#shop-oncall"))
        .unwrap_or_else(|| panic!("no message in #shop-oncall: {messages:#?}"));
    assert_eq!(page.titles(), vec!["OrdersPlaced (shop)"]);
    assert_eq!(page.texts(), vec!["Orders are coming in: 2 so far\n"]);
    stack.shutdown().await;
}

#[tokio::test]
async fn the_heartbeat_reaches_its_own_channel_and_never_the_on_call_one() {
    let stack = shop().await;
    let checks = [
        Check::AlertFiring("ShopHeartbeat".into()),
        Check::AlertInAlertmanager("ShopHeartbeat".into()),
        Check::AlertDelivered("ShopHeartbeat".into()),
    ];
    let outcomes = stack.run(&checks).await.unwrap_or_else(|e| panic!("{e}"));
    assert_all_passed(&outcomes);
    let messages = stack.slack().messages().await;
    assert!(
        messages
            .iter()
            .all(|m| m.channel() == Some("#shop-heartbeat")),
        "{messages:#?}"
    );
    stack.shutdown().await;
}

/// firedrill's own example stack (the seed's manifests and its `echo_server:latest` app) runs
/// from a downstream crate too: the process backend serves that app inside firedrill, so no
/// `firedrill` executable is needed (this crate builds firedrill without its CLI).
#[tokio::test]
async fn firedrills_seed_stack_runs_from_another_crate_without_a_firedrill_executable() {
    let stack = StackBuilder::new(firedrill::fixtures::seed_manifests())
        // Grafana is left out: nothing here checks it, and this crate's machine need not have it.
        .with_options(StartOptions::new(BackendKind::Process).with_skip(ComponentKind::Grafana))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let checks = [
        Check::AppReachable,
        Check::SendTraffic(vec![Traffic::get("/hello", 3)]),
        Check::TargetsUp,
        Check::AlertDelivered("DeadMansSwitch".into()),
    ];
    let outcomes = stack.run(&checks).await.unwrap_or_else(|e| panic!("{e}"));
    assert_all_passed(&outcomes);
    stack.shutdown().await;
}
