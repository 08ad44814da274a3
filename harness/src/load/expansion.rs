//! Kubernetes' own `$(VAR)` expansion, as the kubelet applies it to a container's `command`,
//! `args` and env `value`s before anything runs: `$(NAME)` is the variable's value when it is
//! defined (in the container's env for `command` and `args`, the variables defined before it for
//! an env `value`), else left as written; `$$` is a literal `$` (so `$$(NAME)` is the literal
//! `$(NAME)`); any other `$` stays as written.

use crate::spec::EnvValue;

/// A string after expansion, and whether a Secret's value went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    /// The expanded text. When `secret`, never print it.
    pub text: String,
    /// Whether a variable from a Secret was expanded into it.
    pub secret: bool,
}

/// Expands `input` as Kubernetes does, looking variables up with `lookup`.
pub(crate) fn expand<'v>(input: &str, lookup: impl Fn(&str) -> Option<&'v EnvValue>) -> Expanded {
    let mut text = String::with_capacity(input.len());
    let mut secret = false;
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.chars().next() {
            // A lone `$` at the end stays.
            None => {
                text.push('$');
                rest = after;
            }
            Some('$') => {
                text.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Some(value) => {
                            secret |= matches!(value, EnvValue::Secret(_));
                            text.push_str(value.expose());
                        }
                        None => {
                            text.push_str("$(");
                            text.push_str(name);
                            text.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                // An unclosed reference stays as written; what follows is read on.
                None => {
                    text.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(other) => {
                text.push('$');
                text.push(other);
                rest = &after[other.len_utf8()..];
            }
        }
    }
    text.push_str(rest);
    Expanded { text, secret }
}

#[cfg(test)]
mod tests {
    use super::{expand, Expanded};
    use crate::secret::SecretString;
    use crate::spec::EnvValue;

    fn env(name: &str) -> Option<&'static EnvValue> {
        static PLAIN: std::sync::OnceLock<EnvValue> = std::sync::OnceLock::new();
        static SECRET: std::sync::OnceLock<EnvValue> = std::sync::OnceLock::new();
        match name {
            "PORT" => Some(PLAIN.get_or_init(|| EnvValue::Plain("9093".into()))),
            "SLACK_URL" => Some(SECRET.get_or_init(|| {
                EnvValue::Secret(SecretString::new("https://hooks.example/T/B/x"))
            })),
            _ => None,
        }
    }

    #[track_caller]
    fn expands_to(input: &str, text: &str, secret: bool) {
        assert_eq!(
            expand(input, env),
            Expanded {
                text: text.to_string(),
                secret
            },
            "expanding {input:?}"
        );
    }

    #[test]
    fn a_defined_dollar_paren_reference_is_replaced_by_its_value() {
        expands_to(
            "--web.listen-address=:$(PORT)",
            "--web.listen-address=:9093",
            false,
        );
    }

    #[test]
    fn an_unknown_dollar_paren_reference_is_left_as_written() {
        expands_to("$(NOT_SET)/x", "$(NOT_SET)/x", false);
    }

    #[test]
    fn a_doubled_dollar_is_the_escaped_literal_reference() {
        expands_to("$$(PORT) and $$PORT", "$(PORT) and $PORT", false);
    }

    #[test]
    fn a_shell_variable_and_an_unclosed_reference_stay_as_written() {
        expands_to(
            "${SLACK_URL} $SLACK_URL $(PORT",
            "${SLACK_URL} $SLACK_URL $(PORT",
            false,
        );
        expands_to("cost: 5$", "cost: 5$", false);
    }

    #[test]
    fn a_value_from_a_secret_marks_the_expansion_secret() {
        expands_to("url=$(SLACK_URL)", "url=https://hooks.example/T/B/x", true);
    }
}
