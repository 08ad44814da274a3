//! What a check found: passed, failed (with evidence) or skipped (with the reason).

use std::fmt;
use std::time::Duration;

use crate::spec::ComponentKind;

/// A check's status. A skipped check never reads as passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The condition held before the deadline.
    Passed,
    /// It did not, or something contradicted it.
    Failed,
    /// Not run: its component was left out, or an earlier check failed.
    Skipped,
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "FAILED",
            CheckStatus::Skipped => "skipped",
        })
    }
}

/// Why a check was not run. Typed, so that whether a skip is acceptable never depends on
/// the wording of a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The component was left out by explicit opt-out (`--skip grafana`, `FIREDRILL_SKIP`).
    OptedOut {
        /// The component left out.
        component: ComponentKind,
    },
    /// The manifests run no such component, so there is nothing to check.
    NotInManifests {
        /// The component the manifests lack.
        component: ComponentKind,
    },
    /// An earlier check failed, so this one was not run.
    EarlierFailed {
        /// The name of the check that failed.
        check: String,
    },
    /// The run was interrupted (Ctrl-C) before this check ended.
    Interrupted,
}

impl SkipReason {
    /// Whether the run can still pass with this check skipped: a component left out on
    /// purpose, or one the manifests do not have. A check not run after a failure is never
    /// acceptable (the failure is).
    pub fn is_acceptable(&self) -> bool {
        !matches!(
            self,
            SkipReason::EarlierFailed { .. } | SkipReason::Interrupted
        )
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::OptedOut { component } => write!(
                f,
                "left out by explicit opt-out (--skip {component} / FIREDRILL_SKIP={component})"
            ),
            SkipReason::NotInManifests { component } => {
                write!(f, "the manifests run no {component}")
            }
            SkipReason::EarlierFailed { check } => write!(f, "not run: `{check}` failed first"),
            SkipReason::Interrupted => write!(f, "not run: the run was interrupted (Ctrl-C)"),
        }
    }
}

/// A Slack message a check matched: which request, for which group, carrying which alerts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageMatch {
    /// The request's position in arrival order (`slack/NNNN.json`).
    pub seq: usize,
    /// The receiver whose slack config rendered it.
    pub receiver: String,
    /// The group's labels (the route's `group_by` values).
    pub group_labels: std::collections::BTreeMap<String, String>,
    /// The alerts it carried, in its order: `(alertname, "firing" | "resolved")`.
    pub alerts: Vec<(String, String)>,
}

impl fmt::Display for MessageMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alerts: Vec<String> = self
            .alerts
            .iter()
            .map(|(name, status)| format!("{name} ({status})"))
            .collect();
        write!(f, "{}", alerts.join(", "))
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckOutcome {
    /// The check's name, a sentence fragment (`alert DeadMansSwitch delivered to Slack`).
    pub name: String,
    /// Passed, failed or skipped.
    pub status: CheckStatus,
    /// How long it took.
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
    /// Its deadline, when it waits.
    #[serde(serialize_with = "option_as_millis")]
    pub deadline: Option<Duration>,
    /// What it found (passed), why it failed, or why it was skipped.
    pub detail: String,
    /// Why it was skipped, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipReason>,
    /// The Slack messages it matched (delivered and resolved checks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageMatch>,
    /// On failure: target health, rule states, Alertmanager's alerts, every Slack request
    /// and the last lines of each component's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn option_as_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

/// A check that did not pass, with everything needed to see why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("check `{name}` {status}: {detail}{}", evidence.as_deref().map(|e| format!("\n\n{e}")).unwrap_or_default())]
pub struct CheckFailure {
    /// The check's name.
    pub name: String,
    /// Failed or skipped.
    pub status: CheckStatus,
    /// Why.
    pub detail: String,
    /// The evidence gathered.
    pub evidence: Option<String>,
}

impl CheckOutcome {
    /// A skipped check.
    pub fn skipped(name: impl Into<String>, reason: SkipReason) -> Self {
        Self {
            name: name.into(),
            status: CheckStatus::Skipped,
            elapsed: Duration::ZERO,
            deadline: None,
            detail: reason.to_string(),
            skip: Some(reason),
            messages: Vec::new(),
            evidence: None,
        }
    }

    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.status == CheckStatus::Passed
    }

    /// Whether the run can pass with this outcome: it passed, or it was skipped for an
    /// acceptable reason ([`SkipReason::is_acceptable`]). The one definition that the CLI's
    /// exit code, `summary.json` and [`assert_all_passed`] share.
    pub fn is_acceptable(&self) -> bool {
        match self.status {
            CheckStatus::Passed => true,
            CheckStatus::Failed => false,
            CheckStatus::Skipped => self.skip.as_ref().is_some_and(SkipReason::is_acceptable),
        }
    }

    /// `Ok` when it passed; else the failure with its evidence.
    pub fn try_assert_passed(&self) -> Result<&Self, CheckFailure> {
        if self.passed() {
            return Ok(self);
        }
        Err(CheckFailure {
            name: self.name.clone(),
            status: self.status,
            detail: self.detail.clone(),
            evidence: self.evidence.clone(),
        })
    }

    /// Panics, printing the evidence, unless it passed.
    #[track_caller]
    pub fn assert_passed(&self) -> &Self {
        match self.try_assert_passed() {
            Ok(outcome) => outcome,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// One line for progress output: `✔ name (1.2 s)`.
    pub fn line(&self) -> String {
        let mark = match self.status {
            CheckStatus::Passed => "ok  ",
            CheckStatus::Failed => "FAIL",
            CheckStatus::Skipped => "skip",
        };
        format!(
            "{mark} {} ({:.1} s) {}",
            self.name,
            self.elapsed.as_secs_f64(),
            self.detail
        )
    }
}

/// `Ok` when every outcome is acceptable ([`CheckOutcome::is_acceptable`]: passed, or
/// skipped because its component was left out or is not in the manifests); else the first
/// failed (or unacceptably skipped) check, with its evidence and a list of all outcomes.
pub fn try_assert_all_passed(outcomes: &[CheckOutcome]) -> Result<(), CheckFailure> {
    let offending = outcomes
        .iter()
        .find(|o| o.status == CheckStatus::Failed)
        .or_else(|| outcomes.iter().find(|o| !o.is_acceptable()));
    match offending {
        None => Ok(()),
        Some(o) => {
            let all: Vec<String> = outcomes.iter().map(CheckOutcome::line).collect();
            Err(CheckFailure {
                name: o.name.clone(),
                status: o.status,
                detail: format!("{}\n\nall checks:\n  {}", o.detail, all.join("\n  ")),
                evidence: o.evidence.clone(),
            })
        }
    }
}

/// Panics with the evidence unless every outcome is acceptable (see
/// [`try_assert_all_passed`]).
#[track_caller]
pub fn assert_all_passed(outcomes: &[CheckOutcome]) {
    if let Err(failure) = try_assert_all_passed(outcomes) {
        panic!("{failure}");
    }
}
