//! Reading every YAML document under a directory: recursively, `.yaml`/`.yml`, multi-document
//! files split on `---`, empty documents skipped. What is not a manifest is refused naming
//! the file, before it costs time or memory: a file over [`MAX_FILE_BYTES`], a YAML bomb
//! (`super::yaml_size`), a device or pipe named `.yaml`, a symbolic link loop.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use crate::error::InputError;
use crate::spec::manifests::Document;

/// Every document of every `.yaml`/`.yml` file under `dir`, in path order.
pub(crate) fn read_documents(dir: &Path) -> Result<Vec<Document>, InputError> {
    if !dir.is_dir() {
        return Err(InputError::new(
            dir,
            "the manifests directory does not exist or is not a directory; pass the directory holding the Kubernetes YAML",
        ));
    }
    let mut files = Vec::new();
    collect_yaml_files(dir, &mut Vec::new(), &mut files)?;
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        documents.extend(read_file(&file)?);
    }
    Ok(documents)
}

/// The largest manifest file read: Kubernetes keeps no object over 1.5 MiB, and no stack's
/// manifests come near this in one file.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The `.yaml`/`.yml` files under `dir`, following symbolic links; `within` holds the
/// directories (resolved) that `dir` is inside of, so that a link back to one is refused.
fn collect_yaml_files(
    dir: &Path,
    within: &mut Vec<PathBuf>,
    files: &mut Vec<PathBuf>,
) -> Result<(), InputError> {
    let resolved = std::fs::canonicalize(dir)
        .map_err(|e| InputError::new(dir, format!("cannot resolve the directory: {e}")))?;
    if let Some(outer) = within.iter().find(|outer| **outer == resolved) {
        return Err(InputError::new(
            dir,
            format!(
                "a symbolic link loop: this leads back to {}, which holds it; remove the link \
                 or point it at a directory outside the manifests",
                outer.display()
            ),
        ));
    }
    within.push(resolved);
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir, format!("cannot list the directory: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| InputError::new(dir, format!("cannot list the directory: {e}")))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_yaml_files(&path, within, files)?;
        } else if is_yaml(&path) {
            files.push(path);
        }
    }
    within.pop();
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The file's text: a regular file (or a link to one) of at most [`MAX_FILE_BYTES`], UTF-8.
fn read_text(file: &Path) -> Result<String, InputError> {
    let cannot_read = |e: std::io::Error| {
        InputError::new(
            file,
            format!(
                "cannot read the file: {e}; if it is a symbolic link, it leads nowhere or round \
                 in a circle: fix the link or remove it"
            ),
        )
    };
    let metadata = std::fs::metadata(file).map_err(cannot_read)?;
    if !metadata.is_file() {
        return Err(InputError::new(
            file,
            "not a regular file (a device, a pipe or a socket) although its name ends in \
             .yaml or .yml; remove it from the manifests directory",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::new(
            file,
            format!(
                "the file is larger than {} MiB, which no stack's manifests come near \
                 (Kubernetes keeps no object over 1.5 MiB); is it generated data or a log? \
                 move it out of the manifests directory, or split it",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            file,
            format!(
                "not UTF-8 text ({e}): a binary file, or text saved in another encoding; \
                 save it as UTF-8, or move it out of the manifests directory"
            ),
        )
    })
}

fn read_file(file: &Path) -> Result<Vec<Document>, InputError> {
    let text = read_text(file)?;
    super::yaml_size::check_expanded_size(&text).map_err(|why| InputError::new(file, why))?;
    let mut documents = Vec::new();
    for (index, deserializer) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let value = Value::deserialize(deserializer).map_err(|e| invalid_yaml(file, index, &e))?;
        if let Some(odd) = super::yaml_node::odd_key(&value) {
            let mut error = InputError::new(file, odd.message());
            error.resource = resource_of(&value);
            error.key = Some(odd.path).filter(|path| !path.is_empty());
            return Err(error);
        }
        if !value.is_null() {
            documents.push(Document {
                file: file.to_path_buf(),
                value,
            });
        }
    }
    Ok(documents)
}

/// `Kind/name` of a document, when it says both.
fn resource_of(value: &Value) -> Option<String> {
    let kind = value.get("kind")?.as_str()?;
    let name = value.get("metadata")?.get("name")?.as_str()?;
    Some(format!("{kind}/{name}"))
}

fn invalid_yaml(file: &Path, index: usize, error: &serde_yaml::Error) -> InputError {
    let at = match error.location() {
        Some(location) => format!("at line {} column {}", location.line(), location.column()),
        None => format!("in document {}", index + 1),
    };
    let advice = super::yaml_node::advice(error);
    InputError::new(file, format!("not valid YAML {at}: {error}; {advice}"))
}
