//! Todoist's CSV project template (one file per project): `TYPE` (`task`, `section`, `note`),
//! `CONTENT`, `DESCRIPTION`, `PRIORITY` (1 is Todoist's p1, the highest: Doable's `high`; 4
//! is no priority), `INDENT`, `DATE` (with `DATE_LANG`), `RESPONSIBLE`; other columns
//! (`AUTHOR`, `TIMEZONE`, `DURATION`, `DEADLINE`, ...) and `meta` rows are read past. An empty
//! `PRIORITY` is no priority: Todoist's help page says p1, but its own exports always write
//! 4 for none, so an empty cell is a file written by hand, whose author meant none.
//!
//! What Doable has no place for is kept where a person finds it:
//! - `@labels` in the content become tags;
//! - a section becomes a tag of its tasks (`Errands` → `errands`);
//! - a sub-task (`INDENT` 2 or more) is a task of its own, whose description ends with
//!   "Sub-task of: <its parent>";
//! - a note (a comment) is added to the end of its task's description;
//! - a `DATE` in words goes through the quick-add parser (`every monday`, `every! 3 days`,
//!   `tomorrow at 9am`, `jan 5`): a date it does not read, or in another language, is kept
//!   at the end of the description, and the report warns of it;
//! - content over 200 characters is cut for the title and kept whole in the description.

use time::Date;

use super::plan::{Extras, Plan, quote};
use crate::tasks::{Priority, input::NewTask, limits};

/// A task row, gathered until the file's end (a note below it adds to its description).
struct Pending {
    row: u64,
    key: super::plan::Key,
    fields: NewTask,
    description: String,
}

/// What a Todoist file says to create, in the list `list` (the project's name).
pub fn read(bytes: &[u8], list: &str, today: Date) -> Plan {
    let table = match super::table::Table::read(bytes) {
        Ok(table) => table,
        Err(plan) => return *plan,
    };
    let mut plan = Plan::default();
    let [kind, content, description, priority, indent, date, date_lang, responsible] =
        table.columns(["TYPE", "CONTENT", "DESCRIPTION", "PRIORITY", "INDENT", "DATE", "DATE_LANG", "RESPONSIBLE"]);
    if kind.is_none() || content.is_none() {
        plan.error(Some(1), None, "A Todoist file's header has TYPE and CONTENT columns: is this a plain CSV?");
        return plan;
    }
    let list_at = match crate::lists::input::normalize_list_name(list) {
        Ok(name) if name.eq_ignore_ascii_case("inbox") => plan.list("Inbox", true, false, true),
        Ok(name) => plan.list(&name, false, false, true),
        Err(message) => {
            plan.error(None, Some("list"), message);
            return plan;
        }
    };
    let mut section = String::new();
    // The titles of the tasks above, by indent: a sub-task's parent is the last one.
    let mut parents: Vec<String> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    for (row, record) in &table.rows {
        let row = *row;
        let get = |at: Option<usize>| at.and_then(|at| record.get(at)).unwrap_or_default().trim();
        match get(kind) {
            // Todoist's own exports start with `meta,view_style=list` (or `board`): how the
            // project was shown, which has no place here.
            "meta" => {}
            "section" => {
                section = get(content).to_owned();
                parents.clear();
            }
            "note" => match pending.last_mut() {
                Some(task) => {
                    task.description.push_str("\n\n");
                    task.description.push_str(get(content));
                }
                None => plan.warn(Some(row), Some("CONTENT"), "A note before any task: left out."),
            },
            "task" => {
                let task = read_task(
                    &mut plan,
                    row,
                    &Cells {
                        content: get(content),
                        description: get(description),
                        priority: get(priority),
                        indent: get(indent),
                        date: get(date),
                        date_lang: get(date_lang),
                        responsible: get(responsible),
                        section: &section,
                        list,
                    },
                    &mut parents,
                    today,
                );
                pending.extend(task);
            }
            other => plan.error(
                Some(row),
                Some("TYPE"),
                format!("{} is no TYPE Todoist writes: use task, section or note.", quote(other)),
            ),
        }
    }
    for mut task in pending {
        let length = task.description.chars().count();
        if length > limits::DESCRIPTION_MAX {
            plan.warn(
                Some(task.row),
                Some("DESCRIPTION"),
                format!("The description and notes have {length} characters: cut to {}.", limits::DESCRIPTION_MAX),
            );
            task.description = task.description.chars().take(limits::DESCRIPTION_MAX).collect();
        }
        task.fields.description = Some(task.description);
        plan.task(task.row, task.key, list_at, &task.fields, Extras::default(), column_of);
    }
    plan
}

