//! In-container paths: joining, normalising, and simple `*`/`?` globs per path segment.

/// `relative` resolved against the directory `base` (an absolute `relative` wins).
pub(crate) fn join(base: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        normalize(relative)
    } else {
        normalize(&format!("{base}/{relative}"))
    }
}

/// Removes `.`, `..` and repeated slashes; the result is absolute.
pub(crate) fn normalize(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

/// The directory holding `path`.
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(slash) => &path[..slash],
    }
}

/// The last segment of `path` (`alertmanager` for `/bin/alertmanager`).
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `pattern` holds glob characters.
pub(crate) fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether `path` matches `pattern`, segment by segment (`*` never crosses a `/`).
pub(crate) fn glob_matches(pattern: &str, path: &str) -> bool {
    let patterns: Vec<&str> = pattern.split('/').collect();
    let parts: Vec<&str> = path.split('/').collect();
    patterns.len() == parts.len()
        && patterns
            .iter()
            .zip(&parts)
            .all(|(p, s)| segment_matches(p.as_bytes(), s.as_bytes()))
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_matches(&pattern[1..], text)
                || (!text.is_empty() && segment_matches(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => segment_matches(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => segment_matches(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_base_directory_and_absolute_ones_stay() {
        assert_eq!(
            join("/etc/prom", "alerts/a.yaml"),
            "/etc/prom/alerts/a.yaml"
        );
        assert_eq!(join("/etc/prom", "/rules/a.yaml"), "/rules/a.yaml");
        assert_eq!(join("/etc/prom/", "./../x.yml"), "/etc/x.yml");
        assert_eq!(parent("/etc/prom/prom.yml"), "/etc/prom");
        assert_eq!(parent("/prom.yml"), "/");
    }

    #[test]
    fn a_star_matches_within_one_segment_only() {
        assert!(glob_matches("/etc/alerts/*.yaml", "/etc/alerts/core.yaml"));
        assert!(glob_matches("/etc/alerts/r?.yaml", "/etc/alerts/r1.yaml"));
        assert!(!glob_matches("/etc/*.yaml", "/etc/alerts/core.yaml"));
        assert!(!glob_matches("/etc/alerts/*.yaml", "/etc/alerts/core.yml"));
    }
}
