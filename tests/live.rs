//! Live sync over real HTTP, on whichever database the tests run on: `GET /api/events` gets
//! every change its user may see, in order, after any number of reconnections; nothing of a
//! list it left, nothing rolled back; it closes when its session ends; ten per person.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{
    Client, PASSWORD, TestApp,
    sharing::{add_task, join, make_list, ok, person},
    spawn,
};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection as _;

/// An event as the stream sent it.
#[derive(Debug, Clone)]
struct Event {
    id: i64,
    event: String,
    data: Value,
}

/// An open stream, read as a browser's `EventSource` reads it.
struct Stream {
    response: reqwest::Response,
    buffer: String,
    /// Changes made before the stream was opened, which the hub may hand out after it
    /// joined (it reads the feed a moment after each commit): skipped.
    before: i64,
}

/// How long a test waits for an event that should come (the issue asks for a second; a
/// busy test machine gets more).
const SOON: Duration = Duration::from_secs(5);

impl Stream {
    /// Opens `client`'s stream, resuming after `after` if given (as `Last-Event-ID`).
    async fn open(client: &Client, after: Option<i64>) -> Self {
        let response = Self::try_open(client, after.map(|a| a.to_string()).as_deref()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new(), before: 0 }
    }

    /// Opens a new stream of `client`'s, which skips the changes made before it.
    async fn fresh(app: &TestApp, client: &Client) -> Self {
        let before = last_change(app).await;
        Self { before, ..Self::open(client, None).await }
    }

    async fn try_open(client: &Client, last_event_id: Option<&str>) -> reqwest::Response {
        let (http, base) = client.http();
        let mut request = client.prepare(http.get(format!("{base}/api/events")));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request.send().await.unwrap()
    }

    /// The next event within `within`; `None` if none came; panics if the stream ended.
    async fn next_within(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                // A comment (keep-alive) has none of them.
                if let (Some(id), Some(event)) = (id, event) {
                    if id <= self.before && event != "ready" && event != "resync" {
                        continue;
                    }
                    return Some(Event { id, event, data: serde_json::from_str(&data).unwrap() });
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(chunk) => {
                    let chunk = chunk.unwrap().expect("the stream ended");
                    self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
                }
            }
        }
    }

    async fn next(&mut self) -> Event {
        self.next_within(SOON).await.expect("an event within the time allowed")
    }

    /// The next event, which must be `event`.
    async fn next_of(&mut self, event: &str) -> Event {
        let got = self.next().await;
        assert_eq!(got.event, event, "{got:?}");
        got
    }

    /// The next `event`, past the creations the hub had not handed out when the stream joined.
    async fn next_past_creations(&mut self, event: &str) -> Event {
        loop {
            let got = self.next().await;
            if got.event != "task.created" {
                assert_eq!(got.event, event, "{got:?}");
                return got;
            }
        }
    }

    /// Whether the server ends the stream within `within`.
    async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(None) | Err(_)) => return true,
                Ok(Ok(Some(chunk))) => self.buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
            }
        }
    }
}

