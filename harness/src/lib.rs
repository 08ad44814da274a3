//! # firedrill
//!
//! Proves a monitoring stack works before it ships: the stack your Kubernetes manifests
//! describe is started (a real Prometheus and Alertmanager, your app, Grafana), its alert rules
//! fire, and Alertmanager's Slack message, rendered from your template, reaches a mock webhook
//! that records every payload.
//!
//! A test needs four names: [`StackBuilder`] starts the stack (after linting the manifests, as
//! `firedrill verify` does), [`Stack::run`] runs [`Check`]s on it, [`assert_all_passed`]
//! fails the test with each failed check's cause and evidence, and [`fixtures`] has rstest
//! fixtures for this repository's manifests.
//!
//! ```no_run
//! use firedrill::{assert_all_passed, Check, StackBuilder};
//!
//! #[tokio::test]
//! async fn our_alert_reaches_slack() -> firedrill::Result<()> {
//!     let stack = StackBuilder::new("k8s/monitoring").start().await?;
//!     let outcomes = stack
//!         .run(&[
//!             Check::AlertFiring("DeadMansSwitch".into()),
//!             Check::AlertDelivered("DeadMansSwitch".into()),
//!         ])
//!         .await?;
//!     assert_all_passed(&outcomes);
//!     stack.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! [`snapshot::normalised_payloads`] turns the messages a stack delivered into a reviewable
//! snapshot. Everything else is internal: the stages behind the front door (load, plan,
//! backends, checks, report) import one way, as ARCHITECTURE.md describes.
#![deny(missing_docs)]

mod backend;
mod checks;
#[cfg(feature = "cli")]
#[doc(hidden)]
#[allow(rustdoc::invalid_html_tags)] // clap's help text, not HTML: `<UTC time>`
pub mod cli;
mod clients;
mod error;
pub mod fixtures;
mod lint;
mod load;
mod plan;
mod replay;
mod report;
mod ruletest;
mod secret;
mod slack;
pub mod snapshot;
mod spec;
mod stack;
mod time;
mod tools;
mod verify;

pub use backend::{
    AppEndpoint, BackendKind, Endpoints, Fault, RunningStack, Skipped, StartOptions,
};
pub use checks::{
    assert_all_passed, try_assert_all_passed, Check, CheckFailure, CheckOutcome, CheckStatus,
    Deadlines, ExpectStatus, GateOpened, MessageMatch, MetricExpectation, Progress, SilentProgress,
    SkipReason, StderrProgress, Traffic,
};
pub use error::{Error, Finding, Findings, InputError, Result, Severity};
pub use load::GivenSecret;
pub use replay::{
    assert_rule_tests_passed, try_assert_rule_tests_passed, Disagreement, FileReport, FiredAlert,
    FollowedCheck, PromtoolVerdict, RuleTestReport, RuleTests, TestReport,
};
pub use report::{Summary, Totals};
pub use slack::{SlackFault, SlackMessage, SlackMock};
pub use spec::ComponentKind;
pub use stack::{Stack, StackBuilder};

/// The stages behind the front door, for firedrill's own command and test suite: no
/// stability promise, not for other crates.
#[doc(hidden)]
pub mod internal {
    pub use crate::backend::{render, render_manifests};
    pub use crate::checks::{poll, Expectations, Look};
    pub use crate::clients::PrometheusClient;
    pub use crate::lint::{lint_dir, lint_dir_given};
    pub use crate::load::{load_dir, load_dir_given};
    pub use crate::plan::scaled_rule_file;
    pub use crate::report::claim_run_dir;
    pub use crate::report::{review_html, review_path, ReviewRun};
    pub use crate::tools::download::this_platform;
    pub use crate::tools::on_path;
    pub use crate::verify::{scenario_checks, standard_checks, verify, Step, VerifyOptions};
}

/// The README's Rust examples, compiled as `no_run` doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
