//! The components' own tools, `promtool` and `amtool`, found like the process backend finds
//! the components: `FIREDRILL_PROMTOOL_BIN` / `FIREDRILL_AMTOOL_BIN`, then PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backend::process::on_path;

/// A component's own checking tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tool {
    /// Prometheus's `promtool`.
    Promtool,
    /// Alertmanager's `amtool`.
    Amtool,
}

impl Tool {
    /// `promtool`, `amtool`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Promtool => "promtool",
            Tool::Amtool => "amtool",
        }
    }

    /// `FIREDRILL_PROMTOOL_BIN`, `FIREDRILL_AMTOOL_BIN`.
    pub fn env_name(self) -> String {
        format!("FIREDRILL_{}_BIN", self.name().to_uppercase())
    }

    /// How to get it.
    pub fn install_hint(self) -> String {
        let package = match self {
            Tool::Promtool => "prometheus",
            Tool::Amtool => "prometheus-alertmanager",
        };
        format!(
            "install it (`apt-get install {package}` on Debian/Ubuntu, or a release from \
             prometheus.io/download) or set {} to its path",
            self.env_name()
        )
    }

    /// The binary, or why there is none.
    pub fn find(self) -> Result<PathBuf, String> {
        self.find_from(std::env::var(self.env_name()).ok())
    }

    /// The binary given `FIREDRILL_<TOOL>_BIN`'s value, else on PATH.
    fn find_from(self, env_value: Option<String>) -> Result<PathBuf, String> {
        let var = self.env_name();
        if let Some(value) = env_value {
            let path = PathBuf::from(&value);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{var}={value} is not a file"))
            };
        }
        on_path(self.name())
            .ok_or_else(|| format!("{} is not installed (not on PATH)", self.name()))
    }
}

/// What a tool said: success, and its stdout and stderr together.
pub(crate) struct ToolOutput {
    pub success: bool,
    pub text: String,
}

/// Runs `binary args...`.
pub(crate) fn run(binary: &Path, args: &[&str]) -> Result<ToolOutput, String> {
    let output = Command::new(binary)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(ToolOutput {
        success: output.status.success(),
        text,
    })
}

/// A tool's complaint in one line: its progress and summary lines dropped, the rest joined.
pub(crate) fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .map(|l| match l.split_once("FAILED:") {
            Some((_, cause)) => cause.trim(),
            None => l,
        })
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("Checking ")
                && !l.starts_with("SUCCESS")
                && !l.starts_with("Found:")
                && !l.starts_with("- ")
                && !l.starts_with("Warning: --config.file flag overrides")
                && !l.starts_with("amtool: error: failed to validate")
        })
        .collect();
    lines.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_is_found_by_its_variable_and_a_bad_variable_says_so() {
        let err = Tool::Promtool
            .find_from(Some("/nonexistent/promtool".into()))
            .unwrap_err();
        assert!(
            err.contains("FIREDRILL_PROMTOOL_BIN=/nonexistent/promtool"),
            "{err}"
        );
        let here = std::env::current_exe().unwrap();
        assert_eq!(
            Tool::Amtool.find_from(Some(here.display().to_string())),
            Ok(here)
        );
        assert!(Tool::Amtool
            .install_hint()
            .contains("prometheus-alertmanager"));
    }

    #[test]
    fn a_tool_complaint_keeps_the_cause_only() {
        let amtool = "Checking 'am.yml'  SUCCESS\nFound:\n - global config\n - route\n  FAILED: template: a.tmpl:2: unclosed action\n\namtool: error: failed to validate 1 file(s)\n";
        assert_eq!(one_line(amtool), "template: a.tmpl:2: unclosed action");
        let promtool = "Checking rules.yml\n\n  FAILED:\nrules.yml: 5:15: group \"t\", rule 1, \"A\": could not parse expression\n";
        assert_eq!(
            one_line(promtool),
            "rules.yml: 5:15: group \"t\", rule 1, \"A\": could not parse expression"
        );
    }
}
