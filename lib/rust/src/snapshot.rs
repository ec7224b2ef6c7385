//! The snapshot record: a3s-box-core 2.4.0's fields plus the three the later
//! runtime declares after `workdir` (schema version 2).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What it takes to rebuild a box: its configuration and (in the store) a
/// copy of its root filesystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMetadata {
    /// Unique ID: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 128 characters.
    pub id: String,
    pub name: String,
    pub source_box_id: String,
    /// The OCI image reference the box ran.
    pub image: String,
    pub vcpus: u32,
    pub memory_mb: u32,
    /// `"host:guest"` mounts.
    pub volumes: Vec<String>,
    pub env: HashMap<String, String>,
    pub cmd: Vec<String>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub workdir: Option<String>,
    /// The source image's resolved configuration, kept verbatim; absent
    /// from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_config: Option<serde_json::Value>,
    /// The box's explicit health check, kept verbatim; absent from the JSON
    /// when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<serde_json::Value>,
    #[serde(default)]
    pub healthcheck_disabled: bool,
    #[serde(default)]
    pub port_map: Vec<String>,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    #[serde(default)]
    pub network_mode: Option<String>,
    #[serde(default)]
    pub rootfs_cache_key: Option<String>,
    /// Bytes of the copied rootfs; the store sets it on save.
    #[serde(default)]
    pub size_bytes: u64,
    /// The epoch when absent.
    #[serde(default = "epoch")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub description: String,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::UNIX_EPOCH)
}

impl SnapshotMetadata {
    /// A snapshot of 2 vCPUs and 512 MB created now, the rest empty, as
    /// 2.4.0's `SnapshotMetadata::new`.
    pub fn new(id: String, name: String, source_box_id: String, image: String) -> Self {
        SnapshotMetadata {
            id,
            name,
            source_box_id,
            image,
            vcpus: 2,
            memory_mb: 512,
            volumes: Vec::new(),
            env: HashMap::new(),
            cmd: Vec::new(),
            entrypoint: None,
            workdir: None,
            image_config: None,
            health_check: None,
            healthcheck_disabled: false,
            port_map: Vec::new(),
            labels: HashMap::new(),
            network_mode: None,
            rootfs_cache_key: None,
            size_bytes: 0,
            created_at: Utc::now(),
            description: String::new(),
        }
    }
}
