//! Reading every YAML document under a directory: recursively, `.yaml`/`.yml`, multi-document
//! files split on `---`, empty documents skipped.

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
    collect_yaml_files(dir, &mut files)?;
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        documents.extend(read_file(&file)?);
    }
    Ok(documents)
}

fn collect_yaml_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
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
            collect_yaml_files(&path, files)?;
        } else if is_yaml(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(file: &Path) -> Result<Vec<Document>, InputError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError::new(file, format!("cannot read the file as UTF-8 text: {e}")))?;
    let mut documents = Vec::new();
    for (index, deserializer) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let value = Value::deserialize(deserializer).map_err(|e| invalid_yaml(file, index, &e))?;
        if !value.is_null() {
            documents.push(Document {
                file: file.to_path_buf(),
                value,
            });
        }
    }
    Ok(documents)
}

fn invalid_yaml(file: &Path, index: usize, error: &serde_yaml::Error) -> InputError {
    let at = match error.location() {
        Some(location) => format!("at line {} column {}", location.line(), location.column()),
        None => format!("in document {}", index + 1),
    };
    InputError::new(
        file,
        format!("not valid YAML {at}: {error}; fix the indentation or quoting there"),
    )
}
