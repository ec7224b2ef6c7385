//! The C API of `lib/include/a3s_store.h`, declared by hand.
//!
//! Every function here is `unsafe` to call: strings are NUL-terminated
//! UTF-8, every `char *` the library returns is freed with [`a3s_free`], and
//! an `a3s_store` is used only between [`a3s_open`] and [`a3s_close`]. The
//! safe layer of this crate is the only caller.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int};

/// An open store (opaque).
#[repr(C)]
pub struct a3s_store {
    _private: [u8; 0],
}

/// `a3s_status`: 0 is success, 1..=11 the store's error codes, 12 internal.
/// Kept as a plain integer so that a value this crate does not know is no
/// undefined behaviour.
pub type a3s_status = c_int;

pub const A3S_OK: a3s_status = 0;

extern "C" {
    pub fn a3s_version() -> *const c_char;
    pub fn a3s_last_error() -> *const c_char;
    pub fn a3s_free(s: *mut c_char);

    pub fn a3s_open(home: *const c_char, options_json: *const c_char, out: *mut *mut a3s_store)
        -> a3s_status;
    pub fn a3s_close(s: *mut a3s_store);

    pub fn a3s_network_get(s: *mut a3s_store, name: *const c_char, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_network_create(s: *mut a3s_store, config_json: *const c_char) -> a3s_status;
    pub fn a3s_network_remove(
        s: *mut a3s_store,
        name: *const c_char,
        force: c_int,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_network_list(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_network_update(s: *mut a3s_store, config_json: *const c_char) -> a3s_status;
    pub fn a3s_network_connect(
        s: *mut a3s_store,
        network: *const c_char,
        box_id: *const c_char,
        box_name: *const c_char,
        aliases_json: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_network_disconnect(
        s: *mut a3s_store,
        network: *const c_char,
        box_id: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;

    pub fn a3s_volume_get(s: *mut a3s_store, name: *const c_char, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_volume_create(
        s: *mut a3s_store,
        config_json: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_volume_get_or_create(
        s: *mut a3s_store,
        config_json: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_volume_remove(
        s: *mut a3s_store,
        name: *const c_char,
        force: c_int,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_volume_list(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_volume_update(s: *mut a3s_store, config_json: *const c_char) -> a3s_status;
    pub fn a3s_volume_attach(s: *mut a3s_store, name: *const c_char, box_id: *const c_char) -> a3s_status;
    pub fn a3s_volume_detach(s: *mut a3s_store, name: *const c_char, box_id: *const c_char) -> a3s_status;
    pub fn a3s_volume_prune(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;

    pub fn a3s_snapshot_save(
        s: *mut a3s_store,
        metadata_json: *const c_char,
        rootfs_source: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_snapshot_get(s: *mut a3s_store, id: *const c_char, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_snapshot_list(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_snapshot_delete(s: *mut a3s_store, id: *const c_char, existed: *mut c_int) -> a3s_status;
    pub fn a3s_snapshot_count(s: *mut a3s_store, out: *mut u64) -> a3s_status;
    pub fn a3s_snapshot_total_size(s: *mut a3s_store, out: *mut u64) -> a3s_status;
    pub fn a3s_snapshot_prune(
        s: *mut a3s_store,
        max_count: u64,
        max_bytes: u64,
        out_json: *mut *mut c_char,
    ) -> a3s_status;

    pub fn a3s_image_put(
        s: *mut a3s_store,
        reference: *const c_char,
        digest: *const c_char,
        source_dir: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_image_get(
        s: *mut a3s_store,
        reference: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_image_get_by_digest(
        s: *mut a3s_store,
        digest: *const c_char,
        out_json: *mut *mut c_char,
    ) -> a3s_status;
    pub fn a3s_image_remove(s: *mut a3s_store, reference_or_digest: *const c_char) -> a3s_status;
    pub fn a3s_image_list(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_image_evict(s: *mut a3s_store, out_json: *mut *mut c_char) -> a3s_status;
    pub fn a3s_image_total_size(s: *mut a3s_store, out: *mut u64) -> a3s_status;
}
