//! Shared helpers for the integration tests: a real server on a free port with a fresh
//! database of its own, and an HTTP client that keeps cookies like a browser.
//!
//! The backend is SQLite unless `DOABLE_TEST_BACKEND=postgres`, in which case each test gets
//! a new database on the server at `TEST_POSTGRES_URL`, dropped when the test ends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, net::SocketAddr, str::FromStr};

use doable::{config::Config, db::Db, server, state::AppState};
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;
use sqlx::{ConnectOptions, Connection, postgres::PgConnectOptions};
use tokio::sync::oneshot;

pub mod reference;
pub mod sharing;

/// A password that passes every rule.
pub const PASSWORD: &str = "correct horse battery staple";

/// Runs one of `tests/support`'s Python scripts (with `args`, and `input` on its standard
/// input): independent readers of what Doable writes. Its standard error is the test's.
pub fn python(script: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let path = format!("{}/tests/support/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 {script}: {e} (make test installs python3 and the packages it reads with)")
        });
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Which database the tests run on.
pub fn backend_is_postgres() -> bool {
    std::env::var("DOABLE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A database of a test's own: a SQLite file in a temporary directory, or (with
/// `DOABLE_TEST_BACKEND=postgres`) a new database on the server at `TEST_POSTGRES_URL`,
/// dropped when this value is.
pub struct TestDatabase {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates the database.
    pub async fn new() -> Self {
        Self::on(backend_is_postgres()).await
    }

    /// Creates a database on PostgreSQL (`postgres`) or SQLite, whichever the tests run on.
    pub async fn on(postgres_wanted: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut postgres = None;
        if postgres_wanted {
            let admin = std::env::var("TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("doable_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                PgConnectOptions::from_str(&admin).unwrap().connect().await.expect("PostgreSQL at TEST_POSTGRES_URL");
            sqlx::query(&format!("create database {name}")).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            postgres = Some((admin, name));
        }
        Self { dir, postgres }
    }

    /// The settings of a server on this database, with `DATABASE_URL` reaching PostgreSQL
    /// through `port` when given (a proxy's, say) instead of the server's own.
    pub fn settings_via(&self, port: Option<u16>) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("DOABLE_DATA_DIR".into(), self.data_dir().to_string_lossy().into());
        env.insert("LEPTOS_SITE_ROOT".into(), self.dir.path().join("site").to_string_lossy().into());
        env.insert("DOABLE_JWT_SECRET".into(), "test-secret-that-is-long-enough-for-hs256!".into());
        env.insert("DOABLE_SIGNUP_LIMIT".into(), "1000".into());
        if let Some((admin, name)) = &self.postgres {
            let mut options = PgConnectOptions::from_str(admin).unwrap().database(name);
            if let Some(port) = port {
                options = options.host("127.0.0.1").port(port);
            }
            env.insert("DATABASE_URL".into(), options.to_url_lossy().to_string());
        }
        env
    }

    /// The settings of a server on this database.
    pub fn settings(&self) -> HashMap<String, String> {
        self.settings_via(None)
    }

    /// The data directory (for SQLite, where `doable.db` is).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// The SQLite file, when the tests run on SQLite.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self.postgres.is_none().then(|| self.data_dir().join("doable.db"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Dropping needs async I/O; do it on a thread of its own so it works from any
            // runtime. `with (force)` ends the server's own connections to the database.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    if let Ok(mut conn) = PgConnectOptions::from_str(&admin).unwrap().connect().await {
                        let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The server's database, for checking what a request did (or did not) change.
    pub db: Db,
    /// The server's state.
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    housekeeping: Option<server::Housekeeping>,
    // Declared last: the database is dropped after the server has let go of it.
    database: TestDatabase,
}

/// Starts a server with the default test settings.
pub async fn spawn() -> TestApp {
    spawn_with(&[]).await
}

/// Starts a server with extra settings (environment variable names and values).
pub async fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase::new().await;
    let mut env = database.settings();
    env.extend(settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    spawn_on(database, env).await
}

/// Starts a server on `database` with exactly these settings.
pub async fn spawn_on(database: TestDatabase, env: HashMap<String, String>) -> TestApp {
    let config = Config::from_source(&env).unwrap();
    let db = Db::connect(&config).await.unwrap();
    db.migrate().await.unwrap();
    let state = AppState::new(config, db.clone());
    // What main.rs starts beside the server.
    let housekeeping = server::spawn_housekeeping(state.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stop) = oneshot::channel::<()>();
    let app = server::app(state.clone());
    let server = tokio::spawn(server::serve(listener, app, server::ConnectionLimits::of(&state.config), async {
        let _ = stop.await;
    }));
    TestApp {
        base,
        db,
        state,
        shutdown: Some(shutdown),
        server: Some(server),
        housekeeping: Some(housekeeping),
        database,
    }
}

impl TestApp {
    /// A client without a session, that keeps the cookies it is given.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A new account, logged in: returns its client and user id.
    pub async fn user(&self, email: &str) -> (Client, String) {
        let client = self.client();
        let id = client.sign_up(email).await.0;
        (client, id)
    }

    /// Counts rows of a table matching a condition (SQL, with `$1` bound to `arg`).
    pub async fn count(&self, table_and_condition: &str, arg: &str) -> i64 {
        let sql = format!("select count(*) from {table_and_condition}");
        let uuid = uuid::Uuid::parse_str(arg).ok();
        doable::with_pool!(self.db.read(), |pool| {
            let query = sqlx::query_scalar::<_, i64>(&sql);
            let query = match uuid {
                _ if !sql.contains("$1") => query,
                Some(id) => query.bind(id),
                None => query.bind(arg.to_owned()),
            };
            query.fetch_one(pool).await.unwrap()
        })
    }

    /// Disables (or enables again) an account, as `doable user disable` does, without ending
    /// its sessions.
    pub async fn set_disabled(&self, email: &str, disabled: bool) {
        doable::db::execute!(&self.db, |conn| {
            sqlx::query("update users set disabled_at = case when $2 then created_at end where email = $1")
                .bind(email)
                .bind(disabled)
                .execute(conn)
        })
        .unwrap();
    }

    /// Stops the server, letting requests in flight finish.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(housekeeping) = self.housekeeping.take() {
            housekeeping.stop().await;
        }
        self.db.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// What a test needs of a response.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Response {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }
}

/// An HTTP client with a cookie jar, like a browser without JavaScript.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    extra: Vec<(String, String)>,
}

