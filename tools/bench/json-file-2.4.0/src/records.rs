//! The records as 2.4.0 declares them (a3s-box-core: network.rs, volume.rs,
//! snapshot.rs, traits/store.rs): the same fields in the same order, the same
//! serde defaults, `Option` written as `null`, maps as `HashMap` (so they come
//! out in random order, as the runtime writes them), addresses as `Ipv4Addr`
//! and times as chrono's `DateTime<Utc>`. serde_json's cost of reading and
//! writing the files depends on exactly these types, so they are reproduced
//! rather than simplified.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkConfig {
    pub name: String,
    pub subnet: String,
    pub gateway: Ipv4Addr,
    #[serde(default = "default_network_driver")]
    pub driver: String,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    #[serde(default)]
    pub endpoints: HashMap<String, NetworkEndpoint>,
    pub created_at: String,
    #[serde(default)]
    pub policy: NetworkPolicy,
}

fn default_network_driver() -> String {
    "bridge".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NetworkEndpoint {
    pub box_id: String,
    pub box_name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub ip_address: Ipv4Addr,
    pub mac_address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct NetworkPolicy {
    #[serde(default)]
    pub isolation: IsolationMode,
    #[serde(default)]
    pub ingress: Vec<PolicyRule>,
    #[serde(default)]
    pub egress: Vec<PolicyRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IsolationMode {
    #[default]
    None,
    Strict,
    Custom,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRule {
    #[serde(default = "wildcard")]
    pub from: String,
    #[serde(default = "wildcard")]
    pub to: String,
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default = "default_protocol")]
    pub protocol: String,
    #[serde(default)]
    pub action: PolicyAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    #[default]
    Allow,
    Deny,
}

fn wildcard() -> String {
    "*".to_string()
}

fn default_protocol() -> String {
    "any".to_string()
}

impl NetworkPolicy {
    /// 2.4.0 refuses to attach boxes to a network whose isolation it does
    /// not enforce (`NetworkPolicy::validate`, called by the CLI's connect).
    pub fn validate(&self) -> Result<(), String> {
        match self.isolation {
            IsolationMode::None => Ok(()),
            IsolationMode::Strict => Err("network policy isolation mode 'strict' is not yet enforced".into()),
            IsolationMode::Custom => Err("network policy isolation mode 'custom' is not yet enforced".into()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeConfig {
    pub name: String,
    #[serde(default = "default_volume_driver")]
    pub driver: String,
    pub mount_point: String,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    #[serde(default)]
    pub in_use_by: Vec<String>,
    #[serde(default)]
    pub size_limit: u64,
    pub created_at: String,
}

fn default_volume_driver() -> String {
    "local".to_string()
}

impl VolumeConfig {
    pub fn attach(&mut self, box_id: &str) {
        if !self.in_use_by.contains(&box_id.to_string()) {
            self.in_use_by.push(box_id.to_string());
        }
    }

    pub fn detach(&mut self, box_id: &str) {
        self.in_use_by.retain(|id| id != box_id);
    }
}

/// 2.4.0's snapshot record (the fields added in 3.0.11 are not part of it;
/// serde skips them when a file holds them, as 2.4.0 would).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotMetadata {
    pub id: String,
    pub name: String,
    pub source_box_id: String,
    pub image: String,
    pub vcpus: u32,
    pub memory_mb: u32,
    pub volumes: Vec<String>,
    pub env: HashMap<String, String>,
    pub cmd: Vec<String>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub port_map: Vec<String>,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    #[serde(default)]
    pub network_mode: Option<String>,
    #[serde(default)]
    pub rootfs_cache_key: Option<String>,
    #[serde(default)]
    pub size_bytes: u64,
    #[serde(default = "epoch")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub description: String,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::from_utc(chrono::NaiveDateTime::from_timestamp_opt(0, 0).unwrap(), Utc)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredImage {
    pub reference: String,
    pub digest: String,
    pub size_bytes: u64,
    pub pulled_at: DateTime<Utc>,
    pub last_used: DateTime<Utc>,
    pub path: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the bench's fixtures write (fixtures.cpp, the library's ordered
    // codec, dump(2)) is byte for byte what 2.4.0 writes: same field order,
    // same pretty format, times with Z and no zero fraction. (Maps of one
    // entry: HashMap order is random with more.)
    fn round_trip<T: Serialize + serde::de::DeserializeOwned>(text: &str) {
        let record: T = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string_pretty(&record).unwrap(), text);
    }

    #[test]
    fn fixture_network_is_written_as_2_4_0_writes_it() {
        round_trip::<NetworkConfig>(
            r#"{
  "name": "net-000000",
  "subnet": "10.0.0.0/24",
  "gateway": "10.0.0.1",
  "driver": "bridge",
  "labels": {
    "bench": "yes"
  },
  "endpoints": {
    "box-000000-a": {
      "box_id": "box-000000-a",
      "box_name": "web",
      "aliases": [
        "frontend"
      ],
      "ip_address": "10.0.0.2",
      "mac_address": "02:42:0a:00:00:02"
    }
  },
  "created_at": "2024-01-01T00:00:00Z",
  "policy": {
    "isolation": "none",
    "ingress": [],
    "egress": []
  }
}"#,
        );
    }

    #[test]
    fn fixture_image_is_written_as_2_4_0_writes_it() {
        round_trip::<StoredImage>(
            r#"{
  "reference": "registry.example.com/bench/img-000000:latest",
  "digest": "sha256:910a2dec89025cc1975835de1c9756ce1d0b14e4db018fed6e73e372e2338aca",
  "size_bytes": 1048576,
  "pulled_at": "2024-01-01T00:00:00Z",
  "last_used": "2024-01-01T00:00:00Z",
  "path": "/tmp/home/images/sha256/910a2dec89025cc1975835de1c9756ce1d0b14e4db018fed6e73e372e2338aca"
}"#,
        );
    }
}
