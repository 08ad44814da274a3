//! `summary.json`: each check's status and timing, what was skipped and why.

use std::time::{Duration, SystemTime};

use crate::backend::{RunningStack, Skipped};
use crate::checks::{CheckOutcome, CheckStatus, Expectations, SkipReason};
use crate::plan::Timings;
use crate::time::format_timestamp;

/// The run's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// The backend.
    pub backend: String,
    /// The manifests directory.
    pub manifests: String,
    /// The time scale.
    pub time_scale: f64,
    /// The scaled timings the deadlines derive from.
    pub timings: Timings,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// How long starting the stack took, in milliseconds.
    pub stack_start_ms: u64,
    /// The whole run's wall time, in milliseconds.
    pub wall_ms: u64,
    /// What was expected.
    pub expectations: Expectations,
    /// Components left out by explicit opt-out.
    pub skipped_components: Vec<Skipped>,
    /// Every check's outcome, in order.
    pub checks: Vec<CheckOutcome>,
    /// Counts.
    pub totals: Totals,
    /// The verdict: every check passed or was skipped for an acceptable reason (see
    /// [`CheckOutcome::is_acceptable`]); the CLI exits 0 exactly when this holds.
    pub passed: bool,
    /// Whether the run was interrupted (Ctrl-C): the checks after that are not run.
    pub interrupted: bool,
    /// When Prometheus's rules started seeing the stack (the start-up gate opened: every
    /// target scraped once); `None` where the rules are not gated or it had not opened.
    pub rules_started: Option<crate::checks::GateOpened>,
}

/// How many checks passed, failed, were skipped on purpose, or were not run after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped on purpose: the component was left out, or the manifests have none.
    pub skipped: usize,
    /// Not run, because an earlier check failed or the run was interrupted.
    pub not_run: usize,
}

impl Totals {
    /// The counts of `checks`: a check not run because an earlier one failed is counted as
    /// not run, not as skipped.
    pub fn of(checks: &[CheckOutcome]) -> Self {
        let count = |status| checks.iter().filter(|c| c.status == status).count();
        let not_run = checks
            .iter()
            .filter(|c| {
                matches!(
                    c.skip,
                    Some(SkipReason::EarlierFailed { .. } | SkipReason::Interrupted)
                )
            })
            .count();
        Totals {
            passed: count(CheckStatus::Passed),
            failed: count(CheckStatus::Failed),
            skipped: count(CheckStatus::Skipped) - not_run,
            not_run,
        }
    }
}

impl Summary {
    /// A summary of a finished run.
    pub fn new(
        stack: &RunningStack,
        expectations: &Expectations,
        checks: Vec<CheckOutcome>,
        started_at: SystemTime,
        stack_start: Duration,
        wall: Duration,
    ) -> Self {
        let totals = Totals::of(&checks);
        let plan = stack.plan();
        let passed = crate::checks::try_assert_all_passed(&checks).is_ok();
        Self {
            backend: stack.backend().to_string(),
            manifests: plan.spec.dir.display().to_string(),
            time_scale: plan.time_scale,
            timings: plan.timings,
            started_at: format_timestamp(started_at),
            stack_start_ms: stack_start.as_millis() as u64,
            wall_ms: wall.as_millis() as u64,
            expectations: expectations.clone(),
            skipped_components: stack.skipped().to_vec(),
            checks,
            totals,
            passed,
            interrupted: false,
            rules_started: None,
        }
    }

    /// Whether the run passed: every outcome acceptable, by the same definition as
    /// [`crate::checks::assert_all_passed`] ([`CheckOutcome::is_acceptable`]). Skipped checks
    /// are still counted apart from passed ones in [`Summary::totals`].
    pub fn all_passed(&self) -> bool {
        self.passed
    }

    /// The check by name.
    pub fn check(&self, name: &str) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The closing line: `12 passed, 0 failed, 2 skipped`, and `, 3 not run` when checks were
    /// not run because an earlier one failed.
    pub fn closing_line(&self) -> String {
        let not_run = match self.totals.not_run {
            0 => String::new(),
            n => format!(", {n} not run"),
        };
        format!(
            "{} passed, {} failed, {} skipped{not_run}",
            self.totals.passed, self.totals.failed, self.totals.skipped
        )
    }

    /// The exit code: 0 when nothing failed, 130 when interrupted, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            130
        } else if self.all_passed() {
            0
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ComponentKind;

    #[test]
    fn checks_not_run_after_a_failure_are_counted_apart_from_skipped_ones() {
        let mut failed = CheckOutcome::skipped(
            "alert X firing",
            SkipReason::OptedOut {
                component: ComponentKind::Grafana,
            },
        );
        failed.status = CheckStatus::Failed;
        failed.skip = None;
        let checks = [
            failed,
            CheckOutcome::skipped(
                "alert X delivered",
                SkipReason::EarlierFailed {
                    check: "alert X firing".into(),
                },
            ),
            CheckOutcome::skipped(
                "grafana datasource",
                SkipReason::OptedOut {
                    component: ComponentKind::Grafana,
                },
            ),
        ];
        assert_eq!(
            Totals::of(&checks),
            Totals {
                passed: 0,
                failed: 1,
                skipped: 1,
                not_run: 1
            }
        );
    }
}
