//! `distretto serve` as one process the crash tests kill and restart (`storm.rs`, `soak.rs`).

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of every demo login these tests start the demo district with.
pub const DEMO_PASSWORD: &str = "storm demo passphrase";

/// The PostgreSQL `application_name` of the server's sessions, by which [`sessions_ended`]
/// tells them from the test's own.
const SERVER_SESSIONS: &str = "distretto-test-server";

/// Whether `url` is a PostgreSQL database (the only backend whose sessions outlive the server).
fn is_postgres(url: &str) -> bool {
    distretto_store::backend_of(url).ok() == Some("postgres")
}

/// `url` with the server's sessions named, on PostgreSQL.
fn named_sessions(url: &str) -> String {
    if !is_postgres(url) {
        return url.to_owned();
    }
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}application_name={SERVER_SESSIONS}")
}

/// `distretto serve` on a port of its own choosing (port 0: the address it announces is read
/// from its first line, so no other process can take the port in between).
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// `127.0.0.1:port`.
    pub addr: String,
}

impl Server {
    /// Starts the server on `url`, with the demo district (password [`DEMO_PASSWORD`]) when
    /// `demo`, and waits for it to listen.
    pub fn start(url: &str, demo: bool, dir: &Path) -> Self {
        let url = &named_sessions(url);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_distretto"));
        cmd.env("DISTRETTO_LOG", "warn")
            .env_remove("DISTRETTO_DATABASE_URL")
            .env_remove("DISTRETTO_CONFIG")
            .args(["serve", "--bind", "127.0.0.1:0", "--database", url])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if demo {
            cmd.args(["--demo", "--demo-password", DEMO_PASSWORD]);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining stdout after the announcement so the server never blocks on it.
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listens on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(240)) {
            Ok(addr) => addr,
            Err(e) => {
                let _ = child.kill();
                panic!(
                    "distretto serve did not announce its address ({e}); exit: {:?}",
                    child.wait()
                );
            }
        };
        Self {
            child,
            base: format!("http://{addr}"),
            addr,
        }
    }

    /// `SIGKILL`: no graceful anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `SIGTERM`, and the exit status must be success.
    pub fn stop(mut self) {
        let kill = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0: {status:?}");
                return;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("the server did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until no session of a killed server is left on its PostgreSQL database. A `SIGKILL`
/// ends the process, not its sessions: a `COMMIT` the server sent just before dying still
/// commits, possibly after the test has read what the kill left. Reading only once those
/// sessions are gone makes that read final. Nothing to wait for on SQLite, where the writes
/// die with the process.
pub async fn sessions_ended(url: &str) {
    if !is_postgres(url) {
        return;
    }
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1",
        )
        .bind(SERVER_SESSIONS)
        .fetch_one(&pool)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} sessions of the killed server still open 60 s after the kill"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pool.close().await;
}
