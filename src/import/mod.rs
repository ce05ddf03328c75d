//! Import: a person's tasks brought in from a file, all or nothing, and never twice.
//!
//! Three formats: Doable's own export ([`doable`], every version it ever wrote), Todoist's
//! CSV project template ([`todoist`]) and a plain CSV with a header, the columns of Doable's
//! CSV export ([`table`]). Each reader turns the file into a [`plan::Plan`]: the lists it
//! names and a row per task, every row checked by the same rules as `POST
//! /api/tasks/create`, every problem kept with its row. [`store`] then applies the plan in
//! one transaction, which it commits only when no row had an error (and never for a dry
//! run). Each row has an import key, kept per person, so that importing the same file again
//! creates nothing twice.
//!
//! - this module: the report the import answers with, which the account page shows;
//! - [`upload`]: `POST /api/import` (multipart); [`api`]: `GET /api/import/last`;
//! - [`ui`]: the form on `/account`, which works without scripts.

use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod doable;
#[cfg(feature = "ssr")]
pub mod plan;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod table;
#[cfg(feature = "ssr")]
pub mod todoist;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod upload;

/// The most a file may weigh.
pub const FILE_MAX: usize = 10 * 1024 * 1024;
/// The most rows (tasks) a file may have.
pub const ROWS_MAX: usize = 100_000;
/// The most errors, and the most warnings, a report lists (it counts them all).
pub const LISTED_MAX: usize = 100;

/// What was, or would be, created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Created {
    /// Lists made (a list of the file whose name one of yours has is used as it is).
    pub lists: u64,
    /// Tasks made.
    pub tasks: u64,
}

/// A problem with the file, where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The row: a CSV file's line (its header is line 1), or a task's place in a Doable
    /// file's `tasks` (the first is 1); none for the file as a whole.
    pub row: Option<u64>,
    /// The column or field.
    pub field: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Report {
    /// The file's format: `doable`, `todoist` or `csv`.
    pub format: String,
    /// Whether this was only a look (`dry_run`): nothing was changed.
    pub dry_run: bool,
    /// Whether the import was applied: neither a dry run nor refused for its errors.
    pub imported: bool,
    /// What was created; for a dry run, or a file with errors, what would have been.
    pub created: Created,
    /// Rows already imported (by an earlier import of the same rows, or tasks of this
    /// account's own export that are still here): left as they are.
    pub skipped: u64,
    /// What stops the import, at most 100 of them; any one of them changes nothing.
    pub errors: Vec<Problem>,
    /// How many errors there are in all.
    pub error_count: u64,
    /// What was imported otherwise than the file says (an assignee who is not you, a
    /// Todoist date in words this app does not read, kept in the description), at most 100.
    pub warnings: Vec<Problem>,
    /// How many warnings there are in all.
    pub warning_count: u64,
}

/// A person's last import, as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LastImport {
    /// When it ran.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: crate::dates::Moment,
    /// Its report.
    pub report: Report,
}

/// `GET /api/import/last`: the last import, if there was one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LastImportAnswer {
    /// The last import; none before the first.
    pub last: Option<LastImport>,
}

/// A report in a sentence.
#[cfg(feature = "ssr")]
pub fn summary(report: &Report) -> String {
    let Report { created, skipped, error_count, .. } = report;
    let what = format!(
        "{} task{} in {} new list{}, {skipped} already here",
        created.tasks,
        plural(created.tasks),
        created.lists,
        plural(created.lists),
    );
    match (report.imported, report.dry_run, error_count) {
        (true, _, _) => format!("Imported {what}."),
        (false, true, 0) => format!("Dry run: the file is fine; it would import {what}."),
        (false, true, n) => format!("Dry run: the file has {n} error{}; fix them to import it.", plural(*n)),
        (false, false, n) => format!("Nothing was imported: the file has {n} error{}.", plural(*n)),
    }
}

#[cfg(feature = "ssr")]
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
