//! Walking a parsed config file (`prometheus.yaml`, `rules.yaml`, `alertmanager.yaml`, a
//! datasource file) so that every error names the manifest file, the resource and the key
//! as `<config key>: <path inside it>` (`rules.yaml: groups[0].rules[0].for`).
//!
//! Values of a file that comes from a Secret are never put into a message.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::error::InputError;
use crate::spec::{MountedFile, Origin};
use crate::time::PromDuration;

/// A mounted config file, parsed, with what errors about it need.
pub(crate) struct ConfigDocument<'a> {
    origin: &'a Origin,
    is_secret: bool,
    /// The parsed text (an empty file is an empty mapping).
    pub value: Value,
}

impl<'a> ConfigDocument<'a> {
    /// Parses a mounted file as YAML.
    pub fn parse(file: &'a MountedFile) -> Result<Self, InputError> {
        let is_secret = matches!(file.content, crate::spec::FileContent::Secret(_));
        let value: Value = serde_yaml::from_str(file.content.expose()).map_err(|e| {
            let at = e
                .location()
                .map(|l| {
                    format!(
                        " at line {} column {} of the key's text",
                        l.line(),
                        l.column()
                    )
                })
                .unwrap_or_default();
            let detail = if is_secret {
                String::new()
            } else {
                format!(": {e}")
            };
            error_at(&file.origin, "", format!("not valid YAML{at}{detail}"))
        })?;
        Ok(Self {
            origin: &file.origin,
            is_secret,
            value,
        })
    }

    /// The document's root, which must be a mapping (or empty).
    pub fn root(&self) -> Result<Node<'_>, InputError> {
        Node {
            value: &self.value,
            path: String::new(),
            origin: self.origin,
            is_secret: self.is_secret,
        }
        .mapping()
    }
}

/// An error about `path` inside the config key `origin` names.
pub(crate) fn error_at(origin: &Origin, path: &str, message: impl Into<String>) -> InputError {
    let key = match (&origin.key, path.is_empty()) {
        (Some(key), true) => key.clone(),
        (Some(key), false) => format!("{key}: {path}"),
        (None, _) => path.to_string(),
    };
    let error = InputError::new(&origin.file, message).resource(&origin.resource);
    if key.is_empty() {
        error
    } else {
        error.key(key)
    }
}

/// A value inside a config document and the path that leads to it.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    value: &'a Value,
    path: String,
    origin: &'a Origin,
    is_secret: bool,
}

impl<'a> Node<'a> {
    /// An error about this node.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        error_at(self.origin, &self.path, message)
    }

    /// Checks that this is a mapping (null counts as an empty one).
    pub fn mapping(self) -> Result<Self, InputError> {
        match self.value {
            Value::Mapping(_) | Value::Null => Ok(self),
            other => Err(self.error(format!("must be a mapping, found {}", kind_of(other)))),
        }
    }

    /// A child of a mapping; `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let child = self.value.get(key)?;
        if child.is_null() {
            return None;
        }
        Some(self.child(child, key))
    }

    fn child(&self, value: &'a Value, key: &str) -> Node<'a> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        Node {
            value,
            path,
            origin: self.origin,
            is_secret: self.is_secret,
        }
    }

    /// The items of a sequence, each with its `[i]` path.
    pub fn items(&self) -> Result<Vec<Node<'a>>, InputError> {
        let Value::Sequence(items) = self.value else {
            return Err(self.error(format!("must be a list, found {}", kind_of(self.value))));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path),
                origin: self.origin,
                is_secret: self.is_secret,
            })
            .collect())
    }

    /// The items of the list under `key`; empty when absent.
    pub fn items_of(&self, key: &str) -> Result<Vec<Node<'a>>, InputError> {
        self.get(key).map_or(Ok(Vec::new()), |node| node.items())
    }

    /// This value as a string (numbers and booleans written as YAML prints them).
    pub fn text(&self) -> Result<String, InputError> {
        match self.value {
            Value::String(text) => Ok(text.clone()),
            Value::Number(number) => Ok(number.to_string()),
            Value::Bool(flag) => Ok(flag.to_string()),
            other => Err(self.error(format!("must be a string, found {}", kind_of(other)))),
        }
    }

    /// The string under `key`, if present.
    pub fn text_of(&self, key: &str) -> Result<Option<String>, InputError> {
        self.get(key).map(|node| node.text()).transpose()
    }

    /// The string under `key`, which must be present.
    pub fn required_text(&self, key: &str) -> Result<String, InputError> {
        match self.get(key) {
            Some(node) => node.text(),
            None => Err(self.child(&Value::Null, key).error("is required; add it")),
        }
    }

    /// The boolean under `key`, or `default`.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, InputError> {
        match self.get(key) {
            None => Ok(default),
            Some(node) => match node.value {
                Value::Bool(flag) => Ok(*flag),
                other => {
                    Err(node.error(format!("must be true or false, found {}", kind_of(other))))
                }
            },
        }
    }

    /// The duration under `key`, if present.
    pub fn duration_of(&self, key: &str) -> Result<Option<PromDuration>, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        let text = node.text()?;
        PromDuration::parse(&text).map(Some).map_err(|error| {
            if node.is_secret {
                node.error(
                    "not a valid duration; write it like `15s`, `1m`, `1h30m` or `500ms` \
                     (units ms s m h d w y; the value is not shown because it comes from a Secret)",
                )
            } else {
                node.error(format!("{error}"))
            }
        })
    }

    /// The duration under `key`, or `default` when absent.
    pub fn duration_or(&self, key: &str, default: &str) -> Result<PromDuration, InputError> {
        Ok(self
            .duration_of(key)?
            .unwrap_or_else(|| PromDuration::parse(default).expect("defaults are valid durations")))
    }

    /// The string-to-string mapping under `key` (labels, annotations); empty when absent.
    pub fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(BTreeMap::new());
        };
        let Value::Mapping(mapping) = node.value else {
            return Err(node.error(format!("must be a mapping, found {}", kind_of(node.value))));
        };
        let mut map = BTreeMap::new();
        for (name, value) in mapping {
            let name = node
                .child(name, "")
                .text()
                .map_err(|_| node.error("every name must be a string"))?;
            map.insert(name.clone(), node.child(value, &name).text()?);
        }
        Ok(map)
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}
