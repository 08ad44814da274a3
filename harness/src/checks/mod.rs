//! The checks: each a value with a deadline and the evidence it gathers. They talk only to
//! a [`crate::backend::RunningStack`]'s endpoints through typed clients, so one set of
//! checks serves every backend, and remember what a run sees in its [`Session`].
//!
//! Grouped by what they ask: `app/` (reachable, traffic and its baselines), `prometheus/`
//! (targets, rules, pending and firing on Prometheus's clock, the metric, the causes
//! Prometheus tells), `alertmanager/` (routing, the groups seen, delivery causes), `slack/`
//! (delivered and resolved, rendered by Alertmanager's own engine), `grafana/`. Around them:
//! the `Check` values, the `Checker` that runs one, `run` for a list with `progress`,
//! outcomes, typed causes, deadlines, polling.

mod alertmanager;
mod app;
mod cause;
mod check;
mod checker;
mod deadlines;
mod evidence;
mod expectations;
mod grafana;
mod outcome;
mod poll;
mod progress;
mod prometheus;
mod run;
mod session;
mod slack;
mod startup_gate;
mod traffic;

pub(crate) use alertmanager::seen::SeenGroup;
pub use check::Check;
pub use checker::Checker;
pub use deadlines::{margin_from_env, Deadlines};
pub(crate) use expectations::require_defined;
pub use expectations::{Expectations, MetricExpectation};
pub use outcome::{
    assert_all_passed, try_assert_all_passed, CheckFailure, CheckOutcome, CheckStatus,
    MessageMatch, SkipReason,
};
pub(crate) use poll::poll_every;
pub use poll::{poll, Look};
pub use progress::{Progress, SilentProgress, StderrProgress};
pub(crate) use prometheus::causes::metric_sum;
pub(crate) use run::run_checks;
pub use session::{GateOpened, Session};
pub use traffic::{ExpectStatus, Traffic};
