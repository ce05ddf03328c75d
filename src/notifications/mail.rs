//! Reminder emails, through the host's SMTP server (`DOABLE_SMTP_URL`), with lettre: a plain
//! text message whose subject and body carry the task's title as data (lettre encodes header
//! values, and the title is stripped of control characters first, so no title can add a
//! header or a line to the subject).

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use super::store::ToEmail;
use crate::config::Smtp;

/// How long one email may take to send, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// The SMTP server and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where the app is, for the link in each email (`DOABLE_PUBLIC_URL`).
    origin: Option<String>,
}

impl Mailer {
    /// The mailer of a configuration (checked when it was read).
    pub fn new(smtp: &Smtp, origin: Option<String>) -> Result<Self, String> {
        let url = std::str::from_utf8(smtp.url.expose()).map_err(|_| "DOABLE_SMTP_URL is not UTF-8".to_owned())?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("DOABLE_SMTP_URL: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = smtp.from.parse().map_err(|e| format!("DOABLE_SMTP_FROM: {e}"))?;
        Ok(Self { transport, from, origin })
    }

    /// The email of one reminder.
    pub fn message(&self, to: &ToEmail) -> Result<Message, String> {
        let address = to.email.parse().map_err(|e| format!("the account's address: {e}"))?;
        let name: String = to.name.chars().filter(|c| !c.is_control()).collect();
        let title: String = to.title.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let when = match (to.due_date, to.due_minute.and_then(crate::dates::time_of_minute)) {
            (Some(date), Some(time)) => format!("Due {date} at {:02}:{:02}.", time.hour(), time.minute()),
            (Some(date), None) => format!("Due {date}."),
            _ => String::new(),
        };
        let reminder = crate::reminders::describe_text(&to.reminder);
        let link = match (&self.origin, to.list_id) {
            (Some(origin), Some(list)) => format!("\n\nOpen the list: {origin}/tasks?list={list}"),
            _ => String::new(),
        };
        let body = format!(
            "Reminder ({reminder}): {title}\n\n{when}{link}\n\n-- \nDoable. You get this email because you set a \
             reminder or chose to hear the reminders of a shared list."
        );
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(name), address))
            .subject(format!("Reminder: {title}"))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        self.transport.send(message).await.map(drop).map_err(|e| e.to_string())
    }
}
