//! API tokens: made once and shown once, scoped, revocable at once, never logged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, PASSWORD, Response, ServerProcess, TestDatabase, spawn};
use reqwest::StatusCode;
use serde_json::Value;

/// Makes a token with the session's client; returns the token and its id.
async fn make(client: &Client, name: &str, scope: &str) -> (String, String) {
    let made = client.post("/api/tokens/create", &[("name", name), ("scope", scope), ("password", PASSWORD)]).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    (made.json["token"].as_str().unwrap().to_owned(), made.json["id"].as_str().unwrap().to_owned())
}

fn task_count(list: &Response) -> u64 {
    list.json["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_token_is_shown_once_and_stored_only_as_its_hash() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let made = ada
        .post(
            "/api/tokens/create",
            &[("name", "backup <script>"), ("scope", "read"), ("expires_in_days", "30"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let token = made.json["token"].as_str().unwrap();
    assert!(token.starts_with("dbl_") && token.len() == 47, "{token}");
    assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(made.json["name"], "backup <script>");
    assert_eq!(made.json["scope"], "read");
    assert_eq!(made.json["expired"], false);
    assert!(made.json["last_used_at"].is_null() && made.json["expires_at"].is_string());
    assert_eq!(made.headers["cache-control"], "no-store", "a secret is never cached");

    let list = ada.get("/api/tokens/list", &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["tokens"][0]["id"], made.json["id"]);
    assert!(!list.text.contains(token), "the list never shows the token");
    assert!(list.json["tokens"][0].get("token").is_none());
    // What is stored is not the token (nor any part of it that could be replayed).
    assert_eq!(app.count("api_tokens where user_id = $1", &ada_id).await, 1);
    let secret = &token[4..];
    let stored: Vec<u8> = doable::with_pool!(app.db.read(), |pool| {
        sqlx::query_scalar("select hash from api_tokens").fetch_one(pool).await.unwrap()
    });
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&secret[..8]));

    // Another person sees none of them, and cannot revoke them.
    let (bob, _) = app.user("bob@example.com").await;
    assert_eq!(bob.get("/api/tokens/list", &[]).await.json["tokens"], serde_json::json!([]));
    let id = made.json["id"].as_str().unwrap();
    let theirs = bob.post("/api/tokens/revoke", &[("id", id)]).await;
    assert_eq!((theirs.status, theirs.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(Client::bearer(&app.base, token).get("/api/auth/me", &[]).await.json["email"], "ada@example.com");
}

#[tokio::test]
async fn bad_token_forms_are_refused_and_change_nothing() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    for (form, field) in [
        (vec![("scope", "read")], "name"),
        (vec![("name", " "), ("scope", "read")], "name"),
        (vec![("name", &*"x".repeat(101)), ("scope", "read")], "name"),
        (vec![("name", "a"), ("scope", "admin")], "scope"),
        (vec![("name", "a")], "scope"),
        (vec![("name", "a"), ("scope", "read"), ("expires_in_days", "0")], "expires_in_days"),
        (vec![("name", "a"), ("scope", "read"), ("expires_in_days", "3651")], "expires_in_days"),
        (vec![("name", "a"), ("scope", "read"), ("expires_in_days", "1e3")], "expires_in_days"),
    ] {
        let refused = ada.post("/api/tokens/create", &form).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        assert!(refused.json["fields"][field].is_string(), "{form:?}: {}", refused.text);
    }
    // Making a token is confirmed with the password: a stolen session cannot make one.
    let wrong =
        ada.post("/api/tokens/create", &[("name", "a"), ("scope", "read"), ("password", "not it at all")]).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::FORBIDDEN, "invalid_credentials"));
    let none = ada.post("/api/tokens/create", &[("name", "a"), ("scope", "read")]).await;
    assert!(none.json["fields"]["password"].is_string(), "{}", none.text);
    for id in ["", "nope", "00000000-0000-0000-0000-00000000000g"] {
        let refused = ada.post("/api/tokens/revoke", &[("id", id)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{id}");
    }
    let missing = ada.post("/api/tokens/revoke", &[("id", &uuid::Uuid::new_v4().to_string())]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("api_tokens where user_id = $1", &ada_id).await, 0);
    // Without a session: 401.
    for response in [
        app.client().post("/api/tokens/create", &[("name", "a"), ("scope", "read")]).await,
        app.client().get("/api/tokens/list", &[]).await,
    ] {
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    // At most 50 an account, checked when one is made.
    for i in 0..50 {
        make(&ada, &format!("t{i}"), "read").await;
    }
    let over = ada.post("/api/tokens/create", &[("name", "one more"), ("scope", "read"), ("password", PASSWORD)]).await;
    assert_eq!((over.status, over.code()), (StatusCode::UNPROCESSABLE_ENTITY, "limit_reached"));
    assert_eq!(app.count("api_tokens where user_id = $1", &ada_id).await, 50);
}

#[tokio::test]
async fn a_read_token_reads_and_a_write_token_writes() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (read, _) = make(&ada, "read", "read").await;
    let (write, _) = make(&ada, "write", "write").await;
    let (reader, writer) = (Client::bearer(&app.base, &read), Client::bearer(&app.base, &write));

    let created = writer.post("/api/tasks/create", &[("title", "From a script")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let listed = reader.get("/api/tasks/list", &[]).await;
    assert_eq!((listed.status, task_count(&listed)), (StatusCode::OK, 1));
    assert_eq!(listed.json["tasks"][0]["title"], "From a script");

    let refused = reader.post("/api/tasks/create", &[("title", "Not allowed")]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "insufficient_scope"));
    let id = created.json["id"].as_str().unwrap();
    let refused = reader.post("/api/tasks/delete", &[("id", id)]).await;
    assert_eq!(refused.code(), "insufficient_scope");
    assert_eq!(task_count(&ada.get("/api/tasks/list", &[]).await), 1, "nothing changed");

    // A token is its person's, no one else's.
    let (bob, _) = app.user("bob@example.com").await;
    let bobs = bob.post("/api/tasks/create", &[("title", "Bob's")]).await.json["id"].as_str().unwrap().to_owned();
    assert_eq!(writer.get("/api/tasks/get", &[("id", &bobs)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(writer.post("/api/tasks/delete", &[("id", &bobs)]).await.status, StatusCode::NOT_FOUND);

    // The scheme in any letter case; another scheme is no credential at all, even beside a
    // session cookie (a script meant to send its read token never writes with the session).
    let lower = app.client().with_header("authorization", &format!("bearer {read}"));
    assert_eq!(lower.get("/api/auth/me", &[]).await.status, StatusCode::OK);
    let (http, base) = ada.http();
    let basic = ada.send(http.get(format!("{base}/api/auth/me")).header("authorization", "Basic YTpi")).await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED, "the session cookie is not used instead");
    let mixed = ada
        .send(
            http.post(format!("{base}/api/lists/create"))
                .header("authorization", format!("BEARER {read}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("name=Sneaky"),
        )
        .await;
    assert_eq!(mixed.code(), "insufficient_scope", "the read token is used, not the session beside it");
    // Garbage and near-misses are 401, whatever their shape.
    for bad in
        ["dbl_", "dbl_short", &format!("{}x", &read[..46]), &format!("{}A", &read[..46]), "dbl_ ", &read.to_uppercase()]
    {
        if bad == read {
            continue;
        }
        let response = Client::bearer(&app.base, bad).get("/api/tasks/list", &[]).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{bad}");
    }
}

/// Every endpoint, against each kind of token: a `read` token may only read, and only a
/// session manages credentials. The table is the server's own list of routes, so an
/// endpoint added later is checked too.
#[tokio::test]
async fn every_endpoint_honours_the_token_scopes() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (read, _) = make(&ada, "read", "read").await;
    let (write, _) = make(&ada, "write", "write").await;
    let (reader, writer) = (Client::bearer(&app.base, &read), Client::bearer(&app.base, &write));
    let session_only = [
        "/api/auth/change-password",
        "/api/auth/delete-account",
        "/api/auth/logout",
        "/api/auth/logout-all",
        "/api/tokens/create",
        "/api/tokens/list",
        "/api/tokens/revoke",
        "/api/calendar/link",
        "/api/calendar/enable",
        "/api/calendar/rotate",
        "/api/calendar/disable",
    ];
    let public = ["/api/auth/signup", "/api/auth/login", "/api/auth/session"];
    let mut routes: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .collect();
    routes.sort();
    assert!(routes.len() >= 46, "{routes:?}");
    for (method, path) in &routes {
        if public.contains(&path.as_str()) {
            continue;
        }
        let send = |client: &Client| {
            let client = client.clone();
            let (method, path) = (method.clone(), path.clone());
            async move {
                // Forms of empty fields: a change that got past the scope check is refused for
                // them (422) and changes nothing. A field the endpoint cannot do without
                // (400 before any check) is added, empty, until the form is complete.
                let mut fields: Vec<String> = Vec::new();
                loop {
                    let form: Vec<(&str, &str)> = fields.iter().map(|f| (f.as_str(), "")).collect();
                    let response =
                        if method == "GET" { client.get(&path, &form).await } else { client.post(&path, &form).await };
                    let missing = response.json["message"]
                        .as_str()
                        .and_then(|m| m.split_once("missing field `"))
                        .and_then(|(_, rest)| rest.split_once('`'))
                        .map(|(field, _)| field.to_owned());
                    match missing {
                        Some(field) if response.code() == "bad_request" && fields.len() < 10 => fields.push(field),
                        _ => return response,
                    }
                }
            }
        };
        let (by_reader, by_writer) = (send(&reader).await, send(&writer).await);
        for (who, response) in [("read", &by_reader), ("write", &by_writer)] {
            assert_ne!(response.status, StatusCode::UNAUTHORIZED, "{method} {path} with a {who} token");
        }
        let reader_refused = method != "GET" || session_only.contains(&path.as_str());
        let writer_refused = session_only.contains(&path.as_str());
        for (who, refused, response) in [("read", reader_refused, &by_reader), ("write", writer_refused, &by_writer)] {
            if refused {
                assert_eq!(
                    (response.status, response.code()),
                    (StatusCode::FORBIDDEN, "insufficient_scope"),
                    "{method} {path} with a {who} token: {}",
                    response.text
                );
            } else {
                assert_ne!(response.code(), "insufficient_scope", "{method} {path} with a {who} token");
            }
        }
    }
    // The session still has its account and its password, and every token still works.
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::OK);
    assert_eq!(reader.get("/api/auth/me", &[]).await.status, StatusCode::OK);
    assert_eq!(ada.get("/api/tokens/list", &[]).await.json["tokens"].as_array().unwrap().len(), 2);
    // With fields, too: a token cannot change the password even with the right one.
    let refused = writer
        .post(
            "/api/auth/change-password",
            &[("current_password", common::PASSWORD), ("new_password", "another long password")],
        )
        .await;
    assert_eq!(refused.code(), "insufficient_scope");
    let refused = writer.post("/api/auth/delete-account", &[("password", common::PASSWORD), ("confirm", "on")]).await;
    assert_eq!(refused.code(), "insufficient_scope");
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn revoked_expired_and_disabled_tokens_stop_at_once() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (token, id) = make(&ada, "one", "write").await;
    let script = Client::bearer(&app.base, &token);
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    let revoked = ada.post("/api/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let after = script.get("/api/tasks/list", &[]).await;
    assert_eq!((after.status, after.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(ada.get("/api/tokens/list", &[]).await.json["tokens"], serde_json::json!([]));

    // Expired: refused, and listed as expired until revoked.
    let (token, id) = make(&ada, "short", "read").await;
    let script = Client::bearer(&app.base, &token);
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    doable::execute!(app.db, |conn| {
        sqlx::query("update api_tokens set expires_at = $1 where id = $2")
            .bind(doable::db::Timestamp::now() - std::time::Duration::from_secs(1))
            .bind(uuid::Uuid::parse_str(&id).unwrap())
            .execute(conn)
    })
    .unwrap();
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    let listed = ada.get("/api/tokens/list", &[]).await;
    assert_eq!(listed.json["tokens"][0]["expired"], true);

    // A disabled account's tokens stop with its sessions; enabled again, they work again.
    let (token, _) = make(&ada, "again", "read").await;
    let script = Client::bearer(&app.base, &token);
    app.set_disabled("ada@example.com", true).await;
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    app.set_disabled("ada@example.com", false).await;
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    // And a deleted account's are gone with it.
    let deleted = ada.post("/api/auth/delete-account", &[("password", common::PASSWORD), ("confirm", "on")]).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("api_tokens", "").await, 0);
}

#[tokio::test]
async fn use_is_recorded_at_most_once_a_minute() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (token, id) = make(&ada, "one", "read").await;
    let script = Client::bearer(&app.base, &token);
    let last_used = || async {
        let tokens = ada.get("/api/tokens/list", &[]).await.json["tokens"].clone();
        tokens.as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).unwrap()["last_used_at"].clone()
    };
    assert_eq!(last_used().await, Value::Null);
    script.get("/api/tasks/list", &[]).await;
    // Recorded beside the request: wait for it.
    let mut first = last_used().await;
    for _ in 0..50 {
        if first.is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        first = last_used().await;
    }
    assert!(first.is_string(), "{first}");
    for _ in 0..5 {
        assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    }
    assert_eq!(last_used().await, first, "not rewritten within the minute");
    // A minute later (moved back in the database), the next use is recorded.
    doable::execute!(app.db, |conn| {
        sqlx::query("update api_tokens set last_used_at = $1")
            .bind(doable::db::Timestamp::now() - std::time::Duration::from_secs(61))
            .execute(conn)
    })
    .unwrap();
    let moved = last_used().await;
    assert_ne!(moved, first);
    script.get("/api/tasks/list", &[]).await;
    let mut again = last_used().await;
    for _ in 0..50 {
        if again != moved {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        again = last_used().await;
    }
    assert!(again.as_str().unwrap() > moved.as_str().unwrap(), "{again} after {moved}");
}

/// Without JavaScript: the form on `/account` makes a token, the page shows it once, and the
/// tokens are listed with a Revoke button each.
#[tokio::test]
async fn the_account_page_makes_shows_once_and_revokes() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let form = |client: &Client, path: &str, pairs: &[(&str, &str)]| {
        let (http, base) = client.http();
        http.post(format!("{base}{path}"))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", format!("{base}/account"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(common::form_urlencode(pairs))
    };
    let made = ada
        .send(form(&ada, "/api/tokens/create", &[("name", "<b>cron</b>"), ("scope", "write"), ("password", PASSWORD)]))
        .await;
    assert!(made.status.is_redirection(), "{}", made.status);
    assert!(made.headers["location"].to_str().unwrap().contains("/account"), "{:?}", made.headers["location"]);
    assert!(made.set_cookies().iter().any(|c| c.starts_with("doable_new_token=dbl_") && c.contains("SameSite=Strict")));
    let page = ada.get("/account", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let shown: String = page.text.split("dbl_").nth(1).unwrap().chars().take(43).collect();
    let token = format!("dbl_{shown}");
    assert!(page.text.contains("Copy it now"));
    assert!(page.text.contains("&lt;b&gt;cron&lt;/b&gt;") && !page.text.contains("<b>cron</b>"));
    assert!(page.set_cookies().iter().any(|c| c.starts_with("doable_new_token=;")), "{:?}", page.set_cookies());
    // The token works, and the page does not show it again.
    assert_eq!(Client::bearer(&app.base, &token).get("/api/auth/me", &[]).await.status, StatusCode::OK);
    let again = ada.get("/account", &[]).await;
    assert!(!again.text.contains(&token) && !again.text.contains("Copy it now"));
    assert!(again.text.contains("Revoke"));

    // A refused form comes back with its field's hint.
    let refused =
        ada.send(form(&ada, "/api/tokens/create", &[("name", ""), ("scope", "read"), ("password", PASSWORD)])).await;
    let location = refused.headers["location"].to_str().unwrap().trim_start_matches(&app.base).to_owned();
    let page = ada.get(&location, &[]).await;
    assert!(page.text.contains("Name the token, in at most 100 characters."), "{location}");

    // A token made and not yet shown is cleared by logging out everywhere and by a login.
    ada.send(form(&ada, "/api/tokens/create", &[("name", "unseen"), ("scope", "read"), ("password", PASSWORD)])).await;
    let everywhere = ada.post("/api/auth/logout-all", &[]).await;
    assert!(
        everywhere.set_cookies().iter().any(|c| c.starts_with("doable_new_token=;")),
        "{:?}",
        everywhere.set_cookies()
    );
    let login = ada.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert!(login.set_cookies().iter().any(|c| c.starts_with("doable_new_token=;")), "{:?}", login.set_cookies());
    ada.post(
        "/api/tokens/revoke",
        &[("id", ada.get("/api/tokens/list", &[]).await.json["tokens"][0]["id"].as_str().unwrap())],
    )
    .await;
    let id = ada.get("/api/tokens/list", &[]).await.json["tokens"][0]["id"].as_str().unwrap().to_owned();
    let revoked = ada.send(form(&ada, "/api/tokens/revoke", &[("id", &id)])).await;
    assert!(revoked.status.is_redirection());
    assert_eq!(Client::bearer(&app.base, &token).get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert!(ada.get("/account", &[]).await.text.contains("No tokens yet."));
}

/// A real server process at debug level: neither a used token, nor a refused one, nor a
/// token being made, reaches its log.
#[tokio::test]
async fn tokens_never_reach_the_log() {
    let database = TestDatabase::new().await;
    let mut settings = database.settings();
    settings.insert("RUST_LOG".into(), "debug".into());
    let server = ServerProcess::start_logging(&settings, "debug").await;
    let ada = server.client();
    ada.sign_up("ada@example.com").await;
    let (token, _) = make(&ada, "one", "read").await;
    let script = Client::bearer(&server.base, &token);
    assert_eq!(script.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    assert_eq!(script.post("/api/tasks/create", &[("title", "x")]).await.status, StatusCode::FORBIDDEN);
    let wrong = format!("{}Z", &token[..46]);
    assert_eq!(Client::bearer(&server.base, &wrong).get("/api/tasks/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = server.log();
    assert!(log.contains("API token created"), "the log is written at debug level: {log}");
    for secret in [&token[4..], &wrong[4..], &token[4..20]] {
        assert!(!log.contains(secret), "a token reached the log");
    }
}
