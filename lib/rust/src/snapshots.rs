//! [`SnapshotStoreBackend`] on the engine.
use crate::error::{Error, ErrorCode, Result};
use crate::handle::{json_arg, optional, path_arg, text_arg, Handle};
use crate::snapshot::SnapshotMetadata;
use crate::sys;
use crate::SnapshotStoreBackend;
use std::os::raw::c_int;
use std::path::Path;
use std::sync::Arc;

/// The snapshots of a [`Store`](crate::Store): records plus their rootfs
/// copies `<home>/snapshots/<id>/rootfs`. Lists are newest first, ties by
/// ID.
#[derive(Clone)]
pub struct Snapshots {
    handle: Arc<Handle>,
}

impl Snapshots {
    pub(crate) fn new(handle: Arc<Handle>) -> Snapshots {
        Snapshots { handle }
    }

    fn number(
        &self,
        call: unsafe extern "C" fn(*mut sys::a3s_store, *mut u64) -> sys::a3s_status,
    ) -> Result<u64> {
        let mut n = 0u64;
        self.handle.status(|s| unsafe { call(s, &mut n) })?;
        Ok(n)
    }
}

impl SnapshotStoreBackend for Snapshots {
    /// Copies `rootfs_source` (a path that does not exist gives an empty
    /// rootfs) and stores the record; already_exists for a taken ID.
    fn save(&self, metadata: SnapshotMetadata, rootfs_source: &Path) -> Result<SnapshotMetadata> {
        let metadata = json_arg(&metadata)?;
        let source = path_arg(rootfs_source)?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_snapshot_save(s, metadata.as_ptr(), source.as_ptr(), out) })
    }

    fn get(&self, id: &str) -> Result<Option<SnapshotMetadata>> {
        let id = text_arg(id, "snapshot ID")?;
        optional(
            self.handle
                .json(|s, out| unsafe { sys::a3s_snapshot_get(s, id.as_ptr(), out) }),
        )
    }

    fn list(&self) -> Result<Vec<SnapshotMetadata>> {
        self.handle
            .json(|s, out| unsafe { sys::a3s_snapshot_list(s, out) })
    }

    fn delete(&self, id: &str) -> Result<bool> {
        let id = text_arg(id, "snapshot ID")?;
        let mut existed: c_int = 0;
        self.handle
            .status(|s| unsafe { sys::a3s_snapshot_delete(s, id.as_ptr(), &mut existed) })?;
        Ok(existed != 0)
    }

    fn count(&self) -> Result<usize> {
        let n = self.number(sys::a3s_snapshot_count)?;
        usize::try_from(n)
            .map_err(|_| Error::new(ErrorCode::Internal, format!("{n} snapshots do not fit a usize")))
    }

    fn total_size(&self) -> Result<u64> {
        self.number(sys::a3s_snapshot_total_size)
    }

    fn prune(&self, max_count: usize, max_bytes: u64) -> Result<Vec<String>> {
        let max_count = max_count as u64; // usize is at most 64 bits wide on every target Rust has.
        self.handle
            .json(|s, out| unsafe { sys::a3s_snapshot_prune(s, max_count, max_bytes, out) })
    }
}
