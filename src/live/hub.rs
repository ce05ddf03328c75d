//! Each server's one reader of the change feed, and the streams it feeds.
//!
//! Woken when something may have been committed (a write of this server's done, after which
//! on PostgreSQL it numbers the feed and tells the other servers; or another server's `NOTIFY`
//! that it did), and once a second in any case, it reads the changes after the last one it handed out, once
//! for all streams, and gives each to the streams of the people who may see it then (the
//! list's members, read at that moment, and the person it is about). A stream that cannot
//! keep up is closed (its client resumes where it was); a burst of more than
//! [`BURST_MAX`] changes for one stream becomes one `resync`. A credential that ends closes
//! its streams.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use futures_util::FutureExt as _;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use super::feed::{self, Change};
use crate::{
    db::{Db, Pool},
    error::AppError,
    tasks::{Task, store as tasks},
};

/// Changes read from the feed at once.
const BATCH: i64 = 500;
/// More changes than this for one stream in one reading are sent as one `resync`.
pub const BURST_MAX: usize = 100;
/// Readings a stream may have waiting before it counts as not keeping up.
const QUEUE: usize = 16;
/// The shortest time between two readings of the feed.
const GATHER: Duration = Duration::from_millis(10);
/// The longest the hub sleeps without looking at the feed.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// One event, ready to send: its number, its name and its JSON.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The change's number (the stream's `id:`).
    pub seq: i64,
    /// The event's name (`task.created`, ..., `ready`, `resync`).
    pub event: &'static str,
    /// Its JSON.
    pub data: Arc<str>,
}

impl Frame {
    /// An event that only moves the client's place (`ready`, `resync`).
    pub fn mark(seq: i64, event: &'static str) -> Self {
        Self { seq, event, data: Arc::from(format!("{{\"seq\":{seq}}}")) }
    }
}

/// The hub of a server, shared by its streams. Its reader stops when the last clone is gone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
    _reader: Arc<(AbortOnDrop, AbortOnDrop)>,
}

struct Inner {
    db: Db,
    /// This server, in `event_streams`.
    server: Uuid,
    registry: Mutex<Registry>,
    /// Whether the reader knows where the feed ends (it has read it once).
    ready: watch::Sender<bool>,
}

#[derive(Default)]
struct Registry {
    /// The last change handed out.
    pos: i64,
    next: u64,
    streams: HashMap<Uuid, Vec<Entry>>,
}

struct Entry {
    id: u64,
    credential: Uuid,
    /// Its row in `event_streams`.
    slot: Uuid,
    tx: mpsc::Sender<Vec<Frame>>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A stream's place in the hub: the changes after `pos` arrive on `rx`. Leaves the hub when
/// dropped.
pub struct Subscription {
    /// Readings of changes, in order.
    pub rx: mpsc::Receiver<Vec<Frame>>,
    /// The last change handed out before this stream joined.
    pub pos: i64,
    user: Uuid,
    id: u64,
    hub: Weak<Inner>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.hub.upgrade()
            && let Ok(mut registry) = inner.registry.lock()
            && let Some(entries) = registry.streams.get_mut(&self.user)
        {
            entries.retain(|entry| entry.id != self.id);
            if entries.is_empty() {
                registry.streams.remove(&self.user);
            }
        }
    }
}

