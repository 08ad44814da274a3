//! # firedrill
//!
//! End-to-end checks that a monitoring stack works before it ships: an instrumented app is
//! scraped by a real Prometheus, its alert rules fire, a real Alertmanager delivers the
//! notification to a mock Slack webhook that records every payload, and Grafana's
//! Prometheus datasource resolves.
//!
//! The data travels one way:
//! [`load`] (manifests → [`spec::StackSpec`]) → [`lint`] (findings before anything starts) → [`plan`] (addresses, time scale, Slack →
//! [`plan::StackPlan`] + changes) → [`backend`] (start → [`backend::RunningStack`]) →
//! [`checks`] (each a value with a deadline and evidence) → [`report`].
#![deny(missing_docs)]

pub mod backend;
pub mod checks;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod clients;
pub mod error;
pub mod fixtures;
pub mod lint;
pub mod load;
pub mod plan;
pub mod report;
pub mod secret;
pub mod slack;
pub mod snapshot;
pub mod spec;
mod stack;
pub mod time;
pub mod tools;
pub mod verify;

pub use checks::{assert_all_passed, try_assert_all_passed, Check, CheckOutcome};
pub use error::{Error, InputError, Result};
pub use stack::{Stack, StackBuilder};

/// The README's Rust examples, compiled as `no_run` doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
