//! CSV files: reading one (UTF-8, a header row, at most [`ROWS_MAX`] rows), and the plain
//! CSV format, whose columns are those of Doable's CSV export, named in any case and in any
//! order. Only `title` is needed; a column of another name is refused, as it is most likely
//! a typo that would otherwise lose a field of every row.
//!
//! A cell the export neutralised against spreadsheet formulas (`'=1+1`) is read back as it
//! was (`=1+1`), so that a CSV export imports whole.

use super::{
    ROWS_MAX,
    plan::{Extras, Plan, flag, id, id_key, moment},
};
use crate::{export::csv::COLUMNS, tasks::input::NewTask};

/// The most columns a file may have (Doable's export has 20, Todoist's template 12 to 14).
const COLUMNS_MAX: usize = 64;

/// A CSV file's header and rows, each row with its line (the header's is 1).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    /// Reads a file, or says (as a plan of errors) why it cannot be read.
    pub fn read(bytes: &[u8]) -> Result<Self, Box<Plan>> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
                let mut plan = Plan::default();
                plan.error(Some(line), None, "The file is not UTF-8 text: save it as CSV UTF-8 and try again.");
                return Err(Box::new(plan));
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if let Err((line, message)) = shape(text) {
            let mut plan = Plan::default();
            plan.error(Some(line), None, message);
            return Err(Box::new(plan));
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(header)) if header.len() > COLUMNS_MAX => {
                return Err(Box::new(Plan::refused(format!(
                    "The header has {} columns; a file this app reads has at most {COLUMNS_MAX}.",
                    header.len()
                ))));
            }
            Some(Ok(header)) => header.iter().map(|h| h.trim().to_owned()).collect::<Vec<_>>(),
            Some(Err(e)) => return Err(Box::new(Plan::refused(format!("The header row cannot be read: {e}.")))),
            None => return Err(Box::new(Plan::refused("The file is empty: it needs a header row."))),
        };
        let mut plan = Plan::default();
        let mut rows = Vec::new();
        for record in records {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    plan.error(line, None, format!("This row cannot be read: {e}."));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if record.len() != header.len() {
                plan.error(
                    Some(line),
                    None,
                    format!(
                        "This row has {} cells; the header has {}: is the file cut short?",
                        record.len(),
                        header.len()
                    ),
                );
                continue;
            }
            if rows.len() == ROWS_MAX {
                return Err(Box::new(Plan::refused(format!("The file has more than {ROWS_MAX} rows: split it."))));
            }
            rows.push((line, record));
        }
        if plan.error_count > 0 {
            return Err(Box::new(plan));
        }
        Ok(Self { header, rows })
    }

    /// The position of each of `names` in the header (matched in any case).
    pub fn columns<const N: usize>(&self, names: [&str; N]) -> [Option<usize>; N] {
        names.map(|name| self.header.iter().position(|h| h.eq_ignore_ascii_case(name)))
    }
}

/// Checks a CSV file's shape before it is read into records, as the reader will read it
/// (RFC 4180; a `"` inside an unquoted cell is text): no row of more than [`COLUMNS_MAX`]
/// cells (a row of millions of empty cells would take some 40 bytes of memory each), and no
/// quoted cell left open at the end (a file cut short there would otherwise read whole).
fn shape(text: &str) -> Result<(), (u64, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        CellStart,
        Plain,
        Quoted,
        QuoteInQuoted,
    }
    let (mut at, mut line, mut cells, mut opened) = (At::CellStart, 1_u64, 1_usize, 1_u64);
    for byte in text.bytes() {
        if byte == b'\n' {
            line += 1;
        }
        at = match (at, byte) {
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, b'"') => At::Quoted,
            (At::CellStart, b'"') => {
                opened = line;
                At::Quoted
            }
            (_, b',') => {
                cells += 1;
                if cells > COLUMNS_MAX {
                    return Err((line, format!("This row has more than {COLUMNS_MAX} cells.")));
                }
                At::CellStart
            }
            (_, b'\n') => {
                cells = 1;
                At::CellStart
            }
            (At::CellStart, b'\r') => At::CellStart,
            _ => At::Plain,
        };
    }
    if at == At::Quoted {
        return Err((opened, "The file ends inside a quoted cell (its \" is not closed): is it cut short?".to_owned()));
    }
    Ok(())
}

/// A cell as it was before the export neutralised it.
fn cell(record: &csv::StringRecord, at: Option<usize>) -> &str {
    let text = at.and_then(|at| record.get(at)).unwrap_or_default();
    match text.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r', ..]
        | [b'\'', b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r', ..] => &text[1..],
        _ => text,
    }
}

