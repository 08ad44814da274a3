//! The effective files written to a private temp dir, for the components' own tools: the
//! plan's files (time scale 1, so durations stay as written) at `<dir>/<component>/<path>`,
//! with the file references the plan translates (rule files, templates) pointing there.

use std::path::{Path, PathBuf};

use crate::plan::{plan, Placement, PlanOptions, StackPlan};
use crate::spec::{ComponentSpec, StackSpec};

/// The Slack mock's port in the effective config: nothing listens, nothing is sent.
const NO_SLACK_PORT: u16 = 9;

/// The written files; removed on drop.
pub(crate) struct Workspace {
    dir: tempfile::TempDir,
    /// The plan whose files were written.
    pub plan: StackPlan,
}

struct LintPlacement<'a> {
    dir: &'a Path,
}

impl Placement for LintPlacement<'_> {
    fn peer_address(&self, _from: &ComponentSpec, _to: &ComponentSpec, port: u16) -> String {
        format!("127.0.0.1:{port}")
    }

    fn harness_host(&self, _from: &ComponentSpec) -> String {
        "127.0.0.1".to_string()
    }

    fn file_path(&self, component: &ComponentSpec, path: &str) -> String {
        root(self.dir, &component.name)
            .join(path.trim_start_matches('/'))
            .to_string_lossy()
            .into_owned()
    }
}

fn root(dir: &Path, component: &str) -> PathBuf {
    dir.join(component)
}

impl Workspace {
    /// Plans `spec` and writes every component's effective files.
    pub fn write(spec: &StackSpec) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("firedrill-lint-")
            .tempdir()?;
        let placement = LintPlacement { dir: dir.path() };
        let plan = plan(
            spec,
            &placement,
            NO_SLACK_PORT,
            PlanOptions { time_scale: 1.0 },
        );
        for component in &plan.components {
            for file in &component.files {
                let path = PathBuf::from(placement.file_path(&component.spec, &file.path));
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, file.content.expose())?;
            }
        }
        Ok(Self { dir, plan })
    }

    /// Where a component's in-container file was written.
    pub fn path_of(&self, component: &ComponentSpec, path: &str) -> PathBuf {
        root(self.dir.path(), &component.name).join(path.trim_start_matches('/'))
    }

    /// A tool's output with the temp paths turned back into in-container paths.
    pub fn in_container_terms(&self, text: &str) -> String {
        let mut text = text.to_string();
        for component in &self.plan.components {
            let root = root(self.dir.path(), &component.spec.name);
            text = text.replace(&*root.to_string_lossy(), "");
        }
        text
    }
}
