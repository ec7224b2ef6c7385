//! 2.4.0's snapshot store (runtime/src/snapshot.rs), the parts the benchmark
//! drives: there is no index, so `count` and `total_size` read and parse
//! every `snapshots/<id>/metadata.json` on each call (through `list`, which
//! also sorts them newest first). Opening sweeps `.staging-*` leftovers.

use crate::records::SnapshotMetadata;
use std::cmp::Reverse;
use std::path::{Path, PathBuf};

pub struct SnapshotStore {
    base_dir: PathBuf,
}

impl SnapshotStore {
    pub fn new(home: &Path) -> Result<SnapshotStore, String> {
        let base_dir = home.join("snapshots");
        std::fs::create_dir_all(&base_dir).map_err(|e| {
            format!(
                "Failed to create snapshot directory {}: {}",
                base_dir.display(),
                e
            )
        })?;
        if let Ok(entries) = std::fs::read_dir(&base_dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".staging-") {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(SnapshotStore { base_dir })
    }

    /// A metadata.json that cannot be read or parsed is skipped (2.4.0 logs it).
    pub fn list(&self) -> Result<Vec<SnapshotMetadata>, String> {
        let mut snapshots = Vec::new();
        let entries = match std::fs::read_dir(&self.base_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(snapshots),
            Err(e) => return Err(format!("Failed to read snapshot directory: {}", e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("Failed to read snapshot entry: {}", e))?;
            let meta_path = entry.path().join("metadata.json");
            if meta_path.exists() {
                if let Ok(data) = std::fs::read_to_string(&meta_path) {
                    if let Ok(meta) = serde_json::from_str::<SnapshotMetadata>(&data) {
                        snapshots.push(meta);
                    }
                }
            }
        }
        snapshots.sort_by_key(|snapshot| Reverse(snapshot.created_at));
        Ok(snapshots)
    }

    pub fn count(&self) -> Result<usize, String> {
        Ok(self.list()?.len())
    }

    pub fn total_size(&self) -> Result<u64, String> {
        Ok(self.list()?.iter().map(|s| s.size_bytes).sum())
    }
}