/// The number of the last change in the feed, once every change committed has one (on
/// PostgreSQL a server numbers them a moment after their commit).
async fn last_change(app: &TestApp) -> i64 {
    for _ in 0..100 {
        let (pending, last): (i64, Option<i64>) = doable::with_pool!(app.db.read(), |pool| {
            sqlx::query_as("select count(*) filter (where seq is null), max(seq) from changes")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        if pending == 0 {
            return last.unwrap_or(0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the feed was not numbered within 2 s");
}

async fn inbox_task(client: &Client, title: &str) -> String {
    let task = ok(client.post("/api/tasks/create", &[("title", title)]).await, "create a task");
    task["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_change_reaches_every_stream_of_every_member_and_no_one_else() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let editor = person(&app, "editor@example.com").await;
    let stranger = person(&app, "stranger@example.com").await;
    let list = make_list(&owner, "Household").await;
    join(&owner, &list, &editor, "editor").await;

    let mut tabs = [Stream::fresh(&app, &owner.client).await, Stream::fresh(&app, &owner.client).await];
    let mut theirs = Stream::fresh(&app, &editor.client).await;
    let mut outsider = Stream::fresh(&app, &stranger.client).await;
    let mut ready = Vec::new();
    for stream in tabs.iter_mut().chain([&mut theirs, &mut outsider]) {
        ready.push(stream.next_of("ready").await.id);
    }

    let task = add_task(&owner.client, &list, "Water <the> \"plants\"").await;
    for stream in tabs.iter_mut().chain([&mut theirs]) {
        let created = stream.next_of("task.created").await;
        assert!(created.id > ready[0]);
        assert_eq!(created.data["id"], task);
        assert_eq!(created.data["title"], "Water <the> \"plants\"");
        assert_eq!(created.data["list_id"], list);
    }
    let done =
        ok(editor.client.post("/api/tasks/set-completed", &[("id", &task), ("completed", "true")]).await, "complete");
    assert_eq!(done["completed"], true);
    for stream in tabs.iter_mut().chain([&mut theirs]) {
        let completed = stream.next_of("task.completed").await;
        assert_eq!(completed.data["completed"], true);
    }

    // The stranger's first event is their own task: nothing of the list came before it.
    let own = inbox_task(&stranger.client, "Mine").await;
    let first = outsider.next_of("task.created").await;
    assert_eq!(first.data["id"], own);
    // And their task reached no one else.
    add_task(&owner.client, &list, "Sentinel").await;
    assert_eq!(theirs.next_of("task.created").await.data["title"], "Sentinel");
}

#[tokio::test]
async fn a_stream_resumes_after_its_last_event_with_every_change_in_order() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let mut stream = Stream::fresh(&app, &client).await;
    let start = stream.next_of("ready").await.id;
    drop(stream);

    let mut made = Vec::new();
    for n in 0..5 {
        made.push(inbox_task(&client, &format!("Task {n}")).await);
    }
    ok(client.post("/api/tasks/delete", &[("id", &made[0])]).await, "delete");

    let mut stream = Stream::open(&client, Some(start)).await;
    let mut last = start;
    for id in &made {
        let created = stream.next_of("task.created").await;
        assert!(created.id > last, "numbers only grow");
        last = created.id;
        assert_eq!(&created.data["id"], id);
    }
    let deleted = stream.next_of("task.deleted").await;
    assert_eq!(deleted.data["id"], made[0]);
    assert!(deleted.data.get("title").is_none(), "a deleted task is sent by id: {:?}", deleted.data);
    // Then live ones.
    let live = inbox_task(&client, "Live").await;
    assert_eq!(stream.next_of("task.created").await.data["id"], live);

    // `?after=` does what the header does.
    let (http, base) = client.http();
    let response = http.get(format!("{base}/api/events?after={last}")).send().await.unwrap();
    let mut again = Stream { response, buffer: String::new(), before: 0 };
    assert_eq!(again.next_of("task.deleted").await.data["id"], made[0]);
}

/// Two people write in bursts while a client drops its stream at random and resumes: the
/// union of what it received is the feed, in order, once each.
#[tokio::test]
async fn random_disconnects_during_a_burst_lose_and_repeat_nothing() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let editor = person(&app, "editor@example.com").await;
    let list = make_list(&owner, "Shared").await;
    join(&owner, &list, &editor, "editor").await;
    let mut stream = Stream::fresh(&app, &owner.client).await;
    let mut place = stream.next_of("ready").await.id;

    const EACH: usize = 30;
    let write = |client: Client, who: &'static str| {
        let list = list.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..EACH {
                ids.push(add_task(&client, &list, &format!("{who} {n}")).await);
            }
            ids
        })
    };
    let writers = [write(owner.client.clone(), "owner"), write(editor.client.clone(), "editor")];
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut rng = 0x2545_f491_u64;
    while seen.len() < 2 * EACH {
        // Reads one to four events, then drops the stream and resumes from its place.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        for _ in 0..=(rng % 4) {
            let Some(event) = stream.next_within(Duration::from_secs(10)).await else { break };
            assert!(event.id > place, "{} after {place}", event.id);
            place = event.id;
            if event.event != "task.created" {
                // The joining, which the hub may hand out after the stream joined.
                assert_eq!(event.event, "member.joined");
                continue;
            }
            seen.push((event.id, event.data["id"].as_str().unwrap().to_owned()));
            if seen.len() == 2 * EACH {
                break;
            }
        }
        stream = Stream::open(&owner.client, Some(place)).await;
    }
    let mut made: Vec<String> = Vec::new();
    for writer in writers {
        made.extend(writer.await.unwrap());
    }
    let mut received: Vec<String> = seen.iter().map(|(_, id)| id.clone()).collect();
    received.sort();
    made.sort();
    assert_eq!(received, made);
    // Nothing more is pending.
    assert!(stream.next_within(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn a_removed_member_hears_of_it_and_then_nothing_of_the_list() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let editor = person(&app, "editor@example.com").await;
    let list = make_list(&owner, "Shared").await;
    join(&owner, &list, &editor, "editor").await;
    let task = add_task(&owner.client, &list, "Before").await;
    let mut stream = Stream::fresh(&app, &editor.client).await;
    stream.next_of("ready").await;
    let start = last_change(&app).await;

    ok(owner.client.post("/api/lists/remove-member", &[("id", &list), ("user_id", &editor.id)]).await, "remove");
    let removed = stream.next_past_creations("member.removed").await;
    assert_eq!(removed.data["list_id"], list);
    assert_eq!(removed.data["user_id"], editor.id);

    ok(owner.client.post("/api/tasks/update", &[("id", &task), ("title", "Secret")]).await, "edit");
    add_task(&owner.client, &list, "Secret too").await;
    let own = inbox_task(&editor.client, "Mine").await;
    assert_eq!(stream.next_of("task.created").await.data["id"], own, "nothing of the list came first");

    // Catching up after the removal skips the list's changes as well.
    let mut again = Stream::open(&editor.client, Some(start)).await;
    assert_eq!(again.next_of("member.removed").await.data["user_id"], editor.id);
    assert_eq!(again.next_of("task.created").await.data["id"], own);
}

#[tokio::test]
async fn a_task_moved_out_of_reach_is_sent_by_id_only() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let viewer = person(&app, "viewer@example.com").await;
    let shared = make_list(&owner, "Shared").await;
    let private = make_list(&owner, "Private").await;
    join(&owner, &shared, &viewer, "viewer").await;
    let task = add_task(&owner.client, &shared, "Gift ideas").await;
    let mut stream = Stream::fresh(&app, &viewer.client).await;
    stream.next_of("ready").await;

    ok(owner.client.post("/api/tasks/update", &[("id", &task), ("list_id", &private)]).await, "move");
    let moved = stream.next_past_creations("task.moved").await;
    assert_eq!(moved.data["id"], task);
    assert_eq!(moved.data["list_id"], shared);
    assert!(!moved.data.to_string().contains("Gift"), "the task's content stays private: {}", moved.data);
}

#[tokio::test]
async fn logging_out_closes_the_stream_and_a_revoked_token_closes_its_own() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let mut stream = Stream::fresh(&app, &client).await;
    stream.next_of("ready").await;
    ok(client.post("/api/auth/logout", &[]).await, "logout");
    assert!(stream.ends_within(Duration::from_secs(3)).await, "the stream closes at logout");
    assert_eq!(Stream::try_open(&client, None).await.status(), StatusCode::UNAUTHORIZED);

    let (client, _) = app.user("bob@example.com").await;
    let made = ok(
        client.post("/api/tokens/create", &[("name", "feed"), ("scope", "read"), ("password", PASSWORD)]).await,
        "token",
    );
    let script = Client::bearer(&app.base, made["token"].as_str().unwrap());
    let mut by_token = Stream::fresh(&app, &script).await;
    let mut by_session = Stream::fresh(&app, &client).await;
    by_token.next_of("ready").await;
    by_session.next_of("ready").await;
    ok(client.post("/api/tokens/revoke", &[("id", made["id"].as_str().unwrap())]).await, "revoke");
    assert!(by_token.ends_within(Duration::from_secs(3)).await, "the token's stream closes");
    // The session's stream goes on.
    let task = inbox_task(&client, "Still here").await;
    assert_eq!(by_session.next_of("task.created").await.data["id"], task);
}

