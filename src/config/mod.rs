//! Configuration, read once at start-up from the environment (and a `.env` file).
//!
//! Every setting has a default that works on a developer's machine: with no configuration
//! at all Doable serves http://127.0.0.1:3000 from a SQLite file under `data/`.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use leptos::config::LeptosOptions;
use sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};

mod files;

use files::{ensure_dir, jwt_secret, secure_sqlite_files};

/// The whole configuration of a running server.
#[derive(Clone)]
pub struct Config {
    /// Leptos' own options: `LEPTOS_SITE_ADDR` (default `127.0.0.1:3000`),
    /// `LEPTOS_SITE_ROOT` (default `target/site`), and the rest of cargo-leptos' settings.
    pub leptos: LeptosOptions,
    /// `DATABASE_URL`: `sqlite:<path>` (default `sqlite:<data dir>/doable.db`) or
    /// `postgres://user:password@host:port/database`.
    pub database: DatabaseConfig,
    /// `DOABLE_DATA_DIR` (default `data`): the SQLite file and the generated JWT secret.
    pub data_dir: PathBuf,
    /// `DOABLE_JWT_SECRET`: the key that signs session tokens, at least 32 bytes. When unset,
    /// a random 256-bit key is generated once and kept in `<data dir>/jwt-secret` (mode 0600).
    pub jwt_secret: Secret,
    /// `DOABLE_SESSION_TTL` (default `7d`): how long a session lasts, e.g. `12h`, `30d`.
    pub session_ttl: Duration,
    /// `DOABLE_PUBLIC_URL`: the URL people use to reach the site, e.g. `https://doable.example`.
    /// Its origin is the only one allowed to make state-changing requests; an `https` URL
    /// makes the session cookie `Secure`. When unset, the request's `Host` is trusted.
    pub public_origin: Option<String>,
    /// `DOABLE_COOKIE_SECURE` (default: true when `DOABLE_PUBLIC_URL` is https): send the
    /// session cookie only over HTTPS, under the name `__Host-doable_session`.
    pub cookie_secure: bool,
    /// `DOABLE_TRUST_PROXY` (default `false`): take the client's address from the last
    /// `X-Forwarded-For` entry (set it only behind a proxy that writes that header).
    pub trust_proxy: bool,
    /// `DOABLE_SIGNUP_LIMIT` (default `10`): signups allowed per client address per hour.
    pub signup_limit_per_hour: u32,
    /// `DOABLE_LOGIN_ADDRESS_LIMIT` (default `50`): failed logins allowed per client address
    /// per 15 minutes, whichever accounts they name.
    pub login_limit_per_address: u32,
    /// `DOABLE_MAX_TASKS` (default `100000`): tasks one account may hold.
    pub max_tasks_per_user: i64,
    /// `DOABLE_BULK_BATCH` (default `2000`): rows a bulk change (completing all, clearing the
    /// completed tasks, emptying the trash) changes per transaction; a request does one batch
    /// and leaves the rest to a background job.
    pub bulk_batch: i64,
    /// `DOABLE_REQUEST_TIMEOUT` (default `10s`): a request still running after this long is
    /// answered with 503 `unavailable`.
    pub request_timeout: Duration,
    /// `DOABLE_HEADER_TIMEOUT` (default `10s`): how long a client may take to send a
    /// request's headers, and how long a connection may sit with no request in flight,
    /// before it is closed (slow and idle clients, HTTP/1 and HTTP/2).
    pub header_timeout: Duration,
    /// `DOABLE_MAX_CONNECTIONS` (default `1024`): connections open at once; one more is
    /// answered 503 and closed at once.
    pub max_connections: usize,
    /// `DOABLE_DB_POOL_SIZE` (default: 4 for SQLite readers, 10 for PostgreSQL).
    pub db_pool_size: Option<u32>,
    /// `DOABLE_LOG_FORMAT` (`text` or `json`, default `text`); the level comes from `RUST_LOG`
    /// (default `info`).
    pub log_json: bool,
    /// Scheduled SQLite snapshots, when `DOABLE_BACKUP_DIR` is set.
    pub backups: Option<Backups>,
    /// `DOABLE_METRICS_TOKEN`: `GET /metrics` answers (Prometheus' text format) only with
    /// `Authorization: Bearer <this>`; unset, there are no metrics at all.
    pub metrics_token: Option<Secret>,
    /// Reminders by email, when `DOABLE_SMTP_URL` is set.
    pub smtp: Option<Smtp>,
}

