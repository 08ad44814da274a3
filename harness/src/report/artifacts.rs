//! Writing a run's artifacts.

use std::path::{Path, PathBuf};

use super::mrkdwn::escape_html;
use super::review::{review_html, ReviewRun};
use super::summary::Summary;
use crate::backend::RunningStack;
use crate::error::{Error, Result};
use crate::plan::format_changes;
use crate::secret::{redact_secret_keys, redact_secrets, SecretString};
use crate::spec::FileContent;

/// Claims a directory of its own for one run under `parent`: `parent/<stamp>`, or
/// `parent/<stamp>-2`, `-3`, ... when another run (in this process or another) took that name
/// first, as two runs started in the same millisecond would. Created here, atomically, so no
/// two runs ever share one.
pub fn claim_run_dir(parent: &Path, stamp: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    for n in 1..=10_000u32 {
        let name = if n == 1 {
            stamp.to_string()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
        }
    }
    Err(Error::io(
        format!("creating a run directory under {}", parent.display()),
        std::io::Error::other("10000 runs already have this time stamp"),
    ))
}

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

    let messages = stack.slack().messages().await;
    for message in &messages {
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
    let changes = format_changes(&stack.plan().changes);
    write(&dir.join("changes.txt"), &changes)?;
    let json = serde_json::to_string_pretty(summary).expect("a summary always serializes");
    write(&dir.join("summary.json"), &json)?;

    // Every text is redacted before it is escaped; the page is redacted again as written,
    // of the secrets and of their HTML-escaped forms.
    let redact = |text: &str| redact_secrets(text, &secret_refs);
    let html = review_html(
        &ReviewRun::from_summary(summary, &changes),
        &messages,
        &redact,
    );
    let escaped: Vec<SecretString> = secrets
        .iter()
        .map(|s| SecretString::new(escape_html(s.expose())))
        .collect();
    let escaped_refs: Vec<&SecretString> = escaped.iter().collect();
    write(&review_path(dir), &redact_secrets(&html, &escaped_refs))?;
    Ok(())
}

/// Where `write_artifacts` puts the review page: `DIR/review.html`.
pub fn review_path(dir: &Path) -> std::path::PathBuf {
    dir.join("review.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_started_in_the_same_millisecond_get_directories_of_their_own() {
        let parent = tempfile::tempdir().unwrap();
        let stamp = "2026-12-06T02-19-20.161Z";
        let claimed: Vec<PathBuf> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| claim_run_dir(parent.path(), stamp).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut names: Vec<String> = claimed
            .iter()
            .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 8, "{names:?}");
        assert!(names.contains(&stamp.to_string()), "{names:?}");
        assert!(claimed.iter().all(|d| d.is_dir()));
    }
}
