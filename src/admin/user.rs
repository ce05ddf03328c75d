//! `doable user ...`: the host's account commands. Each goes through the same rules and SQL
//! as the app (an account created here passes signup's checks; a deletion is the app's own),
//! and takes effect at once on every server using the database: sessions are rows, checked
//! on every request.

use std::io::{BufRead, Read};

use clap::Subcommand;

use super::common::{open, printable, say};
use crate::{
    auth::{
        SignupInput,
        input::{check_password_shape, normalize_email, validate_signup},
        password::{Passwords, TOO_COMMON},
        store,
    },
    config::Config,
    db::Db,
    error::AppError,
};

/// `doable user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List every account: email, name, created, status, live sessions.
    List {
        /// One JSON object per account, one per line, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create an account; its password is read from standard input (asked twice, unseen, at
    /// a terminal; else the first line).
    Create {
        /// The account's email address.
        email: String,
        /// The person's name.
        name: String,
    },
    /// Give an account a new password (read like `create`'s) and end all its sessions.
    SetPassword {
        /// The account's email address.
        email: String,
    },
    /// Disable an account: it cannot log in, and its sessions end. Its data stays.
    Disable {
        /// The account's email address.
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's email address.
        email: String,
    },
    /// Delete an account as its owner would: its sessions, its lists nobody else uses, and
    /// its tasks; each shared list it owns goes to its longest-standing editor.
    Delete {
        /// The account's email address.
        email: String,
        /// Do not ask to type the email again.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs one `doable user` command.
pub async fn run(config: &Config, command: UserCommand) -> Result<(), String> {
    let db = open(config).await?;
    let result = match command {
        UserCommand::List { json } => list(&db, json).await,
        UserCommand::Create { email, name } => create(&db, &email, &name).await,
        UserCommand::SetPassword { email } => set_password(&db, &email).await,
        UserCommand::Disable { email } => disable(&db, &email, true).await,
        UserCommand::Enable { email } => disable(&db, &email, false).await,
        UserCommand::Delete { email, yes } => delete(&db, &email, yes).await,
    };
    db.close().await;
    result
}

async fn list(db: &Db, json: bool) -> Result<(), String> {
    let accounts = store::list_accounts(db).await.map_err(describe)?;
    let date = |t: &crate::db::Timestamp| t.0.date().to_string();
    if json {
        for account in &accounts {
            say(serde_json::json!({
                "email": account.email,
                "name": account.name,
                "created_at": date(&account.created_at),
                "disabled_at": account.disabled_at.as_ref().map(date),
                "sessions": account.sessions,
            }));
        }
        return Ok(());
    }
    let width = accounts.iter().map(|a| printable(&a.email).chars().count()).max().unwrap_or(0).max(5);
    say(format!("{:width$}  {:10}  {:20}  {:>8}  NAME", "EMAIL", "CREATED", "STATUS", "SESSIONS"));
    for account in &accounts {
        let status = match &account.disabled_at {
            Some(since) => format!("disabled {}", date(since)),
            None => "active".to_owned(),
        };
        say(format!(
            "{:width$}  {:10}  {:20}  {:>8}  {}",
            printable(&account.email),
            date(&account.created_at),
            status,
            account.sessions,
            printable(&account.name)
        ));
    }
    say(format!("{} account(s)", accounts.len()));
    Ok(())
}

async fn create(db: &Db, email: &str, name: &str) -> Result<(), String> {
    // The email and name are checked before a password is asked for.
    let (email, name) = match validate_signup(&SignupInput {
        email: email.to_owned(),
        name: name.to_owned(),
        password: "a placeholder password".to_owned(),
        time_zone: None,
    }) {
        Ok(valid) => valid,
        Err(e) => return Err(describe(e)),
    };
    if store::find_user_by_email(db, &email).await.map_err(describe)?.is_some() {
        return Err(format!("{email} already has an account"));
    }
    let hash = new_password_hash(&email).await?;
    // In UTC, until the person chooses their zone on /account.
    let account =
        store::NewAccount { email: &email, name: &name, time_zone: crate::zone::DEFAULT, password_hash: &hash };
    let user = store::create_user(db, account).await.map_err(describe)?;
    tracing::info!(user = %user.id, "account created by the host");
    say(format!("created the account {} ({})", printable(&email), printable(&name)));
    Ok(())
}

async fn set_password(db: &Db, email: &str) -> Result<(), String> {
    let email = known_email(db, email).await?;
    let hash = new_password_hash(&email).await?;
    match store::replace_password(db, &email, &hash).await.map_err(describe)? {
        Some(id) => {
            tracing::info!(user = %id, "password set by the host");
            say(format!("set a new password for {email}; every session of the account has ended"));
            Ok(())
        }
        None => Err(no_account(&email)),
    }
}

async fn disable(db: &Db, email: &str, disabled: bool) -> Result<(), String> {
    let email = normalize(email)?;
    let Some(id) = store::set_disabled(db, &email, disabled).await.map_err(describe)? else {
        return Err(no_account(&email));
    };
    if disabled {
        tracing::info!(user = %id, "account disabled by the host");
        say(format!("disabled {email}: it cannot log in, and every session of the account has ended"));
    } else {
        tracing::info!(user = %id, "account enabled by the host");
        say(format!("enabled {email}: it can log in again"));
    }
    Ok(())
}

async fn delete(db: &Db, email: &str, yes: bool) -> Result<(), String> {
    let email = normalize(email)?;
    let Some(account) = store::find_user_by_email(db, &email).await.map_err(describe)? else {
        return Err(no_account(&email));
    };
    if !yes {
        if !is_terminal() {
            return Err(format!("add --yes to delete {email} without being asked"));
        }
        let typed = prompt(&format!("This deletes {email} and every task nobody else shares. Type the email again: "))?;
        if normalize(&typed).ok().as_deref() != Some(email.as_str()) {
            return Err("the emails differ; nothing was deleted".to_owned());
        }
    }
    crate::lists::store::delete_account(db, account.user.id, &email).await.map_err(describe)?;
    tracing::info!(user = %account.user.id, "account deleted by the host");
    say(format!("deleted {email}"));
    Ok(())
}

/// The normalized email of an account that exists.
async fn known_email(db: &Db, email: &str) -> Result<String, String> {
    let email = normalize(email)?;
    match store::find_user_by_email(db, &email).await.map_err(describe)? {
        Some(_) => Ok(email),
        None => Err(no_account(&email)),
    }
}

fn normalize(email: &str) -> Result<String, String> {
    normalize_email(email).map_err(|e| format!("EMAIL: {e}"))
}

fn no_account(email: &str) -> String {
    format!("there is no account {}", printable(email))
}

/// Reads a new password (under signup's rules) and hashes it as the app does.
async fn new_password_hash(email: &str) -> Result<String, String> {
    let password = if is_terminal() {
        let first = prompt_hidden(&format!("New password for {email}: "))?;
        let again = prompt_hidden("The same password again: ")?;
        if first != again {
            return Err("the two passwords differ; nothing was changed".to_owned());
        }
        first
    } else {
        read_line()?
    };
    check_password_shape(&password).map_err(|e| format!("password: {e}"))?;
    let passwords = Passwords::default();
    passwords.check_not_common(&password).map_err(|_| format!("password: {TOO_COMMON}"))?;
    passwords.hash(password).await.map_err(describe)
}

fn is_terminal() -> bool {
    rustix::termios::isatty(std::io::stdin())
}

/// The first line of standard input, without its line ending.
fn read_line() -> Result<String, String> {
    let mut line = String::new();
    // Bounded: a password has at most 128 characters (512 bytes of UTF-8).
    std::io::stdin().lock().take(4096).read_line(&mut line).map_err(|e| format!("cannot read standard input: {e}"))?;
    if line.is_empty() {
        return Err("standard input is empty: give the password on its first line".to_owned());
    }
    Ok(line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line).to_owned())
}

fn prompt(question: &str) -> Result<String, String> {
    eprint_flush(question);
    read_line()
}

/// Asks at the terminal without showing what is typed.
fn prompt_hidden(question: &str) -> Result<String, String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    eprint_flush(question);
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).map_err(|e| format!("cannot read the terminal's settings: {e}"))?;
    let mut hidden = saved.clone();
    hidden.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &hidden).map_err(|e| format!("cannot hide the input: {e}"))?;
    let line = read_line();
    let _ = tcsetattr(&stdin, OptionalActions::Now, &saved);
    eprint_flush("\n");
    line
}

fn eprint_flush(text: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// An app error as one line for the host.
fn describe(error: AppError) -> String {
    match error {
        AppError::Validation(fields) => {
            fields.into_iter().map(|(field, message)| format!("{field}: {message}")).collect::<Vec<_>>().join("; ")
        }
        AppError::EmailTaken => "that email already has an account".to_owned(),
        AppError::Unavailable => "the database does not answer (see the log for why)".to_owned(),
        other => other.to_string(),
    }
}