/// The cells of a task row.
struct Cells<'a> {
    content: &'a str,
    description: &'a str,
    priority: &'a str,
    indent: &'a str,
    date: &'a str,
    date_lang: &'a str,
    responsible: &'a str,
    section: &'a str,
    list: &'a str,
}

fn read_task(plan: &mut Plan, row: u64, cells: &Cells, parents: &mut Vec<String>, today: Date) -> Option<Pending> {
    let priority = match cells.priority {
        "1" => Priority::High,
        "2" => Priority::Medium,
        "3" => Priority::Low,
        "4" | "" => Priority::None,
        _ => {
            plan.error(Some(row), Some("PRIORITY"), "Must be 1 (p1, the highest) to 4 (p4, none).");
            return None;
        }
    };
    let depth = match cells.indent {
        "" => 1,
        raw => match raw.parse::<usize>() {
            Ok(depth @ 1..=5) => depth,
            _ => {
                plan.error(Some(row), Some("INDENT"), "Must be 1 (a task) to 5 (a sub-task four levels down).");
                return None;
            }
        },
    };
    let (title, mut tags) = labels(cells.content);
    let mut notes: Vec<String> = Vec::new();
    if let Some(tag) = section_tag(cells.section) {
        tags.push(tag);
    }
    let title = if title.chars().count() > limits::TITLE_MAX {
        notes.push(cells.content.to_owned());
        title.chars().take(limits::TITLE_MAX - 1).chain(['…']).collect()
    } else {
        title
    };
    parents.truncate(depth - 1);
    if depth > 1
        && let Some(parent) = parents.last()
    {
        notes.push(format!("Sub-task of: {parent}"));
    }
    parents.push(title.clone());
    let mut fields = NewTask {
        title,
        priority: Some(priority.as_str().to_owned()),
        tags: Some(tags.join(",")),
        ..NewTask::default()
    };
    if !cells.date.is_empty() {
        match date(cells.date, cells.date_lang, today) {
            Some(parsed) => {
                fields.due_date = parsed.due_date.map(|d| d.to_string());
                fields.due_time = parsed.due_time.map(crate::dates::time_text);
                fields.repeat = parsed.repeat;
                fields.repeat_from = Some(parsed.repeat_from.as_str().to_owned());
            }
            None => {
                plan.warn(
                    Some(row),
                    Some("DATE"),
                    format!("The date {} is not one this app reads: kept in the description.", quote(cells.date)),
                );
                notes.push(format!("Todoist date: {}", cells.date));
            }
        }
    }
    if !cells.responsible.is_empty() {
        plan.warn(Some(row), Some("RESPONSIBLE"), "Left unassigned: Todoist's people are not this app's.");
    }
    let description = std::iter::once(cells.description)
        .chain(notes.iter().map(String::as_str))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let parent = parents.iter().rev().nth(1).map(String::as_str).unwrap_or_default();
    let key = plan.content_key(&[
        "todoist",
        cells.list,
        cells.section,
        parent,
        cells.content,
        cells.description,
        cells.priority,
        cells.date,
    ]);
    Some(Pending { row, key, fields, description })
}

/// What a `DATE` says, read as quick add reads a line (in English; a date as `2027-01-05` in
/// any language): `None` unless all of it is understood as a date, a time and a repeat rule.
fn date(text: &str, language: &str, today: Date) -> Option<crate::tasks::quick::Parsed> {
    if let Ok(Some(date)) = crate::dates::parse_date(text) {
        return Some(crate::tasks::quick::Parsed { due_date: Some(date), ..Default::default() });
    }
    let english = language.is_empty() || language.to_ascii_lowercase().starts_with("en");
    if !english || text.chars().count() > crate::tasks::quick::line::TEXT_MAX {
        return None;
    }
    // Quick add reads a line with a title: the date is understood whole when the title is all
    // that is left of it (and no priority or tag was taken from it).
    let parsed = crate::tasks::quick::parse(&format!("\"Todoist\" {text}"), today);
    (parsed.title == "Todoist" && parsed.due_date.is_some() && parsed.priority.is_none() && parsed.tags.is_empty())
        .then_some(parsed)
}

