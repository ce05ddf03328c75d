//! Live sync (#20): the change feed, and `GET /api/events`, the stream of the changes a
//! person may see, from any server.
//!
//! - [`feed`]: the feed's SQL. Triggers (migration 0025) write a row for every change in the
//!   transaction of the change itself; on PostgreSQL each row is numbered once committed.
//! - [`hub`]: each server's one reader of the feed. Woken when a write of its server's is done
//!   (then, on PostgreSQL, it numbers the feed and tells the others with a `NOTIFY`) or when
//!   another server says it numbered changes (`LISTEN`), it reads what is new once and hands
//!   each change to the open streams of the people who may see it then.
//! - [`stream`]: the handler: catching up after `Last-Event-ID`, then live events.

pub mod feed;
pub mod hub;
pub mod stream;

pub use hub::Hub;

/// Most streams one person may hold open, on all servers together.
pub const STREAMS_MAX: i64 = 10;