/// The SMTP server reminders are emailed through.
#[derive(Clone, Debug)]
pub struct Smtp {
    /// `DOABLE_SMTP_URL`: `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS), or `smtp://host:25` (no TLS: a relay on the same
    /// machine or network only). A secret: it holds the password.
    pub url: Secret,
    /// `DOABLE_SMTP_FROM` (default `Doable <doable@localhost>`): who the emails are from.
    pub from: String,
}

/// Snapshots the server takes of its SQLite database on its own.
#[derive(Clone, Debug)]
pub struct Backups {
    /// `DOABLE_BACKUP_DIR`: where they go (created, the owner's alone).
    pub dir: PathBuf,
    /// `DOABLE_BACKUP_EVERY` (default `1d`): time between two, at least a minute.
    pub every: Duration,
    /// `DOABLE_BACKUP_KEEP` (default `14`): how many are kept; older ones are removed.
    pub keep: usize,
}

/// Which database the server uses, with its parsed connection options.
#[derive(Clone, Debug)]
pub enum DatabaseConfig {
    /// An embedded SQLite file.
    Sqlite(SqliteConnectOptions),
    /// A PostgreSQL server.
    Postgres(PgConnectOptions),
}

/// A secret value that never appears in logs or debug output.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A setting that cannot be used, named by its variable.
#[derive(Debug)]
pub struct ConfigError {
    /// The environment variable (or file) at fault.
    pub variable: &'static str,
    /// What is wrong with it, for a person.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn error(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    /// The value of a variable, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

impl Config {
    /// Reads `.env` (if present) and then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(error(".env", e.to_string())),
        }
        Self::from_source(&Env)
    }

    /// Builds the configuration from any source of variables.
    pub fn from_source(env: &impl Source) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(env.get("DOABLE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let leptos = leptos_options(env)?;
        let database = database(env, &data_dir)?;
        let jwt_secret = jwt_secret(env, &data_dir)?;
        let backups = backups(env, &database)?;

        let public_origin = env
            .get("DOABLE_PUBLIC_URL")
            .map(|raw| {
                origin_of(&raw).ok_or_else(|| error("DOABLE_PUBLIC_URL", format!("`{raw}` is not an http(s) URL")))
            })
            .transpose()?;
        let cookie_secure = match env.get("DOABLE_COOKIE_SECURE") {
            Some(raw) => parse_bool("DOABLE_COOKIE_SECURE", &raw)?,
            None => public_origin.as_deref().is_some_and(|o| o.starts_with("https://")),
        };

        Ok(Self {
            leptos,
            database,
            data_dir,
            jwt_secret,
            session_ttl: duration(env, "DOABLE_SESSION_TTL", Duration::from_secs(7 * 24 * 3600))?,
            public_origin,
            cookie_secure,
            trust_proxy: env
                .get("DOABLE_TRUST_PROXY")
                .map(|v| parse_bool("DOABLE_TRUST_PROXY", &v))
                .transpose()?
                .unwrap_or(false),
            signup_limit_per_hour: number(env, "DOABLE_SIGNUP_LIMIT", 10)?,
            login_limit_per_address: number(env, "DOABLE_LOGIN_ADDRESS_LIMIT", 50)?,
            max_tasks_per_user: number(env, "DOABLE_MAX_TASKS", 100_000)?,
            bulk_batch: match number(env, "DOABLE_BULK_BATCH", 2_000_i64)? {
                ..=0 => return Err(error("DOABLE_BULK_BATCH", "must be at least 1")),
                n => n,
            },
            request_timeout: duration(env, "DOABLE_REQUEST_TIMEOUT", Duration::from_secs(10))?,
            header_timeout: duration(env, "DOABLE_HEADER_TIMEOUT", Duration::from_secs(10))?,
            max_connections: match number(env, "DOABLE_MAX_CONNECTIONS", 1024)? {
                0 => return Err(error("DOABLE_MAX_CONNECTIONS", "must be at least 1")),
                n => n,
            },
            db_pool_size: env.get("DOABLE_DB_POOL_SIZE").map(|_| number(env, "DOABLE_DB_POOL_SIZE", 0)).transpose()?,
            log_json: match env.get("DOABLE_LOG_FORMAT").as_deref() {
                None | Some("text") => false,
                Some("json") => true,
                Some(other) => return Err(error("DOABLE_LOG_FORMAT", format!("`{other}` is not `text` or `json`"))),
            },
            backups,
            metrics_token: match env.get("DOABLE_METRICS_TOKEN") {
                Some(token) if token.trim().len() < 16 => {
                    return Err(error("DOABLE_METRICS_TOKEN", "must be at least 16 characters"));
                }
                token => token.map(|token| Secret(token.trim().as_bytes().to_vec())),
            },
            smtp: smtp(env)?,
        })
    }

    /// The address the server listens on.
    pub fn site_addr(&self) -> SocketAddr {
        self.leptos.site_addr
    }
}

