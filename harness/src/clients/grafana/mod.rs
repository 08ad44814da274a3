//! A typed client for Grafana's HTTP API: health, datasources, and PromQL through the
//! datasource proxy.
//!
//! Held to Grafana's published HTTP API for 7.5 (the seed's image) and for current
//! releases (10.x, 11.x); `testdata/grafana/README.md` lists the documentation each
//! recorded answer was written from. What differs between them, and how the client copes:
//!
//! - `GET /api/health` needs no login; `version` and `commit` are left out when Grafana
//!   hides its version (`[auth.anonymous] hide_version`), so both are optional.
//! - Datasources carry a `uid` in current releases; 7.x answers may lack it.
//! - The proxy by uid (`/api/datasources/proxy/uid/:uid/...`) and the datasource health
//!   check by uid (`/api/datasources/uid/:uid/health`) do not exist in 7.5: there the uid
//!   route falls into the id route (`uid` read as id 0) and Grafana answers 500 "Unable to
//!   load datasource meta data". The proxy by id exists in every version (deprecated since
//!   9, not removed), so the client asks by uid where the version says it can, and falls
//!   back to the id route when Grafana itself (not Prometheus) says the uid route failed.

use std::fmt;

use serde::Deserialize;

use crate::clients::error::ClientError;
use crate::clients::http::{encode_path_segment, BasicAuth, HttpBase};
use crate::clients::sample::{InstantQueryData, Sample};
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
    /// `ok` when Grafana reaches its database (`failing`, with status 503, when not).
    pub database: String,
    /// Grafana's version, e.g. `7.5.9`; absent when Grafana hides it.
    #[serde(default)]
    pub version: Option<String>,
    /// The commit Grafana was built from; absent when Grafana hides its version.
    #[serde(default)]
    pub commit: Option<String>,
}

/// A datasource as `GET /api/datasources/name/:name`, `.../uid/:uid` and the list
/// `GET /api/datasources` report it (the list leaves some fields out; they default).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GrafanaDatasource {
    /// The numeric id (the proxy route every version has uses it).
    pub id: u64,
    /// The uid (the proxy and health routes of 9 and later use it); absent on old versions.
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

/// What `GET /api/datasources/uid/:uid/health` reports: Grafana's own test of the
/// datasource (the "Save & test" button).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DatasourceHealth {
    /// `OK` or `ERROR` (`UNKNOWN` when the plugin cannot tell).
    pub status: String,
    /// The plugin's explanation, e.g. `Successfully queried the Prometheus API.`.
    #[serde(default)]
    pub message: String,
}

impl DatasourceHealth {
    /// Whether Grafana says the datasource works.
    pub fn is_ok(&self) -> bool {
        self.status.eq_ignore_ascii_case("ok")
    }
}

/// Which datasource proxy route a query goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRoute {
    /// `/api/datasources/proxy/:id/...`: every version (deprecated since 9).
    ById(u64),
    /// `/api/datasources/proxy/uid/:uid/...`: Grafana 9 and later.
    ByUid(String),
}

impl fmt::Display for ProxyRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyRoute::ById(id) => write!(f, "the id proxy route (id {id})"),
            ProxyRoute::ByUid(uid) => write!(f, "the uid proxy route (uid {uid})"),
        }
    }
}

/// The samples a query through Grafana returned, and the route that answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxiedQuery {
    /// The instant vector Prometheus returned through Grafana.
    pub samples: Vec<Sample>,
    /// The route that answered (after any fallback).
    pub route: ProxyRoute,
}

/// A failed Grafana call: the HTTP failure, and what to do about it when the answer says.
#[derive(Debug)]
pub struct GrafanaError {
    /// The failure itself (method, path, status, the start of the body).
    pub error: ClientError,
    /// What the answer means and what to do, when Grafana's documented answers say.
    pub advice: Option<String>,
}

impl GrafanaError {
    /// The HTTP status, when Grafana answered at all.
    pub fn status(&self) -> Option<u16> {
        self.error.status()
    }
}

impl fmt::Display for GrafanaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.advice {
            Some(advice) => write!(f, "{advice} ({})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for GrafanaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The major version of a Grafana version string (`7.5.9`, `v10.4.2`, `11.0.0-preview`).
pub fn major_version(version: &str) -> Option<u32> {
    version
        .trim()
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|major| major.parse::<u32>().ok())
}

/// Whether a Grafana of this version has the uid routes (proxy and health): from major
/// version 9 on. An unknown version (hidden, or a `main` build) counts as recent; the
/// proxy then falls back to the id route if the uid route is missing.
pub fn uses_uid_proxy_route(version: Option<&str>) -> bool {
    !matches!(version.and_then(major_version), Some(major) if major < 9)
}

/// The first proxy route to try for `datasource` on a Grafana of `version`: by uid from 9
/// on (or an unknown version) when the datasource has one, by id otherwise.
pub fn proxy_route_for(version: Option<&str>, datasource: &GrafanaDatasource) -> ProxyRoute {
    match &datasource.uid {
        Some(uid) if !uid.is_empty() && uses_uid_proxy_route(version) => {
            ProxyRoute::ByUid(uid.clone())
        }
        _ => ProxyRoute::ById(datasource.id),
    }
}

/// Whether an answer on the uid proxy route is Grafana saying the route or datasource is
/// not there (so the id route may work), rather than Prometheus answering: a 404, or 7.x's
/// 500 for the uid read as an id, with Grafana's `{"message": ...}` body.
fn uid_route_missing(error: &ClientError) -> bool {
    let ClientError::Status { status, body, .. } = error else {
        return false;
    };
    let grafana_says = serde_json::from_str::<GrafanaMessage>(body)
        .map(|answer| answer.message)
        .unwrap_or_default();
    *status == 404
        || (*status == 500
            && grafana_says
                .to_ascii_lowercase()
                .contains("datasource meta"))
}

/// Grafana's error body, `{"message": "..."}` (10.x adds `messageId`, `statusCode`, ...).
#[derive(Deserialize)]
struct GrafanaMessage {
    #[serde(default)]
    message: String,
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

