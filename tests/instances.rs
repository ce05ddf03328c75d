//! Two release instances of the server on one PostgreSQL database behind nginx, configured by
//! `deploy/nginx.conf` (the file the README shows), with requests through the balancer going
//! to each instance in turn: a login made on one works on the other, a logout ends the
//! session on both, the login limit counts attempts on both together, a change made through
//! one reaches a live stream held on the other within a second, and a reminder is sent once.
//!
//! It needs the release build and nginx: `make test-instances` (part of `make test`) builds
//! and installs them and runs it; plain `cargo test` skips it (`#[ignore]`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use common::{PASSWORD, ServerProcess, TestDatabase};
use reqwest::StatusCode;
use serde_json::Value;

/// nginx running `deploy/nginx.conf` in front of `instances`. Stopped when dropped.
struct Balancer {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Balancer {
    async fn start(instances: &[SocketAddr]) -> Self {
        let nginx = std::env::var("DOABLE_NGINX").unwrap_or_else(|_| "nginx".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf")).unwrap();
        let servers = ["server 127.0.0.1:3001;", "server 127.0.0.1:3002;"];
        assert!(
            servers.iter().all(|s| conf.contains(s)) && conf.contains("listen 127.0.0.1:8080;"),
            "the README's file"
        );
        let conf = conf
            .replace(servers[0], &format!("server {};", instances[0]))
            .replace(servers[1], &format!("server {};", instances[1]))
            .replace("listen 127.0.0.1:8080;", &format!("listen 127.0.0.1:{port};"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = std::process::Command::new(&nginx)
            .args(["-e", "stderr", "-p"])
            .arg(dir.path())
            .args(["-c", "nginx.conf", "-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {nginx} ({e}): make test-instances installs it"));
        // Stopped (and waited for) when dropped, should it not answer.
        let balancer = Self { child, base: format!("http://127.0.0.1:{port}"), _dir: dir };
        let probe = reqwest::Client::new();
        for _ in 0..100 {
            let health = probe.get(format!("{}/healthz", balancer.base)).send().await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return balancer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not answer in 5 s");
    }
}

impl Drop for Balancer {
    /// SIGTERM: nginx's master stops its workers, then itself (a SIGKILL would leave the
    /// workers running, holding the port and the test's output).
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// A client with its own cookie jar that sends to any of the addresses (cookies do not care
/// for ports: a session made on one instance goes to the others).
struct Browser {
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http }
    }

    async fn post(&self, base: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.http.post(format!("{base}{path}")).form(form).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, base: &str, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(format!("{base}{path}")).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// A stream being read, with what it sent that was not read yet.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(browser: &Browser, base: &str) -> Self {
        let response = browser.http.get(format!("{base}/api/events")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self { response, buffer: String::new() }
    }

    /// Reads until an event named `event` whose data has `key` equal to `value`; when it came.
    async fn wait_for(&mut self, event: &str, key: &str, value: &str) -> Result<std::time::Instant, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut seen = String::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                seen.push_str(&block);
                let named = block.lines().any(|l| l == format!("event: {event}"));
                let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
                let data: Value = serde_json::from_str(data).unwrap();
                if named && data[key] == value {
                    return Ok(std::time::Instant::now());
                }
            }
            let Ok(chunk) = tokio::time::timeout_at(deadline, self.response.chunk()).await else {
                return Err(format!("no {event} with {key} {value} within 10 s; the stream sent: {seen}"));
            };
            let chunk = chunk.unwrap().expect("the stream ended");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
#[ignore = "needs the release build and nginx: make test-instances"]
async fn two_instances_behind_nginx_serve_as_one() {
    let binary = PathBuf::from(std::env::var("DOABLE_RELEASE_BIN").expect("DOABLE_RELEASE_BIN: the release server"));
    let database = TestDatabase::on(true).await;
    let mut settings: HashMap<String, String> = database.settings();
    settings.insert("DOABLE_TRUST_PROXY".into(), "true".into());
    let a = ServerProcess::start_binary(&binary, &settings, "warn").await;
    let b = ServerProcess::start_binary(&binary, &settings, "warn").await;
    let balancer = Balancer::start(&[a.address, b.address]).await;
    let (lb, a_base, b_base) = (balancer.base.as_str(), a.base.as_str(), b.base.as_str());

    // Sign up through the balancer, then every request lands on one instance or the other.
    let ada = Browser::new();
    let (status, _) = ada
        .post(lb, "/api/auth/signup", &[("email", "ada@example.com"), ("password", PASSWORD), ("name", "Ada")])
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..6 {
        assert_eq!(ada.get(lb, "/api/auth/me").await.1["email"], "ada@example.com");
    }
    // A login on A is a session on B.
    let bob = Browser::new();
    bob.post(lb, "/api/auth/signup", &[("email", "bob@example.com"), ("password", PASSWORD), ("name", "Bob")]).await;
    let (status, _) =
        bob.post(a_base, "/api/auth/login", &[("email", "bob@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bob.get(b_base, "/api/auth/me").await.1["email"], "bob@example.com");
    // A logout on B ends it on A too, and through the balancer.
    assert_eq!(bob.post(b_base, "/api/auth/logout", &[]).await.0, StatusCode::OK);
    assert_eq!(bob.get(a_base, "/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bob.get(lb, "/api/auth/me").await.0, StatusCode::UNAUTHORIZED);

    // Failed logins count on both instances together: ten are allowed in all, alternating.
    let guesser = Browser::new();
    for n in 0..10 {
        let base = if n % 2 == 0 { a_base } else { b_base };
        let (status, _) =
            guesser.post(base, "/api/auth/login", &[("email", "bob@example.com"), ("password", "wrong guess!")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    for base in [a_base, b_base, lb] {
        let (status, body) =
            guesser.post(base, "/api/auth/login", &[("email", "bob@example.com"), ("password", "wrong guess!")]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }

    // A change made on A reaches a stream held on B within a second (the bound).
    let mut on_b = Events::open(&ada, b_base).await;
    let started = std::time::Instant::now();
    let (status, task) = ada.post(a_base, "/api/tasks/create", &[("title", "Made on A")]).await;
    assert_eq!(status, StatusCode::OK);
    let answered = started.elapsed();
    let heard = on_b
        .wait_for("task.created", "id", task["id"].as_str().unwrap())
        .await
        .unwrap_or_else(|e| panic!("{e}\nA:\n{}\nB:\n{}", a.log(), b.log()));
    let latency = heard.duration_since(started) - answered;
    assert!(latency < Duration::from_secs(1), "the event came {latency:?} after the write's answer");
    // Through the balancer: the stream on one instance, writes alternating between both.
    let mut through = Events::open(&ada, lb).await;
    let mut made = Vec::new();
    for n in 0..4 {
        let (status, task) = ada.post(lb, "/api/tasks/create", &[("title", &format!("Balanced {n}"))]).await;
        assert_eq!(status, StatusCode::OK);
        made.push(task["id"].as_str().unwrap().to_owned());
    }
    for id in &made {
        through
            .wait_for("task.created", "id", id)
            .await
            .unwrap_or_else(|e| panic!("{e}\nA:\n{}\nB:\n{}", a.log(), b.log()));
    }

    // Reminders that come due are sent once, though both instances sweep every second.
    let due = time::OffsetDateTime::now_utc().date() + time::Duration::days(3);
    let mut reminded = Vec::new();
    for n in 0..20 {
        let form = [("title", format!("Reminder {n}")), ("due_date", due.to_string()), ("reminders", "1d".into())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, task) = ada.post(lb, "/api/tasks/create", &form).await;
        assert_eq!(status, StatusCode::OK, "{task}");
        reminded.push(task["id"].as_str().unwrap().to_owned());
    }
    let pool = sqlx::PgPool::connect(&settings["DATABASE_URL"]).await.unwrap();
    let queued = sqlx::query("update reminder_queue set fire_at = now()").execute(&pool).await.unwrap();
    assert_eq!(queued.rows_affected(), 20);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, page) = ada.get(lb, "/api/notifications/list?limit=100").await;
        if page["notifications"].as_array().is_some_and(|n| n.len() >= 20) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the reminders were not sent: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let sent: i64 = sqlx::query_scalar("select count(*) from notifications").fetch_one(&pool).await.unwrap();
    assert_eq!(sent, 20, "each reminder once");
}
