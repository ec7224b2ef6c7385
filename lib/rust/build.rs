//! Links the engine's C library, built by meson.
//!
//! `A3S_STORE_LIB_DIR` names the directory holding the shared library (the
//! meson test sets it to `<build dir>/lib`); without it, the `build/lib` of
//! this repository, where `scripts/setup.sh` builds. The directory is also
//! written as an rpath, so tests and examples run without LD_LIBRARY_PATH.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=A3S_STORE_LIB_DIR");
    let dir = match env::var_os("A3S_STORE_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../../build/lib")
        }
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=a3s_store");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