fn smtp(env: &impl Source) -> Result<Option<Smtp>, ConfigError> {
    let Some(raw) = env.get("DOABLE_SMTP_URL").filter(|raw| !raw.trim().is_empty()) else { return Ok(None) };
    // Checked here so that a mistake stops the start, naming the variable (never the password).
    match url::Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "smtp" | "smtps") && url.host_str().is_some_and(|h| !h.is_empty()) => {}
        _ => {
            return Err(error(
                "DOABLE_SMTP_URL",
                "is not an SMTP URL like smtp://user:password@host:587?tls=required or smtps://user:password@host:465",
            ));
        }
    }
    if let Err(e) = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(raw.trim()) {
        return Err(error("DOABLE_SMTP_URL", format!("cannot be used: {e}")));
    }
    let from = env.get("DOABLE_SMTP_FROM").unwrap_or_else(|| "Doable <doable@localhost>".to_owned());
    if from.trim().parse::<lettre::message::Mailbox>().is_err() {
        return Err(error("DOABLE_SMTP_FROM", format!("`{from}` is not an address like Doable <doable@example.com>")));
    }
    Ok(Some(Smtp { url: Secret(raw.trim().as_bytes().to_vec()), from: from.trim().to_owned() }))
}

fn leptos_options(env: &impl Source) -> Result<LeptosOptions, ConfigError> {
    // Leptos reads these itself, but its errors do not say which variable is wrong.
    let site_addr = match env.get("LEPTOS_SITE_ADDR") {
        Some(raw) => raw
            .parse::<SocketAddr>()
            .map_err(|_| error("LEPTOS_SITE_ADDR", format!("`{raw}` is not an address like 127.0.0.1:3000")))?,
        None => SocketAddr::from(([127, 0, 0, 1], 3000)),
    };
    let site_root = env.get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
    // cargo-leptos compiles the output name in; plain `cargo test` builds do not have it.
    let output_name = option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("doable");
    let hash_file = env.get("LEPTOS_HASH_FILE_NAME").unwrap_or_else(|| "hash.txt".into());
    // cargo-leptos writes the hashes of the site's files next to the binary when it hashes
    // file names; the binary started on its own must find them without extra settings.
    let hash_files = match env.get("LEPTOS_HASH_FILES") {
        Some(raw) => parse_bool("LEPTOS_HASH_FILES", &raw)?,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(&hash_file)))
            .is_some_and(|p| p.exists()),
    };
    let env_mode = match env.get("LEPTOS_ENV").as_deref() {
        Some("PROD" | "prod" | "production") => leptos::config::Env::PROD,
        Some(_) => leptos::config::Env::DEV,
        None if cfg!(debug_assertions) => leptos::config::Env::DEV,
        None => leptos::config::Env::PROD,
    };
    let mut options = LeptosOptions::builder()
        .output_name(output_name)
        .site_root(site_root)
        .site_addr(site_addr)
        .env(env_mode)
        .hash_file(std::sync::Arc::<str>::from(hash_file))
        .hash_files(hash_files)
        .build();
    if let Some(port) = env.get("LEPTOS_RELOAD_PORT") {
        options.reload_port =
            port.parse().map_err(|_| error("LEPTOS_RELOAD_PORT", format!("`{port}` is not a port number")))?;
    }
    if let Some(dir) = env.get("LEPTOS_SITE_PKG_DIR") {
        options.site_pkg_dir = dir.into();
    }
    Ok(options)
}

