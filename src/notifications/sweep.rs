//! The loops beside the server that send reminders ([`reminders`]) and their emails
//! ([`emails`]). Every server runs both; the queue's rows and the emails' leases are taken
//! in statements that no two servers can both win, so each reminder is sent once.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::{mail::Mailer, store};
use crate::db::{Db, Timestamp};

/// How often the queue is looked at: reminders arrive within about this long of their time.
pub const EVERY: Duration = Duration::from_secs(1);
/// Most reminders sent in one transaction: on SQLite every write waits while a batch holds the
/// writer, so a batch stays short (`make bench`: 500 took 47 ms on average, creates beside the
/// sweeps waited up to 59 ms at p99 against 24 without; see README, "Performance").
pub const BATCH: i64 = 100;
/// A reminder sent this long after its time counts as late (it came due while no server ran).
pub const LATE_AFTER: Duration = Duration::from_secs(60);
/// Most emails taken at once by one server.
const EMAIL_BATCH: i64 = 5;
/// How long a server holds the emails it took before another may take them: longer than
/// sending a whole batch may take (each email at most [`super::mail::SEND_TIMEOUT`]), so that a
/// slow SMTP server does not get the same email from two servers.
const EMAIL_LEASE: Duration =
    super::mail::SEND_TIMEOUT.saturating_mul(EMAIL_BATCH as u32).saturating_add(Duration::from_secs(60));
/// Tries after which an email is given up.
const EMAIL_TRIES: i16 = 5;

/// Sends the reminders that come due, every [`EVERY`], a batch per transaction; rings `mail`
/// when it wrote notifications to email. The first sweep, at start, sends those that came due
/// while the server was down.
pub async fn reminders(db: Db, email: bool, mail: Arc<Notify>) {
    for result in ["sent", "dropped"] {
        metrics::counter!("doable_reminders_total", "result" => result).absolute(0);
    }
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let now = Timestamp::now();
            let started = std::time::Instant::now();
            match sweep_once(&db, now, email).await {
                Ok(Some(sent)) => {
                    metrics::histogram!("doable_reminder_sweep_seconds").record(started.elapsed().as_secs_f64());
                    metrics::counter!("doable_reminders_total", "result" => "sent").increment(sent.sent as u64);
                    let dropped = sent.claimed - sent.sent;
                    metrics::counter!("doable_reminders_total", "result" => "dropped").increment(dropped as u64);
                    if sent.sent > 0 && email {
                        mail.notify_one();
                    }
                    if sent.claimed < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "sending reminders failed; trying again at the next sweep");
                    break;
                }
            }
        }
    }
}

/// One batch: `None` when nothing was due.
pub async fn sweep_once(db: &Db, now: Timestamp, email: bool) -> Result<Option<store::Sent>, crate::error::AppError> {
    if !store::any_due(db, now).await? {
        return Ok(None);
    }
    store::send_due(db, now, BATCH, LATE_AFTER, email).await.map(Some)
}

/// Emails the notifications waiting for it, when rung and every few seconds; a failed email is
/// tried again later (after 1, 4, 9, 16 minutes), then given up.
pub async fn emails(db: Db, mailer: Arc<Mailer>, wake: Arc<Notify>) {
    for result in ["sent", "failed", "given_up"] {
        metrics::counter!("doable_reminder_emails_total", "result" => result).absolute(0);
    }
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(5), wake.notified()).await;
        let now = Timestamp::now();
        let taken = match store::take_emails(&db, now, now + EMAIL_LEASE, EMAIL_BATCH).await {
            Ok(taken) => taken,
            Err(error) => {
                tracing::warn!(%error, "could not take emails to send; trying again soon");
                continue;
            }
        };
        let until = now + EMAIL_LEASE;
        for email in taken {
            // Not one past the lease: another server may take what is left once it lapses.
            if Timestamp::now() + super::mail::SEND_TIMEOUT >= until {
                break;
            }
            let sent = match mailer.message(&email) {
                Ok(message) => tokio::time::timeout(super::mail::SEND_TIMEOUT, mailer.send(message))
                    .await
                    .unwrap_or_else(|_| Err("the SMTP server took too long".to_owned())),
                Err(error) => Err(error),
            };
            let (state, retry, result) = match sent {
                Ok(()) => (2, None, "sent"),
                Err(error) if email.email_tries >= EMAIL_TRIES => {
                    tracing::error!(%error, notification = %email.id, "reminder email given up");
                    (3, None, "given_up")
                }
                Err(error) => {
                    tracing::warn!(%error, notification = %email.id, "reminder email failed; will try again");
                    let wait = Duration::from_secs(60 * u64::from(email.email_tries.unsigned_abs()).pow(2));
                    (1, Some(Timestamp::now() + wait), "failed")
                }
            };
            metrics::counter!("doable_reminder_emails_total", "result" => result).increment(1);
            if let Err(error) = store::emailed(&db, email.id, until, state, retry).await {
                tracing::warn!(%error, "could not record a reminder email; its lease lapses and it goes again");
            }
        }
    }
}
