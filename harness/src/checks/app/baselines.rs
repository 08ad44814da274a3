//! The traffic baselines: `sum(expr)` of every metric a run checks, as Prometheus answered
//! right before firedrill's first request to the stack (see the metric check in
//! [`crate::checks::prometheus`] for why the increase is counted from there). Measured once per
//! stack, by the traffic check; kept in the checks' [`crate::checks::Session`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use crate::clients::{ClientError, PrometheusClient};

/// `sum(expr)` as Prometheus answered right before firedrill's first request to the stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Baseline {
    /// It had this value.
    Value(f64),
    /// No sample: nothing scraped yet (or the metric not exposed yet). A counter starts at 0,
    /// so the increase counts from 0.
    NoSample,
}

impl Baseline {
    /// The value the increase is counted from.
    pub(crate) fn value(self) -> f64 {
        match self {
            Baseline::Value(v) => v,
            Baseline::NoSample => 0.0,
        }
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Baseline::Value(v) => write!(f, "{v} before the traffic"),
            Baseline::NoSample => f.write_str("0 before the traffic (no sample yet)"),
        }
    }
}

/// The baselines of a stack, kept with it: measured once, before firedrill's first request.
#[derive(Debug, Default)]
pub(crate) struct TrafficBaselines {
    inner: Mutex<BaselinesInner>,
}

#[derive(Debug, Default)]
struct BaselinesInner {
    /// Whether firedrill has started sending the stack requests.
    traffic_started: bool,
    /// By expression (`sum(...)`).
    values: BTreeMap<String, Baseline>,
}

/// What is known of an expression's baseline when its check runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BaselineState {
    /// Measured before the first request.
    Measured(Baseline),
    /// Traffic was sent, but this expression was not measured before it.
    NotMeasured,
    /// No traffic was sent to the stack yet.
    NoTraffic,
}

impl TrafficBaselines {
    fn lock(&self) -> std::sync::MutexGuard<'_, BaselinesInner> {
        // A poisoned lock only means a check panicked mid-update; the map is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether firedrill has started sending the stack requests.
    pub(crate) fn traffic_started(&self) -> bool {
        self.lock().traffic_started
    }

    /// Records what `expr` was before any traffic; ignored once traffic has started.
    pub(crate) fn record(&self, expr: &str, baseline: Baseline) {
        let mut inner = self.lock();
        if !inner.traffic_started {
            inner.values.insert(expr.to_string(), baseline);
        }
    }

    /// From now on no baseline is taken: requests are on their way.
    pub(crate) fn start_traffic(&self) {
        self.lock().traffic_started = true;
    }

    /// What is known of `expr`'s baseline.
    pub(crate) fn state(&self, expr: &str) -> BaselineState {
        let inner = self.lock();
        match inner.values.get(expr) {
            Some(baseline) => BaselineState::Measured(*baseline),
            None if inner.traffic_started => BaselineState::NotMeasured,
            None => BaselineState::NoTraffic,
        }
    }
}

/// `sum(expr)` now: its value, `None` without a sample.
pub(crate) async fn sum_now(
    prometheus: &PrometheusClient,
    expr: &str,
) -> Result<Option<f64>, ClientError> {
    Ok(prometheus.query(expr).await?.first().map(|s| s.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPR: &str = "sum(api_request_total)";

    #[test]
    fn baselines_are_taken_only_before_the_first_request() {
        let baselines = TrafficBaselines::default();
        assert_eq!(baselines.state(EXPR), BaselineState::NoTraffic);
        baselines.record(EXPR, Baseline::Value(1.0));
        baselines.start_traffic();
        baselines.record(EXPR, Baseline::Value(9.0));
        baselines.record("sum(other)", Baseline::NoSample);
        assert_eq!(
            baselines.state(EXPR),
            BaselineState::Measured(Baseline::Value(1.0))
        );
        assert_eq!(baselines.state("sum(other)"), BaselineState::NotMeasured);
    }
}
