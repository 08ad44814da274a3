//! Typed HTTP clients for the stack's components: what checks use to ask Prometheus,
//! Alertmanager and Grafana how things stand.
//!
//! Every client is cheap to clone, takes a base URL (trailing slash or not), and gives up
//! on a request after 5 s unless `with_timeout` says otherwise. Every failure is a
//! [`ClientError`] naming the method and URL path, never a credential.

pub(crate) mod alertmanager;
pub(crate) mod error;
pub(crate) mod grafana;
mod http;
pub(crate) mod prometheus;
pub(crate) mod prometheus_types;
pub(crate) mod sample;
#[cfg(test)]
mod test_support;

pub use alertmanager::{AlertmanagerClient, AmAlert, AmAlertGroup, AmAlertState};
pub use error::ClientError;
pub use grafana::{GrafanaClient, GrafanaDatasource};
pub(crate) use prometheus::remote_write::{stale_marker, WriteSeries};
pub use prometheus::PrometheusClient;
pub use prometheus_types::{AlertState, PromAlert, RuleGroupStatus, RuleKind, RuleStatus};
pub use sample::{Sample, Series};
