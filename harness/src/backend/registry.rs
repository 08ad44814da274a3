//! The backends firedrill knows: one line each in the `backends!` list (in `backend/mod.rs`),
//! which makes [`BackendKind`] (its variants, names, features, parsing and printing) and hands
//! the entry points of `backend` ([`super::start`], [`super::render`], ...) the backend a kind
//! names. A backend's name is its folder's; a backend behind a cargo feature names it, so that
//! a build without the feature still knows the name and rejects it saying what to enable.

use std::fmt;
use std::str::FromStr;

use futures::future::BoxFuture;

use super::seam::{self, Backend};
use super::{BackendKind, RunningStack, StartOptions};
use crate::error::Result;
use crate::plan::StackPlan;
use crate::spec::StackSpec;

/// Makes [`BackendKind`] from the list of backends, one line each:
/// `Variant => folder::BackendType;` for a backend that is always built, or
/// `Variant => folder::BackendType if feature "name";` for one behind a cargo feature, each
/// after the variant's doc comment (and `#[default]` for the default backend).
macro_rules! backends {
    (@feature) => { None };
    (@feature $feature:literal) => { Some($feature) };
    (@built_in) => { true };
    (@built_in $feature:literal) => { cfg!(feature = $feature) };
    ($(
        $(#[$attr:meta])*
        $kind:ident => $folder:ident :: $backend:ident $(if feature $feature:literal)?;
    )*) => {
        /// Where the stack runs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #[non_exhaustive]
        pub enum BackendKind {
            $($(#[$attr])* $kind,)*
        }

        impl BackendKind {
            /// Every backend, in the list's order.
            const ALL: &'static [BackendKind] = &[$(BackendKind::$kind),*];

            /// Every backend's name, for error messages and `--help`.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($folder)),*];

            /// The backend's name, as `--backend` takes it: its folder's.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(BackendKind::$kind => stringify!($folder),)*
                }
            }

            /// The cargo feature that builds this backend in; `None` for the process backend,
            /// which is always there.
            pub fn feature(self) -> Option<&'static str> {
                match self {
                    $(BackendKind::$kind => $crate::backend::registry::backends!(@feature $($feature)?),)*
                }
            }

            /// Whether this build of firedrill has the backend (its cargo feature was enabled).
            pub fn is_built_in(self) -> bool {
                match self {
                    $(BackendKind::$kind => $crate::backend::registry::backends!(@built_in $($feature)?),)*
                }
            }

            /// The backend this kind names; a backend this build lacks is an error naming its
            /// feature.
            fn registered(self) -> $crate::error::Result<&'static dyn $crate::backend::registry::Dispatch> {
                match self {
                    $(
                        $(#[cfg(feature = $feature)])?
                        BackendKind::$kind => Ok(&$folder::$backend),
                    )*
                    #[allow(unreachable_patterns)]
                    missing => Err($crate::backend::registry::not_built_in(missing)),
                }
            }
        }

        $(
            $(#[cfg(feature = $feature)])?
            impl $crate::backend::seam::Registered for $folder::$backend {
                const KIND: BackendKind = BackendKind::$kind;
            }
        )*
    };
}

pub(crate) use backends;

/// A registered backend as the entry points of `backend` use it, whatever its placement:
/// implemented for every [`Backend`].
pub(crate) trait Dispatch: Sync {
    /// `Err` for manifests the backend cannot run as written (the first such thing).
    fn refuse_unrunnable(&self, spec: &StackSpec) -> Result<()>;

    /// Everything starting the stack would refuse before anything starts, every one.
    fn refusals(&self, spec: &StackSpec, options: &StartOptions) -> Vec<crate::error::Error>;

    /// `Err` with why, for a fault the backend cannot do to `component`.
    fn refuse_fault(
        &self,
        spec: &StackSpec,
        component: &crate::spec::ComponentSpec,
        fault: super::Fault,
        options: &StartOptions,
    ) -> std::result::Result<(), String>;

    /// Starts the Slack mock, plans the stack and starts it.
    fn start<'a>(
        &'a self,
        spec: &'a StackSpec,
        options: &'a StartOptions,
    ) -> BoxFuture<'a, Result<RunningStack>>;

    /// The plan the backend would run, without starting anything.
    fn render(&self, spec: &StackSpec, options: &StartOptions) -> Result<StackPlan>;

    /// What the backend would apply, for backends that apply manifests.
    fn render_manifests(
        &self,
        spec: &StackSpec,
        options: &StartOptions,
    ) -> Result<Option<(String, StackPlan)>>;
}

