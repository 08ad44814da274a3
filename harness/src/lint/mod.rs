//! Everything that can be known before anything starts, reported before anything starts:
//! `firedrill lint`, and the first stage of `firedrill verify`.
//!
//! Each rule is one file and yields typed [`Finding`]s naming the file, the resource and the
//! key, with a one-line message saying the cause and what to do:
//!
//! 1. `services`: a Service's selector matches a pod template, its target ports are ports
//!    those pods declare;
//! 2. `targets`: static scrape and Alertmanager targets that name a cluster Service name
//!    an existing one, at one of its ports;
//! 3. `validity`: `promtool` and `amtool` accept the configs, rules and templates;
//! 4. `templates`: Slack templates read only annotations the alerts routed to them have,
//!    and only group labels their routes group by;
//! 5. `rule_files`: every `rule_files` glob matches a mounted file (an error when no alerting
//!    rule loads at all).
//!
//! Where firedrill must predict what Prometheus or Alertmanager does, it asks their own tools.

mod pods;
mod routing;
mod rule_files;
mod services;
mod targets;
mod template_refs;
mod templates;
mod time_model;
mod tools;
mod validity;
mod workspace;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use crate::error::{Finding, Severity};
use crate::load::{read_manifests_given, spec_of};
use crate::spec::StackSpec;

/// Loads and lints the manifests under `dir`. Manifests the loader rejects give its error as
/// a finding (after the Service findings, which need no loaded stack).
pub fn lint_dir(dir: &Path) -> Vec<Finding> {
    lint_dir_given(dir, &[])
}

/// [`lint_dir`], with Secrets the manifests reference but do not hold given from files.
pub fn lint_dir_given(dir: &Path, given: &[crate::load::GivenSecret]) -> Vec<Finding> {
    let manifests = match read_manifests_given(dir, given) {
        Ok(manifests) => manifests,
        Err(e) => return vec![e.into()],
    };
    match spec_of(dir, Arc::clone(&manifests)) {
        Ok(spec) => lint(&spec),
        Err(e) => {
            let mut findings = services::check(&manifests.inventory);
            // The loader's complaint, unless a Service finding already says it better.
            let loader: Finding = e.into();
            if !findings
                .iter()
                .any(|f| f.resource == loader.resource && f.key == loader.key)
            {
                findings.push(loader);
            }
            findings
        }
    }
}

/// Lints a stack the loader accepted (what `verify` does right after loading), with the
/// manifests the loader read for it.
pub fn lint(spec: &StackSpec) -> Vec<Finding> {
    let inventory = &spec.manifests.inventory;
    let mut findings = services::check(inventory);
    findings.extend(targets::check(spec, inventory));
    findings.extend(time_model::check(spec));
    findings.extend(rule_files::check(spec));
    match workspace::Workspace::write(spec) {
        Ok(workspace) => {
            findings.extend(validity::check(spec, &workspace));
            findings.extend(templates::check(spec, Some(&workspace)));
        }
        Err(e) => {
            findings.push(Finding {
                severity: Severity::Warning,
                file: spec.dir.clone(),
                resource: None,
                key: None,
                message: format!(
                    "the configs were not checked by promtool and amtool: cannot write them to a temp dir ({e}); \
                     check TMPDIR"
                ),
            });
            findings.extend(templates::check(spec, None));
        }
    }
    findings
}
