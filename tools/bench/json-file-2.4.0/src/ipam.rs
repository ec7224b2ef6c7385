//! 2.4.0's IPv4 address management (`Ipam` and `NetworkConfig::connect` in
//! a3s-box-core network.rs), which `network connect` runs inside the locked
//! update: the gateway is the subnet's address as written + 1, candidates run
//! from that address + 2 up to broadcast - 1, lowest free first, each checked
//! against every endpoint's address by a linear search (as 2.4.0 does: the
//! cost grows with the endpoints of the network).

use crate::records::{NetworkConfig, NetworkEndpoint};
use std::net::Ipv4Addr;

struct Ipam {
    network: u32,
    prefix_len: u8,
}

impl Ipam {
    fn new(cidr: &str) -> Result<Ipam, String> {
        let parts: Vec<&str> = cidr.split('/').collect();
        if parts.len() != 2 {
            return Err(format!("invalid CIDR notation: {}", cidr));
        }
        let network: Ipv4Addr = parts[0]
            .parse()
            .map_err(|e| format!("invalid network address '{}': {}", parts[0], e))?;
        let prefix_len: u8 = parts[1]
            .parse()
            .map_err(|e| format!("invalid prefix length '{}': {}", parts[1], e))?;
        if prefix_len == 0 || prefix_len > 30 {
            return Err(format!(
                "prefix length {} out of range (must be 1-30 for a usable subnet)",
                prefix_len
            ));
        }
        let network = u32::from(network);
        network
            .checked_add(1)
            .ok_or_else(|| format!("network address '{}' has no room for a gateway", cidr))?;
        Ok(Ipam { network, prefix_len })
    }

    fn allocate(&self, used: &[Ipv4Addr]) -> Result<Ipv4Addr, String> {
        let broadcast = self.network | ((1u32 << (32 - self.prefix_len as u32)) - 1);
        let gateway = self.network + 1;
        let mut candidate = match self.network.checked_add(2) {
            Some(c) => c,
            None => return Err("no available IP addresses in subnet".to_string()),
        };
        while candidate < broadcast {
            if candidate != gateway {
                let ip = Ipv4Addr::from(candidate);
                if !used.contains(&ip) {
                    return Ok(ip);
                }
            }
            candidate = match candidate.checked_add(1) {
                Some(c) => c,
                None => break,
            };
        }
        Err("no available IP addresses in subnet".to_string())
    }
}

fn mac_from_ip(ip: &Ipv4Addr) -> String {
    let o = ip.octets();
    format!("02:42:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3])
}

/// `NetworkConfig::connect`: a box already connected is an error.
pub fn connect(config: &mut NetworkConfig, box_id: &str, box_name: &str) -> Result<NetworkEndpoint, String> {
    if config.endpoints.contains_key(box_id) {
        return Err(format!(
            "box '{}' is already connected to network '{}'",
            box_id, config.name
        ));
    }
    let ipam = Ipam::new(&config.subnet)?;
    let used: Vec<Ipv4Addr> = config.endpoints.values().map(|e| e.ip_address).collect();
    let ip = ipam.allocate(&used)?;
    let endpoint = NetworkEndpoint {
        box_id: box_id.to_string(),
        box_name: box_name.to_string(),
        aliases: Vec::new(),
        ip_address: ip,
        mac_address: mac_from_ip(&ip),
    };
    config.endpoints.insert(box_id.to_string(), endpoint.clone());
    Ok(endpoint)
}

/// `NetworkConfig::disconnect`: a box not connected is an error.
pub fn disconnect(config: &mut NetworkConfig, box_id: &str) -> Result<NetworkEndpoint, String> {
    let name = config.name.clone();
    config
        .endpoints
        .remove(box_id)
        .ok_or_else(|| format!("box '{}' is not connected to network '{}'", box_id, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn network(subnet: &str) -> NetworkConfig {
        NetworkConfig {
            name: "n".into(),
            subnet: subnet.into(),
            gateway: "10.88.0.1".parse().unwrap(),
            driver: "bridge".into(),
            labels: HashMap::new(),
            endpoints: HashMap::new(),
            created_at: String::new(),
            policy: Default::default(),
        }
    }

    // 2.4.0 hands out the lowest free address and reuses a released one.
    #[test]
    fn lowest_free_address_first() {
        let mut n = network("10.88.0.0/24");
        assert_eq!(
            connect(&mut n, "a", "a").unwrap().ip_address.to_string(),
            "10.88.0.2"
        );
        assert_eq!(
            connect(&mut n, "b", "b").unwrap().ip_address.to_string(),
            "10.88.0.3"
        );
        disconnect(&mut n, "a").unwrap();
        let c = connect(&mut n, "c", "c").unwrap();
        assert_eq!(c.ip_address.to_string(), "10.88.0.2");
        assert_eq!(c.mac_address, "02:42:0a:58:00:02");
        assert!(connect(&mut n, "c", "c").is_err());
    }

    // Host bits are not masked: the gateway is the address as written + 1.
    #[test]
    fn host_bits_kept() {
        let mut n = network("10.88.0.5/30");
        assert!(connect(&mut n, "a", "a").is_err()); // .7 is the broadcast
        let mut n = network("10.88.0.4/29");
        assert_eq!(
            connect(&mut n, "a", "a").unwrap().ip_address.to_string(),
            "10.88.0.6"
        );
    }
}
