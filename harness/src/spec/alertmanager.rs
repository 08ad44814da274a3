//! Alertmanager's configuration as the manifests give it.

use crate::secret::SecretString;
use crate::time::PromDuration;

/// Alertmanager's config file, parsed where the harness needs it.
///
/// `Debug` leaves out the whole `config` (it holds the Slack webhook URL).
#[derive(Clone)]
pub struct AlertmanagerSpec {
    /// In-container path given by `--config.file`.
    pub config_path: String,
    /// The parsed config, kept whole (it holds secrets: never print it, see
    /// [`crate::plan`] for the redacted copy).
    pub config: serde_yaml::Value,
    /// `global.slack_api_url`.
    pub global_slack_api_url: Option<SecretString>,
    /// `global.resolve_timeout` (default 5m).
    pub resolve_timeout: PromDuration,
    /// The root route's receiver.
    pub route_receiver: String,
    /// The root route's `group_wait` (default 30s).
    pub group_wait: PromDuration,
    /// The root route's `group_interval` (default 5m).
    pub group_interval: PromDuration,
    /// The root route's `repeat_interval` (default 4h).
    pub repeat_interval: PromDuration,
    /// Every receiver.
    pub receivers: Vec<Receiver>,
}

impl std::fmt::Debug for AlertmanagerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerSpec")
            .field("config_path", &self.config_path)
            .field("config", &format_args!("{}", SecretString::REDACTED))
            .field("global_slack_api_url", &self.global_slack_api_url)
            .field("resolve_timeout", &self.resolve_timeout)
            .field("route_receiver", &self.route_receiver)
            .field("group_wait", &self.group_wait)
            .field("group_interval", &self.group_interval)
            .field("repeat_interval", &self.repeat_interval)
            .field("receivers", &self.receivers)
            .finish()
    }
}

impl AlertmanagerSpec {
    /// A receiver by name.
    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }
}

/// A receiver and its Slack configs.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// `name`.
    pub name: String,
    /// `slack_configs`.
    pub slack: Vec<SlackConfig>,
}

/// One `slack_configs` entry.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// `api_url`, or the global `slack_api_url` when absent.
    pub api_url: Option<SecretString>,
    /// `channel`.
    pub channel: Option<String>,
    /// `username`.
    pub username: Option<String>,
    /// `title` template, when set.
    pub title: Option<String>,
    /// `text` template, when set.
    pub text: Option<String>,
    /// `send_resolved` (Alertmanager's default for Slack is false).
    pub send_resolved: bool,
}
