//! `distretto serve`: migrate, optionally fill the demo district, and serve until a signal.

use crate::config::Settings;
use crate::{Failure, open_db};
use std::net::SocketAddr;
use std::time::Duration;

/// Flags of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    bind: Option<String>,
    /// `sqlite:PATH` or `postgres://…` (default: a SQLite file under ./data/).
    #[arg(long, env = "DISTRETTO_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Fill an empty database with the demo district first.
    #[arg(long)]
    demo: bool,
    /// Everyone's password in the demo district (default: a random one, printed).
    #[arg(long, env = "DISTRETTO_DEMO_PASSWORD", hide_env_values = true)]
    demo_password: Option<String>,
}

/// How often expired sessions and old throttle entries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(mut settings: Settings, args: ServeArgs) -> Result<(), Failure> {
    if let Some(bind) = args.bind {
        settings.bind = bind;
    }
    let addr: SocketAddr = settings
        .bind
        .parse()
        .map_err(|_| Failure::Usage(format!("bad --bind address: {}", settings.bind)))?;
    let started = std::time::Instant::now();
    let db = open_db(&settings, args.database.as_deref()).await?;
    if args.demo {
        crate::demo::fill_if_empty(
            &db,
            &settings,
            crate::demo::Scale::District,
            crate::demo::DEFAULT_SEED,
            args.demo_password,
        )
        .await?;
    }
    let state = distretto_web::AppState::new(db.clone(), settings.web()).await?;
    let app = distretto_web::router(state.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Usage(format!("cannot listen on {addr}: {e}")))?;
    let shutdown = shutdown_signal();
    println!(
        "Distretto listens on http://{} ({} database, ready in {} ms)",
        listener.local_addr()?,
        db.backend(),
        started.elapsed().as_millis()
    );
    let (switch, stop) = distretto_web::background::StopSwitch::new();
    let jobs = background_jobs(&state, &stop);
    drop(stop);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("shutting down: finishing the background jobs' current steps");
    switch.stop();
    finish(jobs).await;
    tracing::info!("shutting down: closing the database");
    db.close().await;
    Ok(())
}

/// How long a stopping server waits for its background jobs to finish their current steps
/// before cutting them (each step is one transaction or several, so a cut one is rolled back or
/// taken up again at the next start, as after a crash).
const JOBS_GRACE: Duration = Duration::from_secs(10);

/// Starts the server's periodic jobs, each watching `stop`.
fn background_jobs(
    state: &distretto_web::AppState,
    stop: &distretto_web::background::Stop,
) -> Vec<tokio::task::JoinHandle<()>> {
    use distretto_web::{clearing, federation, governance, impact, purchasing};
    vec![
        tokio::spawn(purge_loop(state.clone(), stop.clone())),
        tokio::spawn(purchasing::csa::service::charge_loop(
            state.clone(),
            stop.clone(),
        )),
        tokio::spawn(clearing::service::settle_loop(state.clone(), stop.clone())),
        tokio::spawn(governance::service::close_loop(state.clone(), stop.clone())),
        tokio::spawn(federation::payments::resolve_loop(
            state.clone(),
            stop.clone(),
        )),
        tokio::spawn(purchasing::cycles::service::close_loop(
            state.clone(),
            stop.clone(),
        )),
        tokio::spawn(impact::service::refresh_loop(state.clone(), stop.clone())),
    ]
}

/// Waits for the stopped jobs, at most [`JOBS_GRACE`] in all, and cuts those still running.
async fn finish(jobs: Vec<tokio::task::JoinHandle<()>>) {
    let deadline = tokio::time::Instant::now() + JOBS_GRACE;
    for mut job in jobs {
        if tokio::time::timeout_at(deadline, &mut job).await.is_err() {
            tracing::warn!("a background job did not finish its step in time; cut");
            job.abort();
        }
    }
}

async fn purge_loop(state: distretto_web::AppState, stop: distretto_web::background::Stop) {
    let mut ticks = distretto_web::background::every("sessions_purge", PURGE_EVERY, stop);
    while ticks.next().await {
        let now = distretto_store::now();
        let purged =
            distretto_store::auth::purge_expired(&state.db, now, now - time::Duration::days(1))
                .await;
        ticks.done(&state, purged.is_ok());
        match purged {
            Ok(n) => tracing::debug!(sessions = n, "purged expired sessions"),
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before exit. The handlers are
/// installed when this is called, not when the future is first polled: call it before telling
/// anyone the server listens, or a SIGTERM sent right after that line would still meet the
/// default action and kill the process mid-start.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let received = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("signal received, finishing in-flight requests");
    }
}

pub async fn migrate_only(settings: &Settings, database: Option<&str>) -> Result<(), Failure> {
    let db = open_db(settings, database).await?;
    println!("migrations applied ({})", db.backend());
    db.close().await;
    Ok(())
}

/// A bare axum server answering "hello": the benchmark's yardstick for the machine.
pub async fn hello(bind: &str) -> Result<(), Failure> {
    let addr: SocketAddr = bind
        .parse()
        .map_err(|_| Failure::Usage(format!("bad --bind address: {bind}")))?;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let shutdown = shutdown_signal();
    println!("hello server on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
