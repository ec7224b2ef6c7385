//! Creates a network through the runtime's trait, connects a box and prints
//! its endpoint: `cargo run --example network_demo -- <home>`.
use a3s_box_store::{NetworkConfig, NetworkStoreBackend, Store};
use std::process::ExitCode;

fn run(home: &str) -> a3s_box_store::Result<()> {
    let store = Store::open(home)?;
    let networks = store.networks();
    let config: NetworkConfig = serde_json::from_str(&format!(
        r#"{{"name": "demo", "subnet": "10.88.0.0/24", "gateway": "10.88.0.1", "created_at": "{}"}}"#,
        chrono::Utc::now().to_rfc3339()
    ))
    .expect("a valid NetworkConfig");
    networks.create(config)?;
    let endpoint = networks.connect("demo", "box-1", "web", &["app".to_string()])?;
    println!(
        "connected {} ({}) to demo: {} {} aliases {:?}",
        endpoint.box_id, endpoint.box_name, endpoint.ip_address, endpoint.mac_address, endpoint.aliases
    );
    let stored = networks.get("demo")?.expect("the network just created");
    println!("demo has {} endpoint(s)", stored.endpoints.len());
    Ok(())
}

fn main() -> ExitCode {
    let home = match std::env::args().nth(1) {
        Some(home) => home,
        None => {
            eprintln!("usage: network_demo HOME");
            return ExitCode::from(2);
        }
    };
    match run(&home) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e} ({})", e.code());
            ExitCode::FAILURE
        }
    }
}
