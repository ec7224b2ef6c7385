//! What the integration tests share: temporary homes, the fixtures, a
//! minimal executor for the async image store, and raw C calls for reading
//! the JSON the engine writes.
#![allow(dead_code)]

use a3s_box_store::sys;
use std::ffi::{CStr, CString};
use std::future::Future;
use std::os::raw::c_char;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// A directory of its own, deleted when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "a3s-rust-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shared fixtures: `$A3S_FIXTURES` (the meson test sets it), else
/// `../shared/fixtures` beside the repository.
pub fn fixtures() -> PathBuf {
    match std::env::var_os("A3S_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
    }
}

pub fn legacy_home() -> PathBuf {
    fixtures().join("legacy-home-small")
}

/// Runs a future to completion on this thread, parking while it is pending.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = Box::pin(future);
    loop {
        match Pin::as_mut(&mut future).poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

/// A second handle on a home through the bare C API, for the JSON text the
/// engine itself writes.
pub struct Raw(*mut sys::a3s_store);

impl Raw {
    pub fn open(home: &Path) -> Raw {
        let home = CString::new(home.to_str().unwrap()).unwrap();
        let mut raw = ptr::null_mut();
        assert_eq!(
            unsafe { sys::a3s_open(home.as_ptr(), ptr::null(), &mut raw) },
            sys::A3S_OK
        );
        Raw(raw)
    }

    pub fn handle(&self) -> *mut sys::a3s_store {
        self.0
    }

    /// The JSON of a one-argument call such as `a3s_network_get`.
    pub fn get(
        &self,
        call: unsafe extern "C" fn(*mut sys::a3s_store, *const c_char, *mut *mut c_char) -> sys::a3s_status,
        arg: &str,
    ) -> String {
        let arg = CString::new(arg).unwrap();
        self.call(|s, out| unsafe { call(s, arg.as_ptr(), out) })
    }

    /// The JSON of a list call such as `a3s_network_list`.
    pub fn list(
        &self,
        call: unsafe extern "C" fn(*mut sys::a3s_store, *mut *mut c_char) -> sys::a3s_status,
    ) -> String {
        self.call(|s, out| unsafe { call(s, out) })
    }

    /// The JSON reply of any call; panics unless it succeeds.
    pub fn call(
        &self,
        call: impl FnOnce(*mut sys::a3s_store, *mut *mut c_char) -> sys::a3s_status,
    ) -> String {
        let mut out = ptr::null_mut();
        let status = call(self.0, &mut out);
        let message = unsafe { CStr::from_ptr(sys::a3s_last_error()) }
            .to_string_lossy()
            .into_owned();
        assert_eq!(status, sys::A3S_OK, "{message}");
        let text = unsafe { CStr::from_ptr(out) }.to_str().expect("UTF-8").to_owned();
        unsafe { sys::a3s_free(out) };
        text
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        unsafe { sys::a3s_close(self.0) }
    }
}

/// A network with no endpoints on `subnet`, its gateway the address after
/// the subnet's, created at a time written as 2.4.0 writes it (nanoseconds,
/// `+00:00`).
pub fn network(name: &str, subnet: &str) -> a3s_box_store::NetworkConfig {
    let address: std::net::Ipv4Addr = subnet.split('/').next().unwrap().parse().unwrap();
    a3s_box_store::NetworkConfig {
        name: name.to_string(),
        subnet: subnet.to_string(),
        gateway: std::net::Ipv4Addr::from(u32::from(address) + 1),
        driver: "bridge".to_string(),
        labels: std::collections::HashMap::new(),
        endpoints: std::collections::HashMap::new(),
        created_at: "2026-06-17T08:15:30.123456789+00:00".to_string(),
        policy: a3s_box_store::NetworkPolicy::default(),
    }
}

/// A volume with every optional field at its default; the engine sets its
/// mount point.
pub fn volume(name: &str) -> a3s_box_store::VolumeConfig {
    a3s_box_store::VolumeConfig {
        name: name.to_string(),
        driver: "local".to_string(),
        mount_point: String::new(),
        labels: std::collections::HashMap::new(),
        in_use_by: Vec::new(),
        size_limit: 0,
        created_at: "2026-06-18T09:00:00+00:00".to_string(),
    }
}
