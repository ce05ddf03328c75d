//! Any request body or query string, decoded the way the server functions decode theirs and
//! then validated: never a panic, and whatever is accepted keeps the documented rules. The
//! same bytes are also read as a quick-add line.
#![no_main]

use doable::{
    auth::{ChangePassword, DeleteAccount, Login, Signup, validate_signup},
    lists::{CreateList, InviteMember, RemoveMember, RenameList, SetRole, limits as list_limits},
    tasks::{
        CompleteAll, CreateTask, DeleteTask, GetTask, ListTasks, QuickAdd, SetCompleted, TaskDraft, UpdateTask, limits,
        parse_id, quick,
    },
    trash::RestoreFromTrash,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

/// server_fn's decoding of `application/x-www-form-urlencoded` arguments.
fn decode<T: DeserializeOwned>(data: &str) -> Option<T> {
    serde_qs::Config::new(5, false).deserialize_str::<T>(data).ok()
}

fn check_draft(draft: &TaskDraft) {
    let title = draft.title.chars().count();
    assert!((1..=limits::TITLE_MAX).contains(&title));
    assert_eq!(draft.title.trim(), draft.title);
    assert!(!draft.title.chars().any(char::is_control));
    assert!(draft.description.chars().count() <= limits::DESCRIPTION_MAX);
    assert!(draft.tags.len() <= limits::TAGS_MAX);
    assert!(draft.tags.windows(2).all(|pair| pair[0] < pair[1]), "tags sorted and unique");
    for tag in &draft.tags {
        assert!((1..=limits::TAG_MAX).contains(&tag.chars().count()));
        assert!(tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(&tag.to_lowercase(), tag);
        assert!(!tag.contains(','), "a tag never splits on the way back out");
    }
}

fuzz_target!(|data: &[u8]| {
    // The server answers 400 to a body that is not UTF-8 before decoding anything.
    let Ok(data) = std::str::from_utf8(data) else { return };

    if let Some(args) = decode::<CreateTask>(data) {
        if let Ok(draft) = args.input.parse() {
            check_draft(&draft);
        }
    }
    // A quick-add line: the task it describes keeps the rules of any other, and its parts lie
    // in order on the line's character boundaries.
    let today = doable::dates::parse_date("2026-12-02").ok().flatten().unwrap();
    if let Some(args) = decode::<QuickAdd>(data) {
        if let Ok(draft) = args.input.task(today).and_then(|task| task.parse()) {
            check_draft(&draft);
        }
    }
    let line = quick::parse(data, today);
    let mut end = 0;
    for part in &line.parts {
        assert!(end <= part.start && part.start < part.end && part.end <= data.len());
        assert!(data.is_char_boundary(part.start) && data.is_char_boundary(part.end));
        end = part.end;
    }
    assert!(line.parts.is_empty() || !line.title.is_empty(), "a line that is all phrase is all title");
    assert!(line.repeat.is_none() || line.due_date.is_some(), "a rule comes with its first date");
    if let Some(args) = decode::<UpdateTask>(data) {
        if let Ok((_, changes)) = args.input.parse() {
            if let Some(title) = changes.title {
                assert!((1..=limits::TITLE_MAX).contains(&title.chars().count()));
            }
        }
    }
    if let Some(args) = decode::<ListTasks>(data) {
        if let Ok(filter) = args.query.parse() {
            assert!((1..=limits::LIMIT_MAX).contains(&filter.limit));
            assert!(filter.offset >= 0);
            assert!(filter.q.as_ref().is_none_or(|q| q.chars().count() <= limits::QUERY_MAX && !q.is_empty()));
        }
    }
    for id in [
        decode::<GetTask>(data).map(|a| a.input.id),
        decode::<DeleteTask>(data).map(|a| a.input.id),
        decode::<SetCompleted>(data).map(|a| a.input.id),
    ]
    .into_iter()
    .flatten()
    {
        let _ = parse_id(&id);
    }
    let _ = decode::<CompleteAll>(data);
    if let Some(args) = decode::<Signup>(data) {
        if let Ok((email, name)) = validate_signup(&args.input) {
            assert!(email.len() <= 254 && email.contains('@'));
            assert!(!name.is_empty() && name.chars().count() <= 100);
        }
    }
    let names = [
        decode::<CreateList>(data).and_then(|a| a.input.parse().ok()),
        decode::<RenameList>(data).and_then(|a| a.input.parse().ok().map(|(_, name)| name)),
    ];
    for name in names.into_iter().flatten() {
        assert!((1..=list_limits::NAME_MAX).contains(&name.chars().count()));
        assert_eq!(name.trim(), name);
        assert!(!name.chars().any(char::is_control));
    }
    if let Some(args) = decode::<InviteMember>(data) {
        if let Ok((_, email, role)) = args.input.parse() {
            assert!(email.len() <= 254 && email.contains('@'));
            assert_ne!(role, doable::lists::Role::Owner, "nobody is invited as the owner");
        }
    }
    let _ = decode::<SetRole>(data).map(|a| a.input.parse());
    let _ = decode::<RemoveMember>(data).map(|a| a.input.parse());
    let _ = decode::<RestoreFromTrash>(data).map(|a| a.input.parse());
    let _ = decode::<Login>(data);
    let _ = decode::<ChangePassword>(data);
    let _ = decode::<DeleteAccount>(data);
});
