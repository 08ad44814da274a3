//! "Did you mean": the nearest of a few known names.

/// The known name nearest to `name`, when it is near enough to be a typo.
pub(crate) fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest_within(name, known, (name.chars().count() / 3).max(2))
}

/// The known name nearest to `name`, within a looser distance (abbreviated host names:
/// `echo-svc` for `echo-service`).
pub(crate) fn nearest_loosely<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    nearest_within(name, known, name.chars().count() / 2 + 1)
}

/// The known name nearest to `name`, at most `limit` edits away.
pub(crate) fn nearest_within<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Option<&'a str> {
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `; did you mean `x`?`, or nothing.
pub(crate) fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, known)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_a_stranger_finds_none() {
        assert_eq!(
            nearest("sumary", ["summary", "description"]),
            Some("summary")
        );
        assert_eq!(nearest("echo-svc", ["echo-service", "web"]), None);
        assert_eq!(
            nearest_loosely("echo-svc", ["echo-service", "web"]),
            Some("echo-service")
        );
        assert_eq!(
            nearest("echo-servce", ["echo-service", "web"]),
            Some("echo-service")
        );
        assert_eq!(nearest("runbook", ["summary"]), None);
    }
}
