//! Hostile text renders as text on every server-rendered page, on SQLite or PostgreSQL (see
//! `common`).
//!
//! What a person writes (a task's title and description, their name) and what someone else
//! puts in a link (a search, a `next`, an error carried back to a form) must never become
//! markup: no element, attribute or script of its own, no end of the element it sits in. And
//! what the page shows must be exactly what was stored. The pages are fetched as a browser
//! fetches them and parsed with an HTML5 parser, so the checks see the document a browser
//! would build, not the bytes the server meant to send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, PASSWORD, TestApp, spawn};

/// The tests of this file run one at a time. Each loads dozens of server-rendered pages; run
/// side by side on two cores (with argon2 hashing the signups of the others), one of those
/// pages now and then waited past the request's 10 s deadline and was answered 503 (CI, stop
/// 34; the same stall the no-JavaScript tests met at stop 24, which is still open). One at a
/// time, the file takes a few seconds longer.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
use reqwest::StatusCode;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

/// Text that becomes markup wherever a page forgets to escape it.
const HOSTILE: &[&str] = &[
    r#"</textarea><meta http-equiv="refresh" content="1;url=/x">"#,
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    r#""'><b>bold</b>"#,
    "&lt;not an entity&gt; &amp;",
    "<!--<script>alert(1)//",
];

/// An email address with every character the email rules allow that means something in HTML.
const ODD_EMAIL: &str = "o'neil&amp&lt=x/y{z}`@example.com";

/// A parsed page, with what its checks need.
struct Page {
    /// What was fetched, for the messages.
    what: String,
    raw: String,
    html: Html,
    /// The nonce of the response's Content-Security-Policy, which the app's scripts carry.
    nonce: Option<String>,
}

/// The problems found, all reported at the end.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, page: &Page, problem: impl std::fmt::Display) {
        self.0.push(format!("{}: {problem}", page.what));
    }

    /// Records a problem unless `actual == expected`.
    fn same(&mut self, page: &Page, what: &str, actual: Option<&str>, expected: &str) {
        if actual != Some(expected) {
            self.add(page, format!("{what} reads {actual:?}, stored {expected:?}"));
        }
    }

    fn assert_none(self) {
        assert!(self.0.is_empty(), "{} problem(s):\n{}", self.0.len(), self.0.join("\n"));
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css:?}: {e:?}"))
}

fn text(element: ElementRef<'_>) -> String {
    element.text().collect()
}