impl Hub {
    /// Starts the hub of a server on `db`.
    pub fn start(db: Db) -> Self {
        let inner = Arc::new(Inner {
            db: db.clone(),
            server: Uuid::now_v7(),
            registry: Mutex::new(Registry::default()),
            ready: watch::channel(false).0,
        });
        let reader = tokio::spawn(read(Arc::downgrade(&inner), db.clone()));
        let alive = tokio::spawn(keep_alive(Arc::downgrade(&inner), db, inner.server));
        Self { inner, _reader: Arc::new((AbortOnDrop(reader), AbortOnDrop(alive))) }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// This server's id among the servers with streams open.
    pub fn server(&self) -> Uuid {
        self.inner.server
    }

    /// How many streams are open on this server.
    pub fn streams(&self) -> usize {
        self.inner.registry.lock().map(|r| r.streams.values().map(Vec::len).sum()).unwrap_or(0)
    }

    /// A place for a stream of `user`'s, authenticated by `credential`, whose row in
    /// `event_streams` is `slot`: 503 while the hub has not read the feed yet (a server just
    /// started, or its database not answering), or when this server holds `most` streams.
    pub async fn subscribe(
        &self,
        user: Uuid,
        credential: Uuid,
        slot: Uuid,
        most: usize,
    ) -> Result<Subscription, AppError> {
        let mut ready = self.inner.ready.subscribe();
        if tokio::time::timeout(Duration::from_secs(3), ready.wait_for(|ready| *ready)).await.is_err() {
            return Err(AppError::Unavailable);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut registry = self.inner.registry.lock().map_err(|_| AppError::Internal)?;
        if registry.streams.values().map(Vec::len).sum::<usize>() >= most {
            return Err(AppError::Unavailable);
        }
        registry.next += 1;
        let id = registry.next;
        registry.streams.entry(user).or_default().push(Entry { id, credential, slot, tx });
        Ok(Subscription { rx, pos: registry.pos, user, id, hub: Arc::downgrade(&self.inner) })
    }
}

/// What wakes the reader: a write of this server's being done, or (PostgreSQL) another
/// server's news that it numbered changes, or [`LOOK_EVERY`].
struct Wake {
    writes: watch::Receiver<u64>,
    /// PostgreSQL: a pool of one connection of its own (a listener holds its connection for
    /// good), and the listener once connected.
    postgres: Option<(PgPool, Option<PgListener>)>,
}

/// Why the reader woke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Woke {
    /// A write of this server's (or the time to look): there may be changes to number.
    Written,
    /// Another server numbered changes.
    Told,
}

impl Wake {
    fn of(db: &Db) -> Self {
        let postgres = match db.read() {
            Pool::Postgres(pool) => Some((
                PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(LOOK_EVERY * 3)
                    .connect_lazy_with((*pool.connect_options()).clone()),
                None,
            )),
            Pool::Sqlite(_) => None,
        };
        Self { writes: db.writes(), postgres }
    }

    /// Waits until something may have been committed, or [`LOOK_EVERY`].
    async fn wait(&mut self) -> Woke {
        let writes = &mut self.writes;
        let Some((pool, listener)) = &mut self.postgres else {
            let _ = tokio::time::timeout(LOOK_EVERY, writes.changed()).await;
            return Woke::Written;
        };
        if listener.is_none() {
            match listen(pool).await {
                Ok(connected) => *listener = Some(connected),
                Err(e) => tracing::warn!(error = %e, "live feed: cannot listen to other servers; looking every second"),
            }
        }
        let told = async {
            match listener {
                Some(connected) => match connected.try_recv().await {
                    // Several at once are read in one go.
                    Ok(Some(_)) => while let Some(Ok(Some(_))) = connected.try_recv().now_or_never() {},
                    // The connection was lost: what was told meanwhile is read now.
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "live feed: listening failed; listening again");
                        *listener = None;
                    }
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = writes.changed() => Woke::Written,
            () = told => Woke::Told,
            () = tokio::time::sleep(LOOK_EVERY) => Woke::Written,
        }
    }