#[tokio::test]
async fn a_person_may_hold_ten_streams_and_the_eleventh_is_refused() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let mut streams = Vec::new();
    for _ in 0..10 {
        let mut stream = Stream::fresh(&app, &client).await;
        stream.next_of("ready").await;
        streams.push(stream);
    }
    let refused = Stream::try_open(&client, None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Someone else is not affected.
    let (other, _) = app.user("bob@example.com").await;
    Stream::fresh(&app, &other).await.next_of("ready").await;
    // A stream that ends frees its place.
    streams.pop();
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let response = Stream::try_open(&client, None).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the place was not freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A transaction that writes a change and rolls back leaves no number behind: the next
/// event follows the last one.
#[tokio::test]
async fn a_rolled_back_change_is_never_sent() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let list = ok(client.get("/api/lists/list", &[]).await, "lists")["lists"][0]["id"].as_str().unwrap().to_owned();
    let mut stream = Stream::fresh(&app, &client).await;
    let start = stream.next_of("ready").await.id;
    let list_id = uuid::Uuid::parse_str(&list).unwrap();
    let at = doable::db::Timestamp::now();
    let rolled_back: Result<(), sqlx::Error> = doable::db::with_writer!(&app.db, |conn| {
        async {
            let mut tx = conn.begin().await?;
            let event =
                doable::history::record::NewEvent::new(list_id, at, None, doable::history::EventKind::ListRenamed)
                    .detail("Never");
            doable::history::record::record!(&mut *tx, event).await?;
            tx.rollback().await
        }
        .await
    });
    rolled_back.unwrap();
    let task = inbox_task(&client, "Real").await;
    let next = stream.next_of("task.created").await;
    assert_eq!(next.data["id"], task);
    assert_eq!(next.id, start + 1, "no number was used by the rolled-back change");
}