impl Page {
    fn select(&self, css: &str) -> Vec<ElementRef<'_>> {
        self.html.select(&selector(css)).collect()
    }

    /// The one element `css` selects, or a problem.
    fn one(&self, problems: &mut Problems, css: &str) -> Option<ElementRef<'_>> {
        let found = self.select(css);
        if found.len() != 1 {
            problems.add(self, format!("{} elements match `{css}`, expected 1", found.len()));
        }
        found.into_iter().next()
    }

    /// The JSON props of the island whose component is `name`.
    fn island_props(&self, problems: &mut Problems, name: &str) -> Value {
        let islands: Vec<_> = self
            .select("leptos-island[data-component]")
            .into_iter()
            .filter(|island| island.attr("data-component").is_some_and(|c| c.starts_with(&format!("{name}_"))))
            .collect();
        if islands.len() != 1 {
            problems.add(self, format!("{} islands {name}, expected 1", islands.len()));
            return Value::Null;
        }
        let props = islands[0].attr("data-props").unwrap_or("null");
        serde_json::from_str(props).unwrap_or_else(|e| {
            problems.add(self, format!("the props of {name} are not JSON ({e}): {props}"));
            Value::Null
        })
    }

    /// Whatever the page shows, hostile text made no markup of its own.
    fn check_markup(&self, problems: &mut Problems) {
        // Nothing in the app renders these: each would come from hostile text.
        for css in ["meta[http-equiv]", "b", "img", "base", "iframe", "object", "embed", "plaintext", "xmp"] {
            for element in self.select(css) {
                problems.add(self, format!("an injected element: {}", element.html()));
            }
        }
        for element in self.select("*") {
            for (name, value) in element.value().attrs() {
                if name.to_ascii_lowercase().starts_with("on") {
                    problems.add(
                        self,
                        format!("an event handler attribute {name}={value:?} on <{}>", element.value().name()),
                    );
                }
            }
        }

        // Every script is the app's: it carries this response's nonce, or comes from /pkg.
        let scripts = self.select("script");
        for script in &scripts {
            let ours = script.attr("src").is_some_and(|src| src.starts_with("/pkg/"))
                || (self.nonce.is_some() && script.attr("nonce") == self.nonce.as_deref());
            if !ours {
                problems.add(self, format!("a script that is not the app's: {}", script.html()));
            }
            // A script's data (the resources the islands hydrate from) escapes `<`: none of
            // these can change how the HTML parser reads what follows.
            let code = text(*script).to_ascii_lowercase();
            for bad in ["<!--", "<script", "</"] {
                if code.contains(bad) {
                    problems.add(self, format!("a script holds a raw {bad:?}: {}", script.html()));
                }
            }
        }

        // In the bytes sent, the only `<script`, `</script`, `<textarea` and `</textarea` are the
        // tags of the page's own elements: never one inside an attribute, a script's data, or a
        // textarea's text, where it would end the element early.
        let lower = self.raw.to_ascii_lowercase();
        let textareas = self.select("textarea").len();
        for (tag, elements) in [
            ("<script", scripts.len()),
            ("</script", scripts.len()),
            ("<textarea", textareas),
            ("</textarea", textareas),
        ] {
            let sent = lower.matches(tag).count();
            if sent != elements {
                problems.add(self, format!("{sent} `{tag}` sent for {elements} element(s)"));
            }
        }

        // Island props are JSON in an attribute, with `<`, `>` and `"` escaped.
        for (i, start) in self.raw.match_indices(" data-props=\"").map(|(i, m)| i + m.len()).enumerate() {
            let value = self.raw[start..].split('"').next().unwrap_or_default();
            if value.contains(['<', '>']) {
                problems.add(self, format!("the data-props #{i} holds a raw `<` or `>`: {value}"));
            }
        }
        for island in self.select("leptos-island[data-props]") {
            let props = island.attr("data-props").unwrap_or_default();
            if serde_json::from_str::<Value>(props).is_err() {
                problems.add(self, format!("island props that are not JSON: {props}"));
            }
        }

        // The page is whole: nothing swallowed what follows the content.
        for css in ["main#main", "footer.site-footer a[href=\"/docs\"]"] {
            if self.select(css).len() != 1 {
                problems.add(self, format!("`{css}` is missing: the page was cut short"));
            }
        }
    }
}

/// Fetches a page as a browser does and checks its markup.
async fn fetch(
    browser: &Client,
    problems: &mut Problems,
    path: &str,
    query: &[(&str, &str)],
    status: StatusCode,
) -> Page {
    let response = browser.get(path, query).await;
    let what = format!("GET {path} {query:?}");
    assert_eq!(response.status, status, "{what}: {}", response.text);
    let nonce = response
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .and_then(|policy| policy.split_whitespace().find_map(|token| token.strip_prefix("'nonce-")))
        .map(|nonce| nonce.trim_end_matches([';', '\'']).to_owned());
    let page = Page { what, html: Html::parse_document(&response.text), raw: response.text, nonce };
    if page.nonce.is_none() {
        problems.add(&page, "no Content-Security-Policy nonce");
    }
    page.check_markup(problems);
    page
}

/// A browser's view of `client`: the same cookies, asking for HTML.
fn browser(client: &Client) -> Client {
    client.with_header("accept", "text/html")
}