    /// PostgreSQL: numbers what was committed (and tells the other servers).
    async fn sequence(&self, db: &Db) {
        if let (Some(_), Pool::Postgres(pool)) = (&self.postgres, db.read())
            && let Err(e) = feed::sequence(pool).await
        {
            tracing::warn!(error = %e, "live feed: numbering the changes failed");
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(feed::CHANNEL).await?;
    Ok(listener)
}

/// The reader: runs until the hub is gone.
async fn read(hub: Weak<Inner>, db: Db) {
    let mut wake = Wake::of(&db);
    let mut woke = Woke::Written;
    loop {
        let Some(inner) = hub.upgrade() else { return };
        if woke == Woke::Written {
            wake.sequence(&db).await;
        }
        match inner.catch_up().await {
            Ok(()) => {
                inner.ready.send_if_modified(|ready| !std::mem::replace(ready, true));
            }
            Err(e) => tracing::warn!(error = ?e, "live feed: reading the changes failed"),
        }
        drop(inner);
        // Commits that come meanwhile are read together on the next pass: under a stream of
        // writes, one reading (a few queries) per [`GATHER`] rather than one per commit.
        tokio::time::sleep(GATHER).await;
        woke = wake.wait().await;
    }
}

/// Marks this server's streams as alive every [`feed::ALIVE_EVERY`], until the hub is gone:
/// a task of its own, so that a reader held up (by the database) does not make them stale.
async fn keep_alive(hub: Weak<Inner>, db: Db, server: Uuid) {
    let mut alive = tokio::time::interval(feed::ALIVE_EVERY);
    alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        alive.tick().await;
        let Some(inner) = hub.upgrade() else { return };
        let open: Vec<Uuid> = match inner.registry.lock() {
            Ok(registry) => registry.streams.values().flatten().map(|entry| entry.slot).collect(),
            Err(_) => return,
        };
        drop(inner);
        if let Err(e) = feed::mark_alive(&db, server, &open).await {
            tracing::warn!(error = ?e, "live feed: marking the streams alive failed");
        }
    }
}

impl Inner {
    /// Hands out every change after the last one handed out.
    async fn catch_up(&self) -> Result<(), AppError> {
        if !*self.ready.borrow() {
            // The first reading only learns where the feed ends.
            let (_, last) = feed::bounds(&self.db).await?;
            self.registry.lock().map_err(|_| AppError::Internal)?.pos = last;
            return Ok(());
        }
        loop {
            let pos = self.registry.lock().map_err(|_| AppError::Internal)?.pos;
            let changes = feed::after(&self.db, pos, BATCH).await?;
            let Some(last) = changes.last().map(|c| c.seq) else { return Ok(()) };
            let listened = !self.registry.lock().map_err(|_| AppError::Internal)?.streams.is_empty();
            let routed = if listened { Some(route(&self.db, &changes, None).await?) } else { None };
            if !self.hand_out(routed.as_deref(), last)? {
                // A stream joined while these were skipped: read them again, for it.
                continue;
            }
            if (changes.len() as i64) < BATCH {
                return Ok(());
            }
        }
    }

    /// Gives each stream its changes, in order, and moves the hub's place to `last`; or, when
    /// the changes were not routed (no stream was open) and a stream has joined since, does
    /// nothing and says so (`false`).
    fn hand_out(&self, routed: Option<&[Routed]>, last: i64) -> Result<bool, AppError> {
        let mut registry = self.registry.lock().map_err(|_| AppError::Internal)?;
        let Some(routed) = routed else {
            if !registry.streams.is_empty() {
                return Ok(false);
            }
            registry.pos = last;
            return Ok(true);
        };
        let mut batches: HashMap<(Uuid, u64), Vec<Frame>> = HashMap::new();
        for change in routed {
            match change.ended {
                Some(Ended::Credential(credential)) => {
                    for entries in registry.streams.values_mut() {
                        entries.retain(|entry| entry.credential != credential);
                    }
                    continue;
                }
                Some(Ended::Account(user)) => {
                    registry.streams.remove(&user);
                    continue;
                }
                None => {}
            }
            for (user, frame) in &change.audience {
                for entry in registry.streams.get(user).into_iter().flatten() {
                    batches.entry((*user, entry.id)).or_default().push(frame.clone());
                }
            }
        }
        for ((user, id), mut frames) in batches {
            if frames.len() > BURST_MAX {
                frames = vec![Frame::mark(last, "resync")];
            }
            let Some(entries) = registry.streams.get_mut(&user) else { continue };
            // A stream whose queue is full (its client reads too slowly) is closed: its
            // client comes back after its last event and catches up from the feed.
            entries.retain(|entry| entry.id != id || entry.tx.try_send(std::mem::take(&mut frames)).is_ok());
        }
        registry.streams.retain(|_, entries| !entries.is_empty());
        registry.pos = last;
        Ok(true)
    }
}

/// A change, with the people who may see it and what each is sent.
pub struct Routed {
    /// The change's number.
    pub seq: i64,
    /// Who may see it, with the event they get.
    pub audience: Vec<(Uuid, Frame)>,
    /// A credential or an account that ended: its streams close.
    pub ended: Option<Ended>,
}

/// What closes streams.
#[derive(Debug, Clone, Copy)]
pub enum Ended {
    /// A session or an API token, by id.
    Credential(Uuid),
    /// Every credential of a person (their account was disabled).
    Account(Uuid),
}

/// The event name of a feed row's kind; `None` for one no event shows.
pub fn event_name(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "task_created" => "task.created",
        "task_edited" | "task_assigned" => "task.updated",
        "task_completed" => "task.completed",
        "task_reopened" => "task.reopened",
        "task_deleted" => "task.deleted",
        "task_restored" => "task.restored",
        "task_moved" => "task.moved",
        "member_invited" => "member.invited",
        "member_joined" => "member.joined",
        "member_left" => "member.left",
        "member_removed" => "member.removed",
        "role_changed" => "member.updated",
        "list_created" => "list.created",
        "list_renamed" => "list.updated",
        "list_deleted" => "list.deleted",
        "list_restored" => "list.restored",
        "tasks_imported" => "list.imported",
        "notification_created" => "notification.created",
        "notification_read" => "notification.read",
        _ => return None,
    })
}

