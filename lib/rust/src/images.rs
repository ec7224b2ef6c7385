//! [`ImageStoreBackend`] on the engine.
//!
//! The methods are `async` because the trait is; each one runs its engine
//! call to completion on the polling thread (as 2.4.0's file store does its
//! file I/O) and never waits on anything else.
use crate::error::Result;
use crate::handle::{path_arg, text_arg, Handle};
use crate::image::StoredImage;
use crate::sys;
use crate::ImageStoreBackend;
use std::path::Path;
use std::sync::Arc;

/// The image cache of a [`Store`](crate::Store): records plus the layouts
/// `<home>/images/sha256/<hex>`, each digest stored once. The cap `evict`
/// keeps to is the store's `image_cache_bytes` (default
/// `$A3S_IMAGE_CACHE_SIZE`, else 10 GiB).
///
/// The trait gives `get`, `get_by_digest`, `list` and `total_size` no error
/// channel: an engine failure there reads as `None`, empty or 0.
#[derive(Clone)]
pub struct Images {
    handle: Arc<Handle>,
}

impl Images {
    pub(crate) fn new(handle: Arc<Handle>) -> Images {
        Images { handle }
    }
}

#[async_trait::async_trait]
impl ImageStoreBackend for Images {
    async fn get(&self, reference: &str) -> Option<StoredImage> {
        let reference = text_arg(reference, "image reference").ok()?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_image_get(s, reference.as_ptr(), out) })
            .ok()
    }

    async fn get_by_digest(&self, digest: &str) -> Option<StoredImage> {
        let digest = text_arg(digest, "digest").ok()?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_image_get_by_digest(s, digest.as_ptr(), out) })
            .ok()
    }

    /// Copies the layout unless its digest is already stored; invalid_argument
    /// for a bad digest or a missing `source_dir`.
    async fn put(&self, reference: &str, digest: &str, source_dir: &Path) -> Result<StoredImage> {
        let reference = text_arg(reference, "image reference")?;
        let digest = text_arg(digest, "digest")?;
        let source = path_arg(source_dir)?;
        self.handle.json(|s, out| unsafe {
            sys::a3s_image_put(s, reference.as_ptr(), digest.as_ptr(), source.as_ptr(), out)
        })
    }

    /// not_found if nothing matched.
    async fn remove(&self, reference: &str) -> Result<()> {
        let reference = text_arg(reference, "image reference")?;
        self.handle
            .status(|s| unsafe { sys::a3s_image_remove(s, reference.as_ptr()) })
    }

    async fn list(&self) -> Vec<StoredImage> {
        self.handle
            .json(|s, out| unsafe { sys::a3s_image_list(s, out) })
            .unwrap_or_default()
    }

    async fn evict(&self) -> Result<Vec<String>> {
        self.handle.json(|s, out| unsafe { sys::a3s_image_evict(s, out) })
    }

    /// Each digest counted once.
    async fn total_size(&self) -> u64 {
        let mut n = 0u64;
        self.handle
            .status(|s| unsafe { sys::a3s_image_total_size(s, &mut n) })
            .map(|_| n)
            .unwrap_or(0)
    }
}
