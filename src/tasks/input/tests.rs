//! The validation of task forms and queries (split from [`super`] for length).

use super::*;

fn query(pairs: &[(&str, &str)]) -> ListQuery {
    let mut q = ListQuery::default();
    for (k, v) in pairs {
        let v = Some((*v).to_owned());
        match *k {
            "status" => q.status = v,
            "q" => q.q = v,
            "priority" => q.priority = v,
            "tag" => q.tag = v,
            "due" => q.due = v,
            "sort" => q.sort = v,
            "order" => q.order = v,
            "limit" => q.limit = v,
            "offset" => q.offset = v,
            _ => unreachable!(),
        }
    }
    q
}

#[test]
fn an_empty_query_lists_everything_newest_first() {
    let filter = ListQuery::default().parse().unwrap();
    assert_eq!(filter, ListFilter { limit: 50, ..ListFilter::default() });
}

#[test]
fn limits_and_offsets_are_checked_on_both_sides() {
    assert_eq!(query(&[("limit", "1")]).parse().unwrap().limit, 1);
    assert_eq!(query(&[("limit", "100")]).parse().unwrap().limit, 100);
    for bad in ["0", "101", "-1", "ten", "1.5", "99999999999999999999"] {
        let err = query(&[("limit", bad)]).parse().unwrap_err();
        assert!(err.field_message("limit").is_some(), "{bad}");
    }
    assert_eq!(query(&[("offset", "0")]).parse().unwrap().offset, 0);
    assert!(query(&[("offset", "-1")]).parse().unwrap_err().field_message("offset").is_some());
}

#[test]
fn unknown_choices_name_their_field() {
    let err =
        query(&[("status", "done"), ("sort", "random"), ("order", "up"), ("due", "soon"), ("priority", "urgent")])
            .parse()
            .unwrap_err();
    let AppError::Validation(fields) = err else { panic!() };
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["due", "order", "priority", "sort", "status"]);
}

#[test]
fn search_text_is_lower_cased_and_limited() {
    assert_eq!(query(&[("q", " MiLK ")]).parse().unwrap().q.as_deref(), Some("milk"));
    assert!(query(&[("q", &"x".repeat(200))]).parse().is_ok());
    assert!(query(&[("q", &"x".repeat(201))]).parse().is_err());
}

#[test]
fn titles_are_trimmed_and_limited_to_200_characters() {
    assert_eq!(normalize_title("  Buy milk ").unwrap(), "Buy milk");
    assert!(normalize_title(" \t ").is_err());
    assert!(normalize_title(&"ü".repeat(200)).is_ok());
    assert!(normalize_title(&"ü".repeat(201)).is_err());
    assert!(normalize_title("line\nbreak").is_err());
    assert!(normalize_title("nul\0").is_err());
}

#[test]
fn descriptions_allow_lines_but_not_other_control_characters() {
    assert!(normalize_description(&"d".repeat(2000)).is_ok());
    assert!(normalize_description(&"d".repeat(2001)).is_err());
    assert_eq!(normalize_description("one\ntwo\tthree").unwrap(), "one\ntwo\tthree");
    assert!(normalize_description("bell\u{7}").is_err());
}

#[test]
fn tags_are_normalized_merged_and_limited() {
    assert_eq!(parse_tags(" Home, errands ,home,,").unwrap(), ["errands", "home"]);
    assert_eq!(parse_tags("").unwrap(), Vec::<String>::new());
    assert!(parse_tags(&"t".repeat(32)).is_ok());
    assert!(parse_tags(&"t".repeat(33)).is_err());
    assert!(parse_tags("a b").is_err());
    assert!(parse_tags("naïve,日本").is_ok());
    let ten: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    assert!(parse_tags(&ten.join(",")).is_ok());
    assert!(parse_tags(&format!("{},t10", ten.join(","))).is_err());
    assert_eq!(parse_tags(&format!("{},T0", ten.join(","))).unwrap().len(), 10, "duplicates merge before counting");
}

