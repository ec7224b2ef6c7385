//! [`Store`]: one open home, from which the four stores are taken.
use crate::error::Result;
use crate::handle::Handle;
use crate::{Images, Networks, Snapshots, Volumes};
use std::ffi::CStr;
use std::path::Path;
use std::sync::Arc;

/// The database and files of one home (`<home>/box.db`). Cloning is cheap
/// and shares the handle; the stores taken from it keep it open, so it is
/// closed when the last of them is dropped. Safe to share between threads;
/// several processes may open one home.
#[derive(Clone)]
pub struct Store {
    handle: Arc<Handle>,
}

impl Store {
    /// Opens the store of `home` with the default options (creating the
    /// database, or migrating an older one). An empty `home` means
    /// `$A3S_HOME`, else `~/.a3s`.
    pub fn open(home: impl AsRef<Path>) -> Result<Store> {
        Ok(Store {
            handle: Arc::new(Handle::open(home.as_ref(), None)?),
        })
    }

    /// Opens the store of `home` with options given as a JSON object:
    /// `{"db": path, "store": url, "auto_migrate": bool, "synchronous":
    /// "full"|"normal", "busy_timeout_ms": n, "image_cache_bytes": n}`, each
    /// optional. An unknown key is invalid_argument.
    pub fn open_with(home: impl AsRef<Path>, options_json: &str) -> Result<Store> {
        Ok(Store {
            handle: Arc::new(Handle::open(home.as_ref(), Some(options_json))?),
        })
    }

    /// The engine's version, `MAJOR.MINOR.PATCH`.
    pub fn engine_version() -> &'static str {
        // SAFETY: a static NUL-terminated string of the library's.
        unsafe { CStr::from_ptr(crate::sys::a3s_version()) }
            .to_str()
            .unwrap_or("")
    }

    pub fn networks(&self) -> Networks {
        Networks::new(self.handle.clone())
    }

    pub fn volumes(&self) -> Volumes {
        Volumes::new(self.handle.clone())
    }

    pub fn snapshots(&self) -> Snapshots {
        Snapshots::new(self.handle.clone())
    }

    pub fn images(&self) -> Images {
        Images::new(self.handle.clone())
    }
}
