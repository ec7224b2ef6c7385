//! 2.4.0's network store (runtime/src/network/store.rs) and the runtime's
//! connect and disconnect (cli/src/commands/run.rs `connect_box_to_network`,
//! network.rs `execute_disconnect`): each a locked update of networks.json.

use crate::ipam;
use crate::json_catalog::{CatalogFile, JsonCatalog};
use crate::records::{NetworkConfig, NetworkEndpoint};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Serialize, Deserialize, Default)]
pub struct NetworksFile {
    networks: HashMap<String, NetworkConfig>,
}

impl CatalogFile for NetworksFile {
    type Record = NetworkConfig;
    fn from_map(networks: HashMap<String, NetworkConfig>) -> Self {
        NetworksFile { networks }
    }
    fn into_map(self) -> HashMap<String, NetworkConfig> {
        self.networks
    }
}

pub struct NetworkStore {
    file: JsonCatalog<NetworksFile>,
}

impl NetworkStore {
    pub fn new(home: &Path) -> NetworkStore {
        NetworkStore {
            file: JsonCatalog::new(home.join("networks.json")),
        }
    }

    pub fn get(&self, name: &str) -> Result<Option<NetworkConfig>, String> {
        Ok(self.file.load()?.get(name).cloned())
    }

    /// Unsorted: HashMap order, as 2.4.0 returns it.
    pub fn list(&self) -> Result<Vec<NetworkConfig>, String> {
        Ok(self.file.load()?.into_values().collect())
    }

    pub fn create(&self, config: NetworkConfig) -> Result<(), String> {
        self.file.with_write_lock(|networks| {
            if networks.contains_key(&config.name) {
                return Err(format!("network '{}' already exists", config.name));
            }
            networks.insert(config.name.clone(), config);
            Ok(())
        })
    }

    /// The runtime checks the network is attachable (driver, policy) and
    /// allocates the address inside the locked update.
    pub fn connect(&self, network: &str, box_id: &str, box_name: &str) -> Result<NetworkEndpoint, String> {
        self.file.with_write_lock(|networks| {
            let config = networks
                .get_mut(network)
                .ok_or_else(|| format!("network '{}' not found", network))?;
            if config.driver != "bridge" {
                return Err(format!("Unsupported network driver '{}'", config.driver));
            }
            config.policy.validate()?;
            ipam::connect(config, box_id, box_name)
                .map_err(|e| format!("Failed to connect to network: {}", e))
        })
    }

    pub fn disconnect(&self, network: &str, box_id: &str) -> Result<NetworkEndpoint, String> {
        self.file.with_write_lock(|networks| {
            let config = networks
                .get_mut(network)
                .ok_or_else(|| format!("network '{}' not found", network))?;
            ipam::disconnect(config, box_id).map_err(|e| format!("Failed to disconnect: {}", e))
        })
    }
}
