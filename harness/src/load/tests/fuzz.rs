//! Bad input never panics: the loader fed any bytes, text shaped like YAML (anchors, aliases,
//! several documents, duplicate keys), and the seed and its variants with values replaced,
//! removed or renamed anywhere, also inside the configs their ConfigMaps and Secrets hold
//! (`PROPTEST_CASES` cases each). Every refusal is bad input naming a file of the directory;
//! a stack that loads is planned too.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use proptest::prelude::*;
use proptest::sample::Index;
use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use super::{fixture_dir, seed_dir};
use crate::error::InputError;
use crate::plan::tests::NamedPlacement;
use crate::plan::{plan, PlanOptions};
use crate::spec::StackSpec;

/// Writes `files` (path under the directory, bytes) into a fresh directory and loads it: a
/// stack, which is then planned, or bad input naming a file of the directory.
#[track_caller]
fn load_files(files: &[(PathBuf, Vec<u8>)]) -> Result<StackSpec, InputError> {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(&path, bytes).expect("writing a manifest");
    }
    let loaded = super::super::load_dir(dir.path());
    match &loaded {
        Ok(spec) => {
            for time_scale in [1.0, 30.0] {
                plan(spec, &NamedPlacement, 4567, PlanOptions { time_scale });
            }
        }
        Err(e) => assert_bad_input(e, dir.path()),
    }
    loaded
}

/// `e` reads as bad input about a file under `dir` (or `dir` itself), in lowercase.
#[track_caller]
fn assert_bad_input(e: &InputError, dir: &Path) {
    let text = e.to_string();
    assert!(
        e.file.starts_with(dir) && text.starts_with("bad input in "),
        "not about a file of {}: {text}",
        dir.display()
    );
    let first = e.message.chars().next();
    assert!(
        first.is_some_and(|c| !c.is_uppercase()),
        "an empty or capitalised message: {text}"
    );
}

// --- text that is not a manifest -----------------------------------------------------------

/// Text made of YAML's own syntax and Kubernetes' keys: anchors and aliases, flow and block
/// collections, several documents, tags, quotes, numbers, repeated keys.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => proptest::sample::select(&SYNTAX[..]).prop_map(str::to_string),
        3 => proptest::sample::select(&KEYS[..]).prop_map(|key| format!("{key}: ")),
        2 => proptest::sample::select(&WORDS[..]).prop_map(str::to_string),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| n.to_string()),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

/// YAML's own syntax: line breaks and indentation, anchors and aliases, flow collections,
/// documents, tags, quotes, block scalars, complex keys.
const SYNTAX: [&str; 22] = [
    "\n",
    "\n  ",
    "\n    - ",
    "\n---\n",
    ": ",
    "- ",
    "&a ",
    "*a",
    "&b [*a, *a, *a] ",
    "<<: *a",
    "!!binary ",
    "!Tag ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\"",
    "'",
    "|\n  ",
    "? ",
    "# c",
];

/// Kubernetes' keys.
const KEYS: [&str; 29] = [
    "kind",
    "apiVersion",
    "metadata",
    "name",
    "namespace",
    "spec",
    "template",
    "containers",
    "image",
    "ports",
    "containerPort",
    "targetPort",
    "port",
    "volumes",
    "volumeMounts",
    "mountPath",
    "configMap",
    "secret",
    "data",
    "stringData",
    "items",
    "key",
    "path",
    "env",
    "valueFrom",
    "secretKeyRef",
    "selector",
    "labels",
    "args",
];

proptest! {
    #[test]
    fn any_bytes_in_a_manifest_file_are_refused_naming_a_file(
        bytes in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        prop_assert!(load_files(&[(PathBuf::from("x.yaml"), bytes)]).is_err());
    }

    #[test]
    fn any_text_in_a_manifest_file_is_refused_naming_a_file(text in "\\PC{0,300}") {
        prop_assert!(load_files(&[(PathBuf::from("x.yaml"), text.into_bytes())]).is_err());
    }

    #[test]
    fn text_shaped_like_yaml_is_refused_naming_a_file(
        first in yamlish(),
        second in yamlish()
    ) {
        let files = [
            (PathBuf::from("a.yaml"), first.into_bytes()),
            (PathBuf::from("sub/b.yml"), second.into_bytes()),
        ];
        prop_assert!(load_files(&files).is_err());
    }
}

