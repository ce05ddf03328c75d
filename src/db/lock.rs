//! Who is using a SQLite database: every process that opens it (the server, and `doable`'s
//! commands) holds a shared lock on a file beside it, `<database>.lock`, for as long as it
//! has it open; `doable restore` needs that lock exclusively. The operating system lets go
//! of a lock when its process ends, however it ends, so a crashed server never leaves the
//! database looking busy, and a restore in progress keeps servers from starting on it.

use std::{
    fs::File,
    path::{Path, PathBuf},
};

/// A lock held on `<database>.lock` until this value is dropped.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// Whether the lock is shared (using the database) or exclusive (replacing it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Any number of processes using the database.
    Shared,
    /// One process replacing it, while nobody uses it.
    Exclusive,
}

impl DatabaseLock {
    /// Takes the lock without waiting: `Ok(None)` when another process holds it in a way
    /// that excludes `kind`.
    pub fn try_take(database: &Path, kind: LockKind) -> std::io::Result<Option<Self>> {
        let path = lock_path(database);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let file = options.open(&path)?;
        let operation = match kind {
            LockKind::Shared => rustix::fs::FlockOperation::NonBlockingLockShared,
            LockKind::Exclusive => rustix::fs::FlockOperation::NonBlockingLockExclusive,
        };
        match rustix::fs::flock(&file, operation) {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// `<database>.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    with_suffix(database, ".lock")
}

/// `<database><suffix>`: the files kept beside a database (SQLite's `-wal` and `-shm`, our
/// `.lock`, a snapshot's temporary names).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
