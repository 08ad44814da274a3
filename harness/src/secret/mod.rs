//! Secrets and their redaction, in one place: [`SecretString`], a value that never prints
//! itself, and the ways secrets are kept out of what firedrill prints and writes (known
//! values replaced in any text, a webhook path's token parts, a Secret-held config's
//! credential-like keys).

mod redact;
mod yaml;

use std::fmt;

pub(crate) use redact::url_secrets;
pub use redact::{redact_path, redact_secrets};
pub use yaml::redact_secret_keys;

/// A secret string (a Slack webhook URL, a password) whose `Debug` and `Display` show
/// `<redacted>`, so that redaction never depends on remembering to redact.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// What every secret prints as.
    pub const REDACTED: &'static str = "<redacted>";

    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call this only where the value is handed to a component.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

impl serde::Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_its_value_in_debug_display_or_json() {
        let secret = SecretString::new("https://hooks.slack.com/services/T0/B0/XYZ");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"<redacted>\"");
        assert_eq!(
            secret.expose(),
            "https://hooks.slack.com/services/T0/B0/XYZ"
        );
    }
}
