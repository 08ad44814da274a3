//! Downloading a release into the cache: checksums first, then the tarball to a temp file in
//! the cache, its SHA-256 compared, extracted to a temp dir there, and its top folder renamed
//! into place. Any failure leaves no entry and no temp file behind.

use std::io::{IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{DownloadConfig, Release};

/// How download progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressStyle {
    /// One line redrawn in place (stderr is a terminal).
    Tty,
    /// Plain lines: at the start, every quarter (every 10 MiB without a known size), the end.
    Lines,
    /// Nothing (tests).
    Quiet,
}

impl ProgressStyle {
    /// [`ProgressStyle::Tty`] when stderr is a terminal, else [`ProgressStyle::Lines`].
    pub fn of_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            ProgressStyle::Tty
        } else {
            ProgressStyle::Lines
        }
    }
}

/// `12.3 MiB / 60.1 MiB (20%)`, or `12.3 MiB` when the size is unknown.
pub(super) fn progress_text(done: u64, total: Option<u64>) -> String {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    match total {
        Some(total) if total > 0 => format!(
            "{:.1} MiB / {:.1} MiB ({}%)",
            mib(done),
            mib(total),
            done.saturating_mul(100) / total
        ),
        _ => format!("{:.1} MiB", mib(done)),
    }
}

/// Which plain-line step `done` is at: quarters of `total`, else 10 MiB steps.
pub(super) fn line_step(done: u64, total: Option<u64>) -> u64 {
    match total {
        Some(total) if total > 0 => done.saturating_mul(4) / total,
        _ => done / (10 * 1024 * 1024),
    }
}

struct Progress {
    style: ProgressStyle,
    label: String,
    total: Option<u64>,
    done: u64,
    step: u64,
    drawn: Instant,
}

impl Progress {
    fn new(style: ProgressStyle, label: String, url: &url::Url, total: Option<u64>) -> Self {
        let progress = Self {
            style,
            label,
            total,
            done: 0,
            step: 0,
            drawn: Instant::now(),
        };
        if style != ProgressStyle::Quiet {
            let size = total.map(|t| format!(" ({})", progress_text(t, None)));
            eprintln!(
                "firedrill: downloading {} from {url}{}",
                progress.label,
                size.unwrap_or_default()
            );
        }
        progress
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        match self.style {
            ProgressStyle::Quiet => {}
            ProgressStyle::Tty => {
                if self.drawn.elapsed() >= Duration::from_millis(100) {
                    self.drawn = Instant::now();
                    eprint!(
                        "\r\x1b[Kfiredrill: {}: {}",
                        self.label,
                        progress_text(self.done, self.total)
                    );
                }
            }
            ProgressStyle::Lines => {
                let step = line_step(self.done, self.total);
                if step > self.step && !matches!(self.total, Some(t) if self.done >= t) {
                    self.step = step;
                    eprintln!(
                        "firedrill: {}: {}",
                        self.label,
                        progress_text(self.done, self.total)
                    );
                }
            }
        }
    }

    fn finish(&self, what: &str) {
        match self.style {
            ProgressStyle::Quiet => {}
            ProgressStyle::Tty => eprintln!(
                "\r\x1b[Kfiredrill: {}: {} {what}",
                self.label,
                progress_text(self.done, self.total)
            ),
            ProgressStyle::Lines => eprintln!(
                "firedrill: {}: {} {what}",
                self.label,
                progress_text(self.done, self.total)
            ),
        }
    }
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

async fn get(client: &reqwest::Client, url: &url::Url) -> Result<reqwest::Response, String> {
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("cannot fetch {url}: {}", chain(&e.without_url())))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    Ok(response)
}

/// An error with its causes (`error sending request: connection refused`).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The sum the checksums file lists for `archive`: a `sha256sum` line naming it, or a bare sum.
pub(super) fn expected_sum(text: &str, archive: &str) -> Option<String> {
    let is_sum = |s: &str| s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
    let mut words = text.split_whitespace();
    if let (Some(first), None) = (words.next(), words.next()) {
        return is_sum(first).then(|| first.to_ascii_lowercase());
    }
    text.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        let (sum, name) = (parts.next()?, parts.next()?);
        (is_sum(sum) && name.trim_start_matches('*') == archive).then(|| sum.to_ascii_lowercase())
    })
}

