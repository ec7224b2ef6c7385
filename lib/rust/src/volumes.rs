//! [`VolumeStoreBackend`] on the engine, plus its atomic attach, detach and
//! get-or-create.
use crate::error::Result;
use crate::handle::{json_arg, optional, text_arg, Handle};
use crate::sys;
use crate::volume::VolumeConfig;
use crate::VolumeStoreBackend;
use std::os::raw::c_int;
use std::sync::Arc;

/// The volumes of a [`Store`](crate::Store): records plus their data
/// directories `<home>/volumes/<name>`. Lists are sorted by name.
#[derive(Clone)]
pub struct Volumes {
    handle: Arc<Handle>,
}

impl Volumes {
    pub(crate) fn new(handle: Arc<Handle>) -> Volumes {
        Volumes { handle }
    }

    /// The volume of `config.name`, created from `config` if absent, in
    /// one transaction.
    pub fn get_or_create(&self, config: &VolumeConfig) -> Result<VolumeConfig> {
        let config = json_arg(config)?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_volume_get_or_create(s, config.as_ptr(), out) })
    }

    /// Records that box `box_id` uses the volume (idempotent), in one
    /// transaction. not_found if the volume is absent.
    pub fn attach(&self, name: &str, box_id: &str) -> Result<()> {
        let name = text_arg(name, "volume name")?;
        let box_id = text_arg(box_id, "box ID")?;
        self.handle
            .status(|s| unsafe { sys::a3s_volume_attach(s, name.as_ptr(), box_id.as_ptr()) })
    }

    /// Records that box `box_id` no longer uses the volume, in one
    /// transaction. not_found if the volume is absent.
    pub fn detach(&self, name: &str, box_id: &str) -> Result<()> {
        let name = text_arg(name, "volume name")?;
        let box_id = text_arg(box_id, "box ID")?;
        self.handle
            .status(|s| unsafe { sys::a3s_volume_detach(s, name.as_ptr(), box_id.as_ptr()) })
    }
}

impl VolumeStoreBackend for Volumes {
    fn get(&self, name: &str) -> Result<Option<VolumeConfig>> {
        let name = text_arg(name, "volume name")?;
        optional(
            self.handle
                .json(|s, out| unsafe { sys::a3s_volume_get(s, name.as_ptr(), out) }),
        )
    }

    fn create(&self, config: VolumeConfig) -> Result<VolumeConfig> {
        let config = json_arg(&config)?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_volume_create(s, config.as_ptr(), out) })
    }

    fn remove(&self, name: &str, force: bool) -> Result<VolumeConfig> {
        let name = text_arg(name, "volume name")?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_volume_remove(s, name.as_ptr(), c_int::from(force), out) })
    }

    fn list(&self) -> Result<Vec<VolumeConfig>> {
        self.handle.json(|s, out| unsafe { sys::a3s_volume_list(s, out) })
    }

    fn update(&self, config: &VolumeConfig) -> Result<()> {
        let config = json_arg(config)?;
        self.handle
            .status(|s| unsafe { sys::a3s_volume_update(s, config.as_ptr()) })
    }

    fn prune(&self) -> Result<Vec<String>> {
        self.handle
            .json(|s, out| unsafe { sys::a3s_volume_prune(s, out) })
    }
}
