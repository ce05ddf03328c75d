//! What the host's commands share: opening the database, and printing.

use std::{io::Write, process::ExitCode};

use crate::{
    config::Config,
    db::{Db, backup},
};

/// Opens the database, whose schema must be this release's. A database nothing has created
/// yet is created (as the server would at start); one with an older schema is left alone,
/// since a server of the older release may be using it: this release's server migrates it.
pub(super) async fn open(config: &Config) -> Result<Db, String> {
    let db = Db::connect(config).await.map_err(|e| format!("DATABASE_URL: {e}"))?;
    let checked = check_schema(&db).await;
    if checked.is_err() {
        db.close().await;
    }
    checked.map(|()| db)
}

async fn check_schema(db: &Db) -> Result<(), String> {
    let migrator = if db.is_sqlite() { backup::sqlite_migrator() } else { backup::postgres_migrator() };
    let applied = backup::applied_in(db).await.map_err(|e| format!("cannot read the database's schema: {e}"))?;
    if applied.is_empty() {
        return db.migrate().await.map_err(|e| format!("DATABASE_URL: {e}"));
    }
    if let Some(problem) = backup::foreign_migrations(&applied, &migrator).first() {
        return Err(format!("{problem}: use the release that made this database"));
    }
    let (have, latest) = (applied.iter().map(|(v, _)| *v).max().unwrap_or(0), backup::latest_schema(&migrator));
    if have < latest {
        return Err(format!(
            "the database's schema is version {have}, this release's {latest}: start this release's server once \
             (it migrates the database), then run this command again"
        ));
    }
    Ok(())
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
/// move the cursor or rewrite what the host sees) and bidirectional controls (which could
/// reorder a line) are shown escaped.
pub(super) fn printable(text: &str) -> String {
    text.chars().map(|c| if is_unprintable(c) { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Control characters, and the invisible ones that reorder a line's text (bidirectional
/// embeddings, overrides and isolates, and the direction marks).
fn is_unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
