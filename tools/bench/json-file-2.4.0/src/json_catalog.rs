//! What 2.4.0's network and volume stores share (runtime/src/network/store.rs
//! and volume/store.rs are the same code twice): one JSON file holding a map
//! of every record, `{"networks": {...}}` or `{"volumes": {...}}`.
//!
//! - `load`: reads and parses the whole file, no lock, no cache; a file that
//!   does not parse is moved to `<file>.json.corrupt-<secs>` and the store
//!   starts empty (store_io.rs).
//! - `save`: clones the map into the file struct, `to_string_pretty`, writes
//!   the fixed temp name `<file>.json.tmp`, renames it over the file. No
//!   fsync, ever: that is 2.4.0's durability, and the baseline keeps it.
//! - `with_write_lock`: flock on `<file>.lock`, load, change, save; a change
//!   that fails saves nothing.

use crate::file_lock::FileLock;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// The file's top-level struct (`NetworksFile`, `VolumesFile` in 2.4.0).
pub trait CatalogFile: Serialize + DeserializeOwned {
    type Record: Clone;
    fn from_map(records: HashMap<String, Self::Record>) -> Self;
    fn into_map(self) -> HashMap<String, Self::Record>;
}

pub struct JsonCatalog<F: CatalogFile> {
    path: PathBuf,
    _file: std::marker::PhantomData<F>,
}

impl<F: CatalogFile> JsonCatalog<F> {
    pub fn new(path: PathBuf) -> JsonCatalog<F> {
        JsonCatalog {
            path,
            _file: std::marker::PhantomData,
        }
    }

    pub fn load(&self) -> Result<HashMap<String, F::Record>, String> {
        if !self.path.exists() {
            return Ok(HashMap::new());
        }
        let data = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("failed to read {}: {}", self.path.display(), e))?;
        match serde_json::from_str::<F>(&data) {
            Ok(file) => Ok(file.into_map()),
            Err(_) => {
                quarantine_corrupt(&self.path);
                Ok(HashMap::new())
            }
        }
    }

    pub fn save(&self, records: &HashMap<String, F::Record>) -> Result<(), String> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("failed to create directory {}: {}", parent.display(), e))?;
        }
        let file = F::from_map(records.clone());
        let json = serde_json::to_string_pretty(&file).map_err(|e| format!("failed to serialize: {}", e))?;
        let tmp_path = self.path.with_extension("json.tmp");
        std::fs::write(&tmp_path, &json)
            .map_err(|e| format!("failed to write tmp file {}: {}", tmp_path.display(), e))?;
        std::fs::rename(&tmp_path, &self.path)
            .map_err(|e| format!("failed to rename {}: {}", tmp_path.display(), e))
    }

    pub fn with_write_lock<R>(
        &self,
        f: impl FnOnce(&mut HashMap<String, F::Record>) -> Result<R, String>,
    ) -> Result<R, String> {
        let _lock = FileLock::acquire(&self.path)
            .map_err(|e| format!("failed to lock {}: {}", self.path.display(), e))?;
        let mut records = self.load()?;
        let r = f(&mut records)?;
        self.save(&records)?;
        Ok(r)
    }
}

/// store_io.rs `quarantine_corrupt`: the unreadable file moves aside.
pub fn quarantine_corrupt(path: &std::path::Path) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let backup = path.with_extension(format!("json.corrupt-{}", secs));
    if std::fs::rename(path, &backup).is_err() {
        let _ = std::fs::copy(path, &backup);
    }
}
