//! Checks of what Slack received: the rendered message, and the resolved one.

use std::time::{Duration, SystemTime};

use super::checker::Checker;
use super::poll::{poll, Look};
use super::template::expected_fragments;
use crate::clients::PromAlert;
use crate::slack::{NotificationStatus, SlackMessage};
use crate::spec::SlackConfig;

impl Checker<'_> {
    /// The Slack configs of the receiver the alert is routed to.
    fn slack_configs(
        &self,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> Vec<SlackConfig> {
        let spec = self.stack.plan().spec.alertmanager();
        let route = spec.config.get("route").cloned().unwrap_or_default();
        let receiver = super::route::receiver_for(&route, labels, None)
            .unwrap_or_else(|| spec.route_receiver.clone());
        spec.receiver(&receiver)
            .map(|r| r.slack.clone())
            .unwrap_or_default()
    }

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
        self.stack.seen_alerts.record(&found);
        Ok(found)
    }

    pub(crate) async fn alert_delivered(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let found = self.prometheus_alert(alert).await?;
        let configs = self.slack_configs(&found.labels);
        if configs.is_empty() {
            return Err(format!("the receiver of {alert} has no slack_configs"));
        }
        // The message may arrive before the harness looks at Prometheus again, so it only
        // has to come after the alert became active, by Prometheus's clock.
        let since = found
            .active_at
            .as_deref()
            .and_then(super::time::parse_timestamp);
        let message = self
            .wait_for_message(
                alert,
                &found,
                &configs,
                NotificationStatus::Firing,
                since,
                deadline,
            )
            .await?;
        Ok(format!(
            "message #{} to {} ({} bytes of text)",
            message.seq,
            message.channel().unwrap_or("the webhook's default channel"),
            message.texts().iter().map(|t| t.len()).sum::<usize>()
        ))
    }

    pub(crate) async fn alert_resolved(&mut self, alert: &str) -> Result<String, String> {
        // It may have resolved already (even before this check started, in a later run of
        // checks): then its labels and annotations are those an earlier check on this stack
        // saw.
        let found = match self.prometheus_alert(alert).await {
            Ok(found) => Some(found),
            Err(_) => self.stack.seen_alerts.get(alert),
        }
        .ok_or_else(|| {
            format!(
                "{alert} was never seen active on this stack, so its resolution proves nothing \
                 (run a firing or delivered check for it first)"
            )
        })?;
        let configs = self.slack_configs(&found.labels);
        if !configs.iter().any(|c| c.send_resolved) {
            return Err(format!(
                "send_resolved is not set for {alert}'s receiver, so no resolved message is sent"
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
        // Alertmanager drops resolved alerts from its API once it knows; a message sent after
        // that lists the alert as resolved.
        let alertmanager = self.alertmanager.clone();
        poll(self.deadlines.stops_firing(), || {
            let alertmanager = alertmanager.clone();
            async move {
                match alertmanager.alerts().await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(alerts) => {
                        if alerts
                            .iter()
                            .any(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
                        {
                            Look::NotYet(format!("{alert} still active in alertmanager"))
                        } else {
                            Look::Ready(())
                        }
                    }
                }
            }
        })
        .await
        .map_err(|e| format!("alertmanager never saw it resolve: {e}"))?;
        let resolved_at = self.resolution_time(alert).await?;
        let message = self
            .wait_for_message(
                alert,
                &found,
                &configs,
                NotificationStatus::Resolved,
                Some(resolved_at),
                self.deadlines.resolved_delivered(),
            )
            .await?;
        Ok(format!(
            "resolved in prometheus and alertmanager; message #{} after it",
            message.seq
        ))
    }

    /// When Prometheus resolved the alert: the evaluation after its last `ALERTS` sample in
    /// state firing (Prometheus's own timestamps). A message naming the alert that arrives
    /// after this was sent with the alert resolved.
    async fn resolution_time(&self, alert: &str) -> Result<SystemTime, String> {
        let plan = self.stack.plan();
        let lookback = self.stack.prometheus_started().elapsed().as_secs() + 60;
        let expr = format!("ALERTS{{alertname=\"{alert}\",alertstate=\"firing\"}}[{lookback}s]");
        let series = self
            .prometheus
            .query_series(&expr)
            .await
            .map_err(|e| e.to_string())?;
        let last_firing = series
            .iter()
            .flat_map(|s| s.points.iter().map(|(t, _)| *t))
            .fold(None, |max: Option<f64>, t| {
                Some(max.map_or(t, |m| m.max(t)))
            })
            .ok_or_else(|| {
                format!("prometheus has no record of {alert} firing (`{expr}` is empty)")
            })?;
        let interval = plan
            .spec
            .prometheus()
            .rule_files
            .iter()
            .flat_map(|f| &f.groups)
            .find(|g| g.rules.iter().any(|r| r.alert.as_deref() == Some(alert)))
            .and_then(|g| g.interval)
            .unwrap_or(plan.spec.prometheus().evaluation_interval)
            .scaled_down(plan.time_scale)
            .get();
        Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(last_firing) + interval)
    }

    /// Waits for a message received after `since` that shows every value the templates
    /// reference for the alert, on the configured channel and username; for a firing
    /// message, not one whose title announces the group resolved.
    async fn wait_for_message(
        &self,
        alert: &str,
        found: &PromAlert,
        configs: &[SlackConfig],
        status: NotificationStatus,
        since: Option<SystemTime>,
        deadline: Duration,
    ) -> Result<SlackMessage, String> {
        let templates: Vec<&str> = configs
            .iter()
            .flat_map(|c| [c.text.as_deref(), c.title.as_deref()])
            .flatten()
            .collect();
        let mut fragments = expected_fragments(&templates, &found.labels, &found.annotations);
        if templates.is_empty() {
            fragments.push(alert.to_string());
        }
        let slack = self.stack.slack();
        poll(deadline, || {
            let fragments = fragments.clone();
            async move {
                let messages = slack.messages().await;
                let candidates: Vec<&SlackMessage> = messages
                    .iter()
                    .filter(|m| since.is_none_or(|s| m.received_at >= s))
                    .collect();
                let mut last =
                    format!("{} messages received, none after the alert", messages.len());
                for message in candidates {
                    match message_problem(message, configs, status, &fragments) {
                        None => return Look::Ready(message.clone()),
                        Some(problem) => last = format!("message #{}: {problem}", message.seq),
                    }
                }
                Look::NotYet(last)
            }
        })
        .await
        .map_err(|e| e.to_string())
    }
}

/// What is wrong with a message, or `None` when it is the expected one.
fn message_problem(
    message: &SlackMessage,
    configs: &[SlackConfig],
    status: NotificationStatus,
    fragments: &[String],
) -> Option<String> {
    // A notification is for a whole group: `[RESOLVED]` means every alert in it resolved, so
    // it cannot be the firing message. `[FIRING:n]` proves nothing about one alert: with
    // `send_resolved`, a group still firing lists its resolved alerts too.
    if status == NotificationStatus::Firing
        && message.status() == Some(NotificationStatus::Resolved)
    {
        return Some("it announces the group resolved, not firing".into());
    }
    let shown = [message.texts(), message.titles()].concat().join("\n");
    if shown.contains("<no value>") {
        return Some("the template rendered `<no value>`".into());
    }
    let config_matches = configs.iter().any(|c| {
        c.channel
            .as_deref()
            .is_none_or(|ch| message.channel() == Some(ch))
            && c.username
                .as_deref()
                .is_none_or(|u| message.username() == Some(u))
    });
    if !config_matches {
        return Some(format!(
            "channel {:?} / username {:?} match no slack_config of the receiver",
            message.channel(),
            message.username()
        ));
    }
    let missing: Vec<&String> = fragments
        .iter()
        .filter(|f| !shown.contains(f.as_str()))
        .collect();
    if !missing.is_empty() {
        return Some(format!("the text lacks {missing:?}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(title: &str, text: &str) -> SlackMessage {
        SlackMessage {
            seq: 1,
            received_at: SystemTime::UNIX_EPOCH,
            path: "/slack/<redacted>".into(),
            headers: Default::default(),
            body: serde_json::json!({
                "channel": "#alerts",
                "attachments": [{"title": title, "text": text}]
            }),
        }
    }

    fn config() -> SlackConfig {
        SlackConfig {
            api_url: None,
            channel: Some("#alerts".into()),
            username: None,
            title: None,
            text: Some("*Alert:* {{ .Annotations.summary }}".into()),
            send_resolved: true,
        }
    }

    /// The problem with `message` for a check expecting `status` and the text "three hellos".
    fn judge(message: &SlackMessage, status: NotificationStatus) -> Option<String> {
        message_problem(message, &[config()], status, &["three hellos".into()])
    }

    #[test]
    fn a_resolved_message_does_not_count_as_the_firing_one() {
        let resolved = message("[RESOLVED]  (Burst info)", "*Alert:* three hellos");
        let problem = judge(&resolved, NotificationStatus::Firing);
        assert_eq!(
            problem.as_deref(),
            Some("it announces the group resolved, not firing")
        );
    }

    #[test]
    fn a_group_still_firing_can_carry_the_resolved_alert() {
        // The seed routes every alert into one group: when one resolves while DeadMansSwitch
        // fires, the message says [FIRING:1] and still lists the resolved one.
        let mixed = message("[FIRING:1]  (info)", "*Alert:* three hellos");
        assert_eq!(judge(&mixed, NotificationStatus::Resolved), None);
        let resolved = message("[RESOLVED]  (Burst info)", "*Alert:* three hellos");
        assert_eq!(judge(&resolved, NotificationStatus::Resolved), None);
    }

    #[test]
    fn a_custom_title_that_names_no_status_is_judged_by_its_text_alone() {
        let custom = message("Burst on prod", "*Alert:* three hellos");
        for status in [NotificationStatus::Firing, NotificationStatus::Resolved] {
            let problem = judge(&custom, status);
            assert_eq!(problem, None, "{status}");
        }
    }

    #[test]
    fn a_message_on_another_channel_or_missing_a_value_is_named_as_such() {
        let mut elsewhere = message("[FIRING:1] x", "*Alert:* three hellos");
        elsewhere.body["channel"] = "#random".into();
        let problem = judge(&elsewhere, NotificationStatus::Firing).expect("a problem");
        assert!(problem.contains("#random"), "{problem}");
        let lacking = message("[FIRING:1] x", "*Alert:* <no value>");
        let problem = judge(&lacking, NotificationStatus::Firing);
        assert_eq!(
            problem.as_deref(),
            Some("the template rendered `<no value>`")
        );
    }
}
