//! The Doable server: configuration, database, migrations, router, serve; or one of the
//! host's commands (`doable --help`, [`doable::admin`]).

use std::process::ExitCode;

use clap::Parser;
use doable::{
    admin::{self, Cli, Command},
    config::Config,
    db::Db,
    server,
    state::AppState,
};

/// mimalloc hands freed memory back to the system promptly; glibc's malloc kept hundreds of
/// megabytes of argon2's buffers in per-thread arenas after a burst of logins. It serves
/// SQLite's allocations too (the `override` feature).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        None | Some(Command::Serve) => serve().await,
        Some(command) => {
            init_tracing(false, "warn");
            admin::run(command).await
        }
    }
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(e),
    };
    init_tracing(config.log_json, "info");
    let db = match Db::connect(&config).await {
        Ok(db) => db,
        Err(e) => return fail(format!("DATABASE_URL: {e}")),
    };
    if let Err(e) = db.migrate().await {
        return fail(format!("DATABASE_URL: {e}"));
    }
    let address = config.site_addr();
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => return fail(format!("LEPTOS_SITE_ADDR: cannot listen on {address}: {e}")),
    };
    let limits = server::ConnectionLimits::of(&config);
    let state = AppState::new(config, db.clone());
    let housekeeping = server::spawn_housekeeping(state.clone());
    tracing::info!("Doable is ready at http://{address}");
    server::serve(listener, server::app(state), limits, server::shutdown_signal()).await;
    housekeeping.stop().await;
    db.close().await;
    ExitCode::SUCCESS
}

/// Ends start-up with one line saying what is wrong.
fn fail(message: impl std::fmt::Display) -> ExitCode {
    admin::fail(message)
}

/// Sets up logging: `RUST_LOG` for levels (default `level`), text or JSON lines on stderr.
fn init_tracing(json: bool, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