#[tokio::test]
async fn a_bad_place_is_refused_and_one_the_feed_no_longer_holds_asks_for_a_resync() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let mut stream = Stream::fresh(&app, &client).await;
    let start = stream.next_of("ready").await.id;
    for bad in ["abc", "-1", "1.5", "99999999999999999999", " 12x"] {
        let refused = Stream::try_open(&client, Some(bad)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
    }
    let (http, base) = client.http();
    let twice = http.get(format!("{base}/api/events?after=1&after=2")).send().await.unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    // The open stream was not disturbed.
    let task = inbox_task(&client, "Still").await;
    assert_eq!(stream.next_of("task.created").await.data["id"], task);

    // A place past the end of the feed (another server's database, say): start over.
    let mut ahead = Stream::open(&client, Some(start + 1_000)).await;
    let resync = ahead.next_of("resync").await;
    assert!(resync.id > start);
    // A place older than the feed keeps: start over too.
    inbox_task(&client, "Two").await;
    inbox_task(&client, "Three").await;
    last_change(&app).await;
    doable::db::execute!(&app.db, |conn| {
        sqlx::query("delete from changes where seq < (select max(seq) from changes)").execute(conn)
    })
    .unwrap();
    let mut behind = Stream::open(&client, Some(start)).await;
    assert!(behind.next_of("resync").await.id >= resync.id);
}

