#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Federation over `https://`: district B is reached only through a TLS terminator with a
//! certificate of a test authority. District A, which trusts that authority
//! (`SSL_CERT_FILE`, as an operator of a private federation would set it), links with B and
//! pays one of its members: the signed messages go over TLS. District C, which does not trust
//! it, cannot deliver its link request: certificates are checked, not waved through.
//!
//! The certificates are made with the `openssl` command (scripts/test installs it).

mod common;

use common::federation::{Server, call};
use common::temp_dir;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const PASSWORD: &str = "federation tls passphrase";

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command (scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        common::stderr(&out)
    );
}

/// A test authority (`ca.pem`) and a certificate it signed for 127.0.0.1 (`cert.pem`,
/// `key.pem`).
fn certificates(dir: &Path) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Distretto test authority",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        dir,
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "cert.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
        dir,
    );
}

fn create_user(db: &str, email: &str, role: &str, dir: &Path) {
    common::federation::create_user(db, email, role, PASSWORD, dir);
}

async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    common::federation::token(client, base, email, PASSWORD).await
}

/// A district's address and first key, as its identity endpoint gives them.
async fn identity(client: &reqwest::Client, base: &str) -> Value {
    let (s, v) = call(
        client,
        reqwest::Method::GET,
        format!("{base}/api/v1/federation/district"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    json!({"url": v["url"], "keyid": v["keys"][0]["keyid"], "public_key": v["keys"][0]["public_key"]})
}

async fn propose(client: &reqwest::Client, base: &str, coord: &str, other: &Value) -> Value {
    let (s, v) = call(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/federation/links"),
        Some(coord),
        Some(other),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v
}

/// A district's links, as its coordinator lists them.
async fn links(client: &reqwest::Client, base: &str, coord: &str) -> Value {
    let (s, v) = call(
        client,
        reqwest::Method::GET,
        format!("{base}/api/v1/federation/links"),
        Some(coord),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Opens the mirror of the district's only link both ways (limits set by its coordinator).
async fn open_mirror(client: &reqwest::Client, base: &str, coord: &str) {
    let links = links(client, base, coord).await;
    assert_eq!(links["items"][0]["status"], "active", "{links}");
    let account = links["items"][0]["mirror"]["account"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = call(
        client,
        reqwest::Method::PUT,
        format!("{base}/api/v1/accounts/{account}/limits"),
        Some(coord),
        Some(&json!({"credit_limit": 100_000, "upper_limit": 100_000, "reason": "Assembly"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn districts_talk_over_https_and_check_certificates() {
    let dir = temp_dir("federation-tls");
    certificates(&dir);
    let db = |name: &str| format!("sqlite:{}", dir.join(format!("{name}.db")).display());
    for d in ["a", "b", "c"] {
        create_user(&db(d), "coord@test.example", "coordinator", &dir);
        create_user(&db(d), "member@test.example", "person", &dir);
    }
    // B answers only through the TLS terminator, at its https address. B must know that
    // address when it starts (it checks signatures against it), so the terminator starts
    // first and learns where B listens once B announces it.
    let target = Arc::new(std::sync::Mutex::new(String::new()));
    let b_url = tls_terminator(&dir, target.clone()).await;
    let b = Server::start(&db("b"), Some(&b_url), "B", &dir, &[]);
    *target.lock().unwrap() = b.base.trim_start_matches("http://").to_owned();
    let ca = dir.join("ca.pem").display().to_string();
    let a = Server::start(&db("a"), None, "A", &dir, &[("SSL_CERT_FILE", ca.as_str())]);
    let c = Server::start(&db("c"), None, "C", &dir, &[]);

    let trusting = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let plain = reqwest::Client::new();
    let id_b = identity(&trusting, &b_url).await;
    assert_eq!(id_b["url"], b_url.as_str());
    let coord_a = token(&plain, &a.base, "coord@test.example").await;
    let coord_b = token(&trusting, &b_url, "coord@test.example").await;
    let coord_c = token(&plain, &c.base, "coord@test.example").await;

    // A → B over TLS: B receives the link request; B approves, and tells A (plain HTTP).
    let link_a = propose(&plain, &a.base, &coord_a, &id_b).await;
    assert_eq!(
        link_a["delivered"], true,
        "A reached B over https: {link_a}"
    );
    let links_b = links(&trusting, &b_url, &coord_b).await;
    let requested = links_b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["status"] == "requested")
        .expect("A's request arrived at B");
    let (s, v) = call(
        &trusting,
        reqwest::Method::POST,
        format!(
            "{b_url}/api/v1/federation/links/{}/approve",
            requested["id"].as_str().unwrap()
        ),
        Some(&coord_b),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // C does not trust B's authority: its request is not delivered, and B never sees it.
    let link_c = propose(&plain, &c.base, &coord_c, &id_b).await;
    assert_eq!(link_c["delivered"], false, "{link_c}");
    let links_b = links(&trusting, &b_url, &coord_b).await;
    assert_eq!(links_b["items"].as_array().unwrap().len(), 1, "{links_b}");

    // A member of A pays a member of B across the link: prepare and commit go over TLS.
    open_mirror(&plain, &a.base, &coord_a).await;
    open_mirror(&trusting, &b_url, &coord_b).await;
    let member_a = token(&plain, &a.base, "member@test.example").await;
    let member_b = token(&trusting, &b_url, "member@test.example").await;
    let (_, me_a) = call(
        &plain,
        reqwest::Method::GET,
        format!("{}/api/v1/me", a.base),
        Some(&member_a),
        None,
    )
    .await;
    let (_, me_b) = call(
        &trusting,
        reqwest::Method::GET,
        format!("{b_url}/api/v1/me"),
        Some(&member_b),
        None,
    )
    .await;
    let payer = me_a["accounts"][0]["id"]
        .as_str()
        .expect("A's member has an account");
    let payee = me_b["accounts"][0]["id"]
        .as_str()
        .expect("B's member has an account");
    let (_, links_a) = call(
        &plain,
        reqwest::Method::GET,
        format!("{}/api/v1/federation/links", a.base),
        Some(&coord_a),
        None,
    )
    .await;
    assert_eq!(links_a["items"][0]["status"], "active", "{links_a}");
    let res = plain
        .post(format!("{}/api/v1/federation/payments", a.base))
        .bearer_auth(&member_a)
        .header("idempotency-key", "tls-1")
        .json(&json!({"link": links_a["items"][0]["id"], "payer": payer, "payee": payee, "amount": 1_250, "memo": "TLS"}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (status, v["status"].as_str()),
        (201, Some("committed")),
        "{v}"
    );
    let (_, account) = call(
        &trusting,
        reqwest::Method::GET,
        format!("{b_url}/api/v1/accounts/{payee}"),
        Some(&member_b),
        None,
    )
    .await;
    assert_eq!(account["balance"], 1_250, "{account}");
    drop((a, b, c));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TLS terminator on loopback with the test authority's certificate, forwarding each
/// connection to `target` (host:port, set once the district behind it announced it); returns
/// its `https://` address.
async fn tls_terminator(dir: &Path, target: Arc<std::sync::Mutex<String>>) -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("cert.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let target = target.lock().unwrap().clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    url
}
