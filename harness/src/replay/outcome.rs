//! What a rule test found: promtool's verdict, every disagreement between the live run and
//! promtool, and the checks that followed each alert to Slack.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::checks::{Check, CheckOutcome};
use crate::replay::oracle::PromtoolVerdict;
use crate::ruletest::RuleTest;

/// A firing alert: its labels (`alertname` included) and annotations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct FiredAlert {
    /// The labels.
    pub labels: BTreeMap<String, String>,
    /// The annotations.
    pub annotations: BTreeMap<String, String>,
}

impl fmt::Display for FiredAlert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.labels)?;
        if !self.annotations.is_empty() {
            write!(f, " annotations {:?}", self.annotations)?;
        }
        Ok(())
    }
}

/// Where the live run and promtool differ.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disagreement {
    /// The firing alerts at an `alert_rule_test`'s `eval_time`.
    Alerts {
        /// Its index in `alert_rule_test`.
        index: usize,
        /// Its `eval_time`.
        eval_time: String,
        /// Its `alertname`.
        alertname: String,
        /// What promtool found (the test's `exp_alerts`, which promtool passed or not).
        promtool: Vec<FiredAlert>,
        /// Whether promtool passed the test (so that `exp_alerts` is what it found).
        promtool_passed: bool,
        /// What the live Prometheus fired.
        live: Vec<FiredAlert>,
    },
    /// The samples of a `promql_expr_test`.
    Samples {
        /// Its index in `promql_expr_test`.
        index: usize,
        /// Its `eval_time`.
        eval_time: String,
        /// Its `expr`.
        expr: String,
        /// The expression as the live Prometheus ran it (in scenario time).
        scaled: String,
        /// What promtool found (the test's `exp_samples`).
        promtool: Vec<(BTreeMap<String, String>, f64)>,
        /// Whether promtool passed the test.
        promtool_passed: bool,
        /// What the live Prometheus returned.
        live: Vec<(BTreeMap<String, String>, f64)>,
    },
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn samples(items: &[(BTreeMap<String, String>, f64)]) -> String {
    if items.is_empty() {
        return "nothing".to_string();
    }
    items
        .iter()
        .map(|(l, v)| format!("{l:?} {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disagreement::Alerts {
                index,
                eval_time,
                alertname,
                promtool,
                promtool_passed,
                live,
            } => {
                let said = if *promtool_passed {
                    "found"
                } else {
                    "was told to expect"
                };
                write!(
                    f,
                    "alert_rule_test[{index}] ({alertname} at {eval_time}): promtool {said} {}, the live Prometheus fired {}",
                    list(promtool),
                    list(live)
                )
            }
            Disagreement::Samples {
                index,
                eval_time,
                expr,
                scaled,
                promtool,
                promtool_passed,
                live,
            } => {
                let said = if *promtool_passed {
                    "found"
                } else {
                    "was told to expect"
                };
                write!(
                    f,
                    "promql_expr_test[{index}] (`{expr}` at {eval_time}): promtool {said} {}, the live Prometheus returned {} for `{scaled}`",
                    samples(promtool),
                    samples(live)
                )
            }
        }
    }
}

/// One of `verify`'s checks run on an alert of the test (`check` is `None` for a verdict the
/// replay adds: an alert Alertmanager inhibits).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FollowedCheck {
    /// The check.
    #[serde(skip)]
    pub check: Option<Check>,
    /// Its outcome.
    pub outcome: CheckOutcome,
}

