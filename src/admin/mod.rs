//! The host's command line: `doable` (or `doable serve`) runs the server; the other commands
//! look after its database and accounts, with the server's own configuration (the same
//! environment and `.env`), while the server runs or not.
//!
//! - [`database`]: `backup`, `restore`, `check`;
//! - [`user`]: `user list|create|set-password|disable|enable|delete`.
//!
//! Each prints what it did on standard output and ends with status 0, or prints one line per
//! problem on standard error (`doable: error: ...`) and ends with status 1; a command line
//! that cannot be read ends with status 2 and the usage.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::config::Config;

mod common;
pub mod database;
pub mod user;

pub use common::fail;
pub use user::UserCommand;

/// Doable: a multi-user task manager. Without a command, serves the app.
#[derive(Debug, Parser)]
#[command(name = "doable", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Everything `doable` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (what `doable` with no command does).
    Serve,
    /// Write a consistent snapshot of the SQLite database to PATH while the server runs, and
    /// check it with integrity_check. On PostgreSQL: says which pg_dump command to run.
    Backup {
        /// The snapshot's file; it must not exist yet.
        path: PathBuf,
    },
    /// Replace the SQLite database with the snapshot at PATH (the server must be stopped).
    /// The database it replaces is kept beside it as `<database>.before-restore-<time>`.
    Restore {
        /// A snapshot made by `doable backup` (of this release or an earlier one).
        path: PathBuf,
    },
    /// Check the database: integrity, foreign keys, schema version, the size of SQLite's log.
    /// Ends with status 1 and one line per problem when there is any.
    Check,
    /// Look after accounts.
    #[command(subcommand)]
    User(UserCommand),
}

/// Runs a command other than `serve`, with the server's configuration.
pub async fn run(command: Command) -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(e),
    };
    let result = match command {
        Command::Serve => return fail("`serve` is not an admin command"),
        Command::Backup { path } => database::backup(&config, &path).await,
        Command::Restore { path } => database::restore(&config, &path).await,
        Command::Check => database::check(&config).await,
        Command::User(command) => user::run(&config, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
