//! The image record, field for field as a3s-box-core 2.4.0 declares it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A cached OCI image: one reference to an unpacked layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImage {
    /// E.g. `docker.io/library/ubuntu:22.04`; a dangling image's reference
    /// is its digest.
    pub reference: String,
    /// `sha256:` + 64 lowercase hex.
    pub digest: String,
    /// Bytes of the layout's regular files.
    pub size_bytes: u64,
    pub pulled_at: DateTime<Utc>,
    /// What eviction orders by, least recent first.
    pub last_used: DateTime<Utc>,
    /// The layout directory, `<home>/images/sha256/<hex>`.
    pub path: PathBuf,
}
