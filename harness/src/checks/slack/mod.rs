//! Checks of what Slack received. A message counts for an alert when it is exactly what
//! Alertmanager's templates render for a group that carries the alert (see
//! [`render`]): the group is Alertmanager's own (`/api/v2/alerts/groups`: receiver,
//! group labels, alerts), and which of its alerts a message carries is found by rendering
//! the group's possible contents and comparing, never by looking for the alert's name in
//! the text.

mod render;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use serde_yaml::Value;

use self::render::{compare, DataAlert, Rendered, SlackRenderer, TemplateData};
use crate::checks::alertmanager::SeenGroup;
use crate::checks::checker::Checker;
use crate::checks::outcome::MessageMatch;
use crate::checks::poll::{poll, Look};
use crate::clients::{AmAlert, AmAlertState, PromAlert};
use crate::slack::{NotificationStatus, SlackMessage};
use crate::time::format_timestamp;

/// At most this many other alerts of a group are combined into candidate contents (2^n).
const MAX_COMBINED: usize = 6;

/// A message matched to a group.
#[derive(Debug, Clone)]
struct Matched {
    message: SlackMessage,
    receiver: String,
    group_labels: BTreeMap<String, String>,
    /// `(alertname, status)` in the message's order.
    alerts: Vec<(String, String)>,
    /// What the mock answered the same message before it accepted it (Alertmanager's
    /// retries after a failure it was told to answer).
    refused_before: Vec<u16>,
}