    fn auth(&self) -> Option<BasicAuth<'_>> {
        Some(BasicAuth {
            user: &self.user,
            password: &self.password,
        })
    }

    /// What a documented error answer means, for a request about `subject`.
    fn advise(&self, error: ClientError, subject: &str) -> GrafanaError {
        let advice = match error.status() {
            Some(401) => Some(format!(
                "Grafana rejected user {}'s password: the manifests' admin password \
                 (GF_SECURITY_ADMIN_PASSWORD or admin_password) is not the one this Grafana \
                 uses; a Grafana that kept its database from an earlier run keeps its old \
                 password",
                self.user
            )),
            Some(403) => Some(format!(
                "user {} may not read {subject}: the datasource API needs an organisation \
                 admin (the Admin role); log in as Grafana's admin user",
                self.user
            )),
            Some(404) => Some(format!(
                "Grafana has no {subject}: check the name in the datasource provisioning file \
                 and Grafana's log for provisioning errors"
            )),
            Some(502..=504) => Some(format!(
                "Grafana could not reach {subject}: its `url` must be where Grafana's server \
                 reaches Prometheus (access: proxy)"
            )),
            Some(500..=599) => Some(format!(
                "Grafana failed answering about {subject}: see Grafana's log"
            )),
            _ => None,
        };
        GrafanaError { error, advice }
    }

    /// Database state and version (`GET /api/health`, no login needed). A 503 (database
    /// failing) is an error naming the database.
    pub async fn health(&self) -> Result<GrafanaHealth, GrafanaError> {
        let response = self
            .http
            .get("/api/health", &[], None)
            .await
            .map_err(|error| GrafanaError {
                error,
                advice: None,
            })?;
        response.json().map_err(|error| {
            let advice = (error.status() == Some(503)).then(|| {
                "Grafana cannot reach its database (health reports `database: failing`): \
                 see Grafana's log"
                    .to_string()
            });
            GrafanaError { error, advice }
        })
    }

    /// The datasource called `name` (`GET /api/datasources/name/:name`).
    pub async fn datasource_by_name(&self, name: &str) -> Result<GrafanaDatasource, GrafanaError> {
        let path = format!("/api/datasources/name/{}", encode_path_segment(name));
        let subject = format!("datasource named `{name}`");
        self.get_json(&path, &subject).await
    }

    /// Every datasource of the user's organisation (`GET /api/datasources`).
    pub async fn datasources(&self) -> Result<Vec<GrafanaDatasource>, GrafanaError> {
        self.get_json("/api/datasources", "datasource list").await
    }

    /// Grafana's own test of the datasource (`GET /api/datasources/uid/:uid/health`,
    /// Grafana 9 and later). A failing test is answered 400 with the same shape, and is
    /// returned as a [`DatasourceHealth`] whose status is not `OK`, not as an error.
    pub async fn datasource_health(&self, uid: &str) -> Result<DatasourceHealth, GrafanaError> {
        let path = format!("/api/datasources/uid/{}/health", encode_path_segment(uid));
        let subject = format!("datasource with uid `{uid}`");
        let response = self
            .http
            .get(&path, &[], self.auth())
            .await
            .map_err(|error| self.advise(error, &subject))?;
        if response.status.as_u16() == 400 {
            if let Ok(health) = serde_json::from_str::<DatasourceHealth>(&response.body) {
                return Ok(health);
            }
        }
        response
            .json()
            .map_err(|error| self.advise(error, &subject))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        subject: &str,
    ) -> Result<T, GrafanaError> {
        let response = self
            .http
            .get(path, &[], self.auth())
            .await
            .map_err(|error| self.advise(error, subject))?;
        response.json().map_err(|error| self.advise(error, subject))
    }

    /// Runs an instant PromQL query through the datasource: by uid where Grafana's
    /// `version` has that route (see [`proxy_route_for`]), falling back to the id route
    /// when Grafana says the uid route is not there; by id otherwise.
    pub async fn query_via_datasource(
        &self,
        datasource: &GrafanaDatasource,
        version: Option<&str>,
        expr: &str,
    ) -> Result<ProxiedQuery, GrafanaError> {
        let route = proxy_route_for(version, datasource);
        let first = self.query_via(&route, expr, &datasource.name).await;
        match first {
            Err(error)
                if matches!(route, ProxyRoute::ByUid(_)) && uid_route_missing(&error.error) =>
            {
                let fallback = ProxyRoute::ById(datasource.id);
                self.query_via(&fallback, expr, &datasource.name)
                    .await
                    .map(|samples| ProxiedQuery {
                        samples,
                        route: fallback,
                    })
            }
            other => other.map(|samples| ProxiedQuery { samples, route }),
        }
    }

    async fn query_via(
        &self,
        route: &ProxyRoute,
        expr: &str,
        name: &str,
    ) -> Result<Vec<Sample>, GrafanaError> {
        let subject = format!("datasource `{name}` through {route}");
        let result = match route {
            ProxyRoute::ById(id) => self.query_via_proxy_id(*id, expr).await,
            ProxyRoute::ByUid(uid) => self.query_via_proxy_uid(uid, expr).await,
        };
        result.map_err(|error| self.advise(error, &subject))
    }

    /// `GET /api/datasources/proxy/:id/api/v1/query?query=expr` (every version).
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
mod tests;
