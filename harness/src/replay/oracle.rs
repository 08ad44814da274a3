//! promtool, the oracle of rule semantics: `promtool test rules` on the test file as written,
//! with the manifests' rules (as deployed, in production time) under the names the file gives.
//! A file that fails is rerun one test at a time, so that each test has its own verdict.

use std::path::Path;

use serde_yaml::Value;

use crate::error::{Error, InputError, Result};
use crate::replay::spec::MatchedRules;
use crate::ruletest::TestFile;
use crate::tools::Tool;

/// What promtool says of one test.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PromtoolVerdict {
    /// Whether promtool passed it.
    pub passed: bool,
    /// What promtool printed (for a failure, what it expected and what it got).
    pub output: String,
}

/// promtool's verdict on every test of `file`, in order.
pub(crate) async fn promtool_verdicts(
    file: &TestFile,
    matched: &MatchedRules,
) -> Result<Vec<PromtoolVerdict>> {
    let promtool = Tool::Promtool.find().map_err(|hint| {
        Error::Input(InputError::new(
            &file.path,
            format!("firedrill test needs promtool, the oracle of rule semantics: {hint}"),
        ))
    })?;
    let dir = tempfile::Builder::new()
        .prefix("firedrill-promtool-")
        .tempdir()
        .map_err(|source| Error::Io {
            context: "creating a directory for promtool".to_string(),
            source,
        })?;
    for (name, rule_file) in &matched.files {
        if Path::new(name).is_absolute() {
            return Err(Error::Input(
                InputError::new(
                    &file.path,
                    format!(
                        "`{name}` is an absolute path: name the rule file relative to the test \
                         file, as promtool reads it"
                    ),
                )
                .key("rule_files"),
            ));
        }
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| io("writing a rule file", source))?;
        }
        let text = serde_yaml::to_string(&rule_file.raw)
            .expect("a value the loader read serializes: it refuses keys that do not");
        std::fs::write(&path, text).map_err(|source| io("writing a rule file", source))?;
    }
    let text = std::fs::read_to_string(&file.path).map_err(|source| io("reading", source))?;
    let whole = dir.path().join("firedrill-test.yaml");
    std::fs::write(&whole, &text).map_err(|source| io("copying the test file", source))?;
    let (passed, output) = run(&promtool, dir.path(), &whole).await?;
    if passed {
        return Ok(file
            .tests
            .iter()
            .map(|_| PromtoolVerdict {
                passed: true,
                output: output.clone(),
            })
            .collect());
    }
    // One test at a time: the file with only that test (promtool reads each test alone
    // anyway: no state passes between tests).
    let raw: Value = serde_yaml::from_str(&text)
        .map_err(|e| Error::Input(InputError::new(&file.path, format!("not YAML: {e}"))))?;
    let mut verdicts = Vec::new();
    for test in &file.tests {
        let mut one = raw.clone();
        if let Some(tests) = one.get_mut("tests").and_then(Value::as_sequence_mut) {
            let kept = tests.get(test.index).cloned();
            tests.clear();
            tests.extend(kept);
        }
        let path = dir
            .path()
            .join(format!("firedrill-test-{}.yaml", test.index));
        std::fs::write(&path, serde_yaml::to_string(&one).expect("serializes"))
            .map_err(|source| io("writing a test file", source))?;
        let (passed, output) = run(&promtool, dir.path(), &path).await?;
        verdicts.push(PromtoolVerdict { passed, output });
    }
    Ok(verdicts)
}

async fn run(promtool: &Path, dir: &Path, file: &Path) -> Result<(bool, String)> {
    let output = tokio::process::Command::new(promtool)
        .arg("test")
        .arg("rules")
        .arg(file)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| io("running promtool", source))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let text = text.replace(&format!("{}/", dir.display()), "");
    Ok((output.status.success(), text.trim().to_string()))
}

fn io(context: &str, source: std::io::Error) -> Error {
    Error::Io {
        context: context.to_string(),
        source,
    }
}
