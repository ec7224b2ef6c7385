//! 2.4.0's image store (runtime/src/oci/store.rs), the parts the benchmark
//! drives. 2.4.0 is async (tokio's RwLock, the flock taken on a blocking
//! task); here std's RwLock and a plain blocking flock give the same locking:
//! one in-memory index shared by every thread of the process, the flock only
//! between processes.
//!
//! - Open: sweeps `images/tmp`, loads `images/index.json` into memory once,
//!   keeping only entries whose layout directory exists (a stat each).
//! - `get`: sets `last_used` in memory and rewrites the whole index from
//!   memory, without the flock and without re-reading the file, to the fixed
//!   temp name `index.json.tmp`, then renames it. A failed save is ignored
//!   (2.4.0 logs it). Two processes (or two threads racing on the temp name)
//!   can therefore lose each other's updates: the baseline keeps that.
//! - `evict(cap)`: while the sum of every entry's `size_bytes` (a digest
//!   shared by N references counts N times) is over the cap, removes the
//!   least recently used entry with one locked `remove`: flock, re-read the
//!   index from disk into memory, drop the entry, delete its layout if no
//!   other entry has its digest, save. 2.4.0 reads the cap from the store's
//!   configuration; the protocol passes it per call.
//! - No fsync anywhere.

use crate::file_lock::FileLock;
use crate::json_catalog::quarantine_corrupt;
use crate::records::StoredImage;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

#[derive(Serialize)]
struct StoreIndex {
    images: Vec<StoredImage>,
}

pub struct ImageStore {
    store_dir: PathBuf,
    index: RwLock<HashMap<String, StoredImage>>,
}

impl ImageStore {
    pub fn new(home: &Path) -> Result<ImageStore, String> {
        let store_dir = home.join("images");
        std::fs::create_dir_all(&store_dir).map_err(|e| {
            format!(
                "Failed to create image store directory {}: {}",
                store_dir.display(),
                e
            )
        })?;
        let tmp_dir = store_dir.join("tmp");
        if tmp_dir.is_dir() {
            let _ = std::fs::remove_dir_all(&tmp_dir);
        }
        let store = ImageStore {
            store_dir,
            index: RwLock::new(HashMap::new()),
        };
        let loaded = store.read_index_from_disk()?;
        *store.index.write().unwrap() = loaded;
        Ok(store)
    }

    pub fn get(&self, reference: &str) -> Option<StoredImage> {
        let mut index = self.index.write().unwrap();
        let image = index.get_mut(reference)?;
        image.last_used = Utc::now();
        let updated = image.clone();
        drop(index);
        if let Err(e) = self.save_index() {
            eprintln!("json-file-2.4.0: failed to persist image store index: {}", e);
        }
        Some(updated)
    }

    pub fn total_size(&self) -> u64 {
        self.index
            .read()
            .unwrap()
            .values()
            .map(|img| img.size_bytes)
            .sum()
    }

    pub fn evict(&self, max_size_bytes: u64) -> Result<Vec<String>, String> {
        let mut evicted = Vec::new();
        let mut total = self.total_size();
        while total > max_size_bytes {
            let lru = {
                let index = self.index.read().unwrap();
                index
                    .values()
                    .min_by_key(|img| img.last_used)
                    .map(|img| img.reference.clone())
            };
            match lru {
                Some(reference) => {
                    self.remove(&reference)?;
                    evicted.push(reference);
                    total = self.total_size();
                }
                None => break,
            }
        }
        Ok(evicted)
    }

    /// `remove(image)`: the reference, else every entry with that digest.
    fn remove(&self, image: &str) -> Result<(), String> {
        self.with_index_lock(|index| {
            let keys: Vec<String> = if index.contains_key(image) {
                vec![image.to_string()]
            } else {
                index
                    .values()
                    .filter(|img| img.digest == image)
                    .map(|img| img.reference.clone())
                    .collect()
            };
            if keys.is_empty() {
                return Err(format!("Image not found: {}", image));
            }
            let removed: Vec<StoredImage> = keys.iter().filter_map(|k| index.remove(k)).collect();
            for img in removed {
                let digest_still_used = index.values().any(|other| other.digest == img.digest);
                if !digest_still_used && img.path.exists() {
                    std::fs::remove_dir_all(&img.path).map_err(|e| {
                        format!("Failed to remove image directory {}: {}", img.path.display(), e)
                    })?;
                }
            }
            Ok(())
        })
    }

    fn with_index_lock<R>(
        &self,
        f: impl FnOnce(&mut HashMap<String, StoredImage>) -> Result<R, String>,
    ) -> Result<R, String> {
        let index_path = self.store_dir.join("index.json");
        let _lock = FileLock::acquire(&index_path)
            .map_err(|e| format!("failed to lock image index {}: {}", index_path.display(), e))?;
        let fresh = self.read_index_from_disk()?;
        let result = {
            let mut index = self.index.write().unwrap();
            *index = fresh;
            f(&mut index)?
        };
        self.save_index()?;
        Ok(result)
    }

    /// The envelope is parsed leniently (entries as raw values), then each
    /// entry on its own; unreadable entries and entries whose layout
    /// directory is gone are dropped. (2.4.0 also copies the file aside when
    /// it skips an unreadable entry; the benchmark's files have none.)
    fn read_index_from_disk(&self) -> Result<HashMap<String, StoredImage>, String> {
        #[derive(Deserialize)]
        struct RawIndex {
            #[serde(default)]
            images: Vec<serde_json::Value>,
        }
        let index_path = self.store_dir.join("index.json");
        if !index_path.exists() {
            return Ok(HashMap::new());
        }
        let data = std::fs::read_to_string(&index_path)
            .map_err(|e| format!("Failed to read image store index {}: {}", index_path.display(), e))?;
        let raw: RawIndex = match serde_json::from_str(&data) {
            Ok(raw) => raw,
            Err(_) => {
                quarantine_corrupt(&index_path);
                return Ok(HashMap::new());
            }
        };
        let mut index = HashMap::new();
        for value in raw.images {
            if let Ok(image) = serde_json::from_value::<StoredImage>(value) {
                if image.path.exists() {
                    index.insert(image.reference.clone(), image);
                }
            }
        }
        Ok(index)
    }

    fn save_index(&self) -> Result<(), String> {
        let images: Vec<StoredImage> = self.index.read().unwrap().values().cloned().collect();
        let data = serde_json::to_string_pretty(&StoreIndex { images }).map_err(|e| e.to_string())?;
        let tmp_path = self.store_dir.join("index.json.tmp");
        std::fs::write(&tmp_path, data)
            .map_err(|e| format!("Failed to write image store index {}: {}", tmp_path.display(), e))?;
        std::fs::rename(&tmp_path, self.store_dir.join("index.json"))
            .map_err(|e| format!("Failed to commit image store index: {}", e))
    }
}
