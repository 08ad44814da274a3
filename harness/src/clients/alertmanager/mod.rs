//! A typed client for Alertmanager's v2 API.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::clients::error::ClientError;
use crate::clients::http::HttpBase;
use crate::secret::SecretString;

/// Talks to one Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: HttpBase,
}

/// An alert as Alertmanager holds it (`GET /api/v2/alerts`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmAlert {
    /// The alert's labels (`alertname` included).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The alert's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// When the alert started (`startsAt`, RFC 3339).
    #[serde(rename = "startsAt", default)]
    pub starts_at: String,
    /// When the alert ends or ended (`endsAt`, RFC 3339).
    #[serde(rename = "endsAt", default)]
    pub ends_at: String,
    /// The alert's identity in Alertmanager.
    #[serde(default)]
    pub fingerprint: String,
    /// The link back to the rule's expression in Prometheus (`generatorURL`).
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    /// Whether it is active, silenced or inhibited.
    pub status: AmAlertStatus,
    /// The names of the receivers the alert is routed to (`receivers[].name`).
    #[serde(default, deserialize_with = "receiver_names")]
    pub receivers: Vec<String>,
}

impl AmAlert {
    /// The `alertname` label.
    pub fn name(&self) -> Option<&str> {
        self.labels.get("alertname").map(String::as_str)
    }
}

/// An aggregation group as Alertmanager holds it (`GET /api/v2/alerts/groups`): the alerts
/// one notification carries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmAlertGroup {
    /// The group's labels (the values of the route's `group_by`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The receiver the group notifies.
    #[serde(deserialize_with = "receiver_name")]
    pub receiver: String,
    /// The group's alerts, in Alertmanager's order.
    #[serde(default)]
    pub alerts: Vec<AmAlert>,
}

/// An alert's `status` object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmAlertStatus {
    /// Unprocessed, active or suppressed.
    pub state: AmAlertState,
    /// The silences muting the alert (`silencedBy`).
    #[serde(rename = "silencedBy", default)]
    pub silenced_by: Vec<String>,
    /// The alerts inhibiting it (`inhibitedBy`).
    #[serde(rename = "inhibitedBy", default)]
    pub inhibited_by: Vec<String>,
}

/// Where an alert stands in Alertmanager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AmAlertState {
    /// Received, not yet routed.
    Unprocessed,
    /// Routed and notified.
    Active,
    /// Silenced or inhibited.
    Suppressed,
    /// A state this client does not know.
    #[serde(other)]
    Unknown,
}

/// What `GET /api/v2/status` reports, minus anything that prints a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AmStatus {
    /// `versionInfo.version`, e.g. `0.25.0`.
    pub version: String,
    /// When Alertmanager started (`uptime`, RFC 3339).
    pub uptime: String,
    /// `cluster.status`: `ready`, `settling` or `disabled`.
    pub cluster_status: String,
    /// `config.original`, the loaded configuration: it holds the Slack webhook URL, so it
    /// is kept only as a secret.
    pub config_original: SecretString,
}

#[derive(Deserialize)]
struct StatusWire {
    #[serde(rename = "versionInfo", default)]
    version_info: VersionInfoWire,
    #[serde(default)]
    uptime: String,
    #[serde(default)]
    cluster: ClusterWire,
    #[serde(default)]
    config: ConfigWire,
}

#[derive(Deserialize, Default)]
struct VersionInfoWire {
    #[serde(default)]
    version: String,
}

#[derive(Deserialize, Default)]
struct ClusterWire {
    #[serde(default)]
    status: String,
}

#[derive(Deserialize, Default)]
struct ConfigWire {
    #[serde(default)]
    original: String,
}

#[derive(Deserialize)]
struct ReceiverWire {
    name: String,
}

fn receiver_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(ReceiverWire::deserialize(deserializer)?.name)
}

fn receiver_names<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let receivers = Vec::<ReceiverWire>::deserialize(deserializer)?;
    Ok(receivers
        .into_iter()
        .map(|receiver| receiver.name)
        .collect())
}

impl AlertmanagerClient {
    /// A client for the Alertmanager at `base_url` (`http://127.0.0.1:9093`, trailing slash or not).
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

    /// Every alert Alertmanager holds (`GET /api/v2/alerts`).
    pub async fn alerts(&self) -> Result<Vec<AmAlert>, ClientError> {
        self.http.get("/api/v2/alerts", &[], None).await?.json()
    }

    /// Alertmanager's own metrics, in the text exposition format (`GET /metrics`).
    pub async fn own_metrics(&self) -> Result<String, ClientError> {
        self.http.get("/metrics", &[], None).await?.text()
    }

    /// Every aggregation group with its alerts (`GET /api/v2/alerts/groups`).
    pub async fn alert_groups(&self) -> Result<Vec<AmAlertGroup>, ClientError> {
        self.http
            .get("/api/v2/alerts/groups", &[], None)
            .await?
            .json()
    }

    /// Version, uptime and cluster status (`GET /api/v2/status`).
    pub async fn status(&self) -> Result<AmStatus, ClientError> {
        let wire: StatusWire = self.http.get("/api/v2/status", &[], None).await?.json()?;
        Ok(AmStatus {
            version: wire.version_info.version,
            uptime: wire.uptime,
            cluster_status: wire.cluster.status,
            config_original: SecretString::new(wire.config.original),
        })
    }
}

#[cfg(test)]
mod tests;

impl AmAlertState {
    /// As Alertmanager writes it: `unprocessed`, `active`, `suppressed` (`unknown` else).
    pub fn as_str(&self) -> &'static str {
        match self {
            AmAlertState::Unprocessed => "unprocessed",
            AmAlertState::Active => "active",
            AmAlertState::Suppressed => "suppressed",
            AmAlertState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for AmAlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
