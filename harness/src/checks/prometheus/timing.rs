//! The timing proofs, on Prometheus's own clock: when an alert became active (its
//! `activeAt`, the evaluation that first returned it) and when it first fired (the first
//! `ALERTS{alertstate="firing"}` sample, which Prometheus stamps with the evaluation's time).
//! Nothing here reads the harness's clock, so the verdict holds at any time scale and on a
//! loaded machine.
//!
//! Prometheus writes no `ALERTS` sample at a group's first evaluation (it restores `for`
//! state first); the proofs therefore never require a sample from that evaluation.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::clients::{AlertState, PromAlert, Series};

/// `ALERTS` sample timestamps are milliseconds, `activeAt` nanoseconds: comparisons allow
/// the truncation.
const SAMPLE_PRECISION: f64 = 0.001;

/// One alert's history as Prometheus recorded it, for the activation that began at
/// `active_at` (Unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertHistory {
    /// `activeAt`, Unix seconds.
    pub(crate) active_at: f64,
    /// The first `ALERTS` sample in state pending of this activation.
    pub(crate) first_pending: Option<f64>,
    /// The first `ALERTS` sample in state firing of this activation.
    pub(crate) first_firing: Option<f64>,
}

impl AlertHistory {
    /// The history of `alert` (as the alerts API reports it) in the `ALERTS` series of a
    /// range query: the series with the alert's labels, samples from its `activeAt` on.
    pub(crate) fn of(alert: &PromAlert, series: &[Series]) -> Result<Self, String> {
        let active_at = alert
            .active_at
            .as_deref()
            .and_then(crate::time::parse_timestamp)
            .ok_or("prometheus reported no activeAt for the alert")?;
        let active_at = active_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "prometheus reported an activeAt before 1970")?
            .as_secs_f64();
        let first = |state: &str| {
            series
                .iter()
                .filter(|s| same_alert(&s.metric, &alert.labels, state))
                .flat_map(|s| s.points.iter().map(|(t, _)| *t))
                .filter(|t| *t + SAMPLE_PRECISION >= active_at)
                .fold(None, |min: Option<f64>, t| {
                    Some(min.map_or(t, |m| m.min(t)))
                })
        };
        Ok(Self {
            active_at,
            first_pending: first("pending"),
            first_firing: first("firing"),
        })
    }

    /// How long after becoming active the alert fired, when it has.
    pub(crate) fn fired_after(&self) -> Option<Duration> {
        self.first_firing
            .map(|t| Duration::from_secs_f64((t - self.active_at + SAMPLE_PRECISION).max(0.0)))
    }
}

/// Whether an `ALERTS` series is the alert's, in `state`.
fn same_alert(
    metric: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    state: &str,
) -> bool {
    metric.get("alertstate").map(String::as_str) == Some(state)
        && metric
            .iter()
            .filter(|(k, _)| *k != "__name__" && *k != "alertstate")
            .eq(labels.iter())
}

/// The firing check's proof: the alert fired no sooner than `for` after it became active.
/// `Ok(None)` while Prometheus has no firing sample yet.
pub(crate) fn judge_firing(
    history: &AlertHistory,
    for_: Duration,
) -> Result<Option<String>, String> {
    let Some(fired_after) = history.fired_after() else {
        return Ok(None);
    };
    if fired_after < for_ {
        return Err(format!(
            "fired {:.3} s after becoming active, before its for of {:.3} s (prometheus's \
             evaluation timestamps: activeAt {:.3}, first firing sample {:.3})",
            fired_after.as_secs_f64(),
            for_.as_secs_f64(),
            history.active_at,
            history.first_firing.unwrap_or_default()
        ));
    }
    Ok(Some(format!(
        "fired {:.2} s after becoming active (for {:.2} s), by prometheus's evaluation timestamps",
        fired_after.as_secs_f64(),
        for_.as_secs_f64()
    )))
}