/// Downloads, checks and caches a release; returns its binary.
pub(super) async fn fetch(
    release: &Release,
    config: &DownloadConfig,
    platform: &str,
) -> Result<PathBuf, String> {
    let base = config.base.as_ref();
    let archive_url = release.archive_url(base, platform);
    let sums_url = release.checksums_url(base, platform);
    let archive = release.archive_name(platform);
    let client = client()?;

    let sums = get(&client, &sums_url)
        .await?
        .text()
        .await
        .map_err(|e| format!("cannot read {sums_url}: {}", chain(&e)))?;
    let expected = expected_sum(&sums, &archive)
        .ok_or_else(|| format!("{sums_url} lists no SHA-256 sum for {archive}"))?;

    let folder = config.cache_dir.join(release.kind.as_str());
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create the cache folder {}: {e}", folder.display()))?;
    remove_leftovers(&folder, LEFTOVER_AGE);
    let mut file = tempfile::Builder::new()
        .prefix(".download-")
        .suffix(".tar.gz")
        .tempfile_in(&folder)
        .map_err(|e| format!("cannot create a temp file in {}: {e}", folder.display()))?;

    let mut response = get(&client, &archive_url).await?;
    let total = response.content_length();
    let mut progress = Progress::new(config.progress, release.label(), &archive_url, total);
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            format!(
                "the download of {archive_url} broke off after {} bytes{}: {}",
                progress.done,
                total.map(|t| format!(" of {t}")).unwrap_or_default(),
                chain(&e)
            )
        })?;
        let Some(chunk) = chunk else { break };
        digest.update(&chunk);
        file.write_all(&chunk)
            .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
        progress.advance(chunk.len() as u64);
    }
    if let Some(total) = total.filter(|t| *t != progress.done) {
        return Err(format!(
            "the download of {archive_url} broke off after {} of {total} bytes",
            progress.done
        ));
    }
    let actual = hex(digest.finish().as_ref());
    if actual != expected {
        return Err(format!(
            "the SHA-256 of {archive_url} is {actual}, but {sums_url} publishes {expected}; nothing was cached: retry, and if it persists, the file or the mirror is not the release"
        ));
    }
    progress.finish("downloaded, SHA-256 verified");

    let entry = release.entry(&config.cache_dir);
    let release = release.clone();
    let url = archive_url.clone();
    tokio::task::spawn_blocking(move || install(file, &folder, &entry, &release, &url))
        .await
        .map_err(|e| format!("extracting {archive_url} panicked: {e}"))?
}

/// Extracts the tarball to a temp dir beside the entry and renames its top folder into place.
fn install(
    mut file: tempfile::NamedTempFile,
    folder: &Path,
    entry: &Path,
    release: &Release,
    url: &url::Url,
) -> Result<PathBuf, String> {
    file.as_file_mut()
        .rewind()
        .map_err(|e| format!("cannot read back {}: {e}", file.path().display()))?;
    let extracted = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(folder)
        .map_err(|e| format!("cannot create a temp dir in {}: {e}", folder.display()))?;
    tar::Archive::new(flate2::read::GzDecoder::new(file.as_file()))
        .unpack(extracted.path())
        .map_err(|e| format!("cannot extract {url}: {e}"))?;
    let mut top: Vec<PathBuf> = std::fs::read_dir(extracted.path())
        .map_err(|e| format!("cannot list {}: {e}", extracted.path().display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let root = match top.as_slice() {
        [only] if only.is_dir() => top.remove(0),
        _ => extracted.path().to_path_buf(),
    };
    if release.binary_in(&root).is_none() {
        return Err(format!(
            "{url} holds no executable {} binary where its releases have one",
            release.name()
        ));
    }
    if let Err(e) = std::fs::rename(&root, entry) {
        // Another run may have put the same release in place meanwhile.
        if release.binary_in(entry).is_none() {
            return Err(format!(
                "cannot move the extracted release to {}: {e}",
                entry.display()
            ));
        }
    }
    drop(extracted);
    release.binary_in(entry).ok_or_else(|| {
        format!(
            "the cache entry {} holds no {} binary",
            entry.display(),
            release.name()
        )
    })
}

/// How old a temp file of the cache must be to be taken for the leftover of a killed run.
pub(super) const LEFTOVER_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes the temp files and dirs (`.download-*`, `.extract-*`) of runs killed mid-download,
/// once they are older than `age` (a younger one may be another run's, still downloading).
pub(super) fn remove_leftovers(folder: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".download-") || name.starts_with(".extract-")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed >= age);
        if old {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
