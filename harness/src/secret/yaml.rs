//! Redacting a Secret-held config file for the artifacts: values under keys that name
//! credentials are replaced, everything else stays reviewable.

use serde_yaml::Value;

use super::SecretString;

const SECRET_KEY_PARTS: [&str; 6] = [
    "password",
    "secret",
    "token",
    "api_key",
    "credentials",
    "auth",
];

/// `yaml` with every string under a credential-like key replaced by `<redacted>`. Text that
/// is not YAML is redacted whole.
pub fn redact_secret_keys(yaml: &str) -> String {
    match serde_yaml::from_str::<Value>(yaml) {
        Ok(mut value) => {
            redact_value(&mut value, false);
            serde_yaml::to_string(&value).unwrap_or_else(|_| SecretString::REDACTED.to_string())
        }
        Err(_) => SecretString::REDACTED.to_string(),
    }
}

fn redact_value(value: &mut Value, secret: bool) {
    match value {
        Value::String(text) if secret => *text = SecretString::REDACTED.to_string(),
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                let key = key.as_str().unwrap_or("").to_lowercase();
                let child_secret = secret || SECRET_KEY_PARTS.iter().any(|part| key.contains(part));
                redact_value(child, child_secret);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|item| redact_value(item, secret)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys_are_redacted_and_the_rest_kept() {
        let yaml = "global:\n  smtp_auth_password: hunter2\n  slack_api_url: http://127.0.0.1:1/slack/global\nreceivers:\n- name: x\n  webhook_configs:\n  - http_config:\n      authorization:\n        credentials: abc\n";
        let out = redact_secret_keys(yaml);
        assert!(!out.contains("hunter2") && !out.contains("abc"), "{out}");
        assert!(out.contains("http://127.0.0.1:1/slack/global"), "{out}");
    }
}