fn database(env: &impl Source, data_dir: &Path) -> Result<DatabaseConfig, ConfigError> {
    const VAR: &str = "DATABASE_URL";
    let Some(url) = env.get(VAR) else {
        ensure_dir(data_dir, "DOABLE_DATA_DIR", true)?;
        secure_sqlite_files(&data_dir.join("doable.db"), "DOABLE_DATA_DIR")?;
        let options = SqliteConnectOptions::new().filename(data_dir.join("doable.db")).create_if_missing(true);
        return Ok(DatabaseConfig::Sqlite(options));
    };
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or_default();
    match scheme {
        "sqlite" => {
            let options = SqliteConnectOptions::from_str(&url)
                .map_err(|e| error(VAR, format!("not a valid SQLite URL: {e}")))?
                .create_if_missing(true);
            let file = options.get_filename();
            let in_memory = file == Path::new(":memory:") || url.contains(":memory:") || url.contains("mode=memory");
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty() && !in_memory) {
                ensure_dir(parent, VAR, false)?;
            }
            if !in_memory {
                secure_sqlite_files(file, VAR)?;
            }
            Ok(DatabaseConfig::Sqlite(options))
        }
        "postgres" | "postgresql" => PgConnectOptions::from_str(&url).map(DatabaseConfig::Postgres).map_err(|_| {
            error(VAR, "not a valid PostgreSQL URL (expected postgres://user:password@host:port/database)")
        }),
        _ => {
            Err(error(VAR, format!("unsupported database `{}`: use sqlite:<path> or postgres://...", redact_url(&url))))
        }
    }
}

fn backups(env: &impl Source, database: &DatabaseConfig) -> Result<Option<Backups>, ConfigError> {
    const VAR: &str = "DOABLE_BACKUP_DIR";
    let Some(dir) = env.get(VAR) else {
        for variable in ["DOABLE_BACKUP_EVERY", "DOABLE_BACKUP_KEEP"] {
            if env.get(variable).is_some() {
                return Err(error(variable, "has no effect without DOABLE_BACKUP_DIR"));
            }
        }
        return Ok(None);
    };
    if matches!(database, DatabaseConfig::Postgres(_)) {
        return Err(error(
            VAR,
            "scheduled snapshots are for SQLite; back PostgreSQL up with pg_dump (`doable backup`)",
        ));
    }
    let dir = PathBuf::from(dir);
    ensure_dir(&dir, VAR, true)?;
    let every = duration(env, "DOABLE_BACKUP_EVERY", Duration::from_secs(86_400))?;
    if every < Duration::from_secs(60) {
        return Err(error("DOABLE_BACKUP_EVERY", "must be at least a minute (1m)"));
    }
    let keep = match number(env, "DOABLE_BACKUP_KEEP", 14_usize)? {
        0 => return Err(error("DOABLE_BACKUP_KEEP", "must be at least 1")),
        n => n,
    };
    Ok(Some(Backups { dir, every, keep }))
}

/// Shows the scheme of a URL without anything that may be a password.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://..."),
        None => url.chars().take(16).collect(),
    }
}

/// The `scheme://host[:port]` origin of an http(s) URL.
pub fn origin_of(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization()).filter(|o| o != "null")
}

fn parse_bool(variable: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(error(variable, format!("`{raw}` is not true or false"))),
    }
}

fn number<T: FromStr>(env: &impl Source, variable: &'static str, default: T) -> Result<T, ConfigError> {
    match env.get(variable) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| error(variable, format!("`{raw}` is not a valid number"))),
    }
}

