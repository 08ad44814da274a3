//! Writing a run's artifacts.

use std::path::Path;

use super::redact_yaml::redact_secret_keys;
use super::summary::Summary;
use crate::backend::RunningStack;
use crate::error::{Error, Result};
use crate::plan::format_changes;
use crate::spec::FileContent;

/// Writes every artifact of the run under `dir` (created if needed).
pub async fn write_artifacts(dir: &Path, stack: &RunningStack, summary: &Summary) -> Result<()> {
    let spec = &stack.plan().spec;
    let write = |path: &Path, text: &str| -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::write(path, spec.redact(text))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;

    stack
        .slack()
        .write_artifacts(&dir.join("slack"))
        .await
        .map_err(|e| Error::io("writing the recorded Slack payloads", e))?;
    for (component, text) in stack.logs().await {
        write(&dir.join("logs").join(format!("{component}.log")), &text)?;
    }
    for component in &stack.plan().components {
        for file in &component.files {
            let text = match &file.content {
                FileContent::Plain(text) => text.clone(),
                FileContent::Secret(secret) => redact_secret_keys(secret.expose()),
            };
            let relative = file.path.trim_start_matches('/');
            write(
                &dir.join("config").join(&component.spec.name).join(relative),
                &text,
            )?;
        }
        write(
            &dir.join("config")
                .join(&component.spec.name)
                .join("args.txt"),
            &(component.args.join("\n") + "\n"),
        )?;
    }
    write(
        &dir.join("changes.txt"),
        &format_changes(&stack.plan().changes),
    )?;
    let json = serde_json::to_string_pretty(summary).expect("a summary always serializes");
    write(&dir.join("summary.json"), &json)?;
    Ok(())
}
