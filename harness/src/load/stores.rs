//! ConfigMaps and Secrets as key → content stores; Secret `data` is base64-decoded and kept
//! as secrets, `stringData` is supported too.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde_yaml::Value;

use crate::error::InputError;
use crate::secret::SecretString;
use crate::spec::manifests::DataStore;
use crate::spec::FileContent;

/// The ConfigMap or Secret called `name` among `stores` (of kind `kind`); `Ok(None)` when it
/// is missing but `optional`; otherwise the message naming the ones there are.
pub(crate) fn find_store<'a>(
    stores: &'a BTreeMap<String, DataStore>,
    kind: &str,
    namespace: &str,
    name: &str,
    optional: bool,
) -> Result<Option<&'a DataStore>, String> {
    if let Some(store) = stores.get(&store_key(namespace, name)) {
        return Ok(Some(store));
    }
    // A pod sees only its own namespace's: one of another namespace is not found in
    // Kubernetes either, and the pod would never start.
    let elsewhere: Vec<&DataStore> = stores
        .values()
        .filter(|s| s.resource.split_once('/').map(|(_, n)| n) == Some(name))
        .collect();
    if let Some(other) = elsewhere.first() {
        if !optional {
            return Err(format!(
                "{kind} `{name}` is defined in namespace `{}` ({}), but the pod runs in namespace \
                 `{namespace}`, and Kubernetes gives a pod only its own namespace's; put them in \
                 one namespace",
                other.namespace,
                other.file.display()
            ));
        }
    }
    if optional {
        return Ok(None);
    }
    let defined: Vec<String> = stores
        .values()
        .map(|s| match s.namespace.as_str() {
            "default" => s
                .resource
                .split_once('/')
                .map_or(s.resource.clone(), |(_, n)| n.to_string()),
            ns => format!(
                "{}/{}",
                ns,
                s.resource.split_once('/').map_or("", |(_, n)| n)
            ),
        })
        .collect();
    let defined: Vec<&str> = defined.iter().map(String::as_str).collect();
    let given = if kind == "Secret" {
        " (a Secret created outside the manifests can be given with --secret \
         [NAMESPACE/]NAME:KEY=FILE)"
    } else {
        ""
    };
    Err(format!(
        "no {kind} named `{name}` is defined in any manifest; add it or name one of: {}{given}",
        crate::error::list_or_none(&defined)
    ))
}

/// A resource's `metadata.namespace`, `default` when absent.
pub(crate) fn namespace_of(document: &Value) -> String {
    document
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string()
}

/// How the inventory keys a ConfigMap or Secret: names are unique per namespace.
pub(crate) fn store_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// A ConfigMap's `data` (string values).
pub(crate) fn config_map(
    file: &Path,
    name: &str,
    document: &Value,
) -> Result<DataStore, InputError> {
    let resource = format!("ConfigMap/{name}");
    refuse_spec(file, &resource, document)?;
    let mut entries = BTreeMap::new();
    for (key, value) in string_entries(file, &resource, document, "data")? {
        let text = match value {
            Value::String(text) => text.clone(),
            // Kubernetes refuses these too: a ConfigMap's data values are strings.
            Value::Number(_) | Value::Bool(_) => {
                let written = serde_yaml::to_string(value).unwrap_or_default();
                let written = written.trim_end();
                return Err(InputError::new(
                    file,
                    format!(
                        "`{written}` is a {}, and a ConfigMap's data values must be strings \
                         (Kubernetes refuses it): quote it, `{key}: \"{written}\"`",
                        if matches!(value, Value::Bool(_)) {
                            "boolean"
                        } else {
                            "number"
                        }
                    ),
                )
                .resource(&resource)
                .key(format!("data.{key}")));
            }
            _ => {
                return Err(InputError::new(
                    file,
                    "a ConfigMap value must be a string; quote it or use a `|` block",
                )
                .resource(&resource)
                .key(format!("data.{key}")))
            }
        };
        entries.insert(key, FileContent::Plain(text));
    }
    Ok(DataStore {
        resource,
        namespace: namespace_of(document),
        file: file.to_path_buf(),
        entries,
    })
}

/// A Secret's `data` (base64) and `stringData` (plain, wins over `data`).
pub(crate) fn secret(file: &Path, name: &str, document: &Value) -> Result<DataStore, InputError> {
    let resource = format!("Secret/{name}");
    refuse_spec(file, &resource, document)?;
    let not_a_string = |section: &str, key: &str| {
        InputError::new(file, "a Secret value must be a string; quote it")
            .resource(&resource)
            .key(format!("{section}.{key}"))
    };
    let mut entries = BTreeMap::new();
    for (key, value) in string_entries(file, &resource, document, "data")? {
        let Value::String(encoded) = value else {
            return Err(not_a_string("data", &key));
        };
        let text = decode_base64(encoded).map_err(|problem| {
            InputError::new(
                file,
                format!("{problem}; encode the value with `base64 -w0`, or move it to `stringData` as plain text"),
            )
            .resource(&resource)
            .key(format!("data.{key}"))
        })?;
        entries.insert(key, FileContent::Secret(SecretString::new(text)));
    }
    for (key, value) in string_entries(file, &resource, document, "stringData")? {
        let Value::String(text) = value else {
            return Err(not_a_string("stringData", &key));
        };
        entries.insert(key, FileContent::Secret(SecretString::new(text.clone())));
    }
    Ok(DataStore {
        resource,
        namespace: namespace_of(document),
        file: file.to_path_buf(),
        entries,
    })
}

/// A ConfigMap or Secret holds `data`, never a `spec`: one that has a `spec` is some other
/// resource whose `kind` was written wrong (Kubernetes refuses the field).
fn refuse_spec(file: &Path, resource: &str, document: &Value) -> Result<(), InputError> {
    if document.get("spec").is_none() {
        return Ok(());
    }
    let kind = resource.split_once('/').map_or(resource, |(kind, _)| kind);
    let workload = document
        .get("spec")
        .and_then(|spec| spec.get("template"))
        .is_some();
    Err(InputError::new(
        file,
        format!(
            "a {kind} has no `spec` (what it holds is `data`), so `kind` is wrong{}; write \
             the kind this resource is",
            if workload {
                ": a `spec.template` is a Deployment's, StatefulSet's or DaemonSet's"
            } else {
                ""
            }
        ),
    )
    .resource(resource)
    .key("spec"))
}

fn decode_base64(encoded: &str) -> Result<String, &'static str> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| "the value is not valid base64")?;
    String::from_utf8(bytes).map_err(|_| "the value decodes to bytes that are not UTF-8 text")
}

fn string_entries<'a>(
    file: &Path,
    resource: &str,
    document: &'a Value,
    section: &str,
) -> Result<Vec<(String, &'a Value)>, InputError> {
    let Some(section_value) = document.get(section) else {
        return Ok(Vec::new());
    };
    let Value::Mapping(mapping) = section_value else {
        if section_value.is_null() {
            return Ok(Vec::new());
        }
        return Err(
            InputError::new(file, "must be a mapping of key names to values")
                .resource(resource)
                .key(section),
        );
    };
    mapping
        .iter()
        .map(|(key, value)| match key {
            Value::String(key) => Ok((key.clone(), value)),
            other => {
                let written = serde_yaml::to_string(other).unwrap_or_default();
                Err(InputError::new(
                    file,
                    format!(
                        "every key name must be text, and `{}` is not: quote it",
                        written.trim_end()
                    ),
                )
                .resource(resource)
                .key(section))
            }
        })
        .collect()
}