impl Checker<'_> {
    /// The alert as Prometheus reports it (labels and annotations as rendered).
    /// Recorded with the stack, for checks that run after it resolved.
    async fn prometheus_alert(&self, alert: &str) -> Result<PromAlert, String> {
        let found = self
            .prometheus
            .alerts()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
            .ok_or_else(|| format!("{alert} is not active in prometheus"))?;
        self.session.seen_alerts.record(&found);
        Ok(found)
    }

    /// Every receiver's slack configs as the running Alertmanager loaded them, with its
    /// defaults filled in (`/api/v2/status`, `config.original`).
    async fn loaded_slack_configs(&self) -> Result<BTreeMap<String, Vec<Value>>, String> {
        let status = self
            .alertmanager
            .status()
            .await
            .map_err(|e| format!("cannot read alertmanager's loaded config: {e}"))?;
        let config: Value = serde_yaml::from_str(status.config_original.expose())
            .map_err(|e| format!("alertmanager's loaded config is no YAML: {e}"))?;
        Ok(config
            .get("receivers")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let name = r.get("name")?.as_str()?.to_string();
                let slack = r
                    .get("slack_configs")
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default();
                Some((name, slack))
            })
            .collect())
    }

    pub(crate) async fn alert_delivered(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        // It may have resolved already (a short-lived alert in compressed time): then as an
        // earlier check on this stack saw it.
        // It may have resolved already (a short-lived alert in compressed time): then as an
        // earlier check on this stack saw it, else as Alertmanager holds it.
        let found = match self.prometheus_alert(alert).await {
            Ok(found) => Some(found),
            Err(e) => match self.session.seen_alerts.get(alert) {
                Some(found) => Some(found),
                None if self
                    .session
                    .seen_alerts
                    .groups()
                    .iter()
                    .any(|g| carries(g, alert)) =>
                {
                    None
                }
                None => return Err(e),
            },
        };
        // The message may arrive before the harness looks at Prometheus again, so it only
        // has to come after the alert became active, by Prometheus's clock.
        let since = found
            .and_then(|f| f.active_at)
            .as_deref()
            .and_then(crate::time::parse_timestamp);
        let matched = self
            .wait_for_rendered(alert, NotificationStatus::Firing, since, deadline)
            .await?;
        self.state
            .matched
            .extend(matched.iter().map(Matched::to_match));
        Ok(describe_all(&matched))
    }

    pub(crate) async fn alert_resolved(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let started = std::time::Instant::now();
        // It may have resolved already (even before this check started, in a later run of
        // checks): then an earlier check on this stack saw it in Prometheus, or the
        // session's watch saw it active in one of Alertmanager's groups.
        let seen = match self.prometheus_alert(alert).await {
            Ok(_) => true,
            Err(_) => {
                self.session.seen_alerts.get(alert).is_some()
                    || self
                        .session
                        .seen_alerts
                        .groups()
                        .iter()
                        .any(|g| carries(g, alert))
            }
        };
        if !seen {
            return Err(format!(
                "{alert} was never seen active on this stack, so its resolution proves nothing \
                 (run a firing or delivered check for it first)"
            ));
        }
        let mut receivers: Vec<String> = self
            .session
            .seen_alerts
            .groups()
            .into_iter()
            .filter(|g| carries(g, alert))
            .map(|g| g.receiver)
            .collect();
        receivers.sort();
        receivers.dedup();
        if receivers.is_empty() {
            return Err(format!(
                "{alert} was never seen in an alertmanager group on this stack, so no resolved \
                 message can be matched to it (run the alertmanager or delivered check for it \
                 first)"
            ));
        }
        let configs = self.loaded_slack_configs().await?;
        let sends_resolved = receivers.iter().any(|r| {
            configs
                .get(r)
                .into_iter()
                .flatten()
                .any(|c| c.get("send_resolved").and_then(Value::as_bool) == Some(true))
        });
        if !sends_resolved {
            return Err(format!(
                "send_resolved is not set in the slack_configs of {alert}'s receiver ({}), so no \
                 resolved message is sent",
                receivers.join(", ")
            ));
        }
        let prometheus = self.prometheus.clone();
        poll(self.deadlines.stops_firing(), || {
            let prometheus = prometheus.clone();
            async move {
                match prometheus.alerts().await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(alerts) => match alerts
                        .iter()
                        .find(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
                    {
                        Some(a) => {
                            Look::NotYet(format!("{alert} is still {} in prometheus", a.state))
                        }
                        None => Look::Ready(()),
                    },
                }
            }
        })
        .await
        .map_err(|e| format!("never stopped firing: {e}"))?;
        let resolved_at = self.resolution_time(alert).await?;
        let matched = self
            .wait_for_rendered(
                alert,
                NotificationStatus::Resolved,
                Some(resolved_at),
                deadline.saturating_sub(started.elapsed()),
            )
            .await?;
        Ok(format!(
            "resolved in prometheus; {}",
            describe_all(&matched)
        ))
    }

    /// When Prometheus resolved the alert: the evaluation after its last `ALERTS` sample in
    /// state firing (Prometheus's own timestamps; the earliest, when several series share its
    /// name). This is the `endsAt` Prometheus sends.
    async fn resolution_time(&self, alert: &str) -> Result<SystemTime, String> {
        let plan = self.stack.plan();
        let lookback = self.stack.prometheus_started().elapsed().as_secs() + 60;
        let expr = format!("ALERTS{{alertname=\"{alert}\",alertstate=\"firing\"}}[{lookback}s]");
        let series = self
            .prometheus
            .query_series(&expr)
            .await
            .map_err(|e| e.to_string())?;
        // Each series (several rules may share the name, one per severity) resolves after
        // its own last firing sample; a resolved message comes after the first of them.
        let last_firing = series
            .iter()
            .filter_map(|s| s.points.iter().map(|(t, _)| *t).reduce(f64::max))
            .reduce(f64::min)
            .ok_or_else(|| {
                format!("prometheus has no record of {alert} firing (`{expr}` is empty)")
            })?;
        let interval = plan.alert_group_interval(alert);
        Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(last_firing) + interval)
    }

    /// Waits until, for every slack config of every receiver Alertmanager groups the alert
    /// for, a message received after `since` is exactly what Alertmanager renders for that
    /// group carrying `alert` with `status` (for a resolved message, only the configs with
    /// `send_resolved`).
    async fn wait_for_rendered(
        &self,
        alert: &str,
        status: NotificationStatus,
        since: Option<SystemTime>,
        deadline: Duration,
    ) -> Result<Vec<Matched>, String> {
        let mut search = Search {
            alert,
            status,
            since,
            configs: self.loaded_slack_configs().await?,
            renderer: SlackRenderer::new(self.stack.plan())?,
            renders: HashMap::new(),
            resolutions: HashMap::new(),
            matched: BTreeMap::new(),
        };
        let started = std::time::Instant::now();
        loop {
            match self.look_for_rendered(&mut search).await {
                Look::Ready(matched) => return Ok(matched),
                Look::Failed(reason) => return Err(reason),
                Look::NotYet(last) if started.elapsed() >= deadline => {
                    return Err(format!(
                        "{last} (not within {:.1} s){}",
                        deadline.as_secs_f64(),
                        self.refusal_in_log(&last).await
                    ))
                }
                Look::NotYet(_) => tokio::time::sleep(crate::checks::poll::POLL_INTERVAL).await,
            }
        }
    }

    /// Where the Slack mock refused what Alertmanager sent: Alertmanager's own last word on
    /// it (the log line of the failed notification), to put beside the refusal.
    async fn refusal_in_log(&self, last: &str) -> String {
        if !last.contains("the Slack mock answered") {
            return String::new();
        }
        let logs = self.stack.logs().await;
        let line = logs
            .iter()
            .filter(|(component, _)| {
                self.stack
                    .plan()
                    .component(component)
                    .is_some_and(|c| c.spec.kind() == crate::spec::ComponentKind::Alertmanager)
            })
            .flat_map(|(_, text)| text.lines())
            .filter(|line| line.contains("Notify") || line.contains("notify"))
            .filter(|line| line.contains("fail") || line.contains("status"))
            .last();
        match line {
            Some(line) => format!("; alertmanager logged: {}", line.trim()),
            None => String::new(),
        }
    }

    /// One look: Alertmanager's groups now, every message since `since`, compared with
    /// each candidate content of each group that carries the alert.
    async fn look_for_rendered(&self, search: &mut Search<'_>) -> Look<Vec<Matched>> {
        let alert = search.alert;
        let groups_now = match self.alertmanager.alert_groups().await {
            Ok(groups) => groups,
            Err(e) => return Look::NotYet(e.to_string()),
        };
        let groups: Vec<SeenGroup> = self
            .session
            .seen_alerts
            .record_groups(&groups_now)
            .into_iter()
            .filter(|g| carries(g, alert))
            .collect();
        if groups.is_empty() {
            return Look::NotYet(format!("no alertmanager group carries {alert} yet"));
        }
        if let Some(cause) = without_slack(alert, &groups, &search.configs) {
            return Look::Failed(cause);
        }
        for group in &groups {
            for gone in &group.gone {
                if !search.resolutions.contains_key(&gone.fingerprint) {
                    let name = gone.name().unwrap_or_default().to_string();
                    let at = self.resolution_time(&name).await.ok().map(format_timestamp);
                    search.resolutions.insert(gone.fingerprint.clone(), at);
                }
            }
        }
        let messages = self.stack.slack().messages().await;
        let recent: Vec<&SlackMessage> = messages
            .iter()
            .filter(|m| search.since.is_none_or(|s| m.received_at >= s))
            .collect();
        let mut missing = Vec::new();
        let mut optional = Vec::new();
        for group in &groups {
            let Some(slack) = search.configs.get(&group.receiver).cloned() else {
                continue;
            };
            let resolutions = &search.resolutions;
            let contents = candidates(group, alert, search.status, &|a: &AmAlert| {
                resolutions.get(&a.fingerprint).cloned().flatten()
            });
            for (i, config) in slack.iter().enumerate() {
                let wanted = (group.receiver.clone(), i);
                if search.matched.contains_key(&wanted)
                    || (search.status == NotificationStatus::Resolved
                        && config.get("send_resolved").and_then(Value::as_bool) != Some(true))
                {
                    continue;
                }
                match search
                    .find_match(group, i, config, &contents, &recent)
                    .await
                {
                    Ok(matched) => {
                        search.matched.insert(wanted, matched);
                    }
                    // Muted at some point: whether Alertmanager flushed the group while the
                    // alert was not is its timers' business; another group must carry it.
                    Err(problem) if was_muted(group, alert) => optional.push(format!(
                        "receiver {} slack_configs[{i}] (the alert was muted there for a \
                         while): {problem}",
                        group.receiver
                    )),
                    Err(problem) => missing.push(format!(
                        "receiver {} slack_configs[{i}]: {problem}",
                        group.receiver
                    )),
                }
            }
        }
        if missing.is_empty() && !search.matched.is_empty() {
            Look::Ready(search.matched.values().cloned().collect())
        } else if missing.is_empty() {
            Look::NotYet(format!(
                "{}; {} slack messages received in all",
                optional.join("; "),
                messages.len()
            ))
        } else {
            Look::NotYet(format!(
                "{}; {} slack messages received in all",
                missing.join("; "),
                messages.len()
            ))
        }
    }
}

