//! The checks: each a value with a deadline and the evidence it gathers. They talk only to
//! a [`crate::backend::RunningStack`]'s endpoints through typed clients, so one set of
//! checks serves every backend.

mod alertmanager;
mod app;
mod causes;
mod check;
mod checker;
mod deadlines;
mod evidence;
mod expectations;
mod grafana;
mod metric;
mod outcome;
mod poll;
mod prometheus;
mod render;
mod seen;
mod slack;
mod timing;

pub use check::Check;
pub use checker::Checker;
pub use deadlines::{margin_from_env, Deadlines};
pub use expectations::{Expectations, MetricExpectation, Traffic};
pub use outcome::{
    assert_all_passed, try_assert_all_passed, CheckFailure, CheckOutcome, CheckStatus,
    MessageMatch, SkipReason,
};
pub use poll::{poll, Look, PollError, POLL_INTERVAL};

pub(crate) use metric::TrafficBaselines;
pub(crate) use seen::{AlertWatch, SeenAlerts};