#[tokio::test]
async fn a_burst_too_large_for_one_stream_becomes_one_resync() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let mut ids = Vec::new();
    for n in 0..120 {
        ids.push(inbox_task(&client, &format!("Task {n}")).await);
    }
    let mut stream = Stream::fresh(&app, &client).await;
    let start = stream.next_of("ready").await.id;
    // Completing them all at once is one change each; the stream gets a resync instead.
    let done = ok(client.post("/api/tasks/complete-all", &[("completed", "true")]).await, "complete all");
    assert!(done.to_string().contains("120") || done["job"].is_object(), "{done}");
    // One batch of 120 (batches are of 2,000): the hub reads them at once.
    let got = stream.next_past_creations("resync").await;
    assert!(got.id > start);
    let _ = app;
}

#[tokio::test]
async fn notifications_and_their_reading_reach_only_their_person() {
    let app: TestApp = spawn().await;
    let (client, user) = app.user("ada@example.com").await;
    let mut stream = Stream::fresh(&app, &client).await;
    stream.next_of("ready").await;
    // A notification as the reminder sweep writes it.
    let id = uuid::Uuid::now_v7();
    let now = doable::db::Timestamp::now();
    doable::db::execute!(&app.db, |conn| {
        sqlx::query(
            "insert into notifications (id, user_id, title, reminder, fire_at, late, created_at) \
             values ($1, $2, 'Call', '1d', $3, false, $3)",
        )
        .bind(id)
        .bind(uuid::Uuid::parse_str(&user).unwrap())
        .bind(now)
        .execute(conn)
    })
    .unwrap();
    assert_eq!(stream.next_of("notification.created").await.data["id"], id.to_string());
    ok(client.post("/api/notifications/read", &[("all", "true")]).await, "read all");
    assert_eq!(stream.next_of("notification.read").await.data["id"], id.to_string());
}

#[tokio::test]
async fn disabling_an_account_closes_its_streams_and_joining_names_the_member() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let editor = person(&app, "editor@example.com").await;
    let list = make_list(&owner, "Shared").await;
    let mut stream = Stream::fresh(&app, &owner.client).await;
    stream.next_of("ready").await;
    join(&owner, &list, &editor, "editor").await;
    let invited = stream.next_past_creations("member.invited").await;
    assert_eq!(invited.data["list_id"], list);
    let joined = stream.next_of("member.joined").await;
    assert_eq!(joined.data["user_id"], editor.id, "{:?}", joined.data);

    let mut theirs = Stream::fresh(&app, &editor.client).await;
    theirs.next_of("ready").await;
    app.set_disabled("editor@example.com", true).await;
    assert!(theirs.ends_within(Duration::from_secs(3)).await, "a disabled account's stream closes");
    assert_eq!(Stream::try_open(&editor.client, None).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_tasks_of_a_list_in_the_trash_are_sent_by_id_only() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let viewer = person(&app, "viewer@example.com").await;
    let list = make_list(&owner, "Shared").await;
    join(&owner, &list, &viewer, "viewer").await;
    let mut stream = Stream::fresh(&app, &viewer.client).await;
    stream.next_of("ready").await;
    let start = last_change(&app).await;
    let task = add_task(&owner.client, &list, "Surprise party").await;
    assert_eq!(stream.next_of("task.created").await.data["title"], "Surprise party");
    ok(owner.client.post("/api/lists/delete", &[("id", &list)]).await, "delete the list");
    assert_eq!(stream.next_of("list.deleted").await.data["id"], list);
    // Catching up now, the task is only an id: a viewer does not see the trash.
    let mut again = Stream::open(&viewer.client, Some(start)).await;
    let created = again.next_of("task.created").await;
    assert_eq!(created.data["id"], task);
    assert!(!created.data.to_string().contains("Surprise"), "{}", created.data);
}
