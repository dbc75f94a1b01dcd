//! Helpers of the tests that run several districts as `distretto serve` processes.

use serde_json::Value;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `distretto serve` for one district on loopback.
pub struct Server {
    child: Child,
    /// Where it listens (`http://127.0.0.1:port`).
    pub base: String,
}

impl Server {
    /// Starts a district reached by others at `public_url` (a proxy in front of it), or, when
    /// `None`, at its own address (a free port picked first). `env` is added to an environment
    /// kept from choosing a database, a configuration or certificate authorities.
    pub fn start(
        db: &str,
        public_url: Option<&str>,
        name: &str,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let bind = match public_url {
            Some(_) => "127.0.0.1:0".to_owned(),
            None => {
                let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                format!("127.0.0.1:{}", free.local_addr().unwrap().port())
            }
        };
        let own = format!("http://{bind}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_distretto"));
        // Refused and lost messages are these tests' daily bread: only errors are news.
        cmd.env("DISTRETTO_LOG", "error")
            .env_remove("DISTRETTO_DATABASE_URL")
            .env_remove("DISTRETTO_CONFIG")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env("DISTRETTO_PUBLIC_URL", public_url.unwrap_or(&own))
            .env("DISTRETTO_DISTRICT_NAME", name)
            .args(["serve", "--bind", &bind, "--database", db])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listens on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("distretto serve announces its address");
        Self {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// SIGKILL, and wait for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates a user with `admin create-user`.
pub fn create_user(db: &str, email: &str, role: &str, password: &str, dir: &Path) {
    let out = super::bin()
        .env("DISTRETTO_ADMIN_PASSWORD", password)
        .args([
            "admin",
            "create-user",
            "--email",
            email,
            "--name",
            email.split('@').next().unwrap(),
            "--role",
            role,
            "--database",
            db,
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", super::stderr(&out));
}

/// One JSON request: (status, body).
pub async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// An API token of a user.
pub async fn token(client: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let (s, v) = call(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/tokens"),
        None,
        Some(&serde_json::json!({"email": email, "password": password})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["token"].as_str().unwrap().to_owned()
}
