//! The one place that calls the C API: strings in, JSON text out, statuses
//! turned into [`Error`]s.
use crate::error::{Error, ErrorCode, Result};
use crate::sys;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{self, NonNull};

/// An open `a3s_store`, closed when dropped. The C API lets one handle
/// serve many threads at once, so it is shared behind an `Arc`.
pub(crate) struct Handle {
    raw: NonNull<sys::a3s_store>,
}

// SAFETY: a3s_store.h: "One a3s_store handle may be used from many threads
// at once"; a3s_close runs only from Drop, when no other reference is left.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: raw came from a3s_open and is closed exactly once.
        unsafe { sys::a3s_close(self.raw.as_ptr()) }
    }
}

impl Handle {
    pub(crate) fn open(home: &Path, options_json: Option<&str>) -> Result<Handle> {
        let home = path_arg(home)?;
        let options = options_json.map(|o| text_arg(o, "options")).transpose()?;
        let mut raw = ptr::null_mut();
        // SAFETY: valid C strings (or NULL options) and an out pointer.
        let status = unsafe {
            sys::a3s_open(
                home.as_ptr(),
                options.as_ref().map_or(ptr::null(), |o| o.as_ptr()),
                &mut raw,
            )
        };
        check(status)?;
        NonNull::new(raw)
            .map(|raw| Handle { raw })
            .ok_or_else(|| Error::new(ErrorCode::Internal, "a3s_open returned no handle"))
    }

    /// Runs `call` with the handle; `Ok(())` on `A3S_OK`, else this thread's
    /// error.
    pub(crate) fn status(&self, call: impl FnOnce(*mut sys::a3s_store) -> sys::a3s_status) -> Result<()> {
        check(call(self.raw.as_ptr()))
    }

    /// Runs `call` with the handle and an out pointer for a JSON reply, and
    /// parses the reply as `T`.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        call: impl FnOnce(*mut sys::a3s_store, *mut *mut c_char) -> sys::a3s_status,
    ) -> Result<T> {
        let mut out: *mut c_char = ptr::null_mut();
        let status = call(self.raw.as_ptr(), &mut out);
        // SAFETY: on A3S_OK `out` is a string of the library's or NULL.
        let text = unsafe { take_string(out) };
        check(status)?;
        let text = text.ok_or_else(|| Error::new(ErrorCode::Internal, "the engine returned no JSON"))?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!(
                    "cannot read the engine's reply as {}: {e}",
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}

/// Copies and frees a string the library returned.
unsafe fn take_string(s: *mut c_char) -> Option<Vec<u8>> {
    if s.is_null() {
        return None;
    }
    let bytes = CStr::from_ptr(s).to_bytes().to_vec();
    sys::a3s_free(s);
    Some(bytes)
}

fn check(status: sys::a3s_status) -> Result<()> {
    if status == sys::A3S_OK {
        return Ok(());
    }
    // SAFETY: a3s_last_error never returns NULL; its text stays valid until
    // this thread's next call, and is copied before that.
    let message = unsafe { CStr::from_ptr(sys::a3s_last_error()) }
        .to_string_lossy()
        .into_owned();
    Err(Error::new(ErrorCode::from_status(status), message))
}

/// A string argument for C. A NUL byte, which no valid value holds, is
/// invalid_argument naming `what`.
pub(crate) fn text_arg(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} contains a NUL byte")))
}

pub(crate) fn path_arg(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("path '{}' contains a NUL byte", p.display()),
        )
    })
}

/// A record (or list) as the JSON argument of a C call.
pub(crate) fn json_arg<T: Serialize + ?Sized>(value: &T) -> Result<CString> {
    let text = serde_json::to_string(value).map_err(|e| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("cannot write the record as JSON: {e}"),
        )
    })?;
    text_arg(&text, "the record")
}

/// Not found as `None`, as the traits' lookups answer it.
pub(crate) fn optional<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