/// The content without its `@labels`, and the labels as tags (a label that is no tag, such
/// as `@` alone or an email address, stays in the title).
fn labels(content: &str) -> (String, Vec<String>) {
    let mut tags: Vec<String> = Vec::new();
    let words: Vec<&str> = content
        .split_whitespace()
        .filter(|word| {
            // Past the most a task may have, the rest stay in the title (and the row is
            // refused for its tags): no reading of millions of them.
            if tags.len() > limits::TAGS_MAX {
                return true;
            }
            let tag = word.strip_prefix('@').and_then(|label| crate::tasks::input::normalize_tag(label).ok());
            match tag {
                Some(tag) => {
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                    false
                }
                None => true,
            }
        })
        .collect();
    (words.join(" "), tags)
}

/// A section's name as a tag: lower-cased, each run of other characters than letters and
/// digits a `-`, at most 32 characters; none for a name without letters or digits.
fn section_tag(section: &str) -> Option<String> {
    let mut tag = String::new();
    for c in section.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            tag.push(c);
        } else if !tag.is_empty() && !tag.ends_with('-') {
            tag.push('-');
        }
    }
    let tag: String = tag.trim_end_matches('-').chars().take(limits::TAG_MAX).collect();
    let tag = tag.trim_end_matches('-').to_owned();
    (!tag.is_empty()).then_some(tag)
}

/// A task field's column in the file.
fn column_of(field: &str) -> &str {
    match field {
        "title" | "tags" => "CONTENT",
        "description" => "DESCRIPTION",
        "priority" => "PRIORITY",
        "due_date" | "due_time" | "repeat" | "repeat_from" => "DATE",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = time::macros::date!(2026 - 12 - 06);

    #[test]
    fn labels_become_tags_and_sections_become_tags() {
        assert_eq!(
            labels("Buy milk @errands @Home @"),
            ("Buy milk @".to_owned(), vec!["errands".into(), "home".into()])
        );
        assert_eq!(section_tag("Next week: errands!"), Some("next-week-errands".into()));
        assert_eq!(section_tag("!!!"), None);
    }

    #[test]
    fn a_project_reads_with_priorities_sub_tasks_notes_and_recurrence() {
        let file = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE\n\
            meta,view_style=board,,,,,,,,\n\
            section,Chores,,,,,,,,\n\
            task,Water plants @home,Balcony,1,1,Ada (1),,every monday,en,Europe/Berlin\n\
            note,Use the rain water,,,,,,,,\n\
            task,Ficus,,4,2,Ada (1),,,en,\n\
            ,,,,,,,,,\n\
            task,Pay rent,,2,1,Ada (1),,every! 2 weeks,en,\n\
            task,Tax return,,3,1,Ada (1),,le 5 janvier,fr,\n";
        let plan = read(file.as_bytes(), "Home", TODAY);
        assert_eq!(plan.error_count, 0, "{:?}", plan.errors);
        let rows = &plan.rows;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].draft.title, "Water plants");
        assert_eq!(rows[0].draft.tags, ["chores", "home"]);
        assert_eq!(rows[0].draft.priority, Priority::High);
        assert_eq!(rows[0].draft.description, "Balcony\n\nUse the rain water");
        assert_eq!(rows[0].draft.repeat.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO"));
        assert_eq!(rows[1].draft.description, "Sub-task of: Water plants");
        assert_eq!(rows[1].draft.priority, Priority::None);
        assert_eq!(rows[2].draft.repeat_from, crate::tasks::RepeatFrom::Completion);
        assert_eq!(rows[3].draft.due_date, None);
        assert!(rows[3].draft.description.contains("Todoist date: le 5 janvier"));
        assert_eq!(plan.warning_count, 1);
        assert_eq!(plan.lists[0].name, "Home");
    }

    #[test]
    fn bad_rows_are_errors_with_their_lines() {
        let file = "TYPE,CONTENT,PRIORITY,INDENT\ntask,Fine,1,1\ntask,Bad,9,1\nheading,What,,\ntask,,1,1\n";
        let plan = read(file.as_bytes(), "Home", TODAY);
        let found: Vec<_> = plan.errors.iter().map(|e| (e.row, e.field.clone().unwrap_or_default())).collect();
        assert_eq!(found, [(Some(3), "PRIORITY".into()), (Some(4), "TYPE".into()), (Some(5), "CONTENT".into())]);
    }
}
