//! Reading the end of a component's log for evidence.

use std::path::Path;

/// The last `lines` lines of the file at `path` (empty when it cannot be read).
pub fn tail_lines(path: &Path, lines: usize) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    last_lines(&String::from_utf8_lossy(&bytes), lines)
}

/// The last `lines` lines of `text`.
pub(crate) fn last_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
