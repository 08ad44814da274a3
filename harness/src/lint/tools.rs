//! Running the components' own tools, `promtool` and `amtool`, on the configs (found by
//! [`crate::tools::Tool`]), and their complaints in one line.

use std::path::Path;
use std::process::Command;

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
