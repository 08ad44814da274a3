//! What a Go template reads: `.Annotations.X`, `.CommonAnnotations.X`, `.GroupLabels.X`,
//! the templates it calls (`{{ template "name" . }}`), and the templates a file defines.
//! A reading, not an evaluation: only these references are looked for.

use std::collections::BTreeMap;

/// Where a referenced name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    /// `.Annotations.X` (an alert's) or `.CommonAnnotations.X` (the group's).
    Annotation,
    /// `.GroupLabels.X`.
    GroupLabel,
}

/// One reference to a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub source: Source,
    pub name: String,
    /// Read in an `if`/`with` condition somewhere: its absence is handled.
    pub guarded: bool,
}

/// What a template text reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    pub references: Vec<Reference>,
    /// Names of the templates it calls.
    pub calls: Vec<String>,
}

/// The methods of Alertmanager's label/annotation sets: not names.
const KV_METHODS: [&str; 4] = ["SortedPairs", "Names", "Values", "Remove"];

const PREFIXES: [(&str, Source); 3] = [
    (".Annotations.", Source::Annotation),
    (".CommonAnnotations.", Source::Annotation),
    (".GroupLabels.", Source::GroupLabel),
];

/// Every action (`{{ ... }}`) of `text`: its inside (trim markers and spaces removed) and
/// where it starts and ends.
fn actions(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("{{") {
        let start = rest + open;
        let Some(close) = text[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + close + 2;
        let inner = text[start + 2..end - 2]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if !inner.starts_with("/*") {
            found.push((start, end, inner));
        }
        rest = end;
    }
    found
}

fn first_word(action: &str) -> &str {
    action.split_whitespace().next().unwrap_or("")
}

/// What `text` reads.
pub(crate) fn reads(text: &str) -> Reads {
    let mut out = Reads::default();
    let mut guarded_names = Vec::new();
    for (_, _, action) in actions(text) {
        let word = first_word(action);
        let guard = matches!(word, "if" | "with") || action.starts_with("else if");
        if word == "template" {
            if let Some(name) = quoted(action) {
                out.calls.push(name.to_string());
            }
        }
        for (prefix, source) in PREFIXES {
            let mut at = 0;
            while let Some(i) = action[at..].find(prefix) {
                let begin = at + i + prefix.len();
                let name: String = action[begin..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                at = begin;
                if name.is_empty() || KV_METHODS.contains(&name.as_str()) {
                    continue;
                }
                if guard {
                    guarded_names.push((source, name.clone()));
                }
                out.references.push(Reference {
                    source,
                    name,
                    guarded: false,
                });
            }
        }
    }
    for reference in &mut out.references {
        reference.guarded = guarded_names.contains(&(reference.source, reference.name.clone()));
    }
    out
}

fn quoted(action: &str) -> Option<&str> {
    let start = action.find('"')? + 1;
    let len = action[start..].find('"')?;
    Some(&action[start..start + len])
}

/// The templates `text` defines (`{{ define "name" }}...{{ end }}`), name → body.
pub(crate) fn defines(text: &str) -> BTreeMap<String, String> {
    let mut defined = BTreeMap::new();
    let mut open: Option<(String, usize, usize)> = None; // name, body start, depth
    for (start, end, action) in actions(text) {
        let word = first_word(action);
        match (&mut open, word) {
            (None, "define") => {
                if let Some(name) = quoted(action) {
                    open = Some((name.to_string(), end, 1));
                }
            }
            (Some((_, _, depth)), "if" | "range" | "with" | "define" | "block") => *depth += 1,
            (Some((name, body, depth)), "end") => {
                *depth -= 1;
                if *depth == 0 {
                    defined.insert(name.clone(), text[*body..start].to_string());
                    open = None;
                }
            }
            _ => {}
        }
    }
    defined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(reads: &Reads) -> Vec<(Source, &str, bool)> {
        reads
            .references
            .iter()
            .map(|r| (r.source, r.name.as_str(), r.guarded))
            .collect()
    }

    #[test]
    fn the_seed_text_reads_two_annotations() {
        let text = "{{ range .Alerts }}\n*Summary:* {{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ range .Labels.SortedPairs }} *{{ .Name }}:* `{{ .Value }}`\n{{ end }}\n{{ end }}";
        assert_eq!(
            names(&reads(text)),
            [
                (Source::Annotation, "summary", false),
                (Source::Annotation, "description", false)
            ]
        );
    }

    #[test]
    fn common_annotations_group_labels_calls_and_guards_are_read() {
        let text = r#"{{- if .CommonAnnotations.runbook }}{{ .CommonAnnotations.runbook }}{{ end -}}
{{ .GroupLabels.job }} {{ .GroupLabels.SortedPairs.Values | join " " }} {{ template "slack.body" . }}"#;
        let r = reads(text);
        assert_eq!(
            names(&r),
            [
                (Source::Annotation, "runbook", true),
                (Source::Annotation, "runbook", true),
                (Source::GroupLabel, "job", false)
            ]
        );
        assert_eq!(r.calls, ["slack.body"]);
    }

    #[test]
    fn defines_are_found_with_nested_ends() {
        let text = r#"{{ define "a" }}{{ range .Alerts }}{{ .Annotations.x }}{{ end }}{{ end }}
{{ define "b" }}B{{ end }}"#;
        let d = defines(text);
        assert_eq!(d["a"], "{{ range .Alerts }}{{ .Annotations.x }}{{ end }}");
        assert_eq!(d["b"], "B");
    }
}
