//! Accounts and sessions over real HTTP, on SQLite or PostgreSQL (see `common`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, PASSWORD, spawn, spawn_with};
use reqwest::StatusCode;
use serde_json::json;

fn session_token(response: &common::Response) -> String {
    let cookie =
        response.set_cookies().into_iter().find(|c| c.starts_with("doable_session=")).expect("a session cookie");
    cookie.trim_start_matches("doable_session=").split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn signup_creates_an_account_and_logs_it_in() {
    let app = spawn().await;
    let client = app.client();
    let response = client
        .post(
            "/api/auth/signup",
            &[("email", "  Ada@Example.COM "), ("password", PASSWORD), ("name", "  Ada Lovelace ")],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let user = &response.json;
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(
        user.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["created_at", "email", "id", "name", "time_zone"]
    );
    assert_eq!(user["time_zone"], "UTC", "without a zone the account starts in UTC");
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC: {}", user["created_at"]);
    assert_eq!(response.headers["cache-control"], "no-store");

    let cookie = response.set_cookies().into_iter().find(|c| c.starts_with("doable_session=")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP must not set Secure: {cookie}");

    let me = client.get("/api/auth/me", &[]).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(&me.json, user);
    let stored_hash: String = doable::with_pool!(app.db.read(), |pool| {
        sqlx::query_scalar("select password_hash from users").fetch_one(pool).await.unwrap()
    });
    assert!(stored_hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{stored_hash}");
}

#[tokio::test]
async fn logging_in_upgrades_a_hash_made_with_older_settings() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    // PASSWORD hashed with the settings of earlier releases (19 MiB, 2 passes).
    let old = "$argon2id$v=19$m=19456,t=2,p=1$ZG9hYmxlLW9sZC1zYWx0IQ$528aVryunD0LySFSFOwNBjkdhcewK8kG5DOYQVHSHCE";
    let stored = || async {
        let hash: String = doable::with_pool!(app.db.read(), |pool| {
            sqlx::query_scalar("select password_hash from users").fetch_one(pool).await.unwrap()
        });
        hash
    };
    doable::with_writer!(app.db, |pool| sqlx::query("update users set password_hash = $1")
        .bind(old)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();

    let wrong =
        app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored().await, old, "a failed login changes nothing");

    let client = app.client();
    let login = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let upgraded = stored().await;
    assert!(upgraded.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{upgraded}");
    client.post("/api/auth/logout", &[]).await;
    let again = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(again.status, StatusCode::OK, "the new hash holds the same password");
    assert_eq!(stored().await, upgraded, "an up-to-date hash is left alone");
}

#[tokio::test]
async fn an_email_can_have_only_one_account_whatever_its_case() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    let response = app
        .client()
        .post("/api/auth/signup", &[("email", "ADA@example.com"), ("password", PASSWORD), ("name", "Other")])
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.json, json!({"code": "email_taken", "message": "An account with this email already exists."}));
    assert_eq!(app.count("users", "").await, 1);
}

/// An address of exactly `length` characters: `<local>@` and a domain of short labels.
fn email_of_length(local: &str, length: usize) -> String {
    let mut domain = String::from("com");
    while local.len() + 1 + domain.len() < length {
        let room = length - (local.len() + 1 + domain.len());
        let label = "d".repeat(room.saturating_sub(1).clamp(1, 60));
        domain = format!("{label}.{domain}");
    }
    let email = format!("{local}@{domain}");
    assert_eq!(email.len(), length, "{email}");
    email
}

#[tokio::test]
async fn signup_fields_are_checked_on_both_sides_of_each_limit() {
    let app = spawn().await;
    let cases: Vec<(&str, String, bool)> = vec![
        ("email", email_of_length("max", 254), true),
        ("email", email_of_length("over", 255), false),
        ("email", "not-an-email".into(), false),
        ("name", "n".repeat(100), true),
        ("name", "n".repeat(101), false),
        ("name", "   ".into(), false),
        ("password", "kq8#vZ2m".into(), true),
        ("password", "kq8#vZ2".into(), false),
        ("password", "é".repeat(128), true),
        ("password", "é".repeat(129), false),
        ("password", "password1".into(), false),
        ("password", "  spaced out phrase  ".into(), true),
    ];
    let mut accepted = 0;
    for (i, (field, value, ok)) in cases.into_iter().enumerate() {
        let email = format!("user{i}@example.com");
        let mut form = vec![("email", email.as_str()), ("password", PASSWORD), ("name", "Name")];
        form.retain(|(k, _)| *k != field);
        form.push((field, value.as_str()));
        let response = app.client().post("/api/auth/signup", &form).await;
        if ok {
            assert_eq!(response.status, StatusCode::OK, "{field}={value:?}: {}", response.text);
            accepted += 1;
        } else {
            assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value:?}: {}", response.text);
            assert_eq!(response.code(), "validation_failed");
            assert!(response.json["fields"][field].is_string(), "{field} not named: {}", response.text);
        }
    }
    assert_eq!(app.count("users", "").await, accepted);
}

#[tokio::test]
async fn passwords_are_neither_trimmed_nor_truncated() {
    let app = spawn().await;
    let password = format!("  {}  ", "🔑".repeat(20));
    let signup = app
        .client()
        .post("/api/auth/signup", &[("email", "k@example.com"), ("password", &password), ("name", "K")])
        .await;
    assert_eq!(signup.status, StatusCode::OK, "{}", signup.text);
    let trimmed =
        app.client().post("/api/auth/login", &[("email", "k@example.com"), ("password", password.trim())]).await;
    assert_eq!(trimmed.status, StatusCode::UNAUTHORIZED);
    let exact = app.client().post("/api/auth/login", &[("email", "k@example.com"), ("password", &password)]).await;
    assert_eq!(exact.status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_argument_is_a_bad_request() {
    let app = spawn().await;
    let response = app.client().post("/api/auth/signup", &[("email", "a@example.com"), ("name", "A")]).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.text);
    assert_eq!(response.code(), "bad_request");
    assert_eq!(app.count("users", "").await, 0);
}

#[tokio::test]
async fn login_with_wrong_password_is_rejected_like_unknown_email() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    let wrong =
        app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", "not the password")]).await;
    let unknown = app
        .client()
        .post("/api/auth/login", &[("email", "nobody@example.com"), ("password", "not the password")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.text, wrong.text);
    assert_eq!(wrong.json, json!({"code": "invalid_credentials", "message": "Wrong email or password."}));
    assert!(wrong.set_cookies().is_empty());

    let right = app.client().post("/api/auth/login", &[("email", " ADA@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.json["email"], "ada@example.com");
    assert!(!session_token(&right).is_empty());
}

#[tokio::test]
async fn eleven_failed_logins_lock_the_account_even_for_the_right_password() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    let client = app.client();
    for attempt in 1..=10 {
        let response =
            client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "too_many_attempts");
    let retry_after: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(locked.json["retry_after"], retry_after);

    // Another account is not affected.
    app.user("bob@example.com").await;
    let other = app.client().post("/api/auth/login", &[("email", "bob@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(other.status, StatusCode::OK);

    // Once the window is over, the account can log in again.
    doable::with_writer!(app.db, |pool| {
        sqlx::query("update rate_limits set window_start = $1")
            .bind(doable::db::Timestamp::now() - std::time::Duration::from_secs(901))
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let later = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text);
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    let client = app.client();
    for _ in 0..9 {
        client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
    }
    assert_eq!(
        client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await.status,
        StatusCode::OK
    );
    ten_failures_then_locked(&client, "ada@example.com").await;
}

/// Ten wrong passwords for `email` from `client` are refused as wrong (401), and the
/// eleventh as too many (429).
async fn ten_failures_then_locked(client: &Client, email: &str) {
    for attempt in 1..=10 {
        let response = client.post("/api/auth/login", &[("email", email), ("password", "wrong password!")]).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let eleventh = client.post("/api/auth/login", &[("email", email), ("password", "wrong password!")]).await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS, "the eleventh attempt");
}

#[tokio::test]
async fn signups_are_limited_per_client_address() {
    let app = spawn_with(&[("DOABLE_SIGNUP_LIMIT", "3")]).await;
    for i in 0..3 {
        app.user(&format!("u{i}@example.com")).await;
    }
    let response = app
        .client()
        .post("/api/auth/signup", &[("email", "u3@example.com"), ("password", PASSWORD), ("name", "U")])
        .await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.code(), "rate_limited");
    assert!(response.headers.contains_key("retry-after"));
    assert_eq!(app.count("users", "").await, 3);
}

#[tokio::test]
async fn logout_revokes_a_replayed_token() {
    let app = spawn().await;
    let client = app.client();
    let login = {
        app.user("ada@example.com").await;
        client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await
    };
    let token = session_token(&login);
    let bearer = Client::bearer(&app.base, &token);
    assert_eq!(bearer.get("/api/auth/me", &[]).await.status, StatusCode::OK);

    let logout = client.post("/api/auth/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::OK);
    assert_eq!(logout.json, json!({}));
    let cleared = logout.set_cookies().into_iter().find(|c| c.starts_with("doable_session=")).unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let replay = bearer.get("/api/auth/me", &[]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "unauthenticated");
    assert_eq!(client.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_without_a_session_still_answers() {
    let app = spawn().await;
    let response = app.client().post("/api/auth/logout", &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json, json!({}));
}

#[tokio::test]
async fn logout_everywhere_ends_every_session() {
    let app = spawn().await;
    let (first, _) = app.user("ada@example.com").await;
    let second = app.client();
    assert_eq!(
        second.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await.status,
        StatusCode::OK
    );
    let response = first.post("/api/auth/logout-all", &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(first.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(second.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("sessions", "").await, 0);
    assert_eq!(app.client().post("/api/auth/logout-all", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions() {
    let app = spawn().await;
    let (this, _) = app.user("ada@example.com").await;
    let other = app.client();
    other.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;

    let wrong = this
        .post(
            "/api/auth/change-password",
            &[("current_password", "not my password"), ("new_password", "a brand new phrase")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "invalid_credentials");
    let weak =
        this.post("/api/auth/change-password", &[("current_password", PASSWORD), ("new_password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.json["fields"]["new_password"].is_string());
    assert_eq!(other.get("/api/auth/me", &[]).await.status, StatusCode::OK, "refused changes revoke nothing");

    let changed = this
        .post("/api/auth/change-password", &[("current_password", PASSWORD), ("new_password", "a brand new phrase")])
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json["email"], "ada@example.com");
    assert!(!session_token(&changed).is_empty(), "a fresh cookie");
    assert_eq!(this.get("/api/auth/me", &[]).await.status, StatusCode::OK);
    assert_eq!(other.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client()
            .post("/api/auth/login", &[("email", "ada@example.com"), ("password", "a brand new phrase")])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_the_account_removes_the_user_sessions_and_tasks() {
    let app = spawn().await;
    let (client, id) = app.user("ada@example.com").await;
    let (bob, bob_id) = app.user("bob@example.com").await;
    for title in ["one", "two"] {
        assert_eq!(client.post("/api/tasks/create", &[("title", title), ("tags", "x")]).await.status, StatusCode::OK);
    }
    bob.post("/api/tasks/create", &[("title", "bob's")]).await;

    let wrong = client.post("/api/auth/delete-account", &[("password", "not my password")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(app.count("users where id = $1", &id).await, 1);

    let deleted = client.post("/api/auth/delete-account", &[("password", PASSWORD)]).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.json, json!({}));
    assert_eq!(app.count("users where id = $1", &id).await, 0);
    assert_eq!(app.count("sessions where user_id = $1", &id).await, 0);
    assert_eq!(app.count("tasks where list_id = $1", &id).await, 0);
    assert_eq!(app.count("task_tags where list_id = $1", &id).await, 0);
    assert_eq!(app.count("tasks where list_id = $1", &bob_id).await, 1);
    assert_eq!(client.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

mod tokens {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

    fn forge(claims: serde_json::Value, secret: &str) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    /// A token for a real, live session, re-signed with other claims or keys.
    async fn live_session(app: &common::TestApp) -> (String, serde_json::Value) {
        let (client, _) = app.user("ada@example.com").await;
        let login = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
        let token = session_token(&login);
        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&base64_url_decode(payload)).unwrap();
        (token, claims)
    }

    fn base64_url_decode(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for c in text.bytes() {
            let value = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
            bits = (bits << 6) | value;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
            }
        }
        out
    }

    async fn me_with(app: &common::TestApp, token: &str) -> StatusCode {
        Client::bearer(&app.base, token).get("/api/auth/me", &[]).await.status
    }

    #[tokio::test]
    async fn claims_are_the_documented_ones() {
        let app = spawn().await;
        let (token, claims) = live_session(&app).await;
        assert_eq!(me_with(&app, &token).await, StatusCode::OK);
        let mut keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["exp", "iat", "sid", "sub"]);
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 7 * 24 * 3600);
    }

    #[tokio::test]
    async fn a_tampered_token_is_refused() {
        let app = spawn().await;
        let (token, _) = live_session(&app).await;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let other_user = forge(
            json!({"sub": uuid::Uuid::new_v4(), "sid": uuid::Uuid::new_v4(), "iat": 1, "exp": 4_000_000_000i64}),
            "x",
        );
        parts[1] = other_user.split('.').nth(1).unwrap().to_owned();
        assert_eq!(me_with(&app, &parts.join(".")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me_with(&app, "not.a.token").await, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_token_signed_with_another_key_is_refused() {
        let app = spawn().await;
        let (_, claims) = live_session(&app).await;
        assert_eq!(
            me_with(&app, &forge(claims.clone(), "test-secret-that-is-long-enough-for-hs256!")).await,
            StatusCode::OK,
            "control: the right key works"
        );
        assert_eq!(
            me_with(&app, &forge(claims, "another-secret-that-is-long-enough-too!!")).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let app = spawn().await;
        let (_, mut claims) = live_session(&app).await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        claims["iat"] = json!(now - 3600);
        claims["exp"] = json!(now - 60);
        assert_eq!(
            me_with(&app, &forge(claims, "test-secret-that-is-long-enough-for-hs256!")).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn an_unsigned_alg_none_token_is_refused() {
        let app = spawn().await;
        let (_, claims) = live_session(&app).await;
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
        let payload = forge(claims, "x").split('.').nth(1).unwrap().to_owned();
        assert_eq!(me_with(&app, &format!("{header}.{payload}.")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me_with(&app, &format!("{header}.{payload}")).await, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_token_whose_session_row_is_gone_is_refused() {
        let app = spawn().await;
        let (token, _) = live_session(&app).await;
        doable::with_writer!(app.db, |pool| sqlx::query("delete from sessions").execute(pool).await.map(|_| ()))
            .unwrap();
        assert_eq!(me_with(&app, &token).await, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn secure_cookies_use_the_host_prefix() {
    let app = spawn_with(&[("DOABLE_COOKIE_SECURE", "true")]).await;
    let response = app
        .client()
        .post("/api/auth/signup", &[("email", "s@example.com"), ("password", PASSWORD), ("name", "S")])
        .await;
    let cookie = response.set_cookies().into_iter().next().unwrap();
    assert!(cookie.starts_with("__Host-doable_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
}

#[tokio::test]
async fn cross_site_requests_are_refused_and_change_nothing() {
    let app = spawn().await;
    let (client, id) = app.user("ada@example.com").await;
    let evil = client.with_header("origin", "http://evil.example");
    let response = evil.post("/api/tasks/create", &[("title", "planted")]).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.code(), "csrf_rejected");
    let fetched = client.with_header("sec-fetch-site", "cross-site").post("/api/auth/logout-all", &[]).await;
    assert_eq!(fetched.status, StatusCode::FORBIDDEN);
    let signup = app
        .client()
        .with_header("origin", "null")
        .post("/api/auth/signup", &[("email", "x@example.com"), ("password", PASSWORD), ("name", "X")])
        .await;
    assert_eq!(signup.status, StatusCode::FORBIDDEN);

    assert_eq!(app.count("tasks where list_id = $1", &id).await, 0);
    assert_eq!(app.count("users", "").await, 1);
    assert_eq!(client.get("/api/auth/me", &[]).await.status, StatusCode::OK, "the session survived");

    let same_origin = client.with_header("origin", &app.base).with_header("sec-fetch-site", "same-origin");
    assert_eq!(same_origin.post("/api/tasks/create", &[("title", "mine")]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_endpoints_and_methods_get_json_errors() {
    let app = spawn().await;
    let missing = app.client().get("/api/auth/nope", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    let wrong_method = app.client().get("/api/auth/login", &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed", "{:?} {}", wrong_method.headers, wrong_method.text);
}

/// The keys of every rate-limit row.
async fn rate_limit_keys(app: &common::TestApp) -> Vec<String> {
    doable::with_pool!(app.db.read(), |pool| {
        sqlx::query_scalar::<_, String>("select key from rate_limits").fetch_all(pool).await.unwrap()
    })
}

#[tokio::test]
async fn a_login_with_an_invalid_email_is_refused_like_a_wrong_password_and_writes_nothing() {
    let app = spawn().await;
    let client = app.client();
    let huge = format!("{}@example.com", "a".repeat(60_000));
    for email in [huge.as_str(), "not an email", "ada@", "ada@example"] {
        for _ in 0..3 {
            let response = client.post("/api/auth/login", &[("email", email), ("password", "whatever it is")]).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{:.40}", email);
            assert_eq!(response.code(), "invalid_credentials");
        }
    }
    let too_long = "p".repeat(129);
    let response = client.post("/api/auth/login", &[("email", "ada@example.com"), ("password", &too_long)]).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("rate_limits", "").await, 0, "a refused login wrote a counter");
}

#[tokio::test]
async fn rate_limit_counters_have_fixed_size_keys_that_hold_no_email_or_address() {
    let app = spawn().await;
    let longest = email_of_length("ada", 254);
    app.client().post("/api/auth/login", &[("email", &longest), ("password", "wrong password!")]).await;
    app.client().sign_up("bob@example.com").await;
    let keys = rate_limit_keys(&app).await;
    assert_eq!(keys.len(), 3, "account and address counters of the login, the signup's: {keys:?}");
    for key in keys {
        assert!(key.len() <= 48, "{key}");
        assert!(!key.contains('@') && !key.contains("127.0.0.1") && !key.contains("ada"), "{key}");
    }
}

#[tokio::test]
async fn a_locked_counter_is_not_written_again() {
    let app = spawn().await;
    app.user("ada@example.com").await;
    let attacker = app.client();
    for _ in 0..15 {
        attacker.post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
    }
    let hits = || async {
        doable::with_pool!(app.db.read(), |pool| {
            sqlx::query_scalar::<_, i64>("select max(hits) from rate_limits where key like 'login-account:%'")
                .fetch_one(pool)
                .await
                .unwrap()
        })
    };
    assert_eq!(hits().await, 11, "the counter stops one past its limit");
    attacker.post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
    assert_eq!(hits().await, 11);
}

#[tokio::test]
async fn failed_logins_from_elsewhere_do_not_lock_out_a_browser_that_logged_in_before() {
    let app = spawn().await;
    let (owner, _) = app.user("ada@example.com").await;
    assert_eq!(owner.post("/api/auth/logout", &[]).await.status, StatusCode::OK);

    // Someone who knows the email locks it for every browser it has not logged in from...
    let attacker = app.client();
    for _ in 0..11 {
        attacker.post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
    }
    let locked = attacker.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let stranger = app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);

    // ...but the owner's browser, which signed up here, still gets in.
    let back = owner.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert!(back.set_cookies().iter().any(|c| c.starts_with("doable_device=") && c.contains("HttpOnly")));

    // A device cookie speaks for its own account only, and a forged one for none.
    app.user("bob@example.com").await;
    let forged = app.client().with_header("cookie", "doable_device=00000000000000000000000000000000.0000");
    let refused = forged.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);

    // A known browser has a limit of its own.
    ten_failures_then_locked(&owner, "ada@example.com").await;
}

#[tokio::test]
async fn one_address_cannot_try_passwords_on_every_account() {
    let app = spawn_with(&[("DOABLE_LOGIN_ADDRESS_LIMIT", "5")]).await;
    for n in 0..3 {
        app.user(&format!("user{n}@example.com")).await;
    }
    let sprayer = app.client();
    for n in 0..5 {
        let email = format!("user{}@example.com", n % 3);
        let response = sprayer.post("/api/auth/login", &[("email", &email), ("password", "wrong password!")]).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let sixth = sprayer.post("/api/auth/login", &[("email", "someone@example.com"), ("password", "guess")]).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sixth.code(), "too_many_attempts");

    // Successful logins do not count against the address, nor clear its failures.
    let limited = spawn_with(&[("DOABLE_LOGIN_ADDRESS_LIMIT", "3")]).await;
    limited.user("ada@example.com").await;
    let log_in = |email: &'static str, password: &'static str| {
        let client = limited.client();
        async move { client.post("/api/auth/login", &[("email", email), ("password", password)]).await.status }
    };
    for _ in 0..4 {
        assert_eq!(log_in("ada@example.com", PASSWORD).await, StatusCode::OK);
    }
    assert_eq!(log_in("x@example.com", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(log_in("y@example.com", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(log_in("ada@example.com", PASSWORD).await, StatusCode::OK);
    assert_eq!(log_in("z@example.com", "wrong password!").await, StatusCode::UNAUTHORIZED, "the third failure");
    assert_eq!(log_in("w@example.com", "wrong password!").await, StatusCode::TOO_MANY_REQUESTS, "the fourth");
}

#[tokio::test]
async fn failed_logins_from_elsewhere_do_not_stop_a_logged_in_owner_from_changing_the_password() {
    let app = spawn().await;
    let (owner, _) = app.user("ada@example.com").await;
    for _ in 0..11 {
        app.client().post("/api/auth/login", &[("email", "ada@example.com"), ("password", "wrong password!")]).await;
    }
    let changed = owner
        .post("/api/auth/change-password", &[("current_password", PASSWORD), ("new_password", "a new long passphrase")])
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
}

#[tokio::test]
async fn logging_in_ends_the_session_the_browser_already_had() {
    let app = spawn().await;
    let browser = app.client();
    let (_, first) = browser.sign_up("ada@example.com").await;
    let login = browser.post("/api/auth/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(login.status, StatusCode::OK);
    let second = session_token(&login);
    assert_ne!(first, second);
    let replayed = Client::bearer(&app.base, &first).get("/api/auth/me", &[]).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "the session the browser carried is still alive");
    assert_eq!(Client::bearer(&app.base, &second).get("/api/auth/me", &[]).await.status, StatusCode::OK);
    assert_eq!(app.count("sessions", "").await, 1);
}

#[tokio::test]
async fn once_an_address_is_locked_its_attempts_write_nothing() {
    let app = spawn_with(&[("DOABLE_LOGIN_ADDRESS_LIMIT", "3")]).await;
    let sprayer = app.client();
    for n in 0..4 {
        let email = format!("guess{n}@example.com");
        sprayer.post("/api/auth/login", &[("email", &email), ("password", "wrong password!")]).await;
    }
    let rows = app.count("rate_limits", "").await;
    let hits = || async {
        doable::with_pool!(app.db.read(), |pool| {
            sqlx::query_scalar::<_, i64>("select cast(sum(hits) as bigint) from rate_limits")
                .fetch_one(pool)
                .await
                .unwrap()
        })
    };
    let before = hits().await;
    for n in 0..20 {
        let email = format!("new{n}@example.com");
        let refused = sprayer.post("/api/auth/login", &[("email", &email), ("password", "wrong password!")]).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(app.count("rate_limits", "").await, rows, "refused attempts made counters");
    assert_eq!(hits().await, before, "refused attempts changed counters");
}

#[tokio::test]
async fn a_wrong_password_on_the_account_page_without_javascript_says_so() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let browser = client.with_header("accept", "text/html").with_header("referer", &format!("{}/account", app.base));
    let refused = browser
        .post(
            "/api/auth/change-password",
            &[("current_password", "not my password"), ("new_password", "another long one")],
        )
        .await;
    let location = refused.headers["location"].to_str().unwrap().to_owned();
    let page = client.with_header("accept", "text/html").get(location.trim_start_matches(&app.base), &[]).await;
    assert!(page.text.contains("That password is not correct."), "{}", page.text);
    assert!(!page.text.contains("Wrong email or password."));
}
