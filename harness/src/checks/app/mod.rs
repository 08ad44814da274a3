//! Checks of the app: reachable, traffic (and the baselines measured before it).

pub(crate) mod baselines;

use std::time::Duration;

use crate::checks::checker::Checker;
use crate::checks::poll::{poll, Look};
use crate::checks::traffic::Traffic;
use crate::clients::ClientError;
use baselines::{sum_now, Baseline};

impl Checker<'_> {
    pub(crate) async fn app_reachable(&mut self, deadline: Duration) -> Result<String, String> {
        let apps = self.stack.endpoints().apps.clone();
        if apps.is_empty() {
            return Err(self.no_app());
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

    /// Sends the traffic, each to its app (the first app unless named; to each of its
    /// replicas, where the backend runs several: Prometheus may read any one of them),
    /// having measured the baselines of the metrics the checker will check (before
    /// firedrill's first request to the stack). Traffic spread over a scenario duration goes
    /// out evenly over that duration on the wall clock (scaled). Every answer must have the
    /// status the traffic expects.
    pub(crate) async fn send_traffic(
        &mut self,
        traffic: &[Traffic],
        deadline: Duration,
    ) -> Result<String, String> {
        let mut targets = Vec::new();
        for t in traffic {
            targets.push(self.app_of(t)?);
        }
        let first_scrape = if self.session.baselines.traffic_started() {
            None
        } else {
            Some(self.wait_for_first_scrape(deadline).await)
        };
        self.measure_baselines(deadline).await?;
        let scale = self.stack.plan().time_scale;
        let mut sent = Vec::new();
        for (t, app) in traffic.iter().zip(&targets) {
            let replicas: Vec<&String> = std::iter::once(&app.url).chain(&app.replicas).collect();
            let mut statuses: std::collections::BTreeMap<u16, u32> = Default::default();
            for (r, base) in replicas.iter().enumerate() {
                let to = if replicas.len() > 1 {
                    format!(" (replica {} of {})", r + 1, replicas.len())
                } else {
                    String::new()
                };
                let method = reqwest::Method::from_bytes(t.method.as_bytes())
                    .map_err(|e| format!("method {}: {e}", t.method))?;
                let url = format!("{base}{}", t.path);
                // Paced: request i goes out at i/count of the duration (on the wall clock).
                let pace = t.over.map(|over| over.div_f64(scale) / t.count.max(1));
                let started = tokio::time::Instant::now();
                for i in 0..t.count {
                    if let Some(pace) = pace {
                        tokio::time::sleep_until(started + pace * i).await;
                    }
                    let mut request = self
                        .http
                        .request(method.clone(), &url)
                        .timeout(Duration::from_secs(5));
                    for (name, value) in &t.headers {
                        request = request.header(name, value);
                    }
                    if let Some(body) = &t.body {
                        request = request.body(body.clone());
                    }
                    let response = request.send().await.map_err(|e| {
                        format!(
                            "request {} of {} to {} {}{to}: {e}",
                            i + 1,
                            t.count,
                            t.method,
                            t.path
                        )
                    })?;
                    let status = response.status().as_u16();
                    if !t.expect.accepts(status) {
                        return Err(format!(
                            "request {} of {} to {} {}{to} answered {}, not {}",
                            i + 1,
                            t.count,
                            t.method,
                            t.path,
                            response.status(),
                            t.expect
                        ));
                    }
                    *statuses.entry(status).or_default() += 1;
                }
            }
            let answered: Vec<String> = statuses
                .iter()
                .map(|(status, n)| format!("{n} x {status}"))
                .collect();
            let each = if replicas.len() > 1 {
                format!(
                    " on each of the {} replicas of {} (Prometheus may read any one of them)",
                    replicas.len(),
                    app.name
                )
            } else {
                String::new()
            };
            sent.push(format!(
                "{t}{each} answered {} as expected ({})",
                answered.join(", "),
                t.expect
            ));
        }
        let after = match first_scrape {
            None => String::new(),
            Some(Ok(())) => ", after prometheus had scraped every target once".to_string(),
            Some(Err(why)) => format!(
                ", before prometheus had scraped every target once ({why}): rules over these \
                 requests may not see them"
            ),
        };
        Ok(format!("{}{after}", sent.join("; ")))
    }

    /// Why no app runs: none declared, or workloads asking for no pod (`replicas: 0`).
    fn no_app(&self) -> String {
        let none: Vec<String> = self
            .stack
            .plan()
            .changes
            .iter()
            .filter(|c| c.reason == "replicas" && c.to.starts_with("0 "))
            .map(|c| format!("{} has `replicas: 0`", c.file))
            .collect();
        if none.is_empty() {
            "the manifests run no app".to_string()
        } else {
            format!(
                "the manifests run no app: {}, so no pod of it runs; give it replicas",
                none.join(", ")
            )
        }
    }

    /// The app `traffic` goes to: the one it names (a container, Deployment or Service
    /// name), else the manifests' first.
    fn app_of(&self, traffic: &Traffic) -> Result<crate::backend::AppEndpoint, String> {
        let apps = &self.stack.endpoints().apps;
        let Some(name) = &traffic.app else {
            return apps.first().cloned().ok_or_else(|| self.no_app());
        };
        let component = self.stack.component_named(name)?;
        apps.iter()
            .find(|a| a.name == component)
            .cloned()
            .ok_or_else(|| {
                format!("`{name}` is {component}, which is not an app firedrill reaches")
            })
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
                match crate::checks::startup_gate::every_target_scraped(&prometheus).await {
                    Ok(()) => Look::Ready(()),
                    Err(left) => Look::NotYet(left),
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
