//! The volume record, field for field as a3s-box-core 2.4.0 declares it.
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A named volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeConfig {
    /// Unique name: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 128 characters.
    pub name: String,
    /// `"local"` when absent.
    #[serde(default = "local")]
    pub driver: String,
    /// The data directory; the store sets it to `<home>/volumes/<name>` on
    /// create.
    pub mount_point: String,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    /// IDs of the boxes using it, in attach order, without duplicates.
    #[serde(default)]
    pub in_use_by: Vec<String>,
    /// Bytes; 0 is unlimited.
    #[serde(default)]
    pub size_limit: u64,
    /// RFC 3339, kept verbatim.
    pub created_at: String,
}

fn local() -> String {
    "local".to_string()
}