/// Signs up with `name` as the display name; returns the client and the user as the API
/// answered.
async fn sign_up(app: &TestApp, email: &str, name: &str) -> (Client, Value) {
    let client = app.client();
    let response = client.post("/api/auth/signup", &[("email", email), ("password", PASSWORD), ("name", name)]).await;
    assert_eq!(response.status, StatusCode::OK, "signup as {name:?}: {}", response.text);
    (client, response.json)
}

/// Creates a task; returns it as the API answered.
async fn create(client: &Client, title: &str, description: &str) -> Value {
    let response = client
        .post(
            "/api/tasks/create",
            &[("title", title), ("description", description), ("priority", "high"), ("tags", "hostile, text")],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "create {title:?}: {}", response.text);
    response.json
}

fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or_else(|| panic!("no string {name} in {value}"))
}

/// The header names the logged-in user exactly.
fn check_header(page: &Page, problems: &mut Problems, user: &Value) {
    let name = page.one(problems, "header.site-header a.user-name").map(text);
    problems.same(page, "the header's user name", name.as_deref(), field(user, "name"));
}

/// The row of `task` on the task page, with its title and the first line of its description.
fn check_row(page: &Page, problems: &mut Problems, task: &Value) {
    let (id, title, description) = (field(task, "id"), field(task, "title"), field(task, "description"));
    let rows: Vec<_> = page
        .select("li.task")
        .into_iter()
        .filter(|row| row.select(&selector("input[name=\"id\"]")).any(|input| input.attr("value") == Some(id)))
        .collect();
    let [row] = rows[..] else {
        problems.add(page, format!("{} rows for task {id}, expected 1", rows.len()));
        return;
    };
    let within = |css: &str| row.select(&selector(css)).next();
    let shown = within(".task-title").map(text);
    problems.same(page, "a task's title", shown.as_deref(), title);
    let checkbox = within("button[role=\"checkbox\"]").and_then(|b| b.attr("aria-label"));
    problems.same(page, "a task's checkbox label", checkbox, title);
    let edit = within("a[role=\"button\"]").and_then(|a| a.attr("aria-label"));
    problems.same(page, "a task's Edit label", edit, &format!("Edit {title}"));
    // The row shows the description's first line, at most 160 characters.
    let first_line: String = description.lines().next().unwrap_or_default().chars().take(160).collect();
    let shown = within(".task-description").map(text);
    if first_line.is_empty() {
        if shown.is_some() {
            problems.add(page, format!("a description is shown for task {id}, which has none"));
        }
    } else {
        problems.same(page, "a task's description line", shown.as_deref(), &first_line);
    }
}

/// The edit form of `task` (`/tasks?edit=<id>`): every field holds exactly what was stored.
fn check_edit_form(page: &Page, problems: &mut Problems, task: &Value) {
    let (id, title, description) = (field(task, "id"), field(task, "title"), field(task, "description"));
    let Some(form) = page.one(problems, "form.edit-form") else { return };
    let within = |css: &str| form.select(&selector(css)).next();
    problems.same(page, "the edit form's id", within("input[name=\"id\"]").and_then(|i| i.attr("value")), id);
    problems.same(page, "the edit form's label", form.attr("aria-label"), &format!("Edit {title}"));
    problems.same(page, "the title field", within("input[name=\"title\"]").and_then(|i| i.attr("value")), title);
    let area = within("textarea[name=\"description\"]").map(text);
    problems.same(page, "the description field", area.as_deref(), description);
    problems.same(
        page,
        "the tags field",
        within("input[name=\"tags\"]").and_then(|i| i.attr("value")),
        "hostile, text",
    );
}

