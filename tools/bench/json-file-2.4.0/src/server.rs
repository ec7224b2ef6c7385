//! The line protocol the benchmark drives the stores through.
//!
//! Request: one line, a JSON array of strings, `["network.connect","net-1",
//! "box-7","web"]`. Response: one line, `{"ok":RESULT,"ns":N}` with RESULT the
//! record(s) in 2.4.0's serde JSON and N the nanoseconds the store call took
//! (timed here, so the caller's round trip is not charged to 2.4.0), or
//! `{"error":"text"}`.
//!
//! `serve` is one runtime process: its stores are opened once, as the
//! runtime opens them at start, and every connection gets its own thread,
//! all sharing those stores (as the threads of one runtime process do).
//! `run` is one operation in a fresh process, opening only the store the
//! operation needs (as one CLI command does); its N includes that opening.

use crate::image_store::ImageStore;
use crate::network_store::NetworkStore;
use crate::records::{NetworkConfig, VolumeConfig};
use crate::snapshot_store::SnapshotStore;
use crate::volume_store::VolumeStore;
use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub struct Stores {
    networks: NetworkStore,
    volumes: VolumeStore,
    snapshots: Option<SnapshotStore>,
    images: Option<ImageStore>,
}

impl Stores {
    /// Every store, as the runtime opens them at start.
    pub fn open_all(home: &Path) -> Result<Stores, String> {
        Ok(Stores {
            networks: NetworkStore::new(home),
            volumes: VolumeStore::new(home),
            snapshots: Some(SnapshotStore::new(home)?),
            images: Some(ImageStore::new(home)?),
        })
    }

    /// Only the store `op` needs (networks and volumes open for free).
    pub fn open_for(home: &Path, op: &str) -> Result<Stores, String> {
        Ok(Stores {
            networks: NetworkStore::new(home),
            volumes: VolumeStore::new(home),
            snapshots: if op.starts_with("snapshot.") {
                Some(SnapshotStore::new(home)?)
            } else {
                None
            },
            images: if op.starts_with("image.") {
                Some(ImageStore::new(home)?)
            } else {
                None
            },
        })
    }

    fn snapshots(&self) -> Result<&SnapshotStore, String> {
        self.snapshots
            .as_ref()
            .ok_or_else(|| "snapshot store not open".to_string())
    }

    fn images(&self) -> Result<&ImageStore, String> {
        self.images
            .as_ref()
            .ok_or_else(|| "image store not open".to_string())
    }
}

/// An operation's result as JSON text and the nanoseconds it took.
pub struct Done {
    pub result: String,
    pub ns: u128,
}

fn timed<T: Serialize>(f: impl FnOnce() -> Result<T, String>) -> Result<Done, String> {
    let t0 = Instant::now();
    let value = f()?;
    let ns = t0.elapsed().as_nanos();
    let result = serde_json::to_string(&value).map_err(|e| format!("cannot encode the result: {}", e))?;
    Ok(Done { result, ns })
}

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Result<&'a str, String> {
    args.get(i)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("{}: missing argument {}", args[0], what))
}

fn decode<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("bad {}: {}", what, e))
}

/// Runs one request (`args[0]` is the operation).
pub fn execute(stores: &Stores, args: &[String]) -> Result<Done, String> {
    let op = args.first().ok_or_else(|| "empty request".to_string())?;
    match op.as_str() {
        "ping" => timed(|| Ok(())),
        "network.get" => {
            let name = arg(args, 1, "NAME")?;
            timed(|| stores.networks.get(name))
        }
        "network.create" => {
            let config: NetworkConfig = decode(arg(args, 1, "CONFIG_JSON")?, "network")?;
            timed(|| stores.networks.create(config))
        }
        "network.connect" => {
            let (network, box_id, box_name) = (
                arg(args, 1, "NET")?,
                arg(args, 2, "BOX")?,
                arg(args, 3, "BOXNAME")?,
            );
            timed(|| stores.networks.connect(network, box_id, box_name))
        }
        "network.disconnect" => {
            let (network, box_id) = (arg(args, 1, "NET")?, arg(args, 2, "BOX")?);
            timed(|| stores.networks.disconnect(network, box_id))
        }
        "network.list" => timed(|| stores.networks.list()),
        "volume.get_or_create" => {
            let config: VolumeConfig = decode(arg(args, 1, "CONFIG_JSON")?, "volume")?;
            timed(|| stores.volumes.get_or_create(config))
        }
        "volume.attach" => {
            let (name, box_id) = (arg(args, 1, "NAME")?, arg(args, 2, "BOX")?);
            timed(|| stores.volumes.modify(name, |v| v.attach(box_id)))
        }
        "volume.detach" => {
            let (name, box_id) = (arg(args, 1, "NAME")?, arg(args, 2, "BOX")?);
            timed(|| stores.volumes.modify(name, |v| v.detach(box_id)))
        }
        "volume.list" => timed(|| stores.volumes.list()),
        "snapshot.count" => {
            let snapshots = stores.snapshots()?;
            timed(|| snapshots.count())
        }
        "snapshot.total_size" => {
            let snapshots = stores.snapshots()?;
            timed(|| snapshots.total_size())
        }
        "image.get" => {
            let (images, reference) = (stores.images()?, arg(args, 1, "REF")?);
            timed(|| Ok(images.get(reference)))
        }
        "image.evict" => {
            let images = stores.images()?;
            let cap: u64 = arg(args, 1, "MAX_BYTES")?
                .parse()
                .map_err(|e| format!("bad MAX_BYTES: {}", e))?;
            timed(|| images.evict(cap))
        }
        _ => Err(format!("unknown operation '{}'", op)),
    }
}

/// The response line, newline included.
pub fn response(outcome: Result<Done, String>) -> String {
    match outcome {
        Ok(done) => format!("{{\"ok\":{},\"ns\":{}}}\n", done.result, done.ns),
        Err(text) => format!("{{\"error\":{}}}\n", serde_json::Value::String(text)),
    }
}

fn serve_connection(stores: &Stores, stream: UnixStream) {
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    for line in BufReader::new(stream).lines() {
        let line = match line {
            Ok(line) => line,
            Err(_) => return,
        };
        let outcome = match serde_json::from_str::<Vec<String>>(&line) {
            Ok(args) => execute(stores, &args),
            Err(e) => Err(format!("bad request (a JSON array of strings): {}", e)),
        };
        if writer.write_all(response(outcome).as_bytes()).is_err() {
            return;
        }
    }
}

/// Opens the stores, listens on `socket`, prints `listening` on stdout once
/// connections are accepted, and serves until killed.
pub fn serve(home: &Path, socket: &Path) -> Result<(), String> {
    let stores = Arc::new(Stores::open_all(home)?);
    let listener =
        UnixListener::bind(socket).map_err(|e| format!("cannot listen on {}: {}", socket.display(), e))?;
    println!("listening");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    for stream in listener.incoming() {
        let stream = stream.map_err(|e| format!("accept: {}", e))?;
        let stores = Arc::clone(&stores);
        std::thread::spawn(move || serve_connection(&stores, stream));
    }
    Ok(())
}

/// One operation in this fresh process; true when it succeeded.
pub fn run(home: &Path, args: &[String]) -> bool {
    let t0 = Instant::now();
    let outcome = Stores::open_for(home, &args[0]).and_then(|stores| execute(&stores, args));
    let outcome = outcome.map(|done| Done {
        result: done.result,
        ns: t0.elapsed().as_nanos(),
    });
    let ok = outcome.is_ok();
    print!("{}", response(outcome));
    ok
}
