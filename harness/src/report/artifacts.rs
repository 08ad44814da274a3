//! Writing a run's artifacts.

use std::path::Path;

use super::redact_yaml::redact_secret_keys;
use super::summary::Summary;
use crate::backend::RunningStack;
use crate::error::{Error, Result};
use crate::plan::format_changes;
use crate::secret::SecretString;
use crate::slack::redact_secrets;
use crate::spec::FileContent;

/// Writes every artifact of the run under `dir` (created if needed). Every file, the recorded
/// Slack payloads included, passes through the redaction of the manifests' secrets.
pub async fn write_artifacts(dir: &Path, stack: &RunningStack, summary: &Summary) -> Result<()> {
    let secrets = stack.plan().spec.secrets();
    let secret_refs: Vec<&SecretString> = secrets.iter().collect();
    let write = |path: &Path, text: &str| -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::write(path, redact_secrets(text, &secret_refs))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;

    for message in stack.slack().messages().await {
        let json =
            serde_json::to_string_pretty(&message.to_json()).expect("a payload always serializes");
        write(
            &dir.join("slack").join(format!("{:04}.json", message.seq)),
            &(json + "\n"),
        )?;
    }
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
