//! Checks of the app: reachable, traffic (and the baselines measured before it).

pub(crate) mod baselines;

use std::time::Duration;

use crate::checks::checker::Checker;
use crate::checks::expectations::Traffic;
use crate::checks::poll::{poll, Look};
use crate::clients::ClientError;
use baselines::{sum_now, Baseline};

impl Checker<'_> {
    pub(crate) async fn app_reachable(&mut self, deadline: Duration) -> Result<String, String> {
        let apps = self.stack.endpoints().apps.clone();
        if apps.is_empty() {
            return Err("the manifests run no app".into());
        }
        for app in &apps {
            let http = self.http.clone();
            poll(deadline, || {
                let http = http.clone();
                let url = format!("{}/", app.url);
                async move {
                    match http.get(&url).timeout(Duration::from_secs(2)).send().await {
                        Ok(_) => Look::Ready(()),
                        Err(e) => Look::NotYet(format!("GET {url}: {e}")),
                    }
                }
            })
            .await
            .map_err(|e| format!("app {} did not answer: {e}", app.name))?;
        }
        Ok(apps
            .iter()
            .map(|a| format!("{} at {}", a.name, a.url))
            .collect::<Vec<_>>()
            .join(", "))
    }

    /// Sends the traffic to the first app (to each of its replicas, where the backend runs
    /// several: Prometheus may read any one of them), having measured the baselines of the
    /// metrics the checker will check (before firedrill's first request to the stack).
    pub(crate) async fn send_traffic(
        &mut self,
        traffic: &[Traffic],
        deadline: Duration,
    ) -> Result<String, String> {
        let app = self
            .stack
            .endpoints()
            .apps
            .first()
            .cloned()
            .ok_or("the manifests run no app")?;
        let first_scrape = if self.session.baselines.traffic_started() {
            None
        } else {
            Some(self.wait_for_first_scrape(deadline).await)
        };
        self.measure_baselines(deadline).await?;
        let replicas: Vec<&String> = std::iter::once(&app.url).chain(&app.replicas).collect();
        let mut sent = Vec::new();
        for t in traffic {
            for (r, base) in replicas.iter().enumerate() {
                let to = if replicas.len() > 1 {
                    format!(" (replica {} of {})", r + 1, replicas.len())
                } else {
                    String::new()
                };
                for i in 0..t.count {
                    let url = format!("{base}{}", t.path);
                    let response = self
                        .http
                        .get(&url)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                        .map_err(|e| {
                            format!(
                                "request {} of {} to GET {}{to}: {e}",
                                i + 1,
                                t.count,
                                t.path
                            )
                        })?;
                    if !response.status().is_success() {
                        return Err(format!(
                            "request {} of {} to GET {}{to} answered {}",
                            i + 1,
                            t.count,
                            t.path,
                            response.status()
                        ));
                    }
                }
            }
            sent.push(format!("{} x GET {} answered 2xx", t.count, t.path));
        }
        let each = if replicas.len() > 1 {
            format!(
                " on each of the {} replicas of {} (Prometheus may read any one of them)",
                replicas.len(),
                app.name
            )
        } else {
            String::new()
        };
        let after = match first_scrape {
            None => String::new(),
            Some(Ok(())) => ", after prometheus had scraped every target once".to_string(),
            Some(Err(why)) => format!(
                ", before prometheus had scraped every target once ({why}): rules over these \
                 requests may not see them"
            ),
        };
        Ok(format!("{}{each}{after}", sent.join(", ")))
    }

    /// Before firedrill's first request to the stack: waits until Prometheus has discovered
    /// its targets and scraped each once (none `unknown`), so that the traffic lands in what
    /// it stores, and a rule over a window sees every request, rather than in the gap before
    /// the first scrape. `Err` with what was last seen when `deadline` passes first.
    async fn wait_for_first_scrape(&self, deadline: Duration) -> Result<(), String> {
        let prometheus = self.prometheus.clone();
        poll(deadline, || {
            let prometheus = prometheus.clone();
            async move {
                match prometheus.targets().await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(targets) if targets.is_empty() => {
                        Look::NotYet("prometheus has discovered no target yet".into())
                    }
                    Ok(targets) => {
                        let unscraped: Vec<String> = targets
                            .iter()
                            .filter(|t| t.health == "unknown")
                            .map(|t| format!("{} {}", t.scrape_pool, t.scrape_url))
                            .collect();
                        if unscraped.is_empty() {
                            Look::Ready(())
                        } else {
                            Look::NotYet(format!("not scraped yet: {}", unscraped.join(", ")))
                        }
                    }
                }
            }
        })
        .await
        .map_err(|e| e.to_string())
    }
}

impl Checker<'_> {
    /// Before firedrill's first request to the stack: measures the baseline of every metric
    /// the checker was told it will check. Later traffic measures nothing (the first
    /// baselines stand).
    pub(crate) async fn measure_baselines(&mut self, deadline: Duration) -> Result<(), String> {
        let baselines = &self.session.baselines;
        if baselines.traffic_started() {
            return Ok(());
        }
        for expr in self.state.measure.clone() {
            let prometheus = self.prometheus.clone();
            let value = poll(deadline, || {
                let prometheus = prometheus.clone();
                let expr = expr.clone();
                async move {
                    match sum_now(&prometheus, &expr).await {
                        Ok(value) => Look::Ready(value),
                        Err(e @ ClientError::Api { .. }) => Look::Failed(e.to_string()),
                        Err(e) => Look::NotYet(e.to_string()),
                    }
                }
            })
            .await
            .map_err(|e| format!("measuring `{expr}` before the traffic: {e}"))?;
            baselines.record(
                &expr,
                match value {
                    Some(v) => Baseline::Value(v),
                    None => Baseline::NoSample,
                },
            );
        }
        baselines.start_traffic();
        Ok(())
    }
}