/// The pending check's proof. `state` is what the alerts API said when looked at.
/// `Ok(None)` while the proof needs a firing sample Prometheus has not written yet.
pub(crate) fn judge_pending(
    state: AlertState,
    history: &AlertHistory,
    for_: Duration,
) -> Result<Option<String>, String> {
    if for_.is_zero() {
        return Ok(Some(
            "for is 0: it fires at its first evaluation, with no pending state".into(),
        ));
    }
    if state == AlertState::Pending {
        return Ok(Some(format!(
            "pending in prometheus (for {:.2} s)",
            for_.as_secs_f64()
        )));
    }
    if let (Some(pending), Some(firing)) = (history.first_pending, history.first_firing) {
        if pending < firing {
            return Ok(Some(format!(
                "already firing when looked at; prometheus recorded it pending {:.2} s before \
                 it fired",
                firing - pending
            )));
        }
    }
    let Some(fired_after) = history.fired_after() else {
        return Ok(None);
    };
    if fired_after < for_ {
        return Err(format!(
            "it skipped pending: fired {:.3} s after becoming active, with a for of {:.3} s \
             (prometheus's evaluation timestamps)",
            fired_after.as_secs_f64(),
            for_.as_secs_f64()
        ));
    }
    Ok(Some(format!(
        "already firing when looked at; prometheus's timestamps show it active {:.2} s before \
         it fired (for {:.2} s), so pending in between",
        fired_after.as_secs_f64(),
        for_.as_secs_f64()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alert as `GET /api/v1/alerts` reported it, recorded from Prometheus 2.42.
    fn alert(state: &str, active_at: &str) -> PromAlert {
        serde_json::from_value(serde_json::json!({
            "labels": {"alertname": "DeadMansSwitch", "severity": "__severity__"},
            "annotations": {"summary": "テストアラート"},
            "state": state,
            "activeAt": active_at,
            "value": "1e+00"
        }))
        .expect("a recorded alert")
    }

    /// `ALERTS{alertname="DeadMansSwitch"}[60s]` as Prometheus answers it, with the samples
    /// given.
    fn alerts_series(pending: &[f64], firing: &[f64]) -> Vec<Series> {
        let entry = |state: &str, points: &[f64]| Series {
            metric: [
                ("__name__", "ALERTS"),
                ("alertname", "DeadMansSwitch"),
                ("alertstate", state),
                ("severity", "__severity__"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            points: points.iter().map(|t| (*t, 1.0)).collect(),
        };
        [("pending", pending), ("firing", firing)]
            .into_iter()
            .filter(|(_, points)| !points.is_empty())
            .map(|(state, points)| entry(state, points))
            .collect()
    }

    const FOR: Duration = Duration::from_secs(2);
    /// 2026-11-25T12:50:51.329750247Z
    const ACTIVE: &str = "2026-11-25T12:50:51.329750247Z";
    const T0: f64 = 1795611051.329;

    #[test]
    fn an_alert_that_fired_after_its_for_passes_on_prometheus_timestamps() {
        // Recorded on the seed at time scale 30: no sample at the first evaluation
        // (restoring for state), pending samples, then firing exactly `for` later.
        let history = AlertHistory::of(
            &alert("firing", ACTIVE),
            &alerts_series(&[T0 + 1.0, T0 + 1.5], &[T0 + 2.0, T0 + 2.5]),
        )
        .unwrap();
        let verdict = judge_firing(&history, FOR).unwrap().expect("a verdict");
        assert!(verdict.contains("fired 2.00 s after"), "{verdict}");
        let pending = judge_pending(AlertState::Firing, &history, FOR).unwrap();
        assert!(pending
            .expect("a verdict")
            .contains("pending 1.00 s before"));
    }

    #[test]
    fn an_alert_that_fired_before_its_for_fails_the_firing_check() {
        let history = AlertHistory::of(
            &alert("firing", ACTIVE),
            &alerts_series(&[T0 + 0.5], &[T0 + 1.0, T0 + 1.5]),
        )
        .unwrap();
        let err = judge_firing(&history, FOR).unwrap_err();
        assert!(
            err.starts_with("fired 1.000 s after becoming active, before its for of 2.000 s"),
            "{err}"
        );
    }

    #[test]
    fn an_alert_that_skipped_pending_fails_the_pending_check() {
        // Firing at the first evaluation that wrote a sample, no pending sample, activeAt
        // the same evaluation: it was never pending although its for is 2 s.
        let history = AlertHistory::of(
            &alert("firing", "2026-11-25T12:50:52.329Z"),
            &alerts_series(&[], &[T0 + 1.0, T0 + 1.5]),
        )
        .unwrap();
        let err = judge_pending(AlertState::Firing, &history, FOR).unwrap_err();
        assert!(err.starts_with("it skipped pending"), "{err}");
        assert!(judge_firing(&history, FOR).is_err());
    }

    #[test]
    fn a_pending_alert_passes_the_pending_check_and_the_firing_check_waits() {
        let history =
            AlertHistory::of(&alert("pending", ACTIVE), &alerts_series(&[T0 + 1.0], &[])).unwrap();
        assert!(judge_pending(AlertState::Pending, &history, FOR)
            .unwrap()
            .is_some());
        assert_eq!(judge_firing(&history, FOR), Ok(None));
    }

    #[test]
    fn samples_of_an_earlier_activation_or_another_label_set_are_not_the_alerts() {
        let mut series = alerts_series(&[T0 - 10.0], &[T0 - 9.0, T0 + 2.0]);
        let mut other = series[1].clone();
        other.metric.insert("severity".into(), "critical".into());
        other.points = vec![(T0 + 0.5, 1.0)];
        series.push(other);
        let history = AlertHistory::of(&alert("firing", ACTIVE), &series).unwrap();
        assert_eq!(history.first_pending, None);
        assert_eq!(history.first_firing, Some(T0 + 2.0));
    }

    #[test]
    fn an_alert_with_no_for_needs_no_pending_state() {
        let history =
            AlertHistory::of(&alert("firing", ACTIVE), &alerts_series(&[], &[T0 + 1.0])).unwrap();
        assert!(judge_pending(AlertState::Firing, &history, Duration::ZERO)
            .unwrap()
            .is_some());
        assert!(judge_firing(&history, Duration::ZERO).unwrap().is_some());
    }
}
