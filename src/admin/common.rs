//! What the host's commands share: opening the database, and printing.

use std::{io::Write, process::ExitCode};

use crate::{config::Config, db::Db};

/// Opens the database and brings its schema up to date, as the server does at start.
pub(super) async fn open(config: &Config) -> Result<Db, String> {
    let db = Db::connect(config).await.map_err(|e| format!("DATABASE_URL: {e}"))?;
    db.migrate().await.map_err(|e| format!("DATABASE_URL: {e}"))?;
    Ok(db)
}

/// Prints a line of a command's result on standard output.
pub(super) fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Prints one line saying what is wrong and gives the failure status.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "doable: error: {message}");
    ExitCode::FAILURE
}

/// Text from the database, safe to print on a terminal: control characters (which could
/// move the cursor or rewrite what the host sees) are shown escaped.
pub(super) fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}
