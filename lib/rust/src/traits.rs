//! The four store interfaces of a3s-box-core 2.4.0 (`traits/store.rs`),
//! with the same signatures, so that an implementation here takes the
//! place of the runtime's JSON-file stores without changing a call site.
use crate::error::Result;
use crate::image::StoredImage;
use crate::network::NetworkConfig;
use crate::snapshot::SnapshotMetadata;
use crate::volume::VolumeConfig;
use std::path::Path;

/// Networks and their endpoints.
pub trait NetworkStoreBackend: Send + Sync {
    /// The network named `name`, or `None`.
    fn get(&self, name: &str) -> Result<Option<NetworkConfig>>;

    /// Stores a new network; an error if the name is taken.
    fn create(&self, config: NetworkConfig) -> Result<()>;

    /// Removes the network and returns it; an error if it is absent or has
    /// connected endpoints.
    fn remove(&self, name: &str) -> Result<NetworkConfig>;

    /// Every network.
    fn list(&self) -> Result<Vec<NetworkConfig>>;

    /// Replaces the stored network of `config.name` (e.g. after a connect).
    fn update(&self, config: &NetworkConfig) -> Result<()>;
}

/// Named volumes.
pub trait VolumeStoreBackend: Send + Sync {
    /// The volume named `name`, or `None`.
    fn get(&self, name: &str) -> Result<Option<VolumeConfig>>;

    /// Creates the volume and returns it with its mount point set.
    fn create(&self, config: VolumeConfig) -> Result<VolumeConfig>;

    /// Removes the volume and returns it; unless `force`, an error while a
    /// box uses it.
    fn remove(&self, name: &str, force: bool) -> Result<VolumeConfig>;

    /// Every volume.
    fn list(&self) -> Result<Vec<VolumeConfig>>;

    /// Replaces the stored volume of `config.name` (e.g. after an attach).
    fn update(&self, config: &VolumeConfig) -> Result<()>;

    /// Removes every volume no box uses and returns their names.
    fn prune(&self) -> Result<Vec<String>>;
}

/// VM snapshots: a configuration plus a copy of the root filesystem.
pub trait SnapshotStoreBackend: Send + Sync {
    /// Stores `metadata` with a copy of the directory `rootfs_source` and
    /// returns it with `size_bytes` set.
    fn save(&self, metadata: SnapshotMetadata, rootfs_source: &Path) -> Result<SnapshotMetadata>;

    /// The snapshot `id`, or `None`.
    fn get(&self, id: &str) -> Result<Option<SnapshotMetadata>>;

    /// Every snapshot, newest first.
    fn list(&self) -> Result<Vec<SnapshotMetadata>>;

    /// Deletes the snapshot; whether it existed.
    fn delete(&self, id: &str) -> Result<bool>;

    fn count(&self) -> Result<usize>;

    /// Bytes of every snapshot together.
    fn total_size(&self) -> Result<u64>;

    /// Deletes the oldest snapshots until at most `max_count` remain and
    /// they hold at most `max_bytes` (0: no limit); returns their IDs.
    fn prune(&self, max_count: usize, max_bytes: u64) -> Result<Vec<String>>;
}

/// The local cache of OCI images, evicted least recently used first.
#[async_trait::async_trait]
pub trait ImageStoreBackend: Send + Sync {
    /// The image of `reference`, marked used; `None` if not cached.
    async fn get(&self, reference: &str) -> Option<StoredImage>;

    /// An image with `digest`, marked used; `None` if not cached.
    async fn get_by_digest(&self, digest: &str) -> Option<StoredImage>;

    /// Stores the image layout `source_dir` as `reference` at `digest`.
    async fn put(&self, reference: &str, digest: &str, source_dir: &Path) -> Result<StoredImage>;

    /// Removes `reference`, or every reference of a digest.
    async fn remove(&self, reference: &str) -> Result<()>;

    async fn list(&self) -> Vec<StoredImage>;

    /// Evicts least recently used images until the cache fits its cap;
    /// returns their references.
    async fn evict(&self) -> Result<Vec<String>>;

    /// Bytes of every stored image.
    async fn total_size(&self) -> u64;
}
