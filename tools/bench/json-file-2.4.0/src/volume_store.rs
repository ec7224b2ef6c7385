//! 2.4.0's volume store (runtime/src/volume/store.rs) as the runtime drives
//! it when a box starts and stops: `get_or_create` (cli volume.rs) and
//! `modify` with `VolumeConfig::attach`/`detach` (cli `attach_volumes`,
//! `detach_volumes`). Each is one locked update of volumes.json, and each
//! rewrites the file even when nothing changed (an existing volume, a box
//! already attached, a volume not found): 2.4.0's `with_write_lock` always
//! saves.

use crate::json_catalog::{CatalogFile, JsonCatalog};
use crate::records::VolumeConfig;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Default)]
pub struct VolumesFile {
    volumes: HashMap<String, VolumeConfig>,
}

impl CatalogFile for VolumesFile {
    type Record = VolumeConfig;
    fn from_map(volumes: HashMap<String, VolumeConfig>) -> Self {
        VolumesFile { volumes }
    }
    fn into_map(self) -> HashMap<String, VolumeConfig> {
        self.volumes
    }
}

pub struct VolumeStore {
    file: JsonCatalog<VolumesFile>,
    volumes_dir: PathBuf,
}

impl VolumeStore {
    pub fn new(home: &Path) -> VolumeStore {
        VolumeStore {
            file: JsonCatalog::new(home.join("volumes.json")),
            volumes_dir: home.join("volumes"),
        }
    }

    /// Unsorted: HashMap order, as 2.4.0 returns it.
    pub fn list(&self) -> Result<Vec<VolumeConfig>, String> {
        Ok(self.file.load()?.into_values().collect())
    }

    /// An existing volume is returned as it is; a new one gets its directory
    /// `<home>/volumes/<name>` (made under the lock, before the save) as its
    /// mount point.
    pub fn get_or_create(&self, mut config: VolumeConfig) -> Result<VolumeConfig, String> {
        self.file.with_write_lock(|volumes| {
            if let Some(existing) = volumes.get(&config.name) {
                return Ok(existing.clone());
            }
            let dir = self.volumes_dir.join(&config.name);
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("failed to create volume directory {}: {}", dir.display(), e))?;
            config.mount_point = dir.to_string_lossy().into_owned();
            volumes.insert(config.name.clone(), config.clone());
            Ok(config)
        })
    }

    /// `modify(name, f)`: a volume that does not exist is no error in 2.4.0
    /// (modify returns false and the file is saved anyway); the protocol
    /// needs a record, so it answers an error then.
    pub fn modify(&self, name: &str, f: impl FnOnce(&mut VolumeConfig)) -> Result<VolumeConfig, String> {
        let found = self.file.with_write_lock(|volumes| {
            Ok(volumes.get_mut(name).map(|config| {
                f(config);
                config.clone()
            }))
        })?;
        found.ok_or_else(|| format!("volume '{}' not found", name))
    }
}
