//! What the Rust layer adds per call over the bare C API: network get and
//! connect, timed both ways on one home, in ns/op.
//! `cargo run --release --example overhead -- [<home>] [<iterations>]`
//! (default: a fresh directory under the system's temporary directory).
use a3s_box_store::{sys, NetworkConfig, NetworkStoreBackend, Store};
use std::ffi::{CStr, CString};
use std::ptr;
use std::time::{Duration, Instant};

/// Makes a C call that replies with JSON; returns the reply's length, which
/// stands for the least a caller does with it.
fn raw_call(call: impl FnOnce(*mut *mut std::os::raw::c_char) -> sys::a3s_status) -> usize {
    let mut out = ptr::null_mut();
    let status = call(&mut out);
    if status != sys::A3S_OK {
        let message = unsafe { CStr::from_ptr(sys::a3s_last_error()) };
        panic!("C call failed: {}", message.to_string_lossy());
    }
    let len = unsafe { CStr::from_ptr(out) }.to_bytes().len();
    unsafe { sys::a3s_free(out) };
    len
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_nanos() as f64 / f64::from(n)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let home = args.next().map(std::path::PathBuf::from).unwrap_or_else(|| {
        let dir = std::env::temp_dir().join(format!("a3s-overhead-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    });
    let n: u32 = args
        .next()
        .map(|s| s.parse().expect("iterations"))
        .unwrap_or(2000);
    // Without fsync the engine's own cost is smaller, so the layer's shows.
    let store = Store::open_with(&home, r#"{"synchronous": "normal"}"#).expect("open");
    let networks = store.networks();
    let config: NetworkConfig = serde_json::from_str(
        r#"{"name": "bench", "subnet": "10.0.0.0/8", "gateway": "10.0.0.1", "created_at": "2026-01-01T00:00:00+00:00"}"#,
    )
    .unwrap();
    networks.create(config).expect("create");

    let home_c = CString::new(home.to_str().unwrap()).unwrap();
    let options = CString::new(r#"{"synchronous": "normal"}"#).unwrap();
    let mut raw = ptr::null_mut();
    assert_eq!(
        unsafe { sys::a3s_open(home_c.as_ptr(), options.as_ptr(), &mut raw) },
        sys::A3S_OK
    );
    let name = CString::new("bench").unwrap();
    let web = CString::new("web").unwrap();
    let no_aliases = CString::new("[]").unwrap();

    // Connects first (so that gets read a network with endpoints),
    // alternating the two ways so that both meet the same table sizes.
    let mut sink = 0usize; // what was read, printed so that nothing is optimised away
    let (mut c_connect, mut rust_connect) = (Duration::ZERO, Duration::ZERO);
    for i in 0..n {
        let box_id = CString::new(format!("c-{i}")).unwrap();
        let start = Instant::now();
        sink += raw_call(|out| unsafe {
            sys::a3s_network_connect(
                raw,
                name.as_ptr(),
                box_id.as_ptr(),
                web.as_ptr(),
                no_aliases.as_ptr(),
                out,
            )
        });
        c_connect += start.elapsed();
        let start = Instant::now();
        sink += networks
            .connect("bench", &format!("r-{i}"), "web", &[])
            .expect("connect")
            .box_id
            .len();
        rust_connect += start.elapsed();
    }

    let small = CString::new("small").unwrap();
    let config: NetworkConfig = serde_json::from_str(
        r#"{"name": "small", "subnet": "10.1.0.0/16", "gateway": "10.1.0.1", "created_at": "2026-01-01T00:00:00+00:00"}"#,
    )
    .unwrap();
    networks.create(config).expect("create");
    networks
        .connect("small", "box-1", "web", &["app".to_string()])
        .expect("connect");
    let mut gets = Vec::new();
    for (network, c_name, calls) in [("small", &small, n), ("bench", &name, n.min(200))] {
        let (mut c_get, mut rust_get) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..calls {
            let start = Instant::now();
            sink += raw_call(|out| unsafe { sys::a3s_network_get(raw, c_name.as_ptr(), out) });
            c_get += start.elapsed();
            let start = Instant::now();
            sink += networks
                .get(network)
                .expect("get")
                .expect("exists")
                .endpoints
                .len();
            rust_get += start.elapsed();
        }
        let endpoints = if network == "small" { 1 } else { 2 * n };
        gets.push((endpoints, calls, per_op(c_get, calls), per_op(rust_get, calls)));
    }
    unsafe { sys::a3s_close(raw) };

    let (c, rust) = (per_op(c_connect, n), per_op(rust_connect, n));
    println!(
        "network connect ({n} calls each): C API {c:.0} ns/op, Rust {rust:.0} ns/op, Rust layer {:+.0} ns/op",
        rust - c
    );
    for (endpoints, calls, c, rust) in gets {
        println!(
            "network get, {endpoints} endpoint(s) ({calls} calls each): C API {c:.0} ns/op, Rust {rust:.0} ns/op, Rust layer {:+.0} ns/op",
            rust - c
        );
    }
    println!("({sink} bytes and items read)");
}
