//! Lists and sharing over HTTP, on whichever database the tests run on: every role against
//! every endpoint, invitations that do not reveal accounts, removal that takes effect at
//! once, account deletion that hands lists over, and the migration of a database written by
//! the release before lists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client, PASSWORD, TestApp,
    sharing::{World, add_task, invitation_to, join, make_list, ok, person, world},
    spawn,
};
use reqwest::StatusCode;
use serde_json::Value;

/// What a role may do, one endpoint at a time.
#[derive(Debug, Clone, Copy)]
enum Op {
    Members,
    Rename,
    Invite,
    SetRole,
    RemoveMember,
    Delete,
    Leave,
    GetTask,
    ListTasks,
    Tags,
    CreateTask,
    UpdateTask,
    Assign,
    Complete,
    DeleteTask,
    ClearCompleted,
    CompleteAll,
    MoveOut,
    MoveIn,
    History,
    RestoreTask,
}

/// Runs `op` as `actor` (0 owner, 1 editor, 2 viewer, 3 stranger); what it acts on is made
/// fresh by the owner first where the op would use it up.
async fn run(app: &TestApp, w: &World, op: Op, actor: usize) -> StatusCode {
    let people = [&w.owner, &w.editor, &w.viewer, &w.stranger];
    let me = people[actor];
    let c = &me.client;
    let list = w.list.as_str();
    let response = match op {
        Op::Members => c.get("/api/lists/members", &[("id", list)]).await,
        Op::Rename => c.post("/api/lists/rename", &[("id", list), ("name", "Home")]).await,
        Op::Invite => {
            let email = format!("new{actor}@example.com");
            c.post("/api/lists/invite", &[("id", list), ("email", &email), ("role", "viewer")]).await
        }
        Op::SetRole => {
            c.post("/api/lists/set-role", &[("id", list), ("user_id", &w.viewer.id), ("role", "viewer")]).await
        }
        Op::RemoveMember => {
            let extra = person(app, &format!("extra{actor}@example.com")).await;
            join(&w.owner, list, &extra, "viewer").await;
            c.post("/api/lists/remove-member", &[("id", list), ("user_id", &extra.id)]).await
        }
        Op::Delete | Op::Leave => {
            let fresh = make_list(&w.owner, "Fresh").await;
            join(&w.owner, &fresh, &w.editor, "editor").await;
            join(&w.owner, &fresh, &w.viewer, "viewer").await;
            let path = if matches!(op, Op::Delete) { "/api/lists/delete" } else { "/api/lists/leave" };
            c.post(path, &[("id", &fresh)]).await
        }
        Op::GetTask => c.get("/api/tasks/get", &[("id", &w.task)]).await,
        Op::ListTasks => c.get("/api/tasks/list", &[("list_id", list)]).await,
        Op::Tags => c.get("/api/tasks/tags", &[("list_id", list)]).await,
        Op::CreateTask => c.post("/api/tasks/create", &[("title", "New"), ("list_id", list)]).await,
        Op::UpdateTask => c.post("/api/tasks/update", &[("id", &w.task), ("title", "Water the cactus")]).await,
        Op::Assign => c.post("/api/tasks/update", &[("id", &w.task), ("assignee_id", &w.editor.id)]).await,
        Op::Complete => {
            // A task of its own: the one of the world would be cleared with the completed ones.
            let task = add_task(&w.owner.client, list, "Done soon").await;
            c.post("/api/tasks/set-completed", &[("id", &task), ("completed", "true")]).await
        }
        Op::DeleteTask => {
            let task = add_task(&w.owner.client, list, "Doomed").await;
            c.post("/api/tasks/delete", &[("id", &task)]).await
        }
        Op::ClearCompleted => c.post("/api/tasks/clear-completed", &[("list_id", list)]).await,
        Op::CompleteAll => c.post("/api/tasks/complete-all", &[("list_id", list), ("completed", "false")]).await,
        Op::MoveOut => {
            let task = add_task(&w.owner.client, list, "Leaving").await;
            c.post("/api/tasks/update", &[("id", &task), ("list_id", &me.id)]).await
        }
        Op::MoveIn => {
            let task = add_task(c, &me.id, "Arriving").await;
            c.post("/api/tasks/update", &[("id", &task), ("list_id", list)]).await
        }
        Op::History => c.get("/api/lists/history", &[("id", list)]).await,
        Op::RestoreTask => {
            let task = add_task(&w.owner.client, list, "Back soon").await;
            ok(w.owner.client.post("/api/tasks/delete", &[("id", &task)]).await, "delete");
            c.post("/api/trash/restore", &[("kind", "task"), ("id", &task)]).await
        }
    };
    if response.status == StatusCode::FORBIDDEN {
        assert_eq!(response.code(), "forbidden", "{op:?} as {actor}: {}", response.text);
    }
    if response.status == StatusCode::NOT_FOUND {
        assert_eq!(response.code(), "not_found", "{op:?} as {actor}: {}", response.text);
    }
    response.status
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let app = spawn().await;
    let w = world(&app).await;
    // owner, editor, viewer, stranger
    let matrix: &[(Op, [u16; 4])] = &[
        (Op::Members, [200, 200, 200, 404]),
        (Op::Rename, [200, 403, 403, 404]),
        (Op::Invite, [200, 403, 403, 404]),
        (Op::SetRole, [200, 403, 403, 404]),
        (Op::RemoveMember, [200, 403, 403, 404]),
        (Op::Delete, [200, 403, 403, 404]),
        (Op::Leave, [422, 200, 200, 404]),
        (Op::GetTask, [200, 200, 200, 404]),
        (Op::ListTasks, [200, 200, 200, 404]),
        (Op::Tags, [200, 200, 200, 404]),
        (Op::CreateTask, [200, 200, 403, 404]),
        (Op::UpdateTask, [200, 200, 403, 404]),
        (Op::Assign, [200, 200, 403, 404]),
        (Op::Complete, [200, 200, 403, 404]),
        (Op::DeleteTask, [200, 200, 403, 404]),
        (Op::ClearCompleted, [200, 200, 403, 404]),
        (Op::CompleteAll, [200, 200, 403, 404]),
        (Op::MoveOut, [200, 200, 403, 404]),
        (Op::MoveIn, [200, 200, 403, 404]),
        (Op::History, [200, 200, 200, 404]),
        (Op::RestoreTask, [200, 200, 403, 404]),
    ];
    let mut wrong = Vec::new();
    for (op, expected) in matrix {
        for (actor, status) in expected.iter().enumerate() {
            let got = run(&app, &w, *op, actor).await;
            if got.as_u16() != *status {
                wrong.push(format!(
                    "{op:?} as {}: {got}, expected {status}",
                    ["owner", "editor", "viewer", "stranger"][actor]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The refusals changed nothing: the viewer's and the stranger's attempts left the task as
    // the owner and the editor made it.
    let task = ok(w.owner.client.get("/api/tasks/get", &[("id", &w.task)]).await, "get");
    assert_eq!(task["title"], "Water the cactus");
    assert_eq!(task["assignee"]["id"], w.editor.id.as_str());
    let members = ok(w.owner.client.get("/api/lists/members", &[("id", &w.list)]).await, "members");
    let roles: Vec<(&str, &str)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("owner@example.com", "owner"),
            ("editor@example.com", "editor"),
            // The owner removed extra0; the others' attempts to remove theirs were refused.
            ("extra1@example.com", "viewer"),
            ("extra2@example.com", "viewer"),
            ("extra3@example.com", "viewer"),
            ("viewer@example.com", "viewer"),
        ]
    );
}

#[tokio::test]
async fn the_lists_show_roles_sharing_and_open_counts() {
    let app = spawn().await;
    let w = world(&app).await;
    add_task(&w.editor.client, &w.list, "Second").await;
    let lists = ok(w.viewer.client.get("/api/lists/list", &[]).await, "lists");
    let lists = lists["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0]["name"], "Inbox");
    assert_eq!(lists[0]["inbox"], true);
    assert_eq!(lists[0]["id"], w.viewer.id.as_str(), "the Inbox has the account's id");
    assert_eq!(lists[0]["shared"], false);
    assert_eq!(lists[1]["name"], "Household");
    assert_eq!(lists[1]["role"], "viewer");
    assert_eq!(lists[1]["shared"], true);
    assert_eq!(lists[1]["members"], 3);
    assert_eq!(lists[1]["open"], 2);
    // The stranger sees only their own Inbox.
    let theirs = ok(w.stranger.client.get("/api/lists/list", &[]).await, "lists");
    assert_eq!(theirs["lists"].as_array().unwrap().len(), 1);
    // With no list named, the task list is every list of the caller's, with their counts.
    add_task(&w.viewer.client, &w.viewer.id, "Mine").await;
    let all = ok(w.viewer.client.get("/api/tasks/list", &[]).await, "all tasks");
    assert_eq!(all["total"], 3);
    assert_eq!(all["counts"]["all"], 3);
    let inbox = ok(w.viewer.client.get("/api/tasks/list", &[("list_id", &w.viewer.id)]).await, "inbox");
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["tasks"][0]["created_by"]["id"], w.viewer.id.as_str());
}

#[tokio::test]
async fn an_invitation_answers_alike_whether_or_not_the_email_has_an_account() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let _someone = person(&app, "someone@example.com").await;
    let list = make_list(&owner, "Team").await;
    let known = owner
        .client
        .post("/api/lists/invite", &[("id", &list), ("email", "someone@example.com"), ("role", "editor")])
        .await;
    let unknown = owner
        .client
        .post("/api/lists/invite", &[("id", &list), ("email", "nobody@example.com"), ("role", "editor")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text.replace("someone", "nobody"), unknown.text, "byte-identical but for the email");
    // Both are pending; nobody joined without accepting.
    let members = ok(owner.client.get("/api/lists/members", &[("id", &list)]).await, "members");
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    let pending: Vec<&str> =
        members["invitations"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    assert_eq!(pending.len(), 2);
    assert!(pending.contains(&"someone@example.com") && pending.contains(&"nobody@example.com"));

    // Whoever signs up with the invited email finds the invitation.
    let newcomer = person(&app, "nobody@example.com").await;
    let invitation = invitation_to(&newcomer, &list).await.expect("an invitation for the new account");
    let seen = ok(newcomer.client.get("/api/invitations/list", &[]).await, "invitations");
    assert_eq!(seen["invitations"][0]["invited_by"]["email"], "owner@example.com");
    assert_eq!(seen["invitations"][0]["list"]["name"], "Team");
    // Another person cannot accept it, nor decline it.
    let other = person(&app, "other@example.com").await;
    assert_eq!(
        other.client.post("/api/invitations/accept", &[("id", &invitation)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.client.post("/api/invitations/decline", &[("id", &invitation)]).await.status,
        StatusCode::NOT_FOUND
    );
    // Declining removes it; accepting it afterwards is not found.
    ok(newcomer.client.post("/api/invitations/decline", &[("id", &invitation)]).await, "decline");
    assert_eq!(
        newcomer.client.post("/api/invitations/accept", &[("id", &invitation)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(newcomer.client.get("/api/tasks/list", &[("list_id", &list)]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_invitations_are_refused_and_change_nothing() {
    let app = spawn().await;
    let w = world(&app).await;
    let invite = |list: &str, email: &str, role: &str| {
        let (list, email, role) = (list.to_owned(), email.to_owned(), role.to_owned());
        let client = w.owner.client.clone();
        async move { client.post("/api/lists/invite", &[("id", &list), ("email", &email), ("role", &role)]).await }
    };
    let cases = [
        (invite(&w.list, "owner@example.com", "editor").await, "email"),
        (invite(&w.list, "EDITOR@example.com ", "viewer").await, "email"),
        (invite(&w.list, "new@example.com", "owner").await, "role"),
        (invite(&w.list, "not an email", "editor").await, "email"),
        (invite(&w.owner.id, "new@example.com", "editor").await, "id"),
        (invite("not-a-uuid", "new@example.com", "editor").await, "id"),
    ];
    for (response, field) in cases {
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text);
        assert!(response.json["fields"][field].is_string(), "{field}: {}", response.text);
    }
    let members = ok(w.owner.client.get("/api/lists/members", &[("id", &w.list)]).await, "members");
    assert_eq!(members["invitations"].as_array().unwrap().len(), 0);
    // The Inbox is never renamed, deleted, or left.
    let inbox = w.owner.id.as_str();
    for (path, form) in [
        ("/api/lists/rename", vec![("id", inbox), ("name", "Mine")]),
        ("/api/lists/delete", vec![("id", inbox)]),
        ("/api/lists/leave", vec![("id", inbox)]),
    ] {
        let response = w.owner.client.post(path, &form).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", response.text);
    }
    // Someone else's Inbox does not exist, as far as anyone else can tell.
    let response = w.stranger.client.post("/api/lists/rename", &[("id", inbox), ("name", "Mine")]).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    // A list that does not exist and one the caller is not in answer the same.
    let missing = w.stranger.client.get("/api/lists/members", &[("id", "00000000-0000-7000-8000-000000000000")]).await;
    let hidden = w.stranger.client.get("/api/lists/members", &[("id", &w.list)]).await;
    assert_eq!((missing.status, missing.text), (hidden.status, hidden.text));
}

#[tokio::test]
async fn invitations_are_limited_per_day() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let list = make_list(&owner, "Big").await;
    for i in 0..50 {
        let email = format!("guest{i}@example.com");
        ok(
            owner.client.post("/api/lists/invite", &[("id", &list), ("email", &email), ("role", "viewer")]).await,
            "invite",
        );
    }
    let refused = owner
        .client
        .post("/api/lists/invite", &[("id", &list), ("email", "one-more@example.com"), ("role", "viewer")])
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert!(refused.headers.get("retry-after").is_some());
    let members = ok(owner.client.get("/api/lists/members", &[("id", &list)]).await, "members");
    assert_eq!(members["invitations"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once_and_their_tasks_are_unassigned() {
    let app = spawn().await;
    let w = world(&app).await;
    ok(w.owner.client.post("/api/tasks/update", &[("id", &w.task), ("assignee_id", &w.editor.id)]).await, "assign");
    let mine = ok(w.editor.client.get("/api/tasks/list", &[("assignee", "me")]).await, "assigned to me");
    assert_eq!(mine["total"], 1);
    let members = ok(
        w.owner.client.post("/api/lists/remove-member", &[("id", &w.list), ("user_id", &w.editor.id)]).await,
        "remove",
    );
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    // The very next request of the removed editor finds nothing.
    for response in [
        w.editor.client.get("/api/tasks/get", &[("id", &w.task)]).await,
        w.editor.client.get("/api/tasks/list", &[("list_id", &w.list)]).await,
        w.editor.client.post("/api/tasks/update", &[("id", &w.task), ("title", "Mine now")]).await,
        w.editor.client.get("/api/lists/members", &[("id", &w.list)]).await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.text);
    }
    let task = ok(w.owner.client.get("/api/tasks/get", &[("id", &w.task)]).await, "get");
    assert_eq!(task["assignee"], Value::Null, "the removed member's task is unassigned");
    assert_eq!(task["title"], "Water the plants");
    // An assignee must be a member of the task's list.
    let response = w.owner.client.post("/api/tasks/update", &[("id", &w.task), ("assignee_id", &w.editor.id)]).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text);
    assert!(response.json["fields"]["assignee_id"].is_string());
    let response = w
        .owner
        .client
        .post("/api/tasks/create", &[("title", "x"), ("list_id", &w.list), ("assignee_id", &w.stranger.id)])
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text);
}

#[tokio::test]
async fn handing_a_list_over_and_leaving_it() {
    let app = spawn().await;
    let w = world(&app).await;
    // The owner cannot leave before handing the list over.
    assert_eq!(
        w.owner.client.post("/api/lists/leave", &[("id", &w.list)]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let members = ok(
        w.owner
            .client
            .post("/api/lists/set-role", &[("id", &w.list), ("user_id", &w.viewer.id), ("role", "owner")])
            .await,
        "hand over",
    );
    let roles: Vec<(&str, &str)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [("viewer@example.com", "owner"), ("editor@example.com", "editor"), ("owner@example.com", "editor")]
    );
    // The former owner is an editor now: renaming is the new owner's.
    assert_eq!(
        w.owner.client.post("/api/lists/rename", &[("id", &w.list), ("name", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    ok(w.viewer.client.post("/api/lists/rename", &[("id", &w.list), ("name", "Ours")]).await, "rename");
    ok(w.owner.client.post("/api/lists/leave", &[("id", &w.list)]).await, "leave");
    assert_eq!(w.owner.client.get("/api/tasks/get", &[("id", &w.task)]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_an_account_hands_its_shared_lists_over() {
    let app = spawn().await;
    let w = world(&app).await;
    // A list shared with a viewer only, and one nobody else uses.
    let viewers_only = make_list(&w.owner, "Viewers only").await;
    join(&w.owner, &viewers_only, &w.viewer, "viewer").await;
    let alone = make_list(&w.owner, "Alone").await;
    let lonely_task = add_task(&w.owner.client, &alone, "Forgotten").await;
    let pending = [("id", w.list.as_str()), ("email", "later@example.com"), ("role", "viewer")];
    ok(w.owner.client.post("/api/lists/invite", &pending).await, "invite");
    ok(w.owner.client.post("/api/auth/delete-account", &[("password", PASSWORD)]).await, "delete the account");

    // The longest-standing editor owns the shared list; the viewer owns the other one.
    let household = ok(w.editor.client.get("/api/lists/members", &[("id", &w.list)]).await, "members");
    let roles: Vec<(&str, &str)> = household["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("editor@example.com", "owner"), ("viewer@example.com", "viewer")]);
    assert_eq!(household["invitations"][0]["email"], "later@example.com", "pending invitations go on with the list");
    let other = ok(w.viewer.client.get("/api/lists/members", &[("id", &viewers_only)]).await, "members");
    assert_eq!(other["members"][0]["role"], "owner");
    // The shared task is still there, its creator gone.
    let task = ok(w.editor.client.get("/api/tasks/get", &[("id", &w.task)]).await, "get");
    assert_eq!(task["created_by"], Value::Null);
    // The list nobody else used went with the account, and its task.
    assert_eq!(app.count("lists where id = $1", &alone).await, 0);
    assert_eq!(app.count("tasks where id = $1", &lonely_task).await, 0);
    assert_eq!(app.count("lists where id = $1", &w.owner.id).await, 0, "the Inbox too");
}

#[tokio::test]
async fn a_database_of_the_release_before_lists_is_migrated() {
    let database = common::TestDatabase::new().await;
    let settings = database.settings();
    let hash = doable::auth::password::Passwords::default().hash(PASSWORD.to_owned()).await.unwrap();
    let ada = uuid::Uuid::now_v7();
    let bob = uuid::Uuid::now_v7();
    old_release_database(&database, &settings, &hash, &[(ada, "ada@example.com", 3), (bob, "bob@example.com", 1)])
        .await;

    let app = common::spawn_on(database, settings).await;
    let client = app.client();
    ok(client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await, "login");
    let lists = ok(client.get("/api/lists/list", &[]).await, "lists");
    assert_eq!(lists["lists"].as_array().unwrap().len(), 1);
    assert_eq!(lists["lists"][0]["id"], ada.to_string());
    assert_eq!(lists["lists"][0]["open"], 2, "one of the three was completed");
    let inbox = ok(client.get("/api/tasks/list", &[("list_id", &ada.to_string())]).await, "inbox");
    assert_eq!(inbox["total"], 3);
    assert_eq!(inbox["counts"]["completed"], 1);
    assert_eq!(inbox["tasks"][0]["created_by"]["id"], ada.to_string());
    let tags = ok(client.get("/api/tasks/tags", &[]).await, "tags");
    assert_eq!(tags["tags"], serde_json::json!([{"name": "old", "count": 3}]));
    // The migrated tasks behave like new ones.
    let first = inbox["tasks"][0]["id"].as_str().unwrap();
    ok(client.post("/api/tasks/set-completed", &[("id", first), ("completed", "true")]).await, "complete");
    let bobs = app.client();
    ok(bobs.post("/api/auth/login", &[("email", "bob@example.com"), ("password", PASSWORD)]).await, "login");
    assert_eq!(bobs.get("/api/tasks/get", &[("id", first)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ok(bobs.get("/api/tasks/list", &[]).await, "bob's")["total"], 1);
}

/// Fills a database with the schema of the release before lists (migrations 0001 to 0011)
/// and, for each (id, email, tasks), an account with that many tasks tagged `old`, the first
/// of them completed.
async fn old_release_database(
    database: &common::TestDatabase,
    settings: &std::collections::HashMap<String, String>,
    hash: &str,
    accounts: &[(uuid::Uuid, &str, usize)],
) {
    use sqlx::{ConnectOptions, Connection};
    let backend = if common::backend_is_postgres() { "postgres" } else { "sqlite" };
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(format!("migrations/{backend}")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    macro_rules! fill {
        ($conn:expr, $time:expr) => {{
            migrator.run(&mut $conn).await.unwrap();
            for (id, email, tasks) in accounts {
                sqlx::query("insert into users (id, email, name, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)")
                    .bind(id).bind(*email).bind("Old").bind(hash).bind($time).execute(&mut $conn).await.unwrap();
                for n in 0..*tasks {
                    sqlx::query(
                        "insert into tasks (id, user_id, title, description, completed, priority, tags, search, title_key, \
                         created_at, updated_at) values ($1, $2, $3, '', $4, 0, 'old', $3, $3, $5, $5)",
                    )
                    .bind(uuid::Uuid::now_v7()).bind(id).bind(format!("task {n}")).bind(n == 0).bind($time)
                    .execute(&mut $conn).await.unwrap();
                }
            }
            $conn.close().await.unwrap();
        }};
    }
    match settings.get("DATABASE_URL") {
        Some(url) => {
            let mut conn = url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
            fill!(conn, now);
        }
        None => {
            std::fs::create_dir_all(database.data_dir()).unwrap();
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(database.data_dir().join("doable.db"))
                .create_if_missing(true)
                .foreign_keys(true);
            let mut conn = options.connect().await.unwrap();
            fill!(conn, (now.unix_timestamp_nanos() / 1000) as i64);
        }
    }
}

async fn restore(client: &Client, kind: &str, id: &str) -> common::Response {
    client.post("/api/trash/restore", &[("kind", kind), ("id", id)]).await
}

#[tokio::test]
async fn a_deleted_task_waits_in_the_trash_for_whoever_could_delete_it() {
    let app = spawn().await;
    let w = world(&app).await;
    ok(
        w.owner
            .client
            .post("/api/tasks/update", &[("id", &w.task), ("tags", "garden"), ("assignee_id", &w.editor.id)])
            .await,
        "tag",
    );
    ok(w.owner.client.post("/api/tasks/delete", &[("id", &w.task)]).await, "delete");
    assert_eq!(w.editor.client.get("/api/tasks/get", &[("id", &w.task)]).await.status, StatusCode::NOT_FOUND);
    let lists = ok(w.editor.client.get("/api/lists/list", &[]).await, "lists");
    assert_eq!(lists["lists"][1]["open"], 0);
    assert_eq!(
        ok(w.editor.client.get("/api/tasks/tags", &[("list_id", &w.list)]).await, "tags")["tags"],
        serde_json::json!([])
    );

    // The editor sees it in the trash, deleted by the owner; the viewer and the stranger do not.
    let trash = ok(w.editor.client.get("/api/trash/list", &[]).await, "trash");
    assert_eq!(trash["tasks_total"], 1);
    assert_eq!(trash["tasks"][0]["id"], w.task.as_str());
    assert_eq!(trash["tasks"][0]["list"]["name"], "Household");
    assert_eq!(trash["tasks"][0]["deleted_by"]["id"], w.owner.id.as_str());
    assert!(trash["tasks"][0]["deleted_at"].is_string());
    assert_eq!(ok(w.viewer.client.get("/api/trash/list", &[]).await, "trash")["tasks_total"], 0);
    assert_eq!(restore(&w.viewer.client, "task", &w.task).await.status, StatusCode::FORBIDDEN);
    assert_eq!(restore(&w.stranger.client, "task", &w.task).await.status, StatusCode::NOT_FOUND);

    // The editor leaves and comes back: the assignee of a restored task must still be a member.
    ok(w.editor.client.post("/api/lists/leave", &[("id", &w.list)]).await, "leave");
    join(&w.owner, &w.list, &w.editor, "editor").await;
    let back = ok(restore(&w.editor.client, "task", &w.task).await, "restore");
    assert_eq!(back["id"], w.task.as_str());
    assert_eq!(back["title"], "Water the plants");
    assert_eq!(back["tags"], serde_json::json!(["garden"]));
    assert_eq!(back["assignee"], Value::Null, "unassigned when its assignee left");
    assert_eq!(
        ok(w.viewer.client.get("/api/tasks/tags", &[("list_id", &w.list)]).await, "tags")["tags"][0]["count"],
        1
    );
    assert_eq!(restore(&w.editor.client, "task", &w.task).await.status, StatusCode::NOT_FOUND, "restored once");
    let bad = w.owner.client.post("/api/trash/restore", &[("kind", "folder"), ("id", "x")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json["fields"]["kind"].is_string() && bad.json["fields"]["id"].is_string());
}

#[tokio::test]
async fn a_deleted_list_goes_to_the_trash_with_its_tasks_and_comes_back() {
    let app = spawn().await;
    let w = world(&app).await;
    add_task(&w.editor.client, &w.list, "Second").await;
    ok(w.owner.client.post("/api/lists/delete", &[("id", &w.list)]).await, "delete");
    for member in [&w.editor, &w.viewer] {
        let lists = ok(member.client.get("/api/lists/list", &[]).await, "lists");
        assert_eq!(lists["lists"].as_array().unwrap().len(), 1, "only the Inbox is left");
        assert_eq!(member.client.get("/api/tasks/get", &[("id", &w.task)]).await.status, StatusCode::NOT_FOUND);
        let r = member.client.get("/api/tasks/list", &[("list_id", &w.list)]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        assert_eq!(ok(member.client.get("/api/tasks/list", &[]).await, "all")["total"], 0);
    }
    let trash = ok(w.owner.client.get("/api/trash/list", &[]).await, "trash");
    assert_eq!(trash["lists"][0]["id"], w.list.as_str());
    assert_eq!(trash["lists"][0]["deleted_by"]["id"], w.owner.id.as_str());
    assert_eq!(ok(w.editor.client.get("/api/trash/list", &[]).await, "trash")["lists"], serde_json::json!([]));
    assert_eq!(
        restore(&w.editor.client, "list", &w.list).await.status,
        StatusCode::NOT_FOUND,
        "invisible in the trash"
    );
    assert_eq!(restore(&w.stranger.client, "list", &w.list).await.status, StatusCode::NOT_FOUND);
    // Nothing can be done to a list in the trash but restoring it.
    assert_eq!(
        w.owner.client.post("/api/lists/rename", &[("id", &w.list), ("name", "x")]).await.status,
        StatusCode::NOT_FOUND
    );

    let back = ok(restore(&w.owner.client, "list", &w.list).await, "restore");
    assert_eq!(back["name"], "Household");
    assert_eq!(back["members"], 3);
    assert_eq!(back["open"], 2);
    let tasks = ok(w.viewer.client.get("/api/tasks/list", &[("list_id", &w.list)]).await, "tasks");
    assert_eq!(tasks["total"], 2);
}

#[tokio::test]
async fn emptying_the_trash_purges_only_ones_own_deletions_and_old_ones_expire() {
    let app = spawn().await;
    let w = world(&app).await;
    let mine = add_task(&w.editor.client, &w.list, "Mine").await;
    ok(w.editor.client.post("/api/tasks/delete", &[("id", &mine)]).await, "delete");
    ok(w.owner.client.post("/api/tasks/set-completed", &[("id", &w.task), ("completed", "true")]).await, "complete");
    let cleared = ok(w.owner.client.post("/api/tasks/clear-completed", &[("list_id", &w.list)]).await, "clear");
    assert_eq!(cleared["deleted"], 1);
    assert_eq!(
        ok(w.owner.client.get("/api/trash/list", &[]).await, "trash")["tasks_total"],
        2,
        "cleared tasks are in the trash"
    );
    // Demoted to viewer, the editor can no longer purge even what they deleted.
    let demote = [("id", w.list.as_str()), ("user_id", w.editor.id.as_str()), ("role", "viewer")];
    ok(w.owner.client.post("/api/lists/set-role", &demote).await, "demote");
    assert_eq!(ok(w.editor.client.post("/api/trash/empty", &[]).await, "empty")["deleted"], 0);
    let promote = [("id", w.list.as_str()), ("user_id", w.editor.id.as_str()), ("role", "editor")];
    ok(w.owner.client.post("/api/lists/set-role", &promote).await, "promote");
    let emptied = ok(w.editor.client.post("/api/trash/empty", &[]).await, "empty");
    assert_eq!(emptied["deleted"], 1, "the editor purges what they deleted, not the owner's");
    let trash = ok(w.owner.client.get("/api/trash/list", &[]).await, "trash");
    assert_eq!(trash["tasks_total"], 1);
    assert_eq!(trash["tasks"][0]["id"], w.task.as_str());

    // After 30 days the trash forgets on its own.
    let old = doable::db::Timestamp::now() - std::time::Duration::from_secs(31 * 24 * 3600);
    doable::execute!(app.db, |conn| sqlx::query("update trashed_tasks set deleted_at = $1").bind(old).execute(conn))
        .unwrap();
    assert_eq!(doable::trash::store::purge_expired(&app.db).await.unwrap(), 1);
    assert_eq!(ok(w.owner.client.get("/api/trash/list", &[]).await, "trash")["tasks_total"], 0);
}

#[tokio::test]
async fn tasks_in_the_trash_count_towards_the_cap() {
    let app = common::spawn_with(&[("DOABLE_MAX_TASKS", "2")]).await;
    let ada = person(&app, "ada@example.com").await;
    let first = add_task(&ada.client, &ada.id, "one").await;
    add_task(&ada.client, &ada.id, "two").await;
    ok(ada.client.post("/api/tasks/delete", &[("id", &first)]).await, "delete");
    let refused = ada.client.post("/api/tasks/create", &[("title", "three")]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "limit_reached"));
    ok(ada.client.post("/api/trash/empty", &[]).await, "empty");
    add_task(&ada.client, &ada.id, "three").await;
}
