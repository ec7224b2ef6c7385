//! [`NetworkStoreBackend`] on the engine, plus its atomic connect and
//! disconnect.
use crate::error::Result;
use crate::handle::{json_arg, optional, text_arg, Handle};
use crate::network::{NetworkConfig, NetworkEndpoint};
use crate::sys;
use crate::NetworkStoreBackend;
use std::sync::Arc;

/// The networks of a [`Store`](crate::Store). Lists are sorted by name.
#[derive(Clone)]
pub struct Networks {
    handle: Arc<Handle>,
}

impl Networks {
    pub(crate) fn new(handle: Arc<Handle>) -> Networks {
        Networks { handle }
    }

    /// Connects box `box_id` (DNS name `box_name`, plus `aliases`) to
    /// `network` in one transaction: it gets the lowest free address of the
    /// subnet and a MAC derived from it. Empty aliases and one equal to
    /// `box_name` are dropped. Errors: not_found (no network),
    /// already_exists (box already connected), exhausted (no free address).
    pub fn connect(
        &self,
        network: &str,
        box_id: &str,
        box_name: &str,
        aliases: &[String],
    ) -> Result<NetworkEndpoint> {
        let network = text_arg(network, "network name")?;
        let box_id = text_arg(box_id, "box ID")?;
        let box_name = text_arg(box_name, "box name")?;
        let aliases = json_arg(aliases)?;
        self.handle.json(|s, out| unsafe {
            sys::a3s_network_connect(
                s,
                network.as_ptr(),
                box_id.as_ptr(),
                box_name.as_ptr(),
                aliases.as_ptr(),
                out,
            )
        })
    }

    /// Disconnects the box in one transaction and returns the endpoint it
    /// had. not_found if the network or the endpoint is absent.
    pub fn disconnect(&self, network: &str, box_id: &str) -> Result<NetworkEndpoint> {
        let network = text_arg(network, "network name")?;
        let box_id = text_arg(box_id, "box ID")?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_network_disconnect(s, network.as_ptr(), box_id.as_ptr(), out) })
    }
}

impl NetworkStoreBackend for Networks {
    fn get(&self, name: &str) -> Result<Option<NetworkConfig>> {
        let name = text_arg(name, "network name")?;
        optional(
            self.handle
                .json(|s, out| unsafe { sys::a3s_network_get(s, name.as_ptr(), out) }),
        )
    }

    fn create(&self, config: NetworkConfig) -> Result<()> {
        let config = json_arg(&config)?;
        self.handle
            .status(|s| unsafe { sys::a3s_network_create(s, config.as_ptr()) })
    }

    fn remove(&self, name: &str) -> Result<NetworkConfig> {
        let name = text_arg(name, "network name")?;
        self.handle
            .json(|s, out| unsafe { sys::a3s_network_remove(s, name.as_ptr(), 0, out) })
    }

    fn list(&self) -> Result<Vec<NetworkConfig>> {
        self.handle
            .json(|s, out| unsafe { sys::a3s_network_list(s, out) })
    }

    fn update(&self, config: &NetworkConfig) -> Result<()> {
        let config = json_arg(config)?;
        self.handle
            .status(|s| unsafe { sys::a3s_network_update(s, config.as_ptr()) })
    }
}