impl Client {
    fn new(base: &str) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: base.to_owned(), extra: Vec::new() }
    }

    /// The same client, sending one more header on every request.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut client = self.clone();
        client.extra.push((name.to_owned(), value.to_owned()));
        client
    }

    /// A client without cookies that sends `Authorization: Bearer <token>`.
    pub fn bearer(base: &str, token: &str) -> Self {
        Self::new(base).with_header("authorization", &format!("Bearer {token}"))
    }

    /// Creates an account and keeps its session: returns the user's id and session token.
    ///
    /// Tests that set a short request deadline (1 or 2 s) are not about signing up, and on a
    /// loaded machine a signup can run past it: a 503 `unavailable` ("try again shortly") is
    /// asked again, as a client would, up to three times. A signup cut off after its write
    /// leaves the account made: the next try is then a login (a 409 `email_taken` first).
    pub async fn sign_up(&self, email: &str) -> (String, String) {
        let form = [("email", email), ("password", PASSWORD), ("name", "Test User")];
        let mut response = self.post("/api/auth/signup", &form).await;
        for _ in 0..3 {
            if response.status != StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            response = self.post("/api/auth/signup", &form).await;
            if response.status == StatusCode::CONFLICT {
                response = self.post("/api/auth/login", &[("email", email), ("password", PASSWORD)]).await;
            }
        }
        assert_eq!(response.status, StatusCode::OK, "signup failed: {:?}", response.json);
        let token = response
            .set_cookies()
            .iter()
            .find_map(|c| c.strip_prefix("doable_session=").map(|rest| rest.split(';').next().unwrap().to_owned()))
            .expect("a session cookie");
        (response.json["id"].as_str().unwrap().to_owned(), token)
    }

    /// `POST` a url-encoded form.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.try_post(path, form).await.expect("request failed")
    }

    /// `POST` a url-encoded form, when the server may be gone.
    pub async fn try_post(&self, path: &str, form: &[(&str, &str)]) -> Result<Response, reqwest::Error> {
        let body = form_urlencode(form);
        self.try_send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
    }

    /// `POST` a raw body with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        self.send(self.http.post(format!("{}{path}", self.base)).header("content-type", content_type).body(body)).await
    }

    /// `POST` a `multipart/form-data` form: each part a name, a file name (for a file) and
    /// its bytes.
    pub async fn post_multipart(&self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Response {
        let (content_type, body) = multipart(parts);
        self.post_raw(path, &content_type, body).await
    }

    /// `GET` with a query string.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Response {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, form_urlencode(query))
        };
        self.send(self.http.get(url)).await
    }

    /// Sends any request built on this client's HTTP client (see [`Client::http`]).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        self.try_send(request).await.expect("request failed")
    }

    /// A request with the headers this client adds to every request (see [`Client::with_header`]).
    pub fn prepare(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in &self.extra {
            request = request.header(name, value);
        }
        request
    }

    async fn try_send(&self, request: reqwest::RequestBuilder) -> Result<Response, reqwest::Error> {
        let response = self.prepare(request).send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Response { status, headers, json, text })
    }

    /// The underlying HTTP client (with this client's cookies) and the server's base URL,
    /// for requests the helpers do not cover.
    pub fn http(&self) -> (&reqwest::Client, &str) {
        (&self.http, &self.base)
    }
}

