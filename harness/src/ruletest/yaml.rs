//! Walking a parsed rule test file strictly, as promtool's `yaml.UnmarshalStrict` does, so
//! that every error names the file, the test and the key (`tests[2].input_series[0].values`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

use crate::error::suggest::did_you_mean;
use crate::error::InputError;
use crate::time::PromDuration;

/// A value inside a test file and the path that leads to it.
#[derive(Clone)]
pub(super) struct Node<'a> {
    value: &'a Value,
    path: String,
    file: &'a Path,
    /// The test this node is in, as errors name it (``test `api errors` ``), once known.
    test: Option<String>,
    /// Who reads the file this strictly, as an unknown key's error says.
    reader: &'static str,
}

impl<'a> Node<'a> {
    /// The document's root.
    pub fn root(value: &'a Value, file: &'a Path) -> Self {
        Self::root_read_by(value, file, "promtool reads test files strictly")
    }

    /// The root of a document another reader reads strictly (`reader` says who, for an
    /// unknown key's error).
    pub fn root_read_by(value: &'a Value, file: &'a Path, reader: &'static str) -> Self {
        Self {
            value,
            path: String::new(),
            file,
            test: None,
            reader,
        }
    }

    /// The YAML value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The boolean under `key`, or `false` when absent.
    pub fn flag_of(&self, key: &str) -> Result<bool, InputError> {
        match self.get(key) {
            None => Ok(false),
            Some(node) => match node.value {
                Value::Bool(flag) => Ok(*flag),
                other => {
                    Err(node.error(format!("must be true or false, found {}", kind_of(other))))
                }
            },
        }
    }

    /// The same node, its errors naming `test`.
    pub fn in_test(mut self, test: Option<String>) -> Self {
        self.test = test;
        self
    }

    /// An error about this node.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        let error = InputError::new(self.file, message);
        let error = match &self.test {
            Some(test) => error.resource(test.clone()),
            None => error,
        };
        if self.path.is_empty() {
            error
        } else {
            error.key(self.path.clone())
        }
    }

    /// Checks that this is a mapping (null counts as an empty one) whose keys are all in
    /// `known`: promtool refuses any other key.
    pub fn mapping(self, known: &[&str]) -> Result<Self, InputError> {
        let mapping = match self.value {
            Value::Null => return Ok(self),
            Value::Mapping(mapping) => mapping,
            other => return Err(self.error(format!("must be a mapping, found {}", kind_of(other)))),
        };
        for key in mapping.keys() {
            let Value::String(key) = key else {
                return Err(self.error(format!(
                    "has a key that is {}, not a name; the keys are {}",
                    kind_of(key),
                    known.join(", ")
                )));
            };
            if !known.contains(&key.as_str()) {
                return Err(self.child(&Value::Null, key).error(format!(
                    "unknown key{}; {} (the keys here are {})",
                    did_you_mean(key, known.iter().copied()),
                    self.reader,
                    known.join(", ")
                )));
            }
        }
        Ok(self)
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
            file: self.file,
            test: self.test.clone(),
            reader: self.reader,
        }
    }

    /// The items of the list under `key`, each with its `[i]` path; empty when absent.
    pub fn items_of(&self, key: &str) -> Result<Vec<Node<'a>>, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(Vec::new());
        };
        let Value::Sequence(items) = node.value else {
            return Err(node.error(format!("must be a list, found {}", kind_of(node.value))));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", node.path),
                file: node.file,
                test: node.test.clone(),
                reader: node.reader,
            })
            .collect())
    }

    /// This scalar as text (numbers and booleans as YAML prints them back).
    pub fn text(&self) -> Result<String, InputError> {
        scalar_text(self.value)
            .ok_or_else(|| self.error(format!("must be a string, found {}", kind_of(self.value))))
    }

    /// The text under `key`, if present.
    pub fn text_of(&self, key: &str) -> Result<Option<String>, InputError> {
        self.get(key).map(|node| node.text()).transpose()
    }

    /// An error about `key` of this mapping, which is missing; `what` says what to write.
    pub fn missing(&self, key: &str, what: &str) -> InputError {
        self.child(&Value::Null, key)
            .error(format!("is missing; {what}"))
    }

    /// The text under `key`, which must be present and not empty; `what` says what to write.
    pub fn required_text(&self, key: &str, what: &str) -> Result<(String, Node<'a>), InputError> {
        let node = self.get(key).ok_or_else(|| self.missing(key, what))?;
        let text = node.text()?;
        if text.trim().is_empty() {
            return Err(node.error(format!("is empty; {what}")));
        }
        Ok((text, node))
    }

    /// The strings of the list under `key`; empty when absent.
    pub fn texts_of(&self, key: &str) -> Result<Vec<String>, InputError> {
        self.items_of(key)?.iter().map(Node::text).collect()
    }

    /// The duration under `key`, if present (`0` and `0s` included).
    pub fn duration_of(&self, key: &str) -> Result<Option<PromDuration>, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        let text = node.text()?;
        PromDuration::parse(&text)
            .map(Some)
            .map_err(|error| node.error(error.to_string()))
    }

    /// The number under `key`, or 0 when absent (promtool's zero value). YAML's `.inf`,
    /// `-.inf` and `.nan` are numbers; a quoted number is not.
    pub fn number_or_zero(&self, key: &str) -> Result<f64, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(0.0);
        };
        match node.value {
            Value::Number(number) => number
                .as_f64()
                .ok_or_else(|| node.error("is not a number a float can hold")),
            other => Err(node.error(format!(
                "must be a number (write `.inf`, `-.inf` or `.nan` for the special values), \
                 found {}",
                kind_of(other)
            ))),
        }
    }

    /// The string-to-string mapping under `key` (labels, annotations); empty when absent.
    /// A value left empty (`severity:`) is the empty string, as promtool reads it.
    pub fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, InputError> {
        let Some(node) = self.get(key) else {
            return Ok(BTreeMap::new());
        };
        let Value::Mapping(mapping) = node.value else {
            return Err(node.error(format!("must be a mapping, found {}", kind_of(node.value))));
        };
        let mut map = BTreeMap::new();
        for (name, value) in mapping {
            let name = scalar_text(name).ok_or_else(|| {
                node.error(format!(
                    "has a name that is {}; names are strings",
                    kind_of(name)
                ))
            })?;
            let text = match value {
                Value::Null => String::new(),
                other => node.child(other, &name).text()?,
            };
            map.insert(name, text);
        }
        Ok(map)
    }
}

/// A scalar's text; `None` for anything else.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
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
