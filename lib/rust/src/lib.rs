//! The A3S Box runtime's four stores — networks, volumes, snapshots and OCI
//! images — on the a3s-box-store engine: one SQLite database in WAL mode per
//! home, every operation one transaction, safe across threads and
//! processes.
//!
//! The traits and records are a3s-box-core 2.4.0's, with the same
//! signatures and the same serde JSON, so a store from here replaces the
//! runtime's JSON-file stores without changing a call site:
//!
//! ```no_run
//! use a3s_box_store::{NetworkStoreBackend, Store};
//! # fn main() -> a3s_box_store::Result<()> {
//! let store = Store::open("/var/lib/a3s")?;
//! let networks = store.networks();
//! for network in networks.list()? {
//!     println!("{} {}", network.name, network.subnet);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Beyond the traits, the stores offer the engine's atomic read-modify-write
//! operations ([`Networks::connect`], [`Volumes::attach`], ...), which a
//! get-then-update through the traits cannot be.

mod error;
mod handle;
mod image;
mod images;
mod network;
mod networks;
mod snapshot;
mod snapshots;
mod store;
pub mod sys;
mod traits;
mod volume;
mod volumes;

pub use error::{Error, ErrorCode, Result};
pub use image::StoredImage;
pub use images::Images;
pub use network::{IsolationMode, NetworkConfig, NetworkEndpoint, NetworkPolicy, PolicyAction, PolicyRule};
pub use networks::Networks;
pub use snapshot::SnapshotMetadata;
pub use snapshots::Snapshots;
pub use store::Store;
pub use traits::{ImageStoreBackend, NetworkStoreBackend, SnapshotStoreBackend, VolumeStoreBackend};
pub use volume::VolumeConfig;
pub use volumes::Volumes;