// --- the seed and its variants, mutated ----------------------------------------------------

/// A stack that loads: its files, each `.yaml`/`.yml` one as its documents.
struct Stack {
    files: Vec<(PathBuf, Vec<Value>)>,
}

/// The seed and the variants that load, read once.
fn stacks() -> &'static [Stack] {
    static STACKS: OnceLock<Vec<Stack>> = OnceLock::new();
    STACKS.get_or_init(|| {
        let mut dirs = vec![seed_dir()];
        for name in [
            "renamed",
            "projected",
            "kubernetes-discovery",
            "template-files",
        ] {
            dirs.push(fixture_dir(name));
        }
        dirs.iter().map(|dir| read_stack(dir)).collect()
    })
}

fn read_stack(dir: &Path) -> Stack {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("a fixture folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                let text = std::fs::read_to_string(&path).expect("a fixture");
                let documents = serde_yaml::Deserializer::from_str(&text)
                    .map(|d| Value::deserialize(d).expect("fixture YAML"))
                    .collect();
                let relative = path.strip_prefix(dir).expect("under the fixture");
                files.push((relative.to_path_buf(), documents));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Stack { files }
}

/// A step from a value to one inside it.
#[derive(Debug, Clone)]
enum Step {
    Key(Value),
    Index(usize),
}

/// Every path inside `value`, parents before children (the empty path is the value).
fn paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(at.clone());
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                at.push(Step::Key(key.clone()));
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.as_mapping_mut()?.get_mut(key),
        Step::Index(i) => value.as_sequence_mut()?.get_mut(*i),
    })
}

/// What a mutation does at the place it picks.
#[derive(Debug, Clone)]
enum Change {
    /// The value there becomes this one.
    Replace(Value),
    /// The key or item is removed.
    Remove,
    /// The key is renamed (an item is left alone).
    Rename(Value),
    /// The document is written twice.
    Duplicate,
}

/// Names, addresses and durations the manifests use.
const WORDS: [&str; 34] = [
    "prometheus",
    "alertmanager",
    "grafana",
    "echo",
    "http",
    "web",
    "metrics",
    "9090",
    "9093",
    "8081",
    "1m",
    "0s",
    "-1s",
    "1x",
    "/etc/prometheus",
    "/etc/prometheus/prometheus.yaml",
    "prometheus-config",
    "alertmanager-secret",
    "grafana-secret",
    "echo-service",
    "echo-service:80",
    "localhost:9093",
    "slack-notifications",
    "prom/prometheus:v2.27.1",
    "prom/alertmanager:v0.22.2",
    "up == 0",
    "{{ .Labels.x }}",
    "http://x",
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "List",
    "",
];

/// Values of every kind, and the names and numbers the manifests use.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (0i64..70000).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        proptest::sample::select(&WORDS[..]).prop_map(|word| Value::from(word.to_string())),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            proptest::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(|pairs| {
                Value::Mapping(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (Value::from(k), v))
                        .collect::<Mapping>(),
                )
            }),
        ]
    })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        6 => any_value().prop_map(Change::Replace),
        2 => Just(Change::Remove),
        1 => prop_oneof![
            "(kind|name|metadata|spec|data|image|ports|port|targetPort|containerPort|key|\
             mountPath|volumes|configMap|secret|args|route|receiver|receivers|rule_files|\
             groups|rules|for|expr|alert|scrape_configs|static_configs|targets|alerting)"
                .prop_map(Value::from),
            any_value(),
        ]
        .prop_map(Change::Rename),
        1 => Just(Change::Duplicate),
    ]
}

/// One mutation: a file, a document in it, maybe a config inside it, and a place.
#[derive(Debug, Clone)]
struct Mutation {
    file: Index,
    document: Index,
    /// Inside a config a ConfigMap or Secret holds, when one is picked.
    inner: Option<Index>,
    place: Index,
    change: Change,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<Index>(),
        any::<Index>(),
        proptest::option::weighted(0.5, any::<Index>()),
        any::<Index>(),
        change(),
    )
        .prop_map(|(file, document, inner, place, change)| Mutation {
            file,
            document,
            inner,
            place,
            change,
        })
}

