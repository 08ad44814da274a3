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
        super::yaml_size::check_expanded_size(file.content.expose())
            .map_err(|why| error_at(&file.origin, "", why))?;
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
            let advice = advice(&e);
            error_at(
                &file.origin,
                "",
                format!("not valid YAML{at}{detail}; {advice}"),
            )
        })?;
        if let Some(odd) = odd_key(&value) {
            return Err(error_at(&file.origin, &odd.path, odd.message()));
        }
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

/// What to do about YAML serde_yaml refused (its message says what is wrong, never a value
/// of the text).
pub(crate) fn advice(error: &serde_yaml::Error) -> &'static str {
    let text = error.to_string();
    if text.contains("duplicate entry") {
        "a mapping holds one key twice; keep one of them"
    } else if text.contains("recursion limit exceeded") {
        "nested more than 128 levels deep (lists, mappings or aliases `*name` inside each \
         other), which no manifest is; flatten it"
    } else if text.contains("control characters are not allowed") {
        "the text holds control characters: a binary file, or text saved as UTF-16; save it \
         as UTF-8 text"
    } else {
        "fix the indentation or quoting there"
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

/// A key that is not text, a number or a boolean, and where it is.
pub(crate) struct OddKey {
    /// The path of the mapping holding it (`scrape_configs[0].labels`; empty at the root).
    pub path: String,
    /// What the key is (`a mapping`, `a list`, `nothing`, ...).
    pub kind: &'static str,
}

impl OddKey {
    /// What is wrong and what to do, without the key's value (it may come from a Secret).
    pub fn message(&self) -> String {
        format!(
            "a key here is {}; Kubernetes, Prometheus, Alertmanager and Grafana read only \
             text (or a number or true/false) as a key, so write the key as text",
            self.kind
        )
    }
}

/// The first key under `value` that is not text, a finite number or a boolean: a mapping, a
/// list, a tagged value, null or NaN. YAML reads them, no component takes them, and they
/// cannot be written back (as YAML or as JSON) for the stack that runs.
pub(crate) fn odd_key(value: &Value) -> Option<OddKey> {
    odd_key_at(value, String::new())
}

fn odd_key_at(value: &Value, path: String) -> Option<OddKey> {
    match value {
        Value::Mapping(mapping) => mapping.iter().find_map(|(key, child)| {
            let plain = match key {
                Value::String(_) | Value::Bool(_) => true,
                Value::Number(n) => n.as_f64().is_none_or(f64::is_finite),
                _ => false,
            };
            if !plain {
                return Some(OddKey {
                    path: path.clone(),
                    kind: match key {
                        Value::Number(_) => "a number that is not finite",
                        other => kind_of(other),
                    },
                });
            }
            let name = match key {
                Value::String(text) => text.clone(),
                other => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim_end()
                    .to_string(),
            };
            let child_path = if path.is_empty() {
                name
            } else {
                format!("{path}.{name}")
            };
            odd_key_at(child, child_path)
        }),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| odd_key_at(item, format!("{path}[{i}]"))),
        Value::Tagged(tagged) => odd_key_at(&tagged.value, path),
        _ => None,
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
