//! Network records, field for field as a3s-box-core 2.4.0 declares them:
//! their serde JSON is the engine's (SPEC §3).
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// A user-defined network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Unique name: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 128 characters.
    pub name: String,
    /// CIDR, e.g. `10.88.0.0/24`; host bits may be set.
    pub subnet: String,
    pub gateway: Ipv4Addr,
    /// `"bridge"` when absent.
    #[serde(default = "bridge")]
    pub driver: String,
    #[serde(default)]
    pub labels: HashMap<String, String>,
    /// Connected boxes, by box ID.
    #[serde(default)]
    pub endpoints: HashMap<String, NetworkEndpoint>,
    /// RFC 3339, kept verbatim (2.4.0 writes `Utc::now().to_rfc3339()`).
    pub created_at: String,
    #[serde(default)]
    pub policy: NetworkPolicy,
}

fn bridge() -> String {
    "bridge".to_string()
}

/// A box's connection to a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkEndpoint {
    pub box_id: String,
    pub box_name: String,
    /// Further DNS names of the box on this network.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub ip_address: Ipv4Addr,
    /// `02:42:` + the four octets of `ip_address` in lowercase hex.
    pub mac_address: String,
}

/// Which boxes of a network may talk to each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    #[serde(default)]
    pub isolation: IsolationMode,
    #[serde(default)]
    pub ingress: Vec<PolicyRule>,
    #[serde(default)]
    pub egress: Vec<PolicyRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationMode {
    /// Every box may reach every other.
    #[default]
    None,
    /// No box-to-box traffic.
    Strict,
    /// The policy's ingress and egress rules decide.
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRule {
    /// A box name, or `"*"` (the default) for any.
    #[serde(default = "wildcard")]
    pub from: String,
    #[serde(default = "wildcard")]
    pub to: String,
    /// Empty: every port.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// `"tcp"`, `"udp"` or `"any"` (the default).
    #[serde(default = "any_protocol")]
    pub protocol: String,
    #[serde(default)]
    pub action: PolicyAction,
}

fn wildcard() -> String {
    "*".to_string()
}

fn any_protocol() -> String {
    "any".to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    #[default]
    Allow,
    Deny,
}