/// A `multipart/form-data` body and its content type (with its boundary).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("doable-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(file_name) = file_name {
            body.extend_from_slice(
                format!("; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream").as_bytes(),
            );
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl TestApp {
    /// The database this server runs on.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }
}

impl TestDatabase {
    /// `host:port` of the PostgreSQL server, when the tests run on PostgreSQL.
    pub fn postgres_address(&self) -> Option<String> {
        let (admin, _) = self.postgres.as_ref()?;
        let options = PgConnectOptions::from_str(admin).unwrap();
        Some(format!("{}:{}", options.get_host(), options.get_port()))
    }
}

/// The `doable` binary running as a process of its own, for what only a real process shows:
/// signals, crashes and restarts. Killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The address it listens on.
    pub address: SocketAddr,
    log: std::path::PathBuf,
}

impl ServerProcess {
    /// Starts the server with exactly `settings` (nothing is inherited from this process's
    /// environment, not even a `.env` file) and waits until `/readyz` answers 200.
    pub async fn start(settings: &HashMap<String, String>) -> Self {
        Self::start_logging(settings, "warn").await
    }

    /// [`ServerProcess::start`], logging at `level` (`RUST_LOG`).
    pub async fn start_logging(settings: &HashMap<String, String>, level: &str) -> Self {
        Self::start_binary(std::path::Path::new(env!("CARGO_BIN_EXE_doable")), settings, level).await
    }

    /// [`ServerProcess::start_logging`] with another build of the server (the release one).
    pub async fn start_binary(binary: &std::path::Path, settings: &HashMap<String, String>, level: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let dir = std::path::PathBuf::from(&settings["DOABLE_DATA_DIR"]);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join(format!("server-{port}.log"));
        let child = std::process::Command::new(binary)
            .env_clear()
            .envs(settings)
            .env("LEPTOS_SITE_ADDR", address.to_string())
            .env("RUST_LOG", level)
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the doable binary");
        let mut server = Self { child, base: format!("http://{address}"), address, log };
        let ready = reqwest::Client::new();
        for _ in 0..300 {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited at start-up ({status}):\n{}", server.log());
            }
            if ready.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        server.kill();
        panic!("the server did not become ready in 15 s:\n{}", server.log());
    }

    /// A client of this server.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// What the server wrote on stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process ends at once, without any clean-up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: asks the server to shut down gracefully.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill(1)");
        assert!(status.success());
    }

    /// Waits for the process to end, for at most `limit`.
    pub async fn wait(&mut self, limit: std::time::Duration) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < limit, "the server still runs after {limit:?}:\n{}", self.log());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy in front of PostgreSQL that can be cut, to play a database outage: while it
/// is down, new connections are refused (as by a stopped server) and open ones are closed.
pub struct Proxy {
    /// The port to connect to instead of PostgreSQL's.
    pub port: u16,
    upstream: String,
    accepting: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    down: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (down, _) = tokio::sync::watch::channel(false);
        let proxy = Self { port, upstream, accepting: std::sync::Mutex::new(None), down };
        proxy.accept(listener);
        proxy
    }

    fn accept(&self, listener: tokio::net::TcpListener) {
        let upstream = self.upstream.clone();
        let down = self.down.subscribe();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut down = down.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        *self.accepting.lock().unwrap() = Some(task);
    }

    /// Cuts (`true`) or restores (`false`) the way to the database.
    pub async fn set_down(&self, down: bool) {
        self.down.send_replace(down);
        if down {
            let accepting = self.accepting.lock().unwrap().take();
            if let Some(task) = accepting {
                task.abort();
                let _ = task.await;
            }
        } else {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
            self.accept(listener);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Its connections end with it (their watch closes).
        if let Some(task) = self.accepting.lock().unwrap().take() {
            task.abort();
        }
    }
}