/// Who may see each change (everyone who may, or only `only`), and what each is sent:
/// a task's JSON as it is now to the members of its list now, and to anyone else only its id.
pub async fn route(db: &Db, changes: &[Change], only: Option<Uuid>) -> Result<Vec<Routed>, AppError> {
    let task_ids: Vec<Uuid> = changes
        .iter()
        .filter(|c| c.kind.starts_with("task_") && c.kind != "task_deleted")
        .filter_map(|c| c.object_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let tasks: HashMap<Uuid, Task> = tasks::by_ids(db, &task_ids).await?.into_iter().map(|t| (t.id, t)).collect();
    let in_view: Vec<Uuid> = changes
        .iter()
        .filter_map(|c| c.list_id)
        .chain(tasks.values().map(|t| t.list_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let lists: HashMap<Uuid, feed::ListNow> = feed::lists(db, &in_view).await?.into_iter().map(|l| (l.id, l)).collect();
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (list, user) in feed::members(db, &in_view).await? {
        if only.is_none_or(|only| only == user) {
            members.entry(list).or_default().push(user);
        }
    }
    // A task's JSON goes to the members of its list while that list is not in the trash (a
    // viewer does not see the trash).
    let is_member = |list: Uuid, user: Uuid| {
        members.get(&list).is_some_and(|users| users.contains(&user)) && lists.get(&list).is_some_and(|l| !l.deleted)
    };
    let mut routed = Vec::with_capacity(changes.len());
    for change in changes {
        let ended = match change.kind.as_str() {
            "credential_ended" => change.object_id.map(Ended::Credential),
            "account_disabled" => change.user_id.map(Ended::Account),
            _ => None,
        };
        if ended.is_some() {
            routed.push(Routed { seq: change.seq, audience: Vec::new(), ended });
            continue;
        }
        let Some(event) = event_name(&change.kind) else { continue };
        let mut people: Vec<Uuid> = change.list_id.and_then(|l| members.get(&l)).cloned().unwrap_or_default();
        if let Some(user) = change.user_id
            && only.is_none_or(|only| only == user)
            && !people.contains(&user)
        {
            people.push(user);
        }
        let bare = || -> Arc<str> {
            Arc::from(
                serde_json::json!({"id": change.object_id.or(change.list_id), "list_id": change.list_id}).to_string(),
            )
        };
        let task = change.object_id.and_then(|id| tasks.get(&id)).filter(|_| change.kind.starts_with("task_"));
        let mut audience = Vec::with_capacity(people.len());
        let (full, bare) = match (task, change.list_id.and_then(|l| lists.get(&l))) {
            (Some(task), _) => (serde_json::to_string(task).ok().map(Arc::from), bare()),
            (None, Some(list)) if change.kind.starts_with("list_") && change.kind != "list_deleted" => {
                (serde_json::to_string(list).ok().map(Arc::from), bare())
            }
            _ => (None::<Arc<str>>, detailed(change)),
        };
        for user in people {
            // A task's JSON only to the members of the list it is in now.
            let visible = task.is_none_or(|task| is_member(task.list_id, user));
            let data = match (&full, visible) {
                (Some(full), true) => full.clone(),
                _ => bare.clone(),
            };
            audience.push((user, Frame { seq: change.seq, event, data }));
        }
        routed.push(Routed { seq: change.seq, audience, ended: None });
    }
    Ok(routed)
}

/// The JSON of a change about no task or list as it is now: who and what it is about.
fn detailed(change: &Change) -> Arc<str> {
    let value = if change.kind.starts_with("member_") || change.kind == "role_changed" {
        serde_json::json!({"list_id": change.list_id, "user_id": change.object_id, "detail": change.detail})
    } else if let Some(detail) = &change.detail {
        serde_json::json!({"id": change.object_id.or(change.list_id), "list_id": change.list_id, "detail": detail})
    } else {
        serde_json::json!({"id": change.object_id.or(change.list_id), "list_id": change.list_id})
    };
    Arc::from(value.to_string())
}
