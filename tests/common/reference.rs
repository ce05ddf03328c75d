//! A varied set of tasks and the reference of what a list query returns from it, for the
//! tests that check filters, sorts and pages against it.

use serde_json::Value;
use time::{Date, Duration, OffsetDateTime};

use super::Client;

/// A list query that must succeed.
pub async fn list(client: &Client, query: &[(&str, &str)]) -> Value {
    let response = client.get("/api/tasks/list", query).await;
    assert_eq!(response.status, reqwest::StatusCode::OK, "list {query:?}: {}", response.text);
    response.json
}

/// Every task of `query`, read page by page by cursor, `limit` tasks a page; more than
/// `pages` pages fails.
pub async fn by_cursor(client: &Client, query: &[(&str, &str)], limit: &str, pages: usize) -> Vec<Value> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..pages {
        let mut paged = query.to_vec();
        paged.push(("limit", limit));
        if let Some(after) = &after {
            paged.push(("after", after));
        }
        let page = list(client, &paged).await;
        found.extend(page["tasks"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return found,
        }
    }
    panic!("more than {pages} pages for {query:?}");
}

/// The ids of a list's tasks, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Twenty varied tasks, spread in turn over `lists` (`None`: the Inbox), as listed.
pub async fn varied_tasks(client: &Client, lists: &[Option<&str>]) -> Vec<Value> {
    let today = today();
    let dates = [
        None,
        Some(today - Duration::days(3)),
        Some(today),
        Some(today + Duration::days(1)),
        Some(today + Duration::days(30)),
    ];
    let priorities = ["none", "low", "medium", "high"];
    let tags = ["", "home", "work", "home,work"];
    let titles = ["apple", "Banana", "cherry", "apple", "Äpfel", "date", "Elder", "fig", "grape", "banana"];
    for i in 0..20 {
        let due = dates[i % dates.len()].map(|d| d.to_string()).unwrap_or_default();
        let mut form = vec![
            ("title", titles[i % titles.len()]),
            ("description", if i % 3 == 0 { "contains needle" } else { "" }),
            ("priority", priorities[i % priorities.len()]),
            ("due_date", due.as_str()),
            ("tags", tags[i % tags.len()]),
        ];
        if let Some(list) = lists[i % lists.len()] {
            form.push(("list_id", list));
        }
        let created = client.post("/api/tasks/create", &form).await;
        assert_eq!(created.status, reqwest::StatusCode::OK, "{}", created.text);
        let task = created.json;
        if i % 3 == 1 {
            client
                .post("/api/tasks/set-completed", &[("id", task["id"].as_str().unwrap()), ("completed", "true")])
                .await;
        }
        if i % 7 == 0 {
            client.post("/api/tasks/update", &[("id", task["id"].as_str().unwrap()), ("description", "touched")]).await;
        }
    }
    let all = client.get("/api/tasks/list", &[("limit", "100")]).await;
    all.json["tasks"].as_array().unwrap().clone()
}

/// A task's time field as a moment: compared as text, RFC 3339's fraction of a second (as
/// long as it needs, `…:05.12Z` for 120,000 µs) would put `…:05.12Z` after `…:05.1203Z`.
fn moment(task: &Value, field: &str) -> OffsetDateTime {
    let text = task[field].as_str().unwrap_or_else(|| panic!("{field} of {task}"));
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

/// The reference: which tasks a query should return, in which order.
pub fn expected(tasks: &[Value], query: &[(&str, &str)]) -> Vec<String> {
    let get = |key: &str| query.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let today = today().to_string();
    let mut matching: Vec<&Value> = tasks
        .iter()
        .filter(|t| get("list_id").is_none_or(|list| t["list_id"] == list))
        .filter(|t| match get("status") {
            Some("active") => t["completed"] == false,
            Some("completed") => t["completed"] == true,
            _ => true,
        })
        .filter(|t| get("priority").is_none_or(|p| t["priority"] == p))
        .filter(|t| get("tag").is_none_or(|tag| t["tags"].as_array().unwrap().iter().any(|x| x == tag)))
        .filter(|t| {
            get("q").is_none_or(|q| {
                let text =
                    format!("{}\n{}", t["title"].as_str().unwrap(), t["description"].as_str().unwrap()).to_lowercase();
                text.contains(&q.to_lowercase())
            })
        })
        .filter(|t| {
            let due = t["due_date"].as_str();
            match get("due") {
                Some("overdue") => t["completed"] == false && due.is_some_and(|d| d < today.as_str()),
                Some("today") => due == Some(today.as_str()),
                Some("upcoming") => due.is_some_and(|d| d > today.as_str()),
                Some("none") => due.is_none(),
                _ => true,
            }
        })
        .collect();
    let descending = get("order") != Some("asc");
    let rank = |p: &str| ["none", "low", "medium", "high"].iter().position(|x| *x == p).unwrap();
    let id = |t: &Value| uuid::Uuid::parse_str(t["id"].as_str().unwrap()).unwrap();
    matching.sort_by(|a, b| {
        let directed = |o: std::cmp::Ordering| if descending { o.reverse() } else { o };
        let key = match get("sort").unwrap_or("created") {
            "created" => directed(moment(a, "created_at").cmp(&moment(b, "created_at"))),
            "updated" => directed(moment(a, "updated_at").cmp(&moment(b, "updated_at"))),
            "priority" => directed(rank(a["priority"].as_str().unwrap()).cmp(&rank(b["priority"].as_str().unwrap()))),
            "title" => {
                directed(a["title"].as_str().unwrap().to_lowercase().cmp(&b["title"].as_str().unwrap().to_lowercase()))
            }
            "due" => match (a["due_date"].as_str(), b["due_date"].as_str()) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => directed(x.cmp(y)),
            },
            other => panic!("{other}"),
        };
        key.then_with(|| directed(id(a).cmp(&id(b))))
    });
    matching.into_iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}