#[tokio::test]
async fn hostile_text_in_every_field_renders_as_text_on_every_page() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let app = spawn().await;
    let mut problems = Problems::default();
    for (i, name) in HOSTILE.iter().enumerate() {
        let email = if i == 0 { ODD_EMAIL.to_owned() } else { format!("hostile-{i}@example.com") };
        let (client, user) = sign_up(&app, &email, name).await;
        assert_eq!(user["name"], *name, "names without surrounding spaces are stored as given");

        // Every hostile text as a title, and in a description: after a newline (which a
        // textarea's parser drops when it comes first), on a line of its own, and in a line.
        let mut tasks = Vec::new();
        for hostile in HOSTILE {
            let description = format!("\n{hostile}\n{hostile}\nsecond line: {hostile} and after");
            tasks.push(create(&client, hostile, &description).await);
        }
        tasks.push(create(&client, "A description that starts with a newline", "\n\n  indented\nlast</p>").await);
        // All of them at once, in one title (at most 200 characters) and one description.
        tasks.push(create(&client, &HOSTILE.concat(), &HOSTILE.join("\n")).await);

        let browser = browser(&client);
        let page = fetch(&browser, &mut problems, "/tasks", &[], StatusCode::OK).await;
        check_header(&page, &mut problems, &user);
        let rows = page.select("li.task").len();
        if rows != tasks.len() {
            problems.add(&page, format!("{rows} rows for {} tasks", tasks.len()));
        }
        for task in &tasks {
            check_row(&page, &mut problems, task);
        }

        for task in &tasks {
            let page = fetch(&browser, &mut problems, "/tasks", &[("edit", field(task, "id"))], StatusCode::OK).await;
            check_edit_form(&page, &mut problems, task);
            for other in tasks.iter().filter(|t| t["id"] != task["id"]) {
                check_row(&page, &mut problems, other);
            }
        }

        let page = fetch(&browser, &mut problems, "/account", &[], StatusCode::OK).await;
        check_header(&page, &mut problems, &user);
        let profile: Vec<String> = page.select("dl.profile dd").into_iter().map(text).collect();
        let name = page.one(&mut problems, "input#profile-name").and_then(|i| i.attr("value"));
        problems.same(&page, "the profile's name", name, field(&user, "name"));
        problems.same(&page, "the profile's email", profile.first().map(String::as_str), field(&user, "email"));
    }
    problems.assert_none();
}

/// `URL_SAFE` base64 with padding, as server functions carry an error back to a plain form.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// The `__err` of a link that makes a form show `message` as its error, as if a plain form
/// had come back with it.
fn posted_error(message: &str) -> String {
    base64_url(json!({"code": "bad_request", "message": message}).to_string().as_bytes())
}

/// A forged error in a link (`css` selects where it is shown): the page shows an error, one of
/// the app's own messages rather than the link's text (which could say anything, in the app's
/// voice), and the island's `prop`, when it has one, carries what is shown.
fn check_forged_error(page: &Page, problems: &mut Problems, css: &str, forged: &str, prop: Option<&str>) {
    let shown: Vec<String> =
        page.select(css).into_iter().map(text).filter(|message| !message.trim().is_empty()).collect();
    if shown.is_empty() {
        problems.add(page, format!("no error is shown in `{css}` for the forged one"));
    }
    if shown.iter().any(|message| message.contains(forged)) {
        problems.add(page, format!("a link's own text is shown as an error: {shown:?}"));
    }
    if let Some(prop) = prop
        && !shown.iter().any(|message| message == prop)
    {
        problems.add(page, format!("the island's error {prop:?} is not the one shown, {shown:?}"));
    }
}

#[test]
fn posted_errors_are_url_safe_base64() {
    assert_eq!(base64_url(b""), "");
    assert_eq!(base64_url(b"f"), "Zg==");
    assert_eq!(base64_url(b"fo"), "Zm8=");
    assert_eq!(base64_url(b"foo"), "Zm9v");
    assert_eq!(base64_url(&[0xfb, 0xff, 0xbf]), "-_-_");
}

