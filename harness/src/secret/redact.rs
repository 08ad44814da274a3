//! Keeping webhook tokens and other secrets out of logs, evidence and recorded artifacts.

use super::SecretString;

/// What a redacted part is replaced with.
const REDACTED: &str = SecretString::REDACTED;

/// A webhook request path with its secret parts replaced by `<redacted>`.
///
/// The rule: a Slack incoming-webhook path `/services/<team>/<channel>/<token>` keeps its
/// first two segments (`/services/<team>`) and redacts the rest; any other path keeps only
/// its first segment and redacts the rest. Empty segments (a trailing slash) stay empty, and
/// a query string, if any, is redacted as a whole.
///
/// `/services/T000/B000/XXXX` → `/services/T000/<redacted>/<redacted>`;
/// `/hooks/abc` → `/hooks/<redacted>`; `/` → `/`.
pub fn redact_path(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((path, _query)) => (path, Some(REDACTED)),
        None => (path, None),
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let kept = if segments.first() == Some(&"services") {
        2
    } else {
        1
    };
    let redacted: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            if index < kept || segment.is_empty() {
                segment
            } else {
                REDACTED
            }
        })
        .collect();
    let mut out = format!("/{}", redacted.join("/"));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// `text` with every occurrence of each (non-empty) secret replaced by `<redacted>`.
pub fn redact_secrets(text: &str, secrets: &[&SecretString]) -> String {
    let mut values: Vec<&str> = secrets
        .iter()
        .map(|secret| secret.expose())
        .filter(|value| !value.is_empty())
        .collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    values.into_iter().fold(text.to_string(), |text, value| {
        text.replace(value, REDACTED)
    })
}

/// A secret URL and, when it has one longer than 8 characters, its path as a secret of its
/// own (a Slack webhook's token lives in its path, which a log may print without the host).
pub(crate) fn url_secrets(url: &SecretString) -> Vec<SecretString> {
    let mut secrets = vec![url.clone()];
    if let Some((_, rest)) = url.expose().split_once("://") {
        if let Some(i) = rest.find('/') {
            if rest.len() - i > 8 {
                secrets.push(SecretString::new(&rest[i..]));
            }
        }
    }
    secrets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_webhook_path_keeps_only_services_and_the_team() {
        assert_eq!(
            redact_path("/services/T000/B000/XXXX"),
            "/services/T000/<redacted>/<redacted>"
        );
    }

    #[test]
    fn any_other_path_keeps_only_its_first_segment() {
        assert_eq!(
            redact_path("/hooks/abc/def"),
            "/hooks/<redacted>/<redacted>"
        );
        assert_eq!(redact_path("/webhook"), "/webhook");
        assert_eq!(redact_path("/"), "/");
        assert_eq!(redact_path("/hooks/abc/"), "/hooks/<redacted>/");
    }

    #[test]
    fn a_query_string_is_redacted_whole() {
        assert_eq!(redact_path("/hook?token=abc"), "/hook?<redacted>");
    }

    #[test]
    fn a_secret_url_s_long_path_is_a_secret_too() {
        let shown = |url: &str| -> Vec<String> {
            url_secrets(&SecretString::new(url))
                .iter()
                .map(|s| s.expose().to_string())
                .collect()
        };
        assert_eq!(
            shown("https://hooks.slack.com/services/T0/B0/XYZ"),
            [
                "https://hooks.slack.com/services/T0/B0/XYZ",
                "/services/T0/B0/XYZ"
            ]
        );
        assert_eq!(shown("http://slack:8080/hook"), ["http://slack:8080/hook"]);
        assert_eq!(shown("not a url"), ["not a url"]);
    }

    #[test]
    fn secrets_are_replaced_longest_first() {
        let url = SecretString::new("https://hooks.slack.com/services/T0/B0/XYZ");
        let token = SecretString::new("XYZ");
        let empty = SecretString::new("");
        assert_eq!(
            redact_secrets(
                "posting to https://hooks.slack.com/services/T0/B0/XYZ with XYZ",
                &[&token, &url, &empty]
            ),
            "posting to <redacted> with <redacted>"
        );
    }
}