#[test]
fn tag_parsing_stops_at_the_cap() {
    // What follows the eleventh distinct tag is never read: a 63 KB list of distinct tags
    // costs no more than eleven of them (it was quadratic in the list's length).
    let many: Vec<String> = (0..6000).map(|i| format!("t{i}")).collect();
    let list = format!("{},not a tag", many.join(","));
    assert_eq!(parse_tags(&list).unwrap_err(), "A task has at most 10 tags.");
}

#[test]
fn a_new_task_reports_every_bad_field() {
    let input = NewTask {
        title: " ".into(),
        description: None,
        priority: Some("urgent".into()),
        due_date: Some("2023-02-30".into()),
        due_time: Some("25:00".into()),
        repeat: Some("FREQ=HOURLY".into()),
        repeat_from: Some("later".into()),
        repeat_words: None,
        tags: Some("a b".into()),
        reminders: Some("15x".into()),
        list_id: Some("inbox".into()),
        assignee_id: None,
    };
    let AppError::Validation(fields) = input.parse().unwrap_err() else { panic!() };
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["due_date", "due_time", "list_id", "priority", "reminders", "repeat", "repeat_from", "tags", "title"]
    );
}

#[test]
fn a_due_time_needs_a_due_date() {
    let timed = |date: &str, time: &str| NewTask {
        title: "Call".into(),
        due_date: Some(date.into()),
        due_time: Some(time.into()),
        ..Default::default()
    };
    let AppError::Validation(fields) = timed("", "09:30").parse().unwrap_err() else { panic!() };
    assert_eq!(fields.get("due_time").map(String::as_str), Some(super::DUE_TIME_NEEDS_DATE));
    let draft = timed("2027-01-05", "09:30").parse().unwrap();
    assert_eq!(draft.due_time, Some(time::macros::time!(09:30)));
    assert_eq!(timed("2027-01-05", "").parse().unwrap().due_time, None);
    let (_, changes) = TaskUpdate { id: Uuid::nil().to_string(), due_time: Some(String::new()), ..Default::default() }
        .parse()
        .unwrap();
    assert_eq!(changes, TaskChanges { due_time: Some(None), ..Default::default() });
}

#[test]
fn updates_keep_absent_fields_and_clear_empty_ones() {
    let id = Uuid::nil().to_string();
    let (_, changes) =
        TaskUpdate { id: id.clone(), due_date: Some(String::new()), tags: Some(String::new()), ..Default::default() }
            .parse()
            .unwrap();
    assert_eq!(changes, TaskChanges { due_date: Some(None), tags: Some(vec![]), ..Default::default() });
    assert!(
        TaskUpdate { id: "not-a-uuid".into(), ..Default::default() }.parse().unwrap_err().field_message("id").is_some()
    );
}

#[test]
fn a_recurring_task_needs_a_due_date_and_a_rule_that_gives_dates() {
    let task = |due: &str, repeat: &str, from: &str| NewTask {
        title: "Water the plants".into(),
        due_date: Some(due.into()),
        repeat: Some(repeat.into()),
        repeat_from: Some(from.into()),
        ..Default::default()
    };
    let draft = task("2027-01-04", "freq=weekly;byday=th,mo", "").parse().unwrap();
    assert_eq!(draft.repeat.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO,TH"), "kept in canonical form");
    assert_eq!(draft.repeat_from, RepeatFrom::Due);
    for (due, repeat, from, message) in [
        ("", "FREQ=DAILY", "", "needs a due date"),
        ("2027-01-04", "FREQ=DAILY;BYHOUR=9", "", "BYHOUR"),
        ("2027-01-04", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "", "no date"),
        ("2027-01-04", "FREQ=DAILY;COUNT=3", "completion", "UNTIL"),
    ] {
        let AppError::Validation(fields) = task(due, repeat, from).parse().unwrap_err() else { panic!() };
        assert!(fields["repeat"].contains(message), "{repeat}: {fields:?}");
    }
    assert_eq!(task("2027-01-04", "", "").parse().unwrap().repeat, None);
}