#[tokio::test]
async fn hostile_text_in_a_link_renders_as_text() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let app = spawn().await;
    let mut problems = Problems::default();
    let visitor = browser(&app.client());
    let (client, _) = sign_up(&app, "ada@example.com", "Ada").await;
    let user = browser(&client);
    for hostile in HOSTILE {
        let hostile: &str = hostile;
        let error = posted_error(hostile);

        // The login and signup forms: a `next` (a path of this site, as far as the rules
        // go) and an error carried back in the URL go into the form's island props.
        let next = format!("/{}", hostile.replace(' ', ""));
        for (path, action) in [("/login", "/api/auth/login"), ("/signup", "/api/auth/signup")] {
            let query = [("next", next.as_str()), ("__path", action), ("__err", error.as_str())];
            let page = fetch(&visitor, &mut problems, path, &query, StatusCode::OK).await;
            let props = page.island_props(&mut problems, "CredentialsForm");
            problems.same(&page, "the form's next", props["next"].as_str(), &next);
            check_forged_error(&page, &mut problems, ".form-error", hostile, props["error"]["message"].as_str());
            for link in page.select("a[href^=\"/signup?next=\"]") {
                let href = link.attr("href").unwrap_or_default();
                if !href.chars().all(|c| c.is_ascii_alphanumeric() || "-_.~/%?=".contains(c)) {
                    problems.add(&page, format!("a signup link not percent-encoded: {href:?}"));
                }
            }
        }

        // The task page: a search, an edit id and an error carried back to the board.
        let query = [("q", hostile), ("edit", hostile), ("__path", "/api/tasks/delete"), ("__err", error.as_str())];
        let page = fetch(&user, &mut problems, "/tasks", &query, StatusCode::OK).await;
        let search = page.one(&mut problems, "input#search").and_then(|i| i.attr("value"));
        problems.same(&page, "the search field", search, hostile);
        let props = page.island_props(&mut problems, "TaskBoard");
        check_forged_error(&page, &mut problems, ".notice-message span", hostile, props["notice"].as_str());

        // Filters that are not valid: the list says so, and nothing else changes.
        let query = [("status", hostile), ("priority", hostile), ("tag", hostile), ("due", hostile), ("sort", hostile)];
        fetch(&user, &mut problems, "/tasks", &query, StatusCode::OK).await;

        // The account page: errors carried back to each of its forms.
        for action in [
            "/api/auth/update-profile",
            "/api/auth/change-password",
            "/api/auth/logout-all",
            "/api/auth/delete-account",
        ] {
            let query = [("__path", action), ("__err", error.as_str())];
            let page = fetch(&user, &mut problems, "/account", &query, StatusCode::OK).await;
            // Of the three forms, the password form is an island: its props carry its error.
            let prop = action.ends_with("change-password").then(|| {
                let props = page.island_props(&mut problems, "ChangePasswordForm");
                props["error"]["message"].as_str().unwrap_or_default().to_owned()
            });
            check_forged_error(&page, &mut problems, ".form-error", hostile, prop.as_deref());
        }

        // An unknown page names its path.
        fetch(&user, &mut problems, &format!("/no/such/{hostile}"), &[], StatusCode::NOT_FOUND).await;
    }
    problems.assert_none();
}

