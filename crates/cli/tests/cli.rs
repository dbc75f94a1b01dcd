#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The `distretto` binary as users and scripts call it (CONTRACT.md: command line).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_distretto"));
    c.env("DISTRETTO_LOG", "warn")
        .env_remove("DISTRETTO_DATABASE_URL")
        .env_remove("DISTRETTO_CONFIG");
    c
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distretto-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_arguments_exit_2_with_one_line_and_write_nothing() {
    let dir = temp_dir("bad");
    let cases: &[&[&str]] = &[
        &[
            "serve",
            "--bind",
            "not-an-address",
            "--database",
            "sqlite:./x.db",
        ],
        &["demo", "--database", "mysql://localhost/x"],
        &["demo", "--scale", "galactic", "--database", "sqlite:./y.db"],
        &[
            "import",
            "/nonexistent/district.json",
            "--database",
            "sqlite:./z.db",
        ],
        &[
            "export",
            "--out",
            "/nonexistent/dir/out.json",
            "--database",
            "sqlite:./w.db",
        ],
        &[
            "admin",
            "create-user",
            "--email",
            "nope",
            "--name",
            "X",
            "--database",
            "sqlite:./v.db",
        ],
        &["no-such-command"],
    ];
    for args in cases {
        let o = run(args, &dir);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty(), "{args:?} names the problem");
    }
    let o = run(&["demo", "--database", "mysql://localhost/x"], &dir);
    assert_eq!(
        stderr(&o).trim().lines().count(),
        1,
        "one line: {}",
        stderr(&o)
    );
    for f in ["x.db", "y.db", "z.db", "w.db", "v.db", "out.json", "data"] {
        assert!(
            !dir.join(f).exists(),
            "{f} written although the command was refused"
        );
    }
}

#[test]
fn export_import_export_gives_the_same_document() {
    let dir = temp_dir("roundtrip");
    let o = run(
        &[
            "demo",
            "--database",
            "sqlite:./a.db",
            "--demo-password",
            "demo password 1",
            "--seed",
            "7",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("coordinator@distretto.example"), "{stdout}");
    let o = run(
        &[
            "demo",
            "--database",
            "sqlite:./a.db",
            "--demo-password",
            "demo password 1",
        ],
        &dir,
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "demo refuses a non-empty database"
    );
    let o = run(
        &["export", "--out", "one.json", "--database", "sqlite:./a.db"],
        &dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["import", "one.json", "--database", "sqlite:./b.db"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &["export", "--out", "two.json", "--database", "sqlite:./b.db"],
        &dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (one, two) = (
        std::fs::read(dir.join("one.json")).unwrap(),
        std::fs::read(dir.join("two.json")).unwrap(),
    );
    assert!(one.len() > 100_000, "a real district");
    assert!(one == two, "export → import → export differs");
    let doc: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(
        (doc["format"].as_str(), doc["version"].as_u64()),
        (Some("distretto-district"), Some(1))
    );
    assert!(doc["organizations"].as_array().unwrap().len() >= 150);
    let o = run(&["import", "one.json", "--database", "sqlite:./b.db"], &dir);
    assert_eq!(
        o.status.code(),
        Some(2),
        "import refuses a non-empty database: {}",
        stderr(&o)
    );
    std::fs::write(dir.join("bad.json"), b"{\"format\":\"something-else\"}").unwrap();
    let o = run(&["import", "bad.json", "--database", "sqlite:./c.db"], &dir);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn admin_create_user_makes_a_working_administrator() {
    let dir = temp_dir("admin");
    let o = bin()
        .args([
            "admin",
            "create-user",
            "--email",
            "Admin@Example.org",
            "--name",
            "Ada Admin",
            "--database",
            "sqlite:./d.db",
        ])
        .env("DISTRETTO_ADMIN_PASSWORD", "a long admin passphrase")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("created administrator admin@example.org"));
    let o = bin()
        .args([
            "admin",
            "create-user",
            "--email",
            "admin@example.org",
            "--name",
            "Again",
            "--database",
            "sqlite:./d.db",
        ])
        .env("DISTRETTO_ADMIN_PASSWORD", "a long admin passphrase")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "duplicate e-mail: {}", stderr(&o));
    let o = run(
        &[
            "admin",
            "create-user",
            "--email",
            "gen@example.org",
            "--name",
            "Gen",
            "--role",
            "coordinator",
            "--database",
            "sqlite:./d.db",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("password: "),
        "a generated password is printed once"
    );
    let o = run(
        &["export", "--out", "d.json", "--database", "sqlite:./d.db"],
        &dir,
    );
    assert!(o.status.success());
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("d.json")).unwrap()).unwrap();
    let people = doc["people"].as_array().unwrap();
    let admin = people
        .iter()
        .find(|p| p["email"] == "admin@example.org")
        .unwrap();
    assert_eq!(
        (admin["role"].as_str(), admin["membership_status"].as_str()),
        (Some("administrator"), Some("member"))
    );
    assert!(
        admin["password_hash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(
        doc["accounts"].as_array().unwrap().len(),
        2,
        "each gets a personal account"
    );
}

#[test]
fn serve_starts_answers_health_and_stops_on_sigterm() {
    let dir = temp_dir("serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = bin()
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database",
            "sqlite:./data/s.db",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..200 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut body = String::new();
            let _ = s.read_to_string(&mut body);
            if body.starts_with("HTTP/1.1 200") {
                healthy = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(healthy, "the server answered /healthz");
    assert!(
        dir.join("data/s.db").exists(),
        "the SQLite file is created under ./data/"
    );
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
