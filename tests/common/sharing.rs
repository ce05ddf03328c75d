//! People around shared lists, for the tests of lists, sharing and history.

use reqwest::StatusCode;
use serde_json::Value;

use super::{Client, Response, TestApp};

/// Someone with an account: their client, email and id.
pub struct Person {
    pub client: Client,
    pub email: String,
    pub id: String,
}

pub async fn person(app: &TestApp, email: &str) -> Person {
    let (client, id) = app.user(email).await;
    Person { client, email: email.to_owned(), id }
}

pub fn ok(response: Response, what: &str) -> Value {
    assert_eq!(response.status, StatusCode::OK, "{what}: {}", response.text);
    response.json
}

pub async fn make_list(owner: &Person, name: &str) -> String {
    let list = ok(owner.client.post("/api/lists/create", &[("name", name)]).await, "create a list");
    list["id"].as_str().unwrap().to_owned()
}

/// The id of the member's pending invitation to `list`.
pub async fn invitation_to(member: &Person, list: &str) -> Option<String> {
    let pending = ok(member.client.get("/api/invitations/list", &[]).await, "invitations");
    pending["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["list"]["id"] == list)
        .map(|i| i["id"].as_str().unwrap().to_owned())
}

/// Invites `member` to `list` with `role` and has them accept.
pub async fn join(owner: &Person, list: &str, member: &Person, role: &str) {
    let invited =
        owner.client.post("/api/lists/invite", &[("id", list), ("email", &member.email), ("role", role)]).await;
    ok(invited, "invite");
    let id = invitation_to(member, list).await.expect("the invitation reaches the invitee");
    let joined = ok(member.client.post("/api/invitations/accept", &[("id", &id)]).await, "accept");
    assert_eq!(joined["role"], role);
}

pub async fn add_task(client: &Client, list: &str, title: &str) -> String {
    let task = ok(client.post("/api/tasks/create", &[("title", title), ("list_id", list)]).await, "create a task");
    task["id"].as_str().unwrap().to_owned()
}

/// An owner, an editor, a viewer and a stranger around one shared list with one task.
pub struct World {
    pub owner: Person,
    pub editor: Person,
    pub viewer: Person,
    pub stranger: Person,
    pub list: String,
    pub task: String,
}

pub async fn world(app: &TestApp) -> World {
    let owner = person(app, "owner@example.com").await;
    let editor = person(app, "editor@example.com").await;
    let viewer = person(app, "viewer@example.com").await;
    let stranger = person(app, "stranger@example.com").await;
    let list = make_list(&owner, "Household").await;
    join(&owner, &list, &editor, "editor").await;
    join(&owner, &list, &viewer, "viewer").await;
    let task = add_task(&owner.client, &list, "Water the plants").await;
    World { owner, editor, viewer, stranger, list, task }
}
