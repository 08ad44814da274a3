//! The list of every change the harness made to the manifests' configuration.

use std::fmt;

/// One change: which component, which file (or `args`/`env`), which key, from what to what.
/// Secret values are shown as `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The component whose configuration changed.
    pub component: String,
    /// The in-container file path, or `args`.
    pub file: String,
    /// The key inside the file (`global.scrape_interval`, `scrape_configs[1].static_configs[0].targets[0]`).
    pub key: String,
    /// Why: `address`, `time scale`, `slack mock`, `path`, `backend`, `sidecar` (a reload sidecar
    /// left out), `start-up script` (a shell entrypoint the loader ran before the start),
    /// `replicas` (a workload running another number of pods than it declares).
    pub reason: &'static str,
    /// The value before (`<absent>` when the key was not set).
    pub from: String,
    /// The value after.
    pub to: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {} -> {} ({})",
            self.component, self.file, self.key, self.from, self.to, self.reason
        )
    }
}

/// Collects changes while a component's configuration is rewritten.
#[derive(Debug)]
pub(crate) struct ChangeLog<'a> {
    pub(crate) component: &'a str,
    pub(crate) file: &'a str,
    pub(crate) changes: &'a mut Vec<Change>,
}

impl ChangeLog<'_> {
    pub(crate) fn record(
        &mut self,
        key: impl Into<String>,
        reason: &'static str,
        from: impl Into<String>,
        to: impl Into<String>,
    ) {
        self.changes.push(Change {
            component: self.component.to_string(),
            file: self.file.to_string(),
            key: key.into(),
            reason,
            from: from.into(),
            to: to.into(),
        });
    }
}

/// Prints a change list, one change a line, as `firedrill render` and `changes.txt` show it.
pub fn format_changes(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        out.push_str(&change.to_string());
        out.push('\n');
    }
    out
}