/// What one test found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestReport {
    /// Its index in the file's `tests`.
    pub index: usize,
    /// Its name (`name`, or `test N`).
    pub name: String,
    /// promtool's verdict.
    pub promtool: PromtoolVerdict,
    /// How many alert_rule_tests and promql_expr_tests were compared with promtool's.
    pub compared: usize,
    /// Where the live run and promtool differ.
    pub disagreements: Vec<Disagreement>,
    /// How many of the compared evaluations were read only at a later one (a loaded
    /// machine): their labels from Prometheus's `ALERTS` at the eval_time, their annotations
    /// from the later evaluation where each alert's value was still the same.
    pub read_later: usize,
    /// The checks that followed each expected alert to Slack.
    pub checks: Vec<FollowedCheck>,
    /// The Slack messages recorded.
    pub messages: usize,
    /// The Slack payloads delivered, normalised and redacted as [`crate::snapshot`] makes
    /// them (YAML), to review or snapshot.
    pub payloads: String,
    /// What stopped the live run, if something did.
    pub failure: Option<String>,
    /// Whether `failure` says the run proves nothing either way: what Prometheus computed
    /// could not be read in time (a machine too loaded for the time scale), not a verdict.
    pub inconclusive: bool,
    /// Why an earlier try proved nothing, when the test was run again, alone.
    pub rerun_after: Option<String>,
    /// From the start to the test's time zero (the stack's start and Prometheus's discovery
    /// of its Alertmanager).
    #[serde(serialize_with = "millis")]
    pub floor: Duration,
    /// The test's whole wall time.
    #[serde(serialize_with = "millis")]
    pub wall: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl TestReport {
    pub(crate) fn new(test: &RuleTest, promtool: PromtoolVerdict) -> Self {
        Self {
            index: test.index,
            name: test.display_name(),
            promtool,
            compared: 0,
            disagreements: Vec::new(),
            read_later: 0,
            checks: Vec::new(),
            messages: 0,
            payloads: String::new(),
            failure: None,
            inconclusive: false,
            rerun_after: None,
            floor: Duration::ZERO,
            wall: Duration::ZERO,
        }
    }

    pub(crate) fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(reason);
        }
    }

    /// Whether promtool passed it, the live run agreed with promtool everywhere, and every
    /// check passed.
    pub fn passed(&self) -> bool {
        self.cause().is_none()
    }

    /// Why it failed, in one line; `None` when it passed.
    pub fn cause(&self) -> Option<String> {
        if let Some(failure) = &self.failure {
            return Some(failure.clone());
        }
        if !self.promtool.passed {
            return Some("promtool fails the test (its output below)".to_string());
        }
        if let Some(first) = self.disagreements.first() {
            return Some(format!("the live run disagrees with promtool: {first}"));
        }
        self.checks
            .iter()
            .find(|c| !c.outcome.is_acceptable())
            .map(|c| format!("{}: {}", c.outcome.name, c.outcome.detail))
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cause() {
            None => writeln!(
                f,
                "  {} ... ok: promtool agrees on {} eval{}{}; {} check{} passed; {} Slack message{} ({:.1} s){}",
                self.name,
                self.compared,
                if self.compared == 1 { "" } else { "s" },
                match self.read_later {
                    0 => String::new(),
                    n => format!(" ({n} read at a later evaluation, values unchanged)"),
                },
                self.checks.len(),
                if self.checks.len() == 1 { "" } else { "s" },
                self.messages,
                if self.messages == 1 { "" } else { "s" },
                self.wall.as_secs_f64(),
                match &self.rerun_after {
                    None => String::new(),
                    Some(why) => format!(", run again alone after a first try proved nothing: {why}"),
                }
            )?,
            Some(cause) => {
                let verdict = if self.inconclusive {
                    "FAILED (inconclusive)"
                } else {
                    "FAILED"
                };
                writeln!(f, "  {} ... {verdict}: {cause}", self.name)?;
                if let Some(why) = &self.rerun_after {
                    writeln!(f, "      run again alone after a first try proved nothing: {why}")?;
                }
                for d in self.disagreements.iter().skip(1) {
                    writeln!(f, "      also: {d}")?;
                }
                if !self.promtool.passed {
                    for line in self.promtool.output.lines() {
                        writeln!(f, "      promtool: {line}")?;
                    }
                }
                for check in &self.checks {
                    writeln!(
                        f,
                        "      {} {}: {}",
                        check.outcome.status, check.outcome.name, check.outcome.detail
                    )?;
                    if !check.outcome.is_acceptable() {
                        if let Some(evidence) = &check.outcome.evidence {
                            for line in evidence.lines() {
                                writeln!(f, "        {line}")?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What one test file found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// The test file.
    pub path: PathBuf,
    /// The time scale it ran at.
    pub time_scale: u32,
    /// Its evaluation interval on the wall clock.
    #[serde(serialize_with = "millis")]
    pub tick: Duration,
    /// Every change made to the manifests for the replay (the time scale's included).
    pub changes: Vec<String>,
    /// Each test.
    pub tests: Vec<TestReport>,
}

/// What `firedrill test` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleTestReport {
    /// Each file.
    pub files: Vec<FileReport>,
    /// The whole run's wall time.
    #[serde(serialize_with = "millis")]
    pub wall: Duration,
}

impl RuleTestReport {
    /// Whether every test of every file passed.
    pub fn passed(&self) -> bool {
        self.files
            .iter()
            .all(|f| f.tests.iter().all(TestReport::passed))
    }

    /// `(passed, failed)` tests.
    pub fn totals(&self) -> (usize, usize) {
        let all = self.files.iter().flat_map(|f| &f.tests);
        let passed = all.clone().filter(|t| t.passed()).count();
        (passed, all.count() - passed)
    }
}

impl fmt::Display for RuleTestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            writeln!(
                f,
                "{} (time scale {}: an evaluation every {} ms)",
                file.path.display(),
                file.time_scale,
                file.tick.as_millis()
            )?;
            for test in &file.tests {
                write!(f, "{test}")?;
            }
        }
        let (passed, failed) = self.totals();
        let floor = self
            .files
            .iter()
            .flat_map(|f| &f.tests)
            .map(|t| t.floor)
            .max()
            .unwrap_or_default();
        write!(
            f,
            "rule test result: {}. {passed} passed; {failed} failed; finished in {:.2}s (start-up floor {:.2}s)",
            if failed == 0 { "ok" } else { "FAILED" },
            self.wall.as_secs_f64(),
            floor.as_secs_f64()
        )
    }
}

/// `Ok` when every test passed; else the report as the error.
pub fn try_assert_rule_tests_passed(report: &RuleTestReport) -> Result<(), String> {
    if report.passed() {
        Ok(())
    } else {
        Err(report.to_string())
    }
}

/// Panics with the report unless every test passed.
#[track_caller]
pub fn assert_rule_tests_passed(report: &RuleTestReport) {
    if let Err(report) = try_assert_rule_tests_passed(report) {
        panic!("rule tests failed:\n{report}");
    }
}