/// What a plain CSV file says to create; rows without a `list` go to `default_list` (the
/// Inbox when none is named).
pub fn read(bytes: &[u8], default_list: Option<&str>) -> Plan {
    let table = match Table::read(bytes) {
        Ok(table) => table,
        Err(plan) => return *plan,
    };
    let mut plan = Plan::default();
    let mut named = std::collections::HashSet::new();
    for name in &table.header {
        let field: String = name.chars().take(40).collect();
        if !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            plan.error(Some(1), Some(&field), format!("An unknown column; the columns are {}.", COLUMNS.join(", ")));
        } else if !named.insert(name.to_ascii_lowercase()) {
            plan.error(Some(1), Some(&field), "This column is named twice.");
        }
    }
    let [title] = table.columns(["title"]);
    if title.is_none() {
        plan.error(Some(1), Some("title"), "The header needs a title column.");
    }
    if plan.error_count > 0 {
        return plan;
    }
    // In the order of the export's columns (`list_id` and `created_by` are not read: lists are
    // found by name, and the person importing made every task).
    let [
        id_at,
        list,
        _,
        title,
        description,
        completed,
        priority,
        due_date,
        due_time,
        repeat,
        repeat_from,
        reminders,
        tags,
        assignee,
        _,
        created_at,
        updated_at,
        completed_at,
        occurrence_of,
        trashed_at,
    ] = table.columns(COLUMNS);
    for (row, record) in &table.rows {
        let (row, record) = (*row, record);
        let get = |at| cell(record, at);
        let named = match get(list) {
            "" => default_list.unwrap_or_default(),
            name => name,
        };
        let Some(list_at) = plan.named_list(row, "list", named) else { continue };
        let mut extras = Extras::default();
        let mut ok = true;
        let mut check = |plan: &mut Plan, field: &str, result: Result<(), String>| {
            if let Err(message) = result {
                plan.error(Some(row), Some(field), message);
                ok = false;
            }
        };
        check(&mut plan, "id", id(get(id_at)).map(|v| extras.source_id = v));
        check(&mut plan, "occurrence_of", id(get(occurrence_of)).map(|v| extras.occurrence_of = v));
        check(&mut plan, "completed", flag(get(completed)).map(|v| extras.completed = v));
        check(&mut plan, "created_at", moment(get(created_at)).map(|v| extras.created_at = v));
        check(&mut plan, "updated_at", moment(get(updated_at)).map(|v| extras.updated_at = v));
        check(&mut plan, "completed_at", moment(get(completed_at)).map(|v| extras.completed_at = v));
        check(&mut plan, "trashed_at", moment(get(trashed_at)).map(|v| extras.trashed_at = v));
        if !ok {
            continue;
        }
        if !get(assignee).trim().is_empty() {
            // The file does not say whose it was; only the person importing is a member here.
            plan.warn(Some(row), Some("assignee"), "Left unassigned: assignees are not imported from CSV.");
        }
        let key = match extras.source_id {
            Some(id) => id_key(id),
            None => {
                let parts: Vec<&str> =
                    std::iter::once("csv").chain(std::iter::once(named)).chain(record.iter()).collect();
                plan.content_key(&parts)
            }
        };
        let text = |at| Some(get(at).to_owned());
        let fields = NewTask {
            title: get(title).to_owned(),
            description: text(description),
            priority: text(priority),
            due_date: text(due_date),
            due_time: text(due_time),
            repeat: text(repeat),
            repeat_from: text(repeat_from),
            repeat_words: None,
            reminders: text(reminders),
            tags: text(tags),
            list_id: None,
            assignee_id: None,
        };
        plan.task(row, key, list_at, &fields, extras, |field| field);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_are_read_back_and_others_kept() {
        let record = csv::StringRecord::from(vec!["'=1+1", "'plain", "-2", "'@x"]);
        let cells: Vec<&str> = (0..4).map(|at| cell(&record, Some(at))).collect();
        assert_eq!(cells, ["=1+1", "'plain", "-2", "@x"]);
        // A title that began with `'=` was written with one more `'`.
        let written = crate::export::csv::cell("'=x");
        assert_eq!(cell(&csv::StringRecord::from(vec![written.as_ref()]), Some(0)), "'=x");
    }

    #[test]
    fn files_that_are_not_utf8_or_cut_short_are_refused_with_their_lines() {
        let latin1 = b"title,tags\nfine,a\ncaf\xe9,b\n";
        let plan = Table::read(latin1).err().unwrap();
        assert_eq!(plan.errors[0].row, Some(3));
        let cut = b"title,tags,description\nfine,a,b\nshort,a\n";
        let plan = Table::read(cut).err().unwrap();
        assert_eq!(plan.errors[0].row, Some(3));
        assert!(plan.errors[0].message.contains("cut short"), "{:?}", plan.errors);
        // Cut inside a quoted last cell: the reader would end the cell there.
        let open = b"title,description\nfine,\"a \"\"quoted\"\" word\"\nx,\"Landlord: Bob\nIBAN DE00";
        let plan = Table::read(open).err().unwrap();
        assert_eq!(plan.errors[0].row, Some(3));
        assert!(plan.errors[0].message.contains("cut short"), "{:?}", plan.errors);
        // A quote inside an unquoted cell is text; rows of too many cells are refused unread.
        assert!(Table::read(b"title\nA 5\" screen\n").is_ok());
        let wide = format!("title\nx{}\n", ",".repeat(100));
        assert_eq!(Table::read(wide.as_bytes()).err().unwrap().errors[0].row, Some(2));
    }

    #[test]
    fn unknown_and_missing_columns_are_refused() {
        let plan = read(b"titel,tags\nx,y\n", None);
        let fields: Vec<_> = plan.errors.iter().map(|e| e.field.as_deref().unwrap_or_default()).collect();
        assert_eq!(fields, ["titel", "title"]);
        assert!(plan.rows.is_empty());
    }

    #[test]
    fn rows_are_read_with_their_lists_and_fields() {
        let plan = read(
            "Title,List,Priority,Due_date,Repeat,Tags,Completed\r\n\
             Pay rent,Home,high,2027-01-01,FREQ=MONTHLY,\"bills,home\",false\r\n\
             '=cmd,,,,,,true\r\n"
                .as_bytes(),
            Some("Imported"),
        );
        assert_eq!(plan.error_count, 0, "{:?}", plan.errors);
        let names: Vec<_> = plan.lists.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Home", "Imported"]);
        assert_eq!(plan.rows[0].draft.repeat.as_deref(), Some("FREQ=MONTHLY"));
        assert_eq!(plan.rows[0].draft.tags, ["bills", "home"]);
        assert_eq!((plan.rows[1].draft.title.as_str(), plan.rows[1].extras.completed), ("=cmd", true));
    }
}
