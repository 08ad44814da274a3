//! A typed client for Grafana's HTTP API: health, datasources, and PromQL through the
//! datasource proxy.

use std::time::Duration;

use serde::Deserialize;

use super::error::ClientError;
use super::http::{encode_path_segment, BasicAuth, HttpBase};
use super::sample::{InstantQueryData, Sample};
use crate::secret::SecretString;

/// Talks to one Grafana as a basic-auth user. `Debug` shows the password as `<redacted>`.
#[derive(Debug, Clone)]
pub struct GrafanaClient {
    http: HttpBase,
    user: String,
    password: SecretString,
}

/// What `GET /api/health` reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GrafanaHealth {
    /// `ok` when Grafana reaches its database.
    pub database: String,
    /// Grafana's version, e.g. `7.5.9`.
    pub version: String,
}

/// A datasource as `GET /api/datasources/name/:name` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GrafanaDatasource {
    /// The numeric id (the 7.x proxy route uses it).
    pub id: u64,
    /// The uid (the 9+ proxy route uses it); absent on old versions.
    #[serde(default)]
    pub uid: Option<String>,
    /// The datasource's name.
    pub name: String,
    /// The plugin type, e.g. `prometheus` (`type`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The URL Grafana reaches the datasource at.
    #[serde(default)]
    pub url: String,
    /// Whether it is the default datasource (`isDefault`).
    #[serde(rename = "isDefault", default)]
    pub is_default: bool,
    /// `proxy` (server side) or `direct` (browser side).
    #[serde(default)]
    pub access: String,
}

/// Which datasource proxy route a query goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRoute {
    /// `/api/datasources/proxy/:id/...`, Grafana before 9.
    ById(u64),
    /// `/api/datasources/proxy/uid/:uid/...`, Grafana 9 and later.
    ByUid(String),
}

/// Whether a Grafana of this version should be asked through the uid proxy route: true
/// from major version 9 on. A version whose major number cannot be read (a `main` build)
/// counts as recent.
pub fn uses_uid_proxy_route(version: &str) -> bool {
    let major = version
        .trim()
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    !matches!(major, Some(major) if major < 9)
}

/// The proxy route for `datasource` on a Grafana of `version`: by uid from 9 on when the
/// datasource has one, by id otherwise.
pub fn proxy_route_for(version: &str, datasource: &GrafanaDatasource) -> ProxyRoute {
    match &datasource.uid {
        Some(uid) if !uid.is_empty() && uses_uid_proxy_route(version) => {
            ProxyRoute::ByUid(uid.clone())
        }
        _ => ProxyRoute::ById(datasource.id),
    }
}

impl GrafanaClient {
    /// A client for the Grafana at `base_url` (trailing slash or not), logging in as `user`.
    pub fn new(base_url: &str, user: &str, password: SecretString) -> Self {
        Self {
            http: HttpBase::new(base_url),
            user: user.to_string(),
            password,
        }
    }

    /// The same client with another per-request timeout (default 5 s).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self {
            http: self.http.with_timeout(timeout),
            ..self
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// The user the client logs in as.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn auth(&self) -> Option<BasicAuth<'_>> {
        Some(BasicAuth {
            user: &self.user,
            password: &self.password,
        })
    }

    /// Database state and version (`GET /api/health`, no login needed).
    pub async fn health(&self) -> Result<GrafanaHealth, ClientError> {
        self.http.get("/api/health", &[], None).await?.json()
    }

    /// The datasource called `name` (`GET /api/datasources/name/:name`).
    pub async fn datasource_by_name(&self, name: &str) -> Result<GrafanaDatasource, ClientError> {
        let path = format!("/api/datasources/name/{}", encode_path_segment(name));
        self.http.get(&path, &[], self.auth()).await?.json()
    }

    /// Runs an instant PromQL query through the datasource, choosing the proxy route from
    /// Grafana's `version` (see [`proxy_route_for`]).
    pub async fn query_via_datasource(
        &self,
        datasource: &GrafanaDatasource,
        version: &str,
        expr: &str,
    ) -> Result<Vec<Sample>, ClientError> {
        match proxy_route_for(version, datasource) {
            ProxyRoute::ById(id) => self.query_via_proxy_id(id, expr).await,
            ProxyRoute::ByUid(uid) => self.query_via_proxy_uid(&uid, expr).await,
        }
    }

    /// `GET /api/datasources/proxy/:id/api/v1/query?query=expr` (Grafana before 9).
    pub async fn query_via_proxy_id(
        &self,
        id: u64,
        expr: &str,
    ) -> Result<Vec<Sample>, ClientError> {
        self.query_through(&format!("/api/datasources/proxy/{id}/api/v1/query"), expr)
            .await
    }

    /// `GET /api/datasources/proxy/uid/:uid/api/v1/query?query=expr` (Grafana 9 and later).
    pub async fn query_via_proxy_uid(
        &self,
        uid: &str,
        expr: &str,
    ) -> Result<Vec<Sample>, ClientError> {
        let path = format!(
            "/api/datasources/proxy/uid/{}/api/v1/query",
            encode_path_segment(uid)
        );
        self.query_through(&path, expr).await
    }

    async fn query_through(&self, path: &str, expr: &str) -> Result<Vec<Sample>, ClientError> {
        let response = self.http.get(path, &[("query", expr)], self.auth()).await?;
        let data: InstantQueryData = response.prometheus_data()?;
        data.into_samples()
            .map_err(|reason| response.decode_error(reason))
    }
}

#[cfg(test)]
#[path = "grafana_tests.rs"]
mod tests;
