//! A typed client for Prometheus's HTTP API.

use std::time::Duration;

use serde::Deserialize;

use crate::clients::error::ClientError;
use crate::clients::http::HttpBase;
use crate::clients::prometheus_types::{PromAlert, RuleGroupStatus, Target};
use crate::clients::sample::{InstantQueryData, Sample, Series};

pub(crate) mod remote_write;

/// Talks to one Prometheus server.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: HttpBase,
}

#[derive(Deserialize)]
struct TargetsData {
    #[serde(rename = "activeTargets", default)]
    active_targets: Vec<Target>,
}

#[derive(Deserialize)]
struct RulesData {
    #[serde(default)]
    groups: Vec<RuleGroupStatus>,
}

#[derive(Deserialize)]
struct AlertsData {
    #[serde(default)]
    alerts: Vec<PromAlert>,
}

#[derive(Deserialize)]
struct AlertmanagersData {
    #[serde(rename = "activeAlertmanagers", default)]
    active_alertmanagers: Vec<AlertmanagerUrl>,
}

#[derive(Deserialize)]
struct AlertmanagerUrl {
    url: String,
}

impl PrometheusClient {
    /// A client for the server at `base_url` (`http://127.0.0.1:9090`, trailing slash or not).
    pub fn new(base_url: &str) -> Self {
        Self {
            http: HttpBase::new(base_url),
        }
    }

    /// The same client with another per-request timeout (default 5 s).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self {
            http: self.http.with_timeout(timeout),
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    /// Whether `GET /-/ready` answers 2xx; a refused connection is `Ok(false)`.
    pub async fn ready(&self) -> Result<bool, ClientError> {
        self.http.probe_ready("/-/ready").await
    }

    /// Evaluates `expr` now (`GET /api/v1/query`): one sample per series of an instant
    /// vector, or one label-less sample for a scalar.
    pub async fn query(&self, expr: &str) -> Result<Vec<Sample>, ClientError> {
        let response = self
            .http
            .get("/api/v1/query", &[("query", expr)], None)
            .await?;
        let data: InstantQueryData = response.prometheus_data()?;
        data.into_samples()
            .map_err(|reason| response.decode_error(reason))
    }

    /// Evaluates `expr` at `at_ms` (unix milliseconds; `GET /api/v1/query?time=`), in the
    /// past or the future: one sample per series, none when nothing is there at that time.
    pub async fn query_at(&self, expr: &str, at_ms: i64) -> Result<Vec<Sample>, ClientError> {
        let time = format!("{}.{:03}", at_ms.div_euclid(1000), at_ms.rem_euclid(1000));
        let response = self
            .http
            .get("/api/v1/query", &[("query", expr), ("time", &time)], None)
            .await?;
        let data: InstantQueryData = response.prometheus_data()?;
        data.into_samples()
            .map_err(|reason| response.decode_error(reason))
    }

    /// Evaluates a range selector now (`GET /api/v1/query` with `metric[5m]`): every raw
    /// sample in the range, with Prometheus's own timestamps.
    pub async fn query_series(&self, expr: &str) -> Result<Vec<Series>, ClientError> {
        let response = self
            .http
            .get("/api/v1/query", &[("query", expr)], None)
            .await?;
        let data: InstantQueryData = response.prometheus_data()?;
        data.into_series()
            .map_err(|reason| response.decode_error(reason))
    }

    /// Every metric name Prometheus holds (`GET /api/v1/label/__name__/values`).
    pub async fn metric_names(&self) -> Result<Vec<String>, ClientError> {
        self.http
            .get("/api/v1/label/__name__/values", &[], None)
            .await?
            .prometheus_data()
    }

    /// Prometheus's own metrics, in the text exposition format (`GET /metrics`).
    pub async fn own_metrics(&self) -> Result<String, ClientError> {
        self.http.get("/metrics", &[], None).await?.text()
    }

    /// The active scrape targets (`GET /api/v1/targets`).
    pub async fn targets(&self) -> Result<Vec<Target>, ClientError> {
        let response = self.http.get("/api/v1/targets", &[], None).await?;
        Ok(response.prometheus_data::<TargetsData>()?.active_targets)
    }

    /// The rule groups and every rule's health and state (`GET /api/v1/rules`).
    pub async fn rules(&self) -> Result<Vec<RuleGroupStatus>, ClientError> {
        let response = self.http.get("/api/v1/rules", &[], None).await?;
        Ok(response.prometheus_data::<RulesData>()?.groups)
    }

    /// The pending and firing alerts (`GET /api/v1/alerts`).
    pub async fn alerts(&self) -> Result<Vec<PromAlert>, ClientError> {
        let response = self.http.get("/api/v1/alerts", &[], None).await?;
        Ok(response.prometheus_data::<AlertsData>()?.alerts)
    }

    /// The URLs of the Alertmanagers Prometheus currently sends to
    /// (`GET /api/v1/alertmanagers`, `activeAlertmanagers[].url`).
    pub async fn alertmanagers(&self) -> Result<Vec<String>, ClientError> {
        let response = self.http.get("/api/v1/alertmanagers", &[], None).await?;
        Ok(response
            .prometheus_data::<AlertmanagersData>()?
            .active_alertmanagers
            .into_iter()
            .map(|alertmanager| alertmanager.url)
            .collect())
    }
}

#[cfg(test)]
mod tests;
