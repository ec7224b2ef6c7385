//! json-file-2.4.0: A3S Box 2.4.0's JSON-file stores, rebuilt with their I/O
//! reproduced (see each module), for the benchmark to measure against.
//!
//!   json-file-2.4.0 serve HOME SOCKET   one runtime process (server.rs)
//!   json-file-2.4.0 run HOME OP ARGS... one operation in a fresh process
//!
//! Exit status: 0 ok, 1 the operation failed, 2 bad usage or serve failed.

mod file_lock;
mod image_store;
mod ipam;
mod json_catalog;
mod network_store;
mod records;
mod server;
mod snapshot_store;
mod volume_store;

use std::path::Path;

const USAGE: &str = "usage: json-file-2.4.0 serve HOME SOCKET | run HOME OP ARGS...";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(|s| s.as_str()) {
        Some("serve") if args.len() == 4 => match server::serve(Path::new(&args[2]), Path::new(&args[3])) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("json-file-2.4.0: {}", e);
                2
            }
        },
        Some("run") if args.len() >= 4 => {
            if server::run(Path::new(&args[2]), &args[3..]) {
                0
            } else {
                1
            }
        }
        _ => {
            eprintln!("{}", USAGE);
            2
        }
    };
    std::process::exit(code);
}
