//! What a Slack message rendered from the receiver's templates must contain for an alert.

use std::collections::BTreeMap;

/// The values an alert's message must show: for every `.Labels.X` / `.Annotations.X` the
/// templates reference (also through `.CommonLabels`/`.CommonAnnotations`), the alert's
/// value; with `.Labels.SortedPairs`, every label's name and value.
pub fn expected_fragments(
    templates: &[&str],
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut fragments = Vec::new();
    let mut push = |value: &str| {
        if !value.is_empty() && !fragments.iter().any(|f| f == value) {
            fragments.push(value.to_string());
        }
    };
    for template in templates {
        for (prefix, source) in [
            (".Labels.", labels),
            (".CommonLabels.", labels),
            (".Annotations.", annotations),
            (".CommonAnnotations.", annotations),
        ] {
            for name in references(template, prefix) {
                if name == "SortedPairs" {
                    for (k, v) in source {
                        push(k);
                        push(v);
                    }
                } else if let Some(value) = source.get(&name) {
                    push(value);
                }
            }
        }
    }
    fragments
}

/// Every identifier following `prefix` in `template`.
fn references(template: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(prefix) {
        let after = &rest[i + prefix.len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
        rest = after;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_seed_template_expects_the_name_annotations_and_every_label() {
        let template = "{{ range .Alerts }}\n*Alert:* {{ .Labels.alertname }}\n*Summary:* {{ .Annotations.summary }}\n*Description:* {{ .Annotations.description }}\n*Details:*\n{{ range .Labels.SortedPairs }} *{{ .Name }}:* `{{ .Value }}`\n{{ end }}\n{{ end }}";
        let labels = map(&[
            ("alertname", "DeadMansSwitch"),
            ("severity", "__severity__"),
        ]);
        let annotations = map(&[
            ("summary", "テストアラート"),
            ("description", "このアラートは常に発生します"),
        ]);
        assert_eq!(
            expected_fragments(&[template], &labels, &annotations),
            vec![
                "DeadMansSwitch",
                "alertname",
                "severity",
                "__severity__",
                "テストアラート",
                "このアラートは常に発生します"
            ]
        );
    }

    #[test]
    fn a_template_referencing_nothing_expects_nothing() {
        assert!(
            expected_fragments(&["static text"], &map(&[("alertname", "A")]), &map(&[])).is_empty()
        );
    }
}
