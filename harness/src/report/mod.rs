//! What a run leaves behind, under one directory per run: `slack/NNNN.json`,
//! `logs/<component>.log`, `config/<component>/...`, `changes.txt`, `summary.json`, `review.html`.
//! Every file is redacted of the manifests' secrets.

mod artifacts;
pub(crate) mod mrkdwn;
mod review;
mod summary;

pub use artifacts::{claim_run_dir, review_path, write_artifacts};
pub use review::{review_html, ReviewRun};
pub use summary::{Summary, Totals};
