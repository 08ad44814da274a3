//! Typed HTTP clients for the stack's components: what checks use to ask Prometheus,
//! Alertmanager and Grafana how things stand.
//!
//! Every client is cheap to clone, takes a base URL (trailing slash or not), and gives up
//! on a request after 5 s unless `with_timeout` says otherwise. Every failure is a
//! [`ClientError`] naming the method and URL path, never a credential.

pub mod alertmanager;
pub mod error;
pub mod grafana;
mod http;
pub mod prometheus;
pub mod prometheus_types;
pub mod sample;
#[cfg(test)]
mod test_support;

pub use alertmanager::{
    AlertmanagerClient, AmAlert, AmAlertGroup, AmAlertState, AmAlertStatus, AmStatus,
};
pub use error::{ClientError, Endpoint};
pub use grafana::{
    proxy_route_for, uses_uid_proxy_route, GrafanaClient, GrafanaDatasource, GrafanaHealth,
    ProxyRoute,
};
pub use http::DEFAULT_TIMEOUT;
pub use prometheus::PrometheusClient;
pub use prometheus_types::{AlertState, PromAlert, RuleGroupStatus, RuleKind, RuleStatus, Target};
pub use sample::{parse_sample_value, Sample, Series};
