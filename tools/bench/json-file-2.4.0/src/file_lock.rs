//! 2.4.0's `FileLock` (runtime/src/file_lock.rs): a blocking `flock(LOCK_EX)`
//! on `<file>.lock`, opened anew for every mutation and released when the
//! descriptor closes. Reads never take it.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

pub struct FileLock {
    _file: File,
}

impl FileLock {
    pub fn acquire(target: &Path) -> std::io::Result<FileLock> {
        let mut lock_path = target.as_os_str().to_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        if let Some(parent) = lock_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileLock { _file: file })
    }
}
