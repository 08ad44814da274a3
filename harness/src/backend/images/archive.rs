//! Tar archives in memory: what is copied into a container, and an image's build context.

use std::collections::BTreeSet;

/// A tar archive being built; entries are relative to the archive's root.
pub(crate) struct Archive {
    builder: tar::Builder<Vec<u8>>,
    dirs: BTreeSet<String>,
}

impl Archive {
    pub(crate) fn new() -> Self {
        Self {
            builder: tar::Builder::new(Vec::new()),
            dirs: BTreeSet::new(),
        }
    }

    /// Adds a file at `path` (absolute or relative; made relative), with every parent
    /// directory as an entry of its own so that extracting creates them.
    pub(crate) fn file(&mut self, path: &str, content: &[u8], mode: u32) -> std::io::Result<()> {
        let relative = path.trim_start_matches('/');
        let mut parent = String::new();
        let parents: Vec<&str> = relative.split('/').collect();
        for part in &parents[..parents.len().saturating_sub(1)] {
            parent = if parent.is_empty() {
                part.to_string()
            } else {
                format!("{parent}/{part}")
            };
            self.dir(&parent, 0o755)?;
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(mode);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mtime(0);
        self.builder.append_data(&mut header, relative, content)
    }

    /// Adds a directory entry (once).
    pub(crate) fn dir(&mut self, path: &str, mode: u32) -> std::io::Result<()> {
        let relative = path.trim_start_matches('/').trim_end_matches('/');
        if relative.is_empty() || !self.dirs.insert(relative.to_string()) {
            return Ok(());
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_mode(mode);
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mtime(0);
        self.builder
            .append_data(&mut header, format!("{relative}/"), std::io::empty())
    }

    /// The archive's bytes.
    pub(crate) fn finish(self) -> std::io::Result<Vec<u8>> {
        self.builder.into_inner()
    }
}

/// The paths of an archive's entries, in order.
#[cfg(test)]
pub(crate) fn entry_paths(bytes: &[u8]) -> Vec<String> {
    tar::Archive::new(bytes)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_comes_with_its_parent_directories_each_listed_once() {
        let mut archive = Archive::new();
        archive.file("/etc/prom/prom.yml", b"a", 0o644).unwrap();
        archive
            .file("/etc/prom/alerts/core.yaml", b"b", 0o644)
            .unwrap();
        let paths = entry_paths(&archive.finish().unwrap());
        assert_eq!(
            paths,
            vec![
                "etc/",
                "etc/prom/",
                "etc/prom/prom.yml",
                "etc/prom/alerts/",
                "etc/prom/alerts/core.yaml"
            ]
        );
    }
}