/// The state of one wait for rendered messages.
struct Search<'a> {
    alert: &'a str,
    status: NotificationStatus,
    since: Option<SystemTime>,
    /// Every receiver's slack configs as Alertmanager loaded them.
    configs: BTreeMap<String, Vec<Value>>,
    renderer: SlackRenderer,
    /// Rendered fields by receiver, config and template data.
    renders: HashMap<String, Result<Rendered, String>>,
    /// Resolution times (`endsAt`) of alerts gone from a group, by fingerprint.
    resolutions: HashMap<String, Option<String>>,
    /// The message found for each (receiver, slack config).
    matched: BTreeMap<(String, usize), Matched>,
}

impl Search<'_> {
    /// The first message that is exactly what `config` renders for one of `contents`; else
    /// the nearest problem (a difference, or the template's own error).
    async fn find_match(
        &mut self,
        group: &SeenGroup,
        index: usize,
        config: &Value,
        contents: &[TemplateData],
        recent: &[&SlackMessage],
    ) -> Result<Matched, String> {
        let mut nearest: Option<String> = None;
        for data in contents {
            let key = format!(
                "{}#{index}#{}",
                group.receiver,
                serde_json::to_string(data).unwrap_or_default()
            );
            if !self.renders.contains_key(&key) {
                let rendered = self.renderer.render(config, data).await;
                self.renders.insert(key.clone(), rendered);
            }
            let rendered = match &self.renders[&key] {
                Ok(rendered) => rendered,
                Err(e) => {
                    nearest.get_or_insert_with(|| e.clone());
                    continue;
                }
            };
            let mut refused: Vec<&SlackMessage> = Vec::new();
            for message in recent {
                match compare(rendered, message) {
                    // Sent as rendered, and refused by Slack: Alertmanager may send it again.
                    Ok(()) if !message.accepted() => refused.push(message),
                    Ok(()) => {
                        return Ok(Matched {
                            message: (*message).clone(),
                            receiver: group.receiver.clone(),
                            group_labels: group.labels.clone(),
                            alerts: data
                                .alerts()
                                .iter()
                                .map(|a| (a.name().to_string(), a.status.to_string()))
                                .collect(),
                            refused_before: refused.iter().map(|m| m.answered).collect(),
                        })
                    }
                    Err(difference) => {
                        nearest.get_or_insert_with(|| {
                            format!(
                                "message #{} is not what alertmanager renders for {} {}: \
                                 {difference}",
                                message.seq,
                                data.status(),
                                names(data)
                            )
                        });
                    }
                }
            }
            if let Some(last) = refused.last() {
                let statuses = counted(refused.iter().map(|m| m.answered));
                // What Alertmanager sent is right; Slack refused it: that is the cause.
                nearest = Some(format!(
                    "alertmanager sent what it renders for {} {} {} time{} (the last as message \
                     #{}), and the Slack mock answered {} and accepted none",
                    data.status(),
                    names(data),
                    refused.len(),
                    if refused.len() == 1 { "" } else { "s" },
                    last.seq,
                    statuses
                ));
            }
        }
        Err(nearest
            .unwrap_or_else(|| format!("no message after {} became {}", self.alert, self.status)))
    }
}

