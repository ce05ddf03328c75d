#![recursion_limit = "256"]
//! Doable: a multi-user task manager in one full-stack Leptos crate.
//!
//! The same crate is the server (feature `ssr`: axum, sqlx, the API) and the browser app
//! (feature `hydrate`: the WASM that takes over the server-rendered pages).
//!
//! Its modules form layers, each using only the ones before it (`.ci/check-layers.py` keeps it
//! so; the README's "Architecture" draws them): `hex`, `config`, `error` and `dates` at the
//! bottom; each feature's types (`auth`, `lists`, `tasks`, `trash`); the database (`db`) and what builds on it
//! alone; the request's state (`state`) and user (`auth::extract`); each feature's inputs,
//! SQL and server functions; then the pages (`ui`, each feature's `ui`, `app`); and on top
//! the API's description (`api_docs`) and the HTTP server (`server`), which nothing in the
//! crate uses.

pub mod app;
pub mod auth;
pub mod calendar;
pub mod dates;
pub mod error;
pub mod history;
pub mod import;
pub mod jobs;
pub mod lists;
pub mod notifications;
pub mod reminders;
pub mod repeat;
pub mod tasks;
pub mod tokens;
pub mod trash;
pub mod ui;
pub mod zone;

#[cfg(feature = "ssr")]
pub mod admin;
#[cfg(feature = "ssr")]
pub mod api_docs;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod hex;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

/// The WASM entry point: brings the islands of the server-rendered page to life (the rest of
/// the page is plain HTML).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