/// Parses `90`, `90s`, `15m`, `12h` or `7d`.
fn duration(env: &impl Source, variable: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let Some(raw) = env.get(variable) else { return Ok(default) };
    let trimmed = raw.trim();
    let (digits, unit) = trimmed.split_at(trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len()));
    let multiplier = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|&secs| secs > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| error(variable, format!("`{raw}` is not a duration like 90s, 15m, 12h or 7d")))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    /// Builds a configuration from `vars`, with its data directory in a fresh temporary one.
    fn with_dir<const N: usize>(vars: [(&str, &str); N]) -> (tempfile::TempDir, Result<Config, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        env.insert("DOABLE_DATA_DIR".into(), dir.path().join("data").to_string_lossy().into_owned());
        let config = Config::from_source(&env);
        (dir, config)
    }

    #[test]
    fn defaults_need_no_configuration() {
        let (dir, config) = with_dir([]);
        let config = config.unwrap();
        assert!(matches!(config.database, DatabaseConfig::Sqlite(_)));
        assert_eq!(config.site_addr().to_string(), "127.0.0.1:3000");
        assert_eq!(config.session_ttl, Duration::from_secs(604_800));
        assert!(!config.cookie_secure);
        let secret_file = dir.path().join("data/jwt-secret");
        assert_eq!(config.jwt_secret.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_generated_secret_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let env = HashMap::new();
        let first = jwt_secret(&env, Path::new(data)).unwrap();
        let second = jwt_secret(&env, Path::new(data)).unwrap();
        assert_eq!(first.expose(), second.expose());
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_the_secret_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, config) = with_dir([]);
        config.unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(mode(&dir.path().join("data/jwt-secret")), 0o600);
        assert_eq!(mode(&dir.path().join("data/doable.db")), 0o600);
        // An older release's files, readable by everyone, are made private at start-up.
        std::fs::set_permissions(dir.path().join("data"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.path().join("data/doable.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let env =
            HashMap::from([("DOABLE_DATA_DIR".to_owned(), dir.path().join("data").to_string_lossy().into_owned())]);
        let _ = std::fs::remove_file(dir.path().join("data/jwt-secret"));
        Config::from_source(&env).unwrap();
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(mode(&dir.path().join("data/doable.db")), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_behind_a_link_or_readable_by_others_is_refused_in_one_line() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let secret = data.join("jwt-secret");
        let elsewhere = data.join("elsewhere");
        std::fs::write(&elsewhere, "x".repeat(64)).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = HashMap::new();

        std::os::unix::fs::symlink(&elsewhere, &secret).unwrap();
        let err = jwt_secret(&env, data).expect_err("a linked secret was read");
        assert_eq!(err.variable, "DOABLE_JWT_SECRET");
        assert!(err.to_string().contains("symbolic link"), "{err}");

        // A dangling link used to recurse until the stack overflowed.
        std::fs::remove_file(&secret).unwrap();
        std::os::unix::fs::symlink(data.join("nowhere"), &secret).unwrap();
        let err = jwt_secret(&env, data).expect_err("a dangling link was followed");
        assert!(err.to_string().contains("symbolic link") && !err.to_string().contains('\n'), "{err}");

        // A FIFO would block start-up until someone wrote to it.
        std::fs::remove_file(&secret).unwrap();
        assert!(std::process::Command::new("mkfifo").arg("-m600").arg(&secret).status().unwrap().success());
        let err = jwt_secret(&env, data).expect_err("a FIFO was read");
        assert!(err.to_string().contains("not a regular file"), "{err}");

        std::fs::remove_file(&secret).unwrap();
        std::fs::write(&secret, "y".repeat(64)).unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = jwt_secret(&env, data).expect_err("a secret others can read was used");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(jwt_secret(&env, data).unwrap().expose(), "y".repeat(64).as_bytes());
    }

    #[test]
    fn instances_starting_together_agree_on_one_whole_secret() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_owned();
        let secrets: Vec<Vec<u8>> = (0..8)
            .map(|_| {
                let data = data.clone();
                std::thread::spawn(move || jwt_secret(&HashMap::new(), &data).unwrap().expose().to_vec())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        assert!(secrets.iter().all(|s| s == &secrets[0] && s.len() == 64), "{secrets:?}");
        let leftovers: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, ["jwt-secret"], "drafts are removed");
    }

    #[test]
    fn bad_settings_name_their_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://root:hunter2@localhost/db"),
            ("DATABASE_URL", "postgres://user@host:notaport/db"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("DOABLE_JWT_SECRET", "short"),
            ("DOABLE_SESSION_TTL", "7 weeks"),
            ("DOABLE_PUBLIC_URL", "ftp://example.com"),
            ("DOABLE_COOKIE_SECURE", "maybe"),
        ] {
            let (_dir, config) = with_dir([(var, value)]);
            let err = config.err().unwrap_or_else(|| panic!("{var}={value} was accepted"));
            assert_eq!(err.variable, var, "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn an_https_public_url_makes_the_cookie_secure() {
        let (_dir, config) = with_dir([("DOABLE_PUBLIC_URL", "https://doable.example/app")]);
        let config = config.unwrap();
        assert!(config.cookie_secure);
        assert_eq!(config.public_origin.as_deref(), Some("https://doable.example"));
    }

    #[test]
    fn durations_take_units() {
        let (_dir, config) = with_dir([("DOABLE_SESSION_TTL", "12h"), ("DOABLE_REQUEST_TIMEOUT", "90")]);
        let config = config.unwrap();
        assert_eq!(config.session_ttl, Duration::from_secs(43_200));
        assert_eq!(config.request_timeout, Duration::from_secs(90));
    }
}