impl Matched {
    fn to_match(&self) -> MessageMatch {
        MessageMatch {
            seq: self.message.seq,
            receiver: self.receiver.clone(),
            group_labels: self.group_labels.clone(),
            alerts: self.alerts.clone(),
        }
    }

    fn describe(&self) -> String {
        let retried = match self.refused_before.as_slice() {
            [] => String::new(),
            statuses => format!(
                " (accepted at attempt {}: the Slack mock answered {} before)",
                statuses.len() + 1,
                counted(statuses.iter().copied())
            ),
        };
        let slow = match self.message.answered_after {
            Some(after) => format!(
                " (the Slack mock answered it after {:.1} s, as told to be slow)",
                after.as_secs_f64()
            ),
            None => String::new(),
        };
        format!(
            "message #{} to {} is exactly what alertmanager renders for receiver {}, group {}, \
             with {}{retried}{slow}",
            self.message.seq,
            self.message
                .channel()
                .unwrap_or("the webhook's default channel"),
            self.receiver,
            if self.group_labels.is_empty() {
                "{}".to_string()
            } else {
                format!("{:?}", self.group_labels)
            },
            self.to_match()
        )
    }
}

/// HTTP statuses in order, each with how many times in a row: `500 (3 times), 429`.
fn counted(statuses: impl Iterator<Item = u16>) -> String {
    let mut runs: Vec<(u16, usize)> = Vec::new();
    for status in statuses {
        match runs.last_mut() {
            Some((last, n)) if *last == status => *n += 1,
            _ => runs.push((status, 1)),
        }
    }
    runs.iter()
        .map(|(status, n)| match n {
            1 => status.to_string(),
            n => format!("{status} ({n} times)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_all(matched: &[Matched]) -> String {
    matched
        .iter()
        .map(Matched::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

fn names(data: &TemplateData) -> String {
    let names: Vec<&str> = data.alerts().iter().map(DataAlert::name).collect();
    format!("[{}]", names.join(", "))
}

/// Whether the group held the alert unmuted: an alert Alertmanager inhibits or silences
/// (another severity of the same name, say) is never notified in its group.
fn carries(group: &SeenGroup, alert: &str) -> bool {
    group
        .current
        .iter()
        .chain(&group.gone)
        .any(|a| a.name() == Some(alert) && a.status.state != AmAlertState::Suppressed)
}

/// Whether the group's alerts named `alert` were ever seen muted in it.
fn was_muted(group: &SeenGroup, alert: &str) -> bool {
    group
        .current
        .iter()
        .chain(&group.gone)
        .any(|a| a.name() == Some(alert) && group.muted.contains(&a.fingerprint))
}

/// The cause when no group carrying the alert notifies a receiver with slack configs.
fn without_slack(
    alert: &str,
    groups: &[SeenGroup],
    configs: &BTreeMap<String, Vec<Value>>,
) -> Option<String> {
    if groups
        .iter()
        .any(|g| configs.get(&g.receiver).is_some_and(|c| !c.is_empty()))
    {
        return None;
    }
    let receivers: Vec<&str> = groups.iter().map(|g| g.receiver.as_str()).collect();
    Some(format!(
        "alertmanager groups {alert} for receiver {}, which has no slack_configs, so nothing \
         reaches Slack",
        receivers.join(", ")
    ))
}

/// The contents a notification of `group` carrying `alert` with `status` can have:
/// the alert (firing, or resolved for a resolved message) with every combination of the
/// group's other alerts (those listed now as firing, those gone as resolved, where their
/// resolution time is known), in Alertmanager's order; small sets in every order.
fn candidates(
    group: &SeenGroup,
    alert: &str,
    status: NotificationStatus,
    resolved_at: &dyn Fn(&AmAlert) -> Option<String>,
) -> Vec<TemplateData> {
    let as_member = |a: &AmAlert, resolved: bool| -> Option<DataAlert> {
        if resolved {
            resolved_at(a).map(|at| DataAlert::resolved(a, at))
        } else {
            Some(DataAlert::firing(a))
        }
    };
    let mut out = Vec::new();
    let targets: Vec<(usize, DataAlert)> = group
        .current
        .iter()
        .map(|a| (a, false))
        .chain(group.gone.iter().map(|a| (a, true)))
        .enumerate()
        .filter(|(_, (a, _))| a.name() == Some(alert))
        .filter_map(|(i, (a, gone))| match status {
            NotificationStatus::Firing => Some((i, DataAlert::firing(a))),
            NotificationStatus::Resolved if gone => as_member(a, true).map(|d| (i, d)),
            NotificationStatus::Resolved => None,
        })
        .collect();
    let members: Vec<(usize, DataAlert)> = group
        .current
        .iter()
        .map(|a| (a, false))
        .chain(group.gone.iter().map(|a| (a, true)))
        .enumerate()
        // A gone alert whose resolution time is unknown can only have travelled firing.
        .map(|(i, (a, gone))| {
            (
                i,
                as_member(a, gone).unwrap_or_else(|| DataAlert::firing(a)),
            )
        })
        .collect();
    // The target's and the others' earlier annotations: the message carries those of its
    // flush. Every version of the target is tried; the others at their latest and, in a
    // group of two, every version too.
    let versions_of = |alert: &DataAlert| -> Vec<DataAlert> {
        let mut out: Vec<DataAlert> = group
            .versions
            .get(&alert.fingerprint)
            .into_iter()
            .flatten()
            .filter(|v| **v != alert.annotations)
            .map(|annotations| DataAlert {
                annotations: annotations.clone(),
                ..alert.clone()
            })
            .collect();
        out.push(alert.clone());
        out
    };
    for (target_at, target) in &targets {
        let others: Vec<&(usize, DataAlert)> = members
            .iter()
            .filter(|(i, _)| i != target_at)
            .take(MAX_COMBINED)
            .collect();
        for version in versions_of(target) {
            for mask in 0..(1u32 << others.len()) {
                let mut chosen: Vec<(usize, DataAlert)> = others
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, m)| (*m).clone())
                    .collect();
                chosen.push((*target_at, version.clone()));
                chosen.sort_by_key(|(i, _)| *i);
                let mut contents: Vec<Vec<DataAlert>> = vec![Vec::new()];
                for (_, member) in &chosen {
                    let mut choices =
                        if chosen.len() <= 2 && member.fingerprint != target.fingerprint {
                            versions_of(member)
                        } else {
                            vec![member.clone()]
                        };
                    // Another alert gone from the group may have travelled still firing
                    // (flushed before it resolved; one that came and went before any check
                    // ran, say).
                    if member.status == "resolved" && member.fingerprint != target.fingerprint {
                        choices.push(DataAlert {
                            status: "firing",
                            ends_at: DataAlert::ZERO_TIME.to_string(),
                            ..member.clone()
                        });
                    }
                    contents = contents
                        .into_iter()
                        .flat_map(|prefix| {
                            choices.iter().map(move |c| {
                                let mut next = prefix.clone();
                                next.push(c.clone());
                                next
                            })
                        })
                        .collect();
                }
                for ordered in contents {
                    for order in orders(ordered) {
                        out.push(TemplateData::new(&group.receiver, &group.labels, order));
                    }
                }
            }
        }
    }
    out
}

/// The alerts in the given order, and for up to three alerts every other order too.
fn orders(alerts: Vec<DataAlert>) -> Vec<Vec<DataAlert>> {
    if alerts.len() < 2 || alerts.len() > 3 {
        return vec![alerts];
    }
    let n = alerts.len();
    let perms: &[&[usize]] = if n == 2 {
        &[&[0, 1], &[1, 0]]
    } else {
        &[
            &[0, 1, 2],
            &[0, 2, 1],
            &[1, 0, 2],
            &[1, 2, 0],
            &[2, 0, 1],
            &[2, 1, 0],
        ]
    };
    perms
        .iter()
        .map(|p| p.iter().map(|i| alerts[*i].clone()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am(name: &str, fingerprint: &str) -> AmAlert {
        serde_json::from_value(serde_json::json!({
            "labels": {"alertname": name},
            "annotations": {"summary": format!("{name} summary")},
            "startsAt": "2026-11-25T12:54:23.461Z",
            "endsAt": "2026-11-25T12:55:23.461Z",
            "fingerprint": fingerprint,
            "status": {"state": "active", "inhibitedBy": [], "silencedBy": []},
            "receivers": [{"name": "slack"}]
        }))
        .expect("an alert as alertmanager lists it")
    }

    fn group(current: Vec<AmAlert>, gone: Vec<AmAlert>) -> SeenGroup {
        SeenGroup {
            receiver: "slack".into(),
            labels: BTreeMap::new(),
            current,
            gone,
            versions: BTreeMap::new(),
            muted: Default::default(),
        }
    }

    fn contents(data: &[TemplateData]) -> Vec<String> {
        data.iter()
            .map(|d| {
                d.alerts()
                    .iter()
                    .map(|a| format!("{}:{}", a.name(), a.status))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn a_firing_alert_is_tried_alone_and_with_each_combination_of_its_group() {
        let g = group(vec![am("A", "1"), am("B", "2")], vec![am("C", "3")]);
        let data = candidates(&g, "A", NotificationStatus::Firing, &|_| {
            Some("2026-11-25T12:56:00Z".into())
        });
        let got = contents(&data);
        assert!(got.contains(&"A:firing".to_string()), "{got:?}");
        assert!(got.contains(&"A:firing,B:firing".to_string()), "{got:?}");
        assert!(got.contains(&"B:firing,A:firing".to_string()), "{got:?}");
        assert!(
            got.contains(&"A:firing,B:firing,C:resolved".to_string()),
            "{got:?}"
        );
        assert!(got.iter().all(|c| c.contains("A:firing")), "{got:?}");
    }

    #[test]
    fn another_alert_gone_from_the_group_is_tried_firing_as_well_as_resolved() {
        // EchoDown fired while the cluster started its pods and resolved before any check
        // ran; the watch saw it come and go. HighRequests's message may carry it either way.
        let g = group(vec![am("HighRequests", "1")], vec![am("EchoDown", "2")]);
        let known = contents(&candidates(
            &g,
            "HighRequests",
            NotificationStatus::Firing,
            &|_| Some("2026-11-25T12:56:00Z".into()),
        ));
        for expected in [
            "HighRequests:firing",
            "HighRequests:firing,EchoDown:resolved",
            "HighRequests:firing,EchoDown:firing",
            "EchoDown:firing,HighRequests:firing",
        ] {
            assert!(
                known.contains(&expected.to_string()),
                "{expected}: {known:?}"
            );
        }
        let unknown = contents(&candidates(
            &g,
            "HighRequests",
            NotificationStatus::Firing,
            &|_| None,
        ));
        assert!(
            unknown.contains(&"HighRequests:firing,EchoDown:firing".to_string())
                && !unknown.iter().any(|c| c.contains("EchoDown:resolved")),
            "{unknown:?}"
        );
    }

    #[test]
    fn a_resolved_message_needs_the_alert_gone_from_alertmanager_with_its_resolution_time() {
        let g = group(vec![am("B", "2")], vec![am("A", "1")]);
        let known = candidates(&g, "A", NotificationStatus::Resolved, &|_| {
            Some("2026-11-25T12:56:00Z".into())
        });
        let got = contents(&known);
        assert!(got.contains(&"A:resolved".to_string()), "{got:?}");
        assert!(got.contains(&"B:firing,A:resolved".to_string()), "{got:?}");
        let unknown = candidates(&g, "A", NotificationStatus::Resolved, &|_| None);
        assert!(unknown.is_empty());
        let still_firing = group(vec![am("A", "1")], vec![]);
        assert!(candidates(&still_firing, "A", NotificationStatus::Resolved, &|_| None).is_empty());
    }

    #[test]
    fn an_annotation_that_changed_while_firing_is_tried_at_every_version_seen() {
        // `summary: '{{ $value }} requests'`: the message carries the flush's version.
        let mut g = group(vec![am("A", "1"), am("B", "2")], vec![]);
        let earlier: BTreeMap<String, String> =
            [("summary".to_string(), "5 requests".to_string())].into();
        g.versions.insert("1".into(), vec![earlier.clone()]);
        g.versions.insert("2".into(), vec![earlier.clone()]);
        let data = candidates(&g, "A", NotificationStatus::Firing, &|_| None);
        let summaries: Vec<Vec<&str>> = data
            .iter()
            .map(|d| {
                d.alerts()
                    .iter()
                    .map(|a| a.annotations["summary"].as_str())
                    .collect()
            })
            .collect();
        assert!(summaries.contains(&vec!["5 requests"]), "{summaries:?}");
        assert!(summaries.contains(&vec!["A summary"]), "{summaries:?}");
        assert!(
            summaries.contains(&vec!["5 requests", "5 requests"]),
            "{summaries:?}"
        );
        assert!(
            summaries.contains(&vec!["A summary", "5 requests"]),
            "{summaries:?}"
        );
    }

    #[test]
    fn a_group_whose_receiver_has_no_slack_config_is_named_as_the_cause() {
        let g = group(vec![am("A", "1")], vec![]);
        let configs: BTreeMap<String, Vec<Value>> = [("slack".to_string(), vec![])].into();
        let cause = without_slack("A", &[g], &configs).expect("a cause");
        assert!(
            cause.contains("receiver slack, which has no slack_configs"),
            "{cause}"
        );
    }
}
