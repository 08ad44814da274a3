//! At time scale 1 the manifests' own timings hold: the first notification arrives within
//! the window the configuration implies.

use std::time::{Duration, SystemTime};

use firedrill::fixtures::{seed_manifests, start_options};
use firedrill::StackBuilder;
use firedrill::{assert_all_passed, Check};

use super::support::run;

/// Slack for process start-up and a loaded machine, on either side of the window.
const TOLERANCE: Duration = Duration::from_secs(3);

#[tokio::test]
async fn at_time_scale_one_the_first_notification_arrives_within_for_plus_tick_plus_group_wait() {
    let stack = StackBuilder::new(seed_manifests())
        .with_options(start_options().with_time_scale(1.0))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let timings = stack.plan().timings;
    let prometheus_started = SystemTime::now() - stack.prometheus_started().elapsed();
    let alert = "DeadMansSwitch".to_string();
    let outcomes = run(
        &stack,
        &[
            Check::RulesHealthy,
            Check::AlertPending(alert.clone()),
            Check::AlertFiring(alert.clone()),
            Check::AlertInAlertmanager(alert.clone()),
            Check::AlertDelivered(alert.clone()),
        ],
    )
    .await;
    assert_all_passed(&outcomes);

    let messages = stack.slack().messages().await;
    let first = messages
        .first()
        .unwrap_or_else(|| panic!("no Slack message recorded"));
    let arrived = first
        .received_at
        .duration_since(prometheus_started)
        .unwrap_or_default();
    // Pending at the group's first tick (within one evaluation interval of start), firing
    // `for` later, flushed `group_wait` after Alertmanager received it.
    let earliest = timings.longest_for + timings.group_wait;
    let latest = timings.longest_for + timings.tick() + timings.group_wait;
    assert!(
        arrived + TOLERANCE >= earliest && arrived <= latest + TOLERANCE,
        "first notification {arrived:.1?} after Prometheus started; expected within [{earliest:?}, {latest:?}] ± {TOLERANCE:?} (timings {timings:?})"
    );
    stack.shutdown().await;
}