#[tokio::test]
async fn hostile_list_names_and_inviters_render_as_text() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let app = spawn().await;
    let mut problems = Problems::default();
    let (invitee, _) = sign_up(&app, "invitee@example.com", "Invitee").await;
    for (i, hostile) in HOSTILE.iter().enumerate() {
        // A person with a hostile name makes a list with a hostile name and invites someone.
        let (client, _) = sign_up(&app, &format!("owner-{i}@example.com"), hostile).await;
        let list = client.post("/api/lists/create", &[("name", hostile)]).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let id = field(&list.json, "id").to_owned();
        let invite = [("id", id.as_str()), ("email", "invitee@example.com"), ("role", "viewer")];
        assert_eq!(client.post("/api/lists/invite", &invite).await.status, StatusCode::OK);
        let page = fetch(&browser(&client), &mut problems, "/tasks", &[("list", &id)], StatusCode::OK).await;
        let shown = page.one(&mut problems, "nav.sidebar a[aria-current=\"page\"] .list-name").map(text);
        problems.same(&page, "the list's name in the sidebar", shown.as_deref(), hostile);
        // Its sharing page, its history and the trash name it, its owner and a task as typed.
        let task = client.post("/api/tasks/create", &[("title", hostile), ("list_id", &id)]).await;
        let task_id = field(&task.json, "id").to_owned();
        assert_eq!(client.post("/api/tasks/delete", &[("id", &task_id)]).await.status, StatusCode::OK);
        let page = fetch(&browser(&client), &mut problems, &format!("/lists/{id}"), &[], StatusCode::OK).await;
        let title = page.one(&mut problems, "h1").map(text);
        problems.same(&page, "the sharing page's title", title.as_deref(), hostile);
        let owner = page.one(&mut problems, "li.member .member-name").map(text);
        problems.same(&page, "the owner among the members", owner.as_deref(), hostile);
        let path = format!("/lists/{id}/history");
        let page = fetch(&browser(&client), &mut problems, &path, &[], StatusCode::OK).await;
        let newest = page.select("ol.events li span").first().map(|e| text(*e));
        problems.same(
            &page,
            "the newest event",
            newest.as_deref(),
            &format!("{hostile} moved “{hostile}” to the trash."),
        );
        let page = fetch(&browser(&client), &mut problems, "/trash", &[], StatusCode::OK).await;
        let trashed = page.one(&mut problems, "ul.trash-items li strong").map(text);
        problems.same(&page, "the task in the trash", trashed.as_deref(), hostile);
    }
    // The invitee sees each invitation (newest first): who sent it, and to which list.
    let page = fetch(&browser(&invitee), &mut problems, "/tasks", &[], StatusCode::OK).await;
    let invitations = page.select("li.invitation p");
    if invitations.len() != HOSTILE.len() {
        problems.add(&page, format!("{} invitations shown, expected {}", invitations.len(), HOSTILE.len()));
    }
    for (shown, (i, hostile)) in invitations.into_iter().zip(HOSTILE.iter().enumerate().rev()) {
        let list = shown.select(&selector("strong")).next().map(text);
        problems.same(&page, "an invitation's list", list.as_deref(), hostile);
        let expected = format!("{hostile} (owner-{i}@example.com) invited you to {hostile} as viewer.");
        problems.same(&page, "an invitation", Some(text(shown).as_str()), &expected);
    }
    problems.assert_none();
}

#[tokio::test]
async fn hostile_titles_render_as_text_in_notifications() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let app = spawn().await;
    let mut problems = Problems::default();
    let (client, _) = sign_up(&app, "reminded@example.com", "Reminded").await;
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    for hostile in HOSTILE {
        let task =
            client.post("/api/tasks/create", &[("title", hostile), ("due_date", &due), ("reminders", "1h")]).await;
        assert_eq!(task.status, StatusCode::OK, "{}", task.text);
    }
    // Every reminder comes due now; the server's sweep sends them.
    doable::db::execute!(app.db, |conn| {
        sqlx::query("update reminder_queue set fire_at = $1").bind(doable::db::Timestamp::now()).execute(conn)
    })
    .unwrap();
    for _ in 0..100 {
        if app.count("notifications", "").await == HOSTILE.len() as i64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = fetch(&browser(&client), &mut problems, "/notifications", &[], StatusCode::OK).await;
    let titles: Vec<String> = page.select("ul.notification-items li strong").into_iter().map(text).collect();
    let buttons: Vec<String> = page
        .select("ul.notification-items li button")
        .into_iter()
        .filter_map(|b| b.attr("aria-label").map(str::to_owned))
        .collect();
    // Newest first.
    let expected: Vec<String> = HOSTILE.iter().rev().map(|h| (*h).to_owned()).collect();
    if titles != expected {
        problems.add(&page, format!("notification titles {titles:?}, expected {expected:?}"));
    }
    let labels: Vec<String> = expected.iter().map(|h| format!("Mark read: {h}")).collect();
    if buttons != labels {
        problems.add(&page, format!("Mark read labels {buttons:?}, expected {labels:?}"));
    }
    problems.assert_none();
}
