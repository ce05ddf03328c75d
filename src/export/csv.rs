//! The export as CSV: RFC 4180, UTF-8, a header row, one row per task.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some
//! treat a leading tab or carriage return the same way), so such a cell is written with a `'`
//! before it (OWASP's "CSV injection"): a title like `=HYPERLINK(...)` opens as text.

use super::{ExportList, ExportTask};

/// The header row: the columns, in order.
pub const COLUMNS: [&str; 20] = [
    "id",
    "list",
    "list_id",
    "title",
    "description",
    "completed",
    "priority",
    "due_date",
    "due_time",
    "repeat",
    "repeat_from",
    "reminders",
    "tags",
    "assignee",
    "created_by",
    "created_at",
    "updated_at",
    "completed_at",
    "occurrence_of",
    "trashed_at",
];

/// A cell as written: neutralised when a spreadsheet would read it as a formula.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    // A text that starts with `'` before such a character gets one more, so that an import
    // can tell it from one neutralised here.
    let formula = |byte: Option<&u8>| matches!(byte, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let bytes = text.as_bytes();
    if formula(bytes.first()) || (bytes.first() == Some(&b'\'') && formula(bytes.get(1))) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The header row's bytes.
pub fn header() -> Vec<u8> {
    rows(|writer| writer.write_record(COLUMNS))
}

/// The rows of these tasks, each naming its list from `lists`.
pub fn task_rows(tasks: &[ExportTask], lists: &[ExportList]) -> Vec<u8> {
    rows(|writer| {
        for task in tasks {
            let list = lists.iter().find(|l| l.id == task.list_id).map_or("", |l| l.name.as_str());
            let moment =
                |m: &Option<crate::dates::Moment>| m.as_ref().map(crate::dates::machine_of).unwrap_or_default();
            let record = [
                task.id.to_string(),
                list.to_owned(),
                task.list_id.to_string(),
                task.title.clone(),
                task.description.clone(),
                task.completed.to_string(),
                task.priority.as_str().to_owned(),
                task.due_date.map(|d| d.to_string()).unwrap_or_default(),
                task.due_time.map(|t| format!("{:02}:{:02}", t.hour(), t.minute())).unwrap_or_default(),
                task.repeat.clone().unwrap_or_default(),
                task.repeat.as_ref().map(|_| task.repeat_from.as_str().to_owned()).unwrap_or_default(),
                task.reminders.join(","),
                task.tags.join(","),
                task.assignee.clone().unwrap_or_default(),
                task.created_by.clone().unwrap_or_default(),
                crate::dates::machine_of(&task.created_at),
                crate::dates::machine_of(&task.updated_at),
                moment(&task.completed_at),
                task.occurrence_of.map(|id| id.to_string()).unwrap_or_default(),
                moment(&task.trashed_at),
            ];
            writer.write_record(record.iter().map(|field| cell(field).into_owned()))?;
        }
        Ok(())
    })
}

fn rows(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Vec<u8> {
    // CRLF line ends (RFC 4180); every field quoted when it needs to be, and only then.
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing into memory fails only on a bug of ours (a record of another width).
    if let Err(e) = write(&mut writer) {
        tracing::error!(error = %e, "cannot write CSV rows");
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for (raw, written) in [
            ("=1+1", "'=1+1"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain = text", "plain = text"),
            ("", ""),
            ("'quoted", "'quoted"),
            ("'=1", "''=1"),
        ] {
            assert_eq!(cell(raw), written, "{raw:?}");
        }
    }

    #[test]
    fn the_header_is_one_crlf_row() {
        let header = String::from_utf8(header()).unwrap();
        assert!(header.starts_with("id,list,list_id,title,"));
        assert!(header.ends_with("trashed_at\r\n") && header.matches("\r\n").count() == 1);
    }
}
