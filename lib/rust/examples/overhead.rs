//! What the Rust layer adds per call over the bare C API, in ns/op: network
//! connect and get timed both ways on one home (alternating, so both meet
//! the same tables), and the layer's own work (argument strings in, serde
//! parse of the reply out) timed alone.
//! `cargo run --offline --release --example overhead -- [CONNECTS [GETS]]`
use a3s_box_store::{sys, NetworkConfig, NetworkEndpoint, NetworkStoreBackend, Store};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;
use std::time::{Duration, Instant};

/// A C call replying with JSON; the reply's text.
fn raw_call(call: impl FnOnce(*mut *mut c_char) -> sys::a3s_status) -> String {
    let mut out = ptr::null_mut();
    let status = call(&mut out);
    if status != sys::A3S_OK {
        let message = unsafe { CStr::from_ptr(sys::a3s_last_error()) };
        panic!("C call failed: {}", message.to_string_lossy());
    }
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    unsafe { sys::a3s_free(out) };
    text
}

/// Mean ns per run of `f` over `n` runs; `f` returns something to keep.
fn time<T>(n: u32, sink: &mut usize, mut f: impl FnMut(u32) -> T) -> f64 {
    let start = Instant::now();
    for i in 0..n {
        let kept = f(i);
        *sink += std::mem::size_of_val(&kept);
    }
    per_op(start.elapsed(), n)
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_nanos() as f64 / f64::from(n)
}

fn network(name: &str, subnet: &str, gateway: &str) -> NetworkConfig {
    serde_json::from_value(serde_json::json!({
        "name": name, "subnet": subnet, "gateway": gateway, "created_at": "2026-01-01T00:00:00+00:00"
    }))
    .unwrap()
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|s| s.parse::<u32>().expect("a count"));
    let connects = args.next().unwrap_or(200);
    let gets = args.next().unwrap_or(2000);
    let home = std::env::temp_dir().join(format!("a3s-overhead-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let options = r#"{"synchronous": "normal"}"#; // no fsync: less engine time around the layer's
    let store = Store::open_with(&home, options).expect("open");
    let networks = store.networks();
    networks
        .create(network("bench", "10.0.0.0/8", "10.0.0.1"))
        .unwrap();
    networks
        .create(network("small", "10.1.0.0/16", "10.1.0.1"))
        .unwrap();
    networks
        .connect("small", "box-1", "web", &["app".to_string()])
        .unwrap();

    let (home_c, options_c) = (
        CString::new(home.to_str().unwrap()).unwrap(),
        CString::new(options).unwrap(),
    );
    let mut raw = ptr::null_mut();
    assert_eq!(
        unsafe { sys::a3s_open(home_c.as_ptr(), options_c.as_ptr(), &mut raw) },
        sys::A3S_OK
    );
    let (bench, small, web, none) = (
        CString::new("bench").unwrap(),
        CString::new("small").unwrap(),
        CString::new("web").unwrap(),
        CString::new("[]").unwrap(),
    );

    let mut sink = 0usize;
    let (mut c_connect, mut rust_connect) = (Duration::ZERO, Duration::ZERO);
    let mut connect_reply = String::new();
    for i in 0..connects {
        let box_id = CString::new(format!("c-{i}")).unwrap();
        let start = Instant::now();
        connect_reply = raw_call(|out| unsafe {
            sys::a3s_network_connect(
                raw,
                bench.as_ptr(),
                box_id.as_ptr(),
                web.as_ptr(),
                none.as_ptr(),
                out,
            )
        });
        c_connect += start.elapsed();
        let start = Instant::now();
        sink += networks
            .connect("bench", &format!("r-{i}"), "web", &[])
            .unwrap()
            .box_id
            .len();
        rust_connect += start.elapsed();
    }
    let (mut c_get, mut rust_get) = (Duration::ZERO, Duration::ZERO);
    let mut get_reply = String::new();
    for _ in 0..gets {
        let start = Instant::now();
        get_reply = raw_call(|out| unsafe { sys::a3s_network_get(raw, small.as_ptr(), out) });
        c_get += start.elapsed();
        let start = Instant::now();
        sink += networks.get("small").unwrap().unwrap().endpoints.len();
        rust_get += start.elapsed();
    }
    unsafe { sys::a3s_close(raw) };

    // The layer alone, on the replies just received.
    let layer_get = time(gets, &mut sink, |_| {
        (
            CString::new("small").unwrap(),
            serde_json::from_str::<NetworkConfig>(&get_reply).unwrap(),
        )
    });
    let layer_connect = time(gets, &mut sink, |_| {
        let args = ["bench", "r-0", "web"].map(|s| CString::new(s).unwrap());
        (
            args,
            serde_json::to_string(&[] as &[String]).unwrap(),
            serde_json::from_str::<NetworkEndpoint>(&connect_reply).unwrap(),
        )
    });
    let _ = std::fs::remove_dir_all(&home);

    let row = |what: &str, n: u32, c: f64, rust: f64, layer: f64| {
        println!("{what:<28} {n:>6} calls: C API {c:>10.0} ns/op, Rust {rust:>10.0} ns/op, difference {:>+8.0}, layer alone {layer:>6.0} ns/op", rust - c);
    };
    row(
        "network connect",
        connects,
        per_op(c_connect, connects),
        per_op(rust_connect, connects),
        layer_connect,
    );
    row(
        "network get (1 endpoint)",
        gets,
        per_op(c_get, gets),
        per_op(rust_get, gets),
        layer_get,
    );
    println!("({sink})");
}