/// Applies `change` at the place `place` picks in `value`.
fn apply(value: &mut Value, place: &Index, change: &Change) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let path = place.get(&all).clone();
    let Some((last, parent_path)) = path.split_last() else {
        if let Change::Replace(new) = change {
            *value = new.clone();
        }
        return;
    };
    if let Change::Replace(new) = change {
        if let Some(target) = get_mut(value, &path) {
            *target = new.clone();
        }
        return;
    }
    let Some(parent) = get_mut(value, parent_path) else {
        return;
    };
    match (parent, last, change) {
        (Value::Mapping(map), Step::Key(key), Change::Remove) => {
            map.remove(key);
        }
        (Value::Sequence(items), Step::Index(i), Change::Remove) => {
            items.remove(*i);
        }
        (Value::Mapping(map), Step::Key(key), Change::Rename(new)) => {
            if let Some(old) = map.remove(key) {
                map.insert(new.clone(), old);
            }
        }
        (Value::Sequence(items), Step::Index(i), Change::Duplicate) => {
            let copy = items[*i].clone();
            items.push(copy);
        }
        _ => {}
    }
}

/// The configs a document holds as text (a ConfigMap's `data`, a Secret's `data` in base64
/// or `stringData`), by key.
fn inner_keys(document: &Value) -> Vec<(&'static str, Value)> {
    let mut keys = Vec::new();
    for field in ["data", "stringData"] {
        if let Some(map) = document.get(field).and_then(Value::as_mapping) {
            keys.extend(map.keys().map(|k| (field, k.clone())));
        }
    }
    keys
}

/// Applies `change` inside the config at `key` of `document`, written back as it was held.
fn apply_inside(document: &mut Value, field: &str, key: &Value, place: &Index, change: &Change) {
    let secret = field == "data" && document.get("kind").and_then(Value::as_str) == Some("Secret");
    let Some(slot) = document
        .get_mut(field)
        .and_then(Value::as_mapping_mut)
        .and_then(|m| m.get_mut(key))
    else {
        return;
    };
    let Some(held) = slot.as_str() else { return };
    let text = if secret {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(held) else {
            return;
        };
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        held.to_string()
    };
    let Ok(mut config) = serde_yaml::from_str::<Value>(&text) else {
        return;
    };
    apply(&mut config, place, change);
    let written = written(&config);
    *slot = Value::from(if secret {
        base64::engine::general_purpose::STANDARD.encode(written)
    } else {
        written
    });
}

/// `value` as YAML: as serde_yaml writes it, or in flow style where it cannot (a mapping as
/// a mapping's key, which serde_yaml reads but does not write).
fn written(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|_| format!("{}\n", flow(value)))
}

fn flow(value: &Value) -> String {
    match value {
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        Value::Tagged(tagged) => format!("{} {}", tagged.tag, flow(&tagged.value)),
        scalar => serde_yaml::to_string(scalar)
            .expect("a scalar writes")
            .trim_end()
            .to_string(),
    }
}

/// The stack's files with the mutations applied, written as YAML.
fn mutated(stack: &Stack, mutations: &[Mutation]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = stack.files.clone();
    for m in mutations {
        let (_, documents) = m.file.get_mut(&mut files);
        if documents.is_empty() {
            continue;
        }
        let at = m.document.index(documents.len());
        if matches!(m.change, Change::Duplicate) && m.inner.is_none() {
            let copy = documents[at].clone();
            documents.push(copy);
            continue;
        }
        let document = &mut documents[at];
        let inner = inner_keys(document);
        match m.inner.as_ref().filter(|_| !inner.is_empty()) {
            Some(pick) => {
                let (field, key) = pick.get(&inner);
                apply_inside(document, field, key, &m.place, &m.change);
            }
            None => apply(document, &m.place, &m.change),
        }
    }
    files
        .into_iter()
        .map(|(path, documents)| {
            let text = documents
                .iter()
                .map(written)
                .collect::<Vec<_>>()
                .join("---\n");
            (path, text.into_bytes())
        })
        .collect()
}

proptest! {
    #[test]
    fn a_stack_changed_anywhere_loads_and_plans_or_is_refused_naming_a_file(
        stack in any::<Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4)
    ) {
        let stack = stack.get(stacks());
        let _ = load_files(&mutated(stack, &mutations));
    }
}

#[test]
fn every_stack_the_mutations_start_from_loads_as_it_is() {
    for stack in stacks() {
        let files = mutated(stack, &[]);
        if let Err(e) = load_files(&files) {
            panic!("{e}");
        }
    }
}
