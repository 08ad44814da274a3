//! What firedrill checks beyond promtool, for one test file: a file of its own beside it
//! (`errors_test.yaml` → `errors_test.firedrill.yaml`), since promtool refuses any key it
//! does not know, so the test file stays what promtool reads.
//!
//! ```yaml
//! tests:
//!   - test: 10% of requests fail, the warning fires   # a test's name, or its index
//!     notifications:
//!       - alertname: EchoHighErrorRatio
//!         receiver: slack-warning                      # must be among the receivers notified
//!         channel: '#alerts-warning'                   # must be among the channels posted to
//!     no_other_notifications: true                     # no other alert reaches a receiver
//! ```

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::yaml::Node;
use super::TestFile;
use crate::error::suggest::did_you_mean;
use crate::error::InputError;

const FILE_KEYS: [&str; 1] = ["tests"];
const TEST_KEYS: [&str; 3] = ["test", "notifications", "no_other_notifications"];
const NOTIFICATION_KEYS: [&str; 3] = ["alertname", "receiver", "channel"];

/// A test's notifications as firedrill expects them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TestExpectations {
    /// Where each alert's notifications must go.
    pub(crate) notifications: Vec<NotificationExpectation>,
    /// Whether every alert that reaches a receiver must be one the test expects firing.
    pub(crate) no_other_notifications: bool,
}

/// Where one alert's notifications must go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotificationExpectation {
    /// The alert.
    pub(crate) alertname: String,
    /// A receiver that must notify it.
    pub(crate) receiver: Option<String>,
    /// A Slack channel it must be posted to.
    pub(crate) channel: Option<String>,
}

/// The file of firedrill's expectations beside a test file.
fn expectations_path(test_file: &Path) -> PathBuf {
    let stem = test_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    test_file.with_file_name(format!("{stem}.firedrill.yaml"))
}

/// firedrill's expectations for each test of `file` (by index), read from the file beside
/// it; every test expects nothing more when there is none.
pub(crate) fn read_expectations(file: &TestFile) -> Result<Vec<TestExpectations>, InputError> {
    let path = expectations_path(&file.path);
    let mut all = vec![TestExpectations::default(); file.tests.len()];
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(all),
        Err(e) => return Err(InputError::new(&path, format!("cannot read it: {e}"))),
    };
    for (index, expectations) in parse_expectations(&path, &text, file)? {
        all[index] = expectations;
    }
    Ok(all)
}

/// Parses the expectations' text for the tests of `file`: each with its test's index.
pub(crate) fn parse_expectations(
    path: &Path,
    text: &str,
    file: &TestFile,
) -> Result<Vec<(usize, TestExpectations)>, InputError> {
    crate::load::yaml_size::check_expanded_size(text).map_err(|why| InputError::new(path, why))?;
    let value: Value = serde_yaml::from_str(text)
        .map_err(|e| InputError::new(path, format!("not valid YAML: {e}")))?;
    let reader = "firedrill reads its expectations strictly";
    let root = Node::root_read_by(&value, path, reader).mapping(&FILE_KEYS)?;
    let mut out: Vec<(usize, TestExpectations)> = Vec::new();
    for node in root.items_of("tests")? {
        let node = node.mapping(&TEST_KEYS)?;
        let index = which_test(&node, file)?;
        if out.iter().any(|(i, _)| *i == index) {
            return Err(node
                .get("test")
                .unwrap_or(node.clone())
                .error("names a test named before; give each test one entry"));
        }
        let test = &file.tests[index];
        let firing: Vec<&str> = test
            .alert_rule_test
            .iter()
            .filter(|case| !case.exp_alerts.is_empty())
            .map(|case| case.alertname.as_str())
            .collect();
        let mut notifications = Vec::new();
        for item in node.items_of("notifications")? {
            let item = item.mapping(&NOTIFICATION_KEYS)?;
            let (alertname, at) =
                item.required_text("alertname", "name an alert the test expects firing")?;
            if !firing.contains(&alertname.as_str()) {
                return Err(at.error(format!(
                    "{alertname} is never expected firing in test `{}`{}, so it sends no \
                     notification to check; the alerts it expects firing: {}",
                    test.display_name(),
                    did_you_mean(&alertname, firing.iter().copied()),
                    if firing.is_empty() {
                        "none".to_string()
                    } else {
                        firing.join(", ")
                    }
                )));
            }
            let receiver = item.text_of("receiver")?;
            let channel = item.text_of("channel")?;
            if receiver.is_none() && channel.is_none() {
                return Err(item.error(
                    "says neither where nor how it is notified; give a receiver, a channel or both",
                ));
            }
            notifications.push(NotificationExpectation {
                alertname,
                receiver,
                channel,
            });
        }
        out.push((
            index,
            TestExpectations {
                notifications,
                no_other_notifications: node.flag_of("no_other_notifications")?,
            },
        ));
    }
    Ok(out)
}

/// The test an entry's `test` names: a test's name, or its index in the file's `tests`.
fn which_test(node: &Node<'_>, file: &TestFile) -> Result<usize, InputError> {
    let names: Vec<String> = file.tests.iter().map(|t| t.display_name()).collect();
    let Some(at) = node.get("test") else {
        return Err(node.missing("test", "name the test (its name, or its index from 0)"));
    };
    if let Value::Number(number) = at.value() {
        return number
            .as_u64()
            .map(|n| n as usize)
            .filter(|n| *n < file.tests.len())
            .ok_or_else(|| {
                at.error(format!(
                    "is not the index of one of the {} tests of {}",
                    file.tests.len(),
                    file.path.display()
                ))
            });
    }
    let name = at.text()?;
    names.iter().position(|n| *n == name).ok_or_else(|| {
        at.error(format!(
            "no test of {} is named `{name}`{}",
            file.path.display(),
            did_you_mean(&name, names.iter().map(String::as_str))
        ))
    })
}
