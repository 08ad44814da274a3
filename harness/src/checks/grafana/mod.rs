//! Checks of Grafana: the default datasource is the manifests' Prometheus, and a query
//! through it returns what Prometheus returns.

use std::time::Duration;

use crate::checks::checker::Checker;
use crate::checks::poll::{poll, Look};
use crate::clients::grafana::uses_uid_proxy_route;
use crate::clients::{GrafanaClient, GrafanaDatasource};
use crate::plan::{resolve, split_url};
use crate::spec::ComponentKind;

impl Checker<'_> {
    fn grafana_client(&self) -> Result<GrafanaClient, String> {
        self.grafana
            .clone()
            .ok_or_else(|| "grafana is not running".to_string())
    }

    /// The default datasource as Grafana reports it, with Grafana's version.
    async fn grafana_default_datasource(
        &self,
        deadline: Duration,
    ) -> Result<(GrafanaDatasource, Option<String>), String> {
        let spec = &self.stack.plan().spec;
        let grafana_spec = spec.grafana().ok_or("the manifests run no Grafana")?;
        let wanted = grafana_spec
            .default_datasource()
            .ok_or("the manifests provision no default datasource (isDefault: true)")?;
        let client = self.grafana_client()?;
        poll(deadline, || {
            let client = client.clone();
            let name = wanted.name.clone();
            async move {
                let health = match client.health().await {
                    Ok(h) => h,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                match client.datasource_by_name(&name).await {
                    Ok(ds) => Look::Ready((ds, health.version)),
                    Err(e) => Look::NotYet(format!("datasource {name}: {e}")),
                }
            }
        })
        .await
        .map_err(|e| e.to_string())
    }

    pub(crate) async fn grafana_datasource(
        &mut self,
        deadline: Duration,
    ) -> Result<String, String> {
        let spec = &self.stack.plan().spec;
        let grafana_component = spec
            .component(ComponentKind::Grafana)
            .ok_or("the manifests run no Grafana")?;
        let wanted = spec
            .grafana()
            .and_then(|g| g.default_datasource())
            .ok_or("the manifests provision no default datasource")?;
        let (host, authority, _) = split_url(&wanted.url)
            .ok_or_else(|| format!("datasource url {} is not a URL", wanted.url))?;
        let _ = host;
        let target = resolve(spec, grafana_component, &authority).ok_or_else(|| {
            format!(
                "datasource url {} points at nothing the manifests run",
                wanted.url
            )
        })?;
        if target.component.kind() != ComponentKind::Prometheus {
            return Err(format!(
                "datasource url {} points at {}, not Prometheus",
                wanted.url, target.component.name
            ));
        }
        let (ds, version) = self.grafana_default_datasource(deadline).await?;
        let client = self.grafana_client()?;
        let mut problems = Vec::new();
        if !ds.is_default {
            let actual = match client.datasources().await {
                Ok(all) => match all.into_iter().find(|d| d.is_default) {
                    Some(d) => format!("Grafana's default is {}", d.name),
                    None => "Grafana has no default datasource".to_string(),
                },
                Err(e) => format!("the datasource list: {e}"),
            };
            problems.push(format!(
                "{} is not the default datasource ({actual})",
                ds.name
            ));
        }
        if ds.kind != "prometheus" {
            problems.push(format!(
                "{} has type {}, expected prometheus",
                ds.name, ds.kind
            ));
        }
        // Grafana's own test of the datasource ("Save & test"), where the version has the
        // route (9 and later, or a hidden version).
        let mut tested = String::new();
        match (&ds.uid, uses_uid_proxy_route(version.as_deref())) {
            (Some(uid), true) if !uid.is_empty() => {
                let outcome = poll(deadline, || {
                    let client = client.clone();
                    let uid = uid.clone();
                    async move {
                        match client.datasource_health(&uid).await {
                            Ok(health) if health.is_ok() => Look::Ready(Some(health.message)),
                            Ok(health) => Look::NotYet(format!(
                                "Grafana's test fails ({}): {}",
                                health.status, health.message
                            )),
                            // No such route (an older Grafana hiding its version): the
                            // query check still proves the datasource works.
                            Err(e) if e.status() == Some(404) => Look::Ready(None),
                            Err(e) => Look::NotYet(format!("Grafana's test: {e}")),
                        }
                    }
                })
                .await;
                match outcome {
                    Ok(Some(message)) => tested = format!("; Grafana's test: {}", message.trim()),
                    Ok(None) => {}
                    Err(e) => problems.push(format!("{}: {e}", ds.name)),
                }
            }
            _ => {}
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        Ok(format!(
            "{} (type {}, default) at {} in Grafana {}{tested}",
            ds.name,
            ds.kind,
            ds.url,
            version.as_deref().unwrap_or("(version hidden)")
        ))
    }

    pub(crate) async fn grafana_query(
        &mut self,
        expr: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let (ds, version) = self.grafana_default_datasource(deadline).await?;
        let client = self.grafana_client()?;
        let prometheus = self.prometheus.clone();
        poll(deadline, || {
            let client = client.clone();
            let prometheus = prometheus.clone();
            let ds = ds.clone();
            let version = version.clone();
            async move {
                let through_grafana = match client
                    .query_via_datasource(&ds, version.as_deref(), expr)
                    .await
                {
                    Ok(answer) => answer,
                    Err(e) => return Look::NotYet(format!("through grafana: {e}")),
                };
                let direct = match prometheus.query(expr).await {
                    Ok(samples) => samples,
                    Err(e) => return Look::NotYet(format!("from prometheus: {e}")),
                };
                let values =
                    |s: &[crate::clients::Sample]| s.iter().map(|x| x.value).collect::<Vec<_>>();
                if direct.is_empty() {
                    Look::NotYet(format!("prometheus returns nothing for `{expr}` yet"))
                } else if values(&through_grafana.samples) == values(&direct) {
                    Look::Ready((values(&direct), through_grafana.route))
                } else {
                    Look::NotYet(format!(
                        "grafana returned {:?}, prometheus {:?}",
                        values(&through_grafana.samples),
                        values(&direct)
                    ))
                }
            }
        })
        .await
        .map(|(values, route)| {
            format!(
                "{values:?} through {} ({route}, Grafana {})",
                ds.name,
                version.as_deref().unwrap_or("(version hidden)")
            )
        })
        .map_err(|e| e.to_string())
    }
}
