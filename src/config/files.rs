//! The files the configuration owns: the data directory (the owner's alone), SQLite's files,
//! and the generated JWT secret, written once and read without following links.

use std::{io::Write, path::Path};

use super::{ConfigError, Secret, Source, error};

/// Makes sure `dir` exists and is writable. A directory it creates is the owner's alone
/// (0700); so is an existing data directory (`tighten`) that others could read.
pub(super) fn ensure_dir(dir: &Path, variable: &'static str, tighten: bool) -> Result<(), ConfigError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| error(variable, format!("cannot create directory {}: {e}", dir.display())))?;
    #[cfg(unix)]
    if tighten {
        private(dir, 0o700).map_err(|e| error(variable, format!("cannot make {} private: {e}", dir.display())))?;
    }
    // A name of its own: instances starting together in one directory must not remove each
    // other's probe.
    let probe = dir.join(format!(".doable-write-test.{}", crate::hex::random::<8>()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| error(variable, format!("directory {} is not writable: {e}", dir.display())))
}

/// Takes away group and other permissions from a file or directory of ours that has them.
#[cfg(unix)]
fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.mode() & 0o077 != 0 && metadata.uid() == rustix::process::geteuid().as_raw() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// The SQLite database and its log are the owner's alone (0600): created so before SQLite
/// opens them (SQLite gives its `-wal` and `-shm` files the database's mode), and tightened
/// when an older release left them readable by everyone.
pub(super) fn secure_sqlite_files(file: &Path, variable: &'static str) -> Result<(), ConfigError> {
    if file == Path::new(":memory:") || file.as_os_str().is_empty() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.as_os_str().to_owned();
                path.push(suffix);
                match private(Path::new(&path), 0o600) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(error(variable, format!("cannot make {} private: {e}", file.display()))),
                }
            }
            Ok(())
        }
        Err(e) => Err(error(variable, format!("cannot create {}: {e}", file.display()))),
    }
}

pub(super) fn jwt_secret(env: &impl Source, data_dir: &Path) -> Result<Secret, ConfigError> {
    const VAR: &str = "DOABLE_JWT_SECRET";
    if let Some(secret) = env.get(VAR) {
        if secret.len() < 32 {
            return Err(error(VAR, "must be at least 32 bytes long (e.g. `openssl rand -hex 32`)"));
        }
        return Ok(Secret(secret.into_bytes()));
    }
    ensure_dir(data_dir, "DOABLE_DATA_DIR", true)?;
    let path = data_dir.join("jwt-secret");
    // Twice at most: when another instance sharing the directory writes the secret between
    // our look and our write, the second look finds theirs.
    for _ in 0..2 {
        if let Some(secret) = read_secret(&path)? {
            return Ok(secret);
        }
        if let Some(secret) = write_secret(data_dir, &path)? {
            return Ok(secret);
        }
    }
    Err(error(VAR, format!("{} keeps changing; is another program writing it?", path.display())))
}

/// The secret in `path`, or `None` when there is no such file. The file must be a regular
/// file (a link is not followed), owned by this user and readable by no one else.
fn read_secret(path: &Path) -> Result<Option<Secret>, ConfigError> {
    const VAR: &str = "DOABLE_JWT_SECRET";
    let shown = path.display();
    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if is_link_error(&e) => {
            return Err(error(VAR, format!("{shown} is a symbolic link; the secret must be a regular file")));
        }
        Err(e) => return Err(error(VAR, format!("cannot read {shown}: {e}"))),
    };
    let metadata = file.metadata().map_err(|e| error(VAR, format!("cannot read {shown}: {e}")))?;
    if !metadata.is_file() {
        return Err(error(VAR, format!("{shown} is not a regular file")));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.uid() != rustix::process::geteuid().as_raw() {
            return Err(error(VAR, format!("{shown} belongs to another user; the secret must be this user's")));
        }
        if metadata.mode() & 0o077 != 0 {
            return Err(error(VAR, format!("{shown} can be read by other users; run `chmod 600 {shown}`")));
        }
    }
    let mut secret = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(&file, 4096), &mut secret)
        .map_err(|e| error(VAR, format!("cannot read {shown}: {e}")))?;
    if secret.trim().len() < 32 {
        return Err(error(VAR, format!("{shown} is shorter than 32 bytes; delete it to generate a new one")));
    }
    Ok(Some(Secret(secret.trim().as_bytes().to_vec())))
}

/// Writes a new random secret to `path` at once or not at all: into a private file of its
/// own first, then linked into place, which fails when `path` exists (`None`: read theirs).
fn write_secret(data_dir: &Path, path: &Path) -> Result<Option<Secret>, ConfigError> {
    let failed = |e: std::io::Error| error("DOABLE_DATA_DIR", format!("cannot write {}: {e}", path.display()));
    let secret = crate::hex::random::<32>();
    let draft = data_dir.join(format!(".jwt-secret.{}.tmp", crate::hex::random::<8>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&draft)
        .and_then(|mut file| file.write_all(secret.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::hard_link(&draft, path));
    let _ = std::fs::remove_file(&draft);
    match written {
        Ok(()) => Ok(Some(Secret(secret.into_bytes()))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(failed(e)),
    }
}

/// Opens a file for reading without following a symbolic link at its last step, and
/// without waiting (a FIFO would otherwise block until someone writes to it; the check that
/// it is a regular file comes after).
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits().cast_signed(),
    );
    options.open(path)
}

/// Whether opening failed because the path is a symbolic link (`ELOOP` with `O_NOFOLLOW`).
fn is_link_error(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}