impl<B: Backend> Dispatch for B {
    fn refuse_unrunnable(&self, spec: &StackSpec) -> Result<()> {
        match Backend::refusals(self, spec).into_iter().next() {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }

    fn refusals(&self, spec: &StackSpec, options: &StartOptions) -> Vec<crate::error::Error> {
        seam::refusals_on(self, spec, options)
    }

    fn refuse_fault(
        &self,
        spec: &StackSpec,
        component: &crate::spec::ComponentSpec,
        fault: super::Fault,
        options: &StartOptions,
    ) -> std::result::Result<(), String> {
        Backend::refuse_fault(self, spec, component, fault, options)
    }

    fn start<'a>(
        &'a self,
        spec: &'a StackSpec,
        options: &'a StartOptions,
    ) -> BoxFuture<'a, Result<RunningStack>> {
        Box::pin(seam::start_on(self, spec, options))
    }

    fn render(&self, spec: &StackSpec, options: &StartOptions) -> Result<StackPlan> {
        seam::render_on(self, spec, options).map(|(plan, _)| plan)
    }

    fn render_manifests(
        &self,
        spec: &StackSpec,
        options: &StartOptions,
    ) -> Result<Option<(String, StackPlan)>> {
        Backend::render_manifests(self, spec, options)
    }
}

/// The error for a backend this build lacks.
pub(crate) fn not_built_in(kind: BackendKind) -> crate::error::Error {
    let reason = kind
        .require_built_in()
        .err()
        .unwrap_or_else(|| format!("the {kind} backend is not built in"));
    crate::error::Error::Input(crate::error::InputError::new("FIREDRILL_BACKEND", reason))
}

impl BackendKind {
    /// `Err(why, and the feature to enable)` when this build lacks the backend.
    pub fn require_built_in(self) -> std::result::Result<(), String> {
        match self.feature() {
            Some(feature) if !self.is_built_in() => Err(format!(
                "the {self} backend is not built into this firedrill: enable its cargo feature \
                 (`firedrill = {{ ..., features = [\"{feature}\"] }}`), or use the process backend"
            )),
            _ => Ok(()),
        }
    }
}

impl FromStr for BackendKind {
    type Err = String;

    /// A backend by name; a backend this build lacks is rejected naming its feature.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let Some(kind) = BackendKind::ALL.iter().copied().find(|k| k.name() == s) else {
            return Err(format!(
                "unknown backend `{s}` (choose one of: {})",
                BackendKind::NAMES.join(", ")
            ));
        };
        kind.require_built_in().map(|()| kind)
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_backend_parses_from_and_prints_as_its_name() {
        for kind in [BackendKind::Process, BackendKind::Docker, BackendKind::Kube] {
            assert!(BackendKind::NAMES.contains(&kind.to_string().as_str()));
            if kind.is_built_in() {
                assert_eq!(kind.to_string().parse::<BackendKind>(), Ok(kind));
            }
        }
        let err = "nomad".parse::<BackendKind>().unwrap_err();
        assert!(err.contains("process, docker, kube"), "{err}");
    }

    #[test]
    fn a_backend_left_out_of_the_build_is_rejected_naming_its_feature() {
        for kind in [BackendKind::Docker, BackendKind::Kube] {
            let parsed = kind.to_string().parse::<BackendKind>();
            if kind.is_built_in() {
                assert_eq!(parsed, Ok(kind));
            } else {
                let err = parsed.unwrap_err();
                let feature = kind.feature().unwrap();
                assert!(
                    err.contains(&format!("features = [\"{feature}\"]")),
                    "{err}"
                );
            }
        }
        assert!(BackendKind::Process.is_built_in());
        assert_eq!(BackendKind::Process.feature(), None);
        assert_eq!(BackendKind::default(), BackendKind::Process);
    }

    #[test]
    fn every_entry_point_refuses_a_backend_left_out_of_the_build_naming_its_feature() {
        let spec = crate::load::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests"),
        )
        .unwrap();
        for kind in BackendKind::ALL.iter().filter(|k| !k.is_built_in()) {
            let options = StartOptions::new(*kind);
            let feature = format!("features = [\"{}\"]", kind.feature().unwrap());
            for error in [
                crate::backend::refuse_unrunnable(&spec, &options).unwrap_err(),
                crate::backend::render(&spec, &options).unwrap_err(),
                crate::backend::render_manifests(&spec, &options).unwrap_err(),
            ] {
                let error = error.to_string();
                assert!(error.contains("FIREDRILL_BACKEND"), "{error}");
                assert!(error.contains(&feature), "{error}");
            }
        }
    }
}
