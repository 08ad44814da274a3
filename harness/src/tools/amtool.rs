//! amtool as the renderer of the expected Slack messages (`amtool template render`,
//! Alertmanager ≥ 0.25): made sure of before anything starts, found when rendering, and the
//! default templates a packaged amtool keeps beside it. The rendering itself is the checks'.

use std::path::{Path, PathBuf};

use super::{Lookup, Tool};
use crate::error::{Error, Result};

/// Makes sure the renderer's tool, `amtool` ≥ 0.25, is there before anything starts:
/// `FIREDRILL_AMTOOL_BIN`, else an installed one that renders, else Alertmanager's release
/// of a fixed version downloaded (once, into the cache, where every later lookup finds it);
/// else why not and how to get one (exit 2).
pub async fn provide_renderer() -> Result<()> {
    let tool = Tool::Amtool;
    match tool.provide(Lookup::from_env(tool)).await {
        Ok(_) => Ok(()),
        Err(Error::Start {
            component,
            reason,
            hint,
        }) => Err(Error::Start {
            component,
            reason: format!(
                "the delivered and resolved checks render the expected Slack messages with \
                 amtool >= 0.25 on the harness's machine: {reason}"
            ),
            hint,
        }),
        Err(other) => Err(other),
    }
}

/// Alertmanager's `amtool` that renders templates, found as `firedrill lint` finds it
/// (`verify` has downloaded it first where none is installed: [`provide_renderer`]).
pub(crate) fn find_renderer() -> std::result::Result<PathBuf, String> {
    let tool = Tool::Amtool;
    let found = tool.find().map_err(|why| {
        format!(
            "{why}: amtool (Alertmanager >= 0.25) renders the expected Slack message with \
             Alertmanager's own templates; {} (`firedrill verify` downloads one otherwise)",
            tool.install_hint()
        )
    })?;
    if !tool.is_usable(&found) {
        return Err(format!(
            "{} has no `template render` command (it came with Alertmanager 0.25): install a \
             newer one or point {} at one",
            found.display(),
            tool.env_name()
        ));
    }
    Ok(found)
}

/// Debian's amtool reads Alertmanager's default templates from a file instead of holding
/// them; where that file sits beside it, it is loaded first.
pub(crate) fn default_templates(amtool: &Path) -> Option<String> {
    let real = std::fs::canonicalize(amtool).ok()?;
    let file = real
        .parent()?
        .parent()?
        .join("share/prometheus/alertmanager/default.tmpl");
    file.is_file().then(|| file.display().to_string())
}
