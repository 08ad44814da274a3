//! `summary.json`: each check's status and timing, what was skipped and why.

use std::time::{Duration, SystemTime};

use crate::backend::{RunningStack, Skipped};
use crate::checks::{CheckOutcome, CheckStatus, Expectations};
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
}

/// How many checks passed, failed, were skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped (left out, or not run after a failure).
    pub skipped: usize,
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
        let count = |status| checks.iter().filter(|c| c.status == status).count();
        let totals = Totals {
            passed: count(CheckStatus::Passed),
            failed: count(CheckStatus::Failed),
            skipped: count(CheckStatus::Skipped),
        };
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

    /// The closing line: `12 passed, 0 failed, 2 skipped`.
    pub fn closing_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.totals.passed, self.totals.failed, self.totals.skipped
        )
    }

    /// The exit code: 0 when nothing failed, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.all_passed() {
            0
        } else {
            1
        }
    }
}
