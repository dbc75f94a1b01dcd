//! Handing e-mails to a transport: a directory of `.eml` files (tests, demos, or a spool a
//! local mailer picks up) or an SMTP server: a relay on the host (plain SMTP to
//! `localhost:25`), or a provider's submission server over TLS (STARTTLS on 587 or TLS from
//! the first byte on 465) with a login.
//!
//! The SMTP client is written here rather than taken from `lettre`: the conversation a
//! notification needs is a dozen lines (EHLO, STARTTLS, AUTH PLAIN or LOGIN, MAIL, RCPT,
//! DATA), and the TLS stack it runs over (`tokio-rustls`, ring) is the one the federation
//! client already brings, where `lettre` would add its own builder, pool and transports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Where e-mails go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MailTransport {
    /// Nowhere: notifications stay on the platform.
    #[default]
    None,
    /// One RFC 5322 file per message in this directory.
    File(PathBuf),
    /// An SMTP server.
    Smtp(SmtpServer),
}

/// An SMTP server and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// Host name or address (also the name its TLS certificate must carry).
    pub host: String,
    /// Port: 25, 587 or 465 by default, after [`SmtpSecurity`].
    pub port: u16,
    pub security: SmtpSecurity,
    /// Who the platform logs in as, if the server wants a login (only over TLS).
    pub login: Option<SmtpLogin>,
}

/// Whether the conversation is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: plain text, for a relay on the host or its private network.
    Plain,
    /// `smtp+starttls://`: plain greeting, then TLS before anything else is said; a server
    /// that does not offer STARTTLS is refused (never a silent fall-back to plain text).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            Self::Plain => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

/// A login on an SMTP server. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpLogin {
    pub username: String,
    password: String,
}

impl std::fmt::Debug for SmtpLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpLogin")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl MailTransport {
    /// Parses `none`, `file:DIR`, `smtp://HOST[:PORT]`, `smtp+starttls://HOST[:PORT]` or
    /// `smtps://HOST[:PORT]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(Self::None);
        }
        if let Some(dir) = text.strip_prefix("file:") {
            if dir.is_empty() {
                return Err("file: needs a directory".into());
            }
            return Ok(Self::File(PathBuf::from(dir)));
        }
        let schemes = [
            ("smtp://", SmtpSecurity::Plain),
            ("smtp+starttls://", SmtpSecurity::StartTls),
            ("smtps://", SmtpSecurity::Tls),
        ];
        for (scheme, security) in schemes {
            if let Some(rest) = text.strip_prefix(scheme) {
                return smtp_server(text, rest, security).map(Self::Smtp);
            }
        }
        Err(format!(
            "unknown mail transport {text} (none, file:DIR, smtp://HOST:PORT, smtp+starttls://HOST:PORT or smtps://HOST:PORT)"
        ))
    }

    /// Adds the login of `mail_username` and `mail_password` (none when the user name is
    /// empty). A login is only sent over TLS: with any other transport it is refused.
    pub fn with_login(self, username: &str, password: &str) -> Result<Self, String> {
        if username.is_empty() {
            return Ok(self);
        }
        match self {
            Self::Smtp(server) if server.security != SmtpSecurity::Plain => {
                if password.is_empty() {
                    return Err("mail_username is set but mail_password is empty".into());
                }
                Ok(Self::Smtp(SmtpServer {
                    login: Some(SmtpLogin {
                        username: username.to_owned(),
                        password: password.to_owned(),
                    }),
                    ..server
                }))
            }
            _ => Err(
                "mail_username needs a TLS transport (smtp+starttls:// or smtps://): a password is never sent in plain text"
                    .into(),
            ),
        }
    }
}

fn smtp_server(text: &str, rest: &str, security: SmtpSecurity) -> Result<SmtpServer, String> {
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse().map_err(|_| format!("bad SMTP port in {text}"))?,
        ),
        None => (rest, security.default_port()),
    };
    if host.is_empty() || host.contains(['/', '@']) {
        return Err(format!("{text} needs a host (and no user or path)"));
    }
    Ok(SmtpServer {
        host: host.to_owned(),
        port,
        security,
        login: None,
    })
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique, also the file name of the file transport.
    pub id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Plain text; lines are sent with CRLF.
    pub body: String,
}

/// A header value: ASCII as is, anything else as an RFC 2047 encoded word.
fn header_text(text: &str) -> String {
    use base64::Engine as _;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean.as_bytes())
        )
    }
}

/// An address without what could break the header or the SMTP command.
fn address(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ' ' | ','))
        .collect()
}

/// The message as RFC 5322 text with CRLF line ends (8-bit UTF-8 body).
pub fn render(m: &Message, date: time::OffsetDateTime) -> String {
    let date = date
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default();
    let mut out = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@distretto>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        address(&m.from),
        address(&m.to),
        header_text(&m.subject),
        address(&m.id),
    );
    for line in m.body.lines().take(10_000) {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Hands a message to the transport. TLS servers are checked against the system's
/// certificate authorities (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
pub async fn send(transport: &MailTransport, m: &Message) -> std::io::Result<()> {
    match transport {
        MailTransport::None => Ok(()),
        MailTransport::File(dir) => write_file(dir, m).await,
        MailTransport::Smtp(server) => deliver(server, system_roots(), m).await,
    }
}

/// Writes `m` as `DIR/{id}.eml`, whole or not at all (written aside, then renamed).
async fn write_file(dir: &std::path::Path, m: &Message) -> std::io::Result<()> {
    let text = render(m, time::OffsetDateTime::now_utc());
    tokio::fs::create_dir_all(dir).await?;
    let name = address(&m.id);
    let partial = dir.join(format!(".{name}.eml.part"));
    tokio::fs::write(&partial, text.as_bytes()).await?;
    tokio::fs::rename(&partial, dir.join(format!("{name}.eml"))).await
}

/// The system's certificate authorities, read once.
fn system_roots() -> Arc<rustls::RootCertStore> {
    static ROOTS: std::sync::OnceLock<Arc<rustls::RootCertStore>> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in found.errors.iter().take(8) {
                tracing::warn!(error = %e, "a system certificate could not be read");
            }
            let mut roots = rustls::RootCertStore::empty();
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "system certificate authorities for SMTP");
            Arc::new(roots)
        })
        .clone()
}

/// Delivers `m` to `server`, trusting `roots` for its TLS certificate; at most 30 s.
pub async fn deliver(
    server: &SmtpServer,
    roots: Arc<rustls::RootCertStore>,
    m: &Message,
) -> std::io::Result<()> {
    let text = render(m, time::OffsetDateTime::now_utc());
    let envelope = Envelope {
        from: address(&m.from),
        to: address(&m.to),
        text,
    };
    let talk = converse(server, roots, &envelope);
    tokio::time::timeout(Duration::from_secs(30), talk)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "SMTP timeout"))?
}

struct Envelope {
    from: String,
    to: String,
    text: String,
}

fn refused(step: &str, reply: &str) -> std::io::Error {
    std::io::Error::other(format!("SMTP {step} refused: {}", reply.trim()))
}

/// Reads one (possibly multi-line) SMTP reply; its code must start with `expect`. Returns
/// the reply's lines (an EHLO's lines are the server's extensions).
async fn reply<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
    step: &str,
    expect: char,
) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(refused(step, "connection closed"));
        }
        lines.push(line.get(4..).unwrap_or("").trim_end().to_owned());
        // "250-…" continues, "250 …" ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            return if line.starts_with(expect) {
                Ok(lines)
            } else {
                Err(refused(step, &line))
            };
        }
    }
    Err(refused(step, "reply too long"))
}

/// Sends one command line and reads its reply.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    line: &str,
    step: &str,
    expect: char,
) -> std::io::Result<Vec<String>> {
    conn.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await?;
    conn.get_mut().flush().await?;
    reply(conn, step, expect).await
}

async fn tls(
    host: &str,
    tcp: TcpStream,
    roots: Arc<rustls::RootCertStore>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| refused("TLS", &format!("{host} is not a server name")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// One SMTP conversation delivering `envelope` to `server`.
async fn converse(
    server: &SmtpServer,
    roots: Arc<rustls::RootCertStore>,
    envelope: &Envelope,
) -> std::io::Result<()> {
    let tcp = TcpStream::connect((server.host.as_str(), server.port)).await?;
    match server.security {
        SmtpSecurity::Plain => {
            let mut conn = BufReader::new(tcp);
            reply(&mut conn, "greeting", '2').await?;
            // Never a login in plain text.
            hello_then_send(&mut conn, None, envelope).await
        }
        SmtpSecurity::Tls => {
            let mut conn = BufReader::new(tls(&server.host, tcp, roots).await?);
            reply(&mut conn, "greeting", '2').await?;
            hello_then_send(&mut conn, server.login.as_ref(), envelope).await
        }
        SmtpSecurity::StartTls => {
            let mut plain = BufReader::new(tcp);
            reply(&mut plain, "greeting", '2').await?;
            let extensions = command(&mut plain, "EHLO distretto", "EHLO", '2').await?;
            if !offers(&extensions, "STARTTLS") {
                return Err(refused("STARTTLS", "the server does not offer STARTTLS"));
            }
            command(&mut plain, "STARTTLS", "STARTTLS", '2').await?;
            // Nothing the server sent before the handshake may be taken as said over TLS.
            if !plain.buffer().is_empty() {
                return Err(refused("STARTTLS", "the server spoke before TLS began"));
            }
            let mut conn = BufReader::new(tls(&server.host, plain.into_inner(), roots).await?);
            hello_then_send(&mut conn, server.login.as_ref(), envelope).await
        }
    }
}

/// EHLO, the login if any (with what the EHLO offered), then the message.
async fn hello_then_send<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    login: Option<&SmtpLogin>,
    envelope: &Envelope,
) -> std::io::Result<()> {
    let extensions = command(conn, "EHLO distretto", "EHLO", '2').await?;
    log_in(conn, login, &extensions).await?;
    send_mail(conn, envelope).await
}

/// Whether an EHLO reply lists `extension` (its first word).
fn offers(extensions: &[String], extension: &str) -> bool {
    extensions.iter().any(|e| {
        e.split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(extension))
    })
}

/// The mechanisms of the EHLO reply's `AUTH` line.
fn auth_mechanisms(extensions: &[String]) -> Vec<String> {
    extensions
        .iter()
        .filter_map(|e| {
            let mut words = e.split_whitespace();
            let first = words.next()?;
            first
                .eq_ignore_ascii_case("AUTH")
                .then(|| words.map(str::to_ascii_uppercase).collect::<Vec<_>>())
        })
        .flatten()
        .take(32)
        .collect()
}

/// Logs in with AUTH PLAIN, or AUTH LOGIN when the server offers only that.
async fn log_in<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    login: Option<&SmtpLogin>,
    extensions: &[String],
) -> std::io::Result<()> {
    use base64::Engine as _;
    let Some(login) = login else {
        return Ok(());
    };
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mechanisms = auth_mechanisms(extensions);
    if mechanisms.iter().any(|m| m == "PLAIN") {
        let token = b64(&format!("\0{}\0{}", login.username, login.password));
        command(conn, &format!("AUTH PLAIN {token}"), "AUTH", '2').await?;
    } else if mechanisms.iter().any(|m| m == "LOGIN") {
        command(conn, "AUTH LOGIN", "AUTH", '3').await?;
        command(conn, &b64(&login.username), "AUTH user name", '3').await?;
        command(conn, &b64(&login.password), "AUTH", '2').await?;
    } else {
        return Err(refused(
            "AUTH",
            "the server offers neither AUTH PLAIN nor AUTH LOGIN",
        ));
    }
    Ok(())
}

/// MAIL, RCPT, DATA and QUIT.
async fn send_mail<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    envelope: &Envelope,
) -> std::io::Result<()> {
    let from = format!("MAIL FROM:<{}>", envelope.from);
    command(conn, &from, "MAIL FROM", '2').await?;
    let to = format!("RCPT TO:<{}>", envelope.to);
    command(conn, &to, "RCPT TO", '2').await?;
    command(conn, "DATA", "DATA", '3').await?;
    // Dot-stuffing: a line starting with '.' gets one more.
    let stuffed = envelope.text.replace("\r\n.", "\r\n..");
    let stuffed = stuffed
        .strip_prefix('.')
        .map_or(stuffed.clone(), |rest| format!("..{rest}"));
    conn.get_mut().write_all(stuffed.as_bytes()).await?;
    command(conn, ".", "message", '2').await?;
    // The server accepted the message; a missing goodbye is not a failure.
    let _ = command(conn, "QUIT", "QUIT", '2').await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn transports_parse() {
        assert_eq!(MailTransport::parse("none"), Ok(MailTransport::None));
        assert_eq!(
            MailTransport::parse("file:./data/outbox"),
            Ok(MailTransport::File("./data/outbox".into()))
        );
        let server = |host: &str, port, security| {
            MailTransport::Smtp(SmtpServer {
                host: host.into(),
                port,
                security,
                login: None,
            })
        };
        let parse = |text| MailTransport::parse(text);
        assert_eq!(
            parse("smtp://localhost:2525"),
            Ok(server("localhost", 2525, SmtpSecurity::Plain))
        );
        assert_eq!(
            parse("smtp://relay"),
            Ok(server("relay", 25, SmtpSecurity::Plain))
        );
        assert_eq!(
            parse("smtp+starttls://mail.example.org"),
            Ok(server("mail.example.org", 587, SmtpSecurity::StartTls))
        );
        assert_eq!(
            parse("smtps://mail.example.org"),
            Ok(server("mail.example.org", 465, SmtpSecurity::Tls))
        );
        assert!(parse("smtp://x:y").is_err());
        assert!(parse("smtps://anna@mail.example.org").is_err());
        assert!(parse("pigeon://x").is_err());
    }

    #[test]
    fn a_login_is_only_sent_over_tls() {
        let tls = MailTransport::parse("smtps://mail.example.org").unwrap();
        let with = tls.clone().with_login("anna", "s3cret").unwrap();
        let MailTransport::Smtp(server) = &with else {
            panic!("{with:?}")
        };
        assert_eq!(server.login.as_ref().unwrap().username, "anna");
        assert!(!format!("{with:?}").contains("s3cret"), "{with:?}");
        // No user name: no login.
        assert_eq!(tls.clone().with_login("", ""), Ok(tls.clone()));
        assert!(tls.with_login("anna", "").is_err());
        for plain in ["smtp://relay", "file:./out", "none"] {
            let e = MailTransport::parse(plain)
                .unwrap()
                .with_login("anna", "s3cret")
                .unwrap_err();
            assert!(e.contains("TLS"), "{e}");
        }
    }

    fn message() -> Message {
        Message {
            id: "n1".into(),
            from: "distretto@example.org".into(),
            to: "anna@example.org".into(),
            subject: "Vote ouvert : « Marché »".into(),
            body: "Bonjour,\n.hidden line\nhttps://example.org/governance".into(),
        }
    }

    #[test]
    fn messages_render_with_encoded_subjects_and_crlf() {
        let t = render(&message(), time::macros::datetime!(2026-11-29 10:00 UTC));
        assert!(t.starts_with("From: distretto@example.org\r\nTo: anna@example.org\r\n"));
        assert!(t.contains("Subject: =?UTF-8?B?"));
        assert!(t.contains("Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n"));
        assert!(t.ends_with("https://example.org/governance\r\n"));
        // A header cannot be injected through the subject.
        let mut evil = message();
        evil.subject = "Hi\r\nBcc: all@example.org".into();
        assert!(!render(&evil, time::OffsetDateTime::UNIX_EPOCH).contains("\r\nBcc:"));
    }

    /// A relay on loopback that accepts one message and returns what it received.
    async fn relay(listener: TcpListener) -> (Vec<String>, String) {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        write.write_all(b"220 relay ready\r\n").await.unwrap();
        let mut commands = Vec::new();
        let mut data = String::new();
        let mut in_data = false;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    write.write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    data.push_str(&line);
                }
                continue;
            }
            commands.push(line.trim_end().to_owned());
            let answer: &[u8] = match line.get(..4).unwrap_or("") {
                "EHLO" => b"250-relay\r\n250 8BITMIME\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(answer).await.unwrap();
        }
        (commands, data)
    }

    #[tokio::test]
    async fn smtp_delivers_to_a_relay_with_dot_stuffing() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(relay(listener));
        let transport = MailTransport::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        send(&transport, &message()).await.unwrap();
        let (commands, data) = server.await.unwrap();
        assert_eq!(
            commands,
            [
                "EHLO distretto",
                "MAIL FROM:<distretto@example.org>",
                "RCPT TO:<anna@example.org>",
                "DATA",
                "QUIT"
            ]
        );
        assert!(data.contains("\r\n..hidden line\r\n"), "{data}");
        assert!(data.contains("To: anna@example.org\r\n"));
    }

    #[tokio::test]
    async fn a_refusing_relay_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(b"554 no service\r\n").await.unwrap();
        });
        let transport = MailTransport::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let e = send(&transport, &message()).await.unwrap_err();
        assert!(e.to_string().contains("554"), "{e}");
    }

    /// A certificate for 127.0.0.1 made by the `openssl` command (scripts/test installs it),
    /// and the roots trusting it.
    struct TestCertificate {
        chain: Vec<rustls::pki_types::CertificateDer<'static>>,
        key: rustls::pki_types::PrivateKeyDer<'static>,
    }

    impl TestCertificate {
        fn make() -> Self {
            use rustls::pki_types::pem::PemObject;
            let dir = std::env::temp_dir().join(format!("distretto-smtp-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            let out = std::process::Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    "key.pem",
                    "-out",
                    "cert.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-addext",
                    "basicConstraints=critical,CA:FALSE",
                ])
                .current_dir(&dir)
                .output()
                .expect("the openssl command (scripts/test installs it)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let chain = rustls::pki_types::CertificateDer::pem_file_iter(dir.join("cert.pem"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            Self { chain, key }
        }

        fn roots(&self) -> Arc<rustls::RootCertStore> {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.chain[0].clone()).unwrap();
            Arc::new(roots)
        }

        fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
            let config = rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(self.chain.clone(), self.key.clone_key())
                .unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        }
    }

    /// What a submission server on loopback offers.
    #[derive(Clone, Copy)]
    struct Offer {
        security: SmtpSecurity,
        /// Its EHLO's AUTH line over TLS.
        auth: &'static str,
    }

    /// What the server saw: every command line (before and after TLS), the message, and
    /// whether the message came over TLS.
    #[derive(Debug, Default)]
    struct Seen {
        commands: Vec<String>,
        data: String,
        message_over_tls: bool,
    }

    /// Serves one SMTP conversation as `offer` says (it stops at the first refusal).
    async fn submission_server(
        listener: TcpListener,
        offer: Offer,
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> Seen {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut seen = Seen::default();
        if offer.security == SmtpSecurity::Tls {
            // A client refusing the certificate ends the handshake: nothing more is said.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return seen;
            };
            serve_commands(&mut BufReader::new(tls), offer, true, &mut seen).await;
            return seen;
        }
        let mut plain = BufReader::new(tcp);
        let starttls = serve_commands(&mut plain, offer, false, &mut seen).await;
        if starttls {
            let Ok(tls) = acceptor.accept(plain.into_inner()).await else {
                return seen;
            };
            serve_commands(&mut BufReader::new(tls), offer, true, &mut seen).await;
        }
        seen
    }

    /// Answers commands until QUIT, a closed connection or (returning `true`) STARTTLS.
    async fn serve_commands<S: AsyncRead + AsyncWrite + Unpin>(
        conn: &mut BufReader<S>,
        offer: Offer,
        over_tls: bool,
        seen: &mut Seen,
    ) -> bool {
        if !over_tls || offer.security == SmtpSecurity::Tls {
            conn.get_mut()
                .write_all(b"220 submission ready\r\n")
                .await
                .unwrap();
        }
        let mut line = String::new();
        let mut in_data = false;
        loop {
            line.clear();
            if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                return false;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    seen.message_over_tls = over_tls;
                    conn.get_mut().write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    seen.data.push_str(&line);
                }
                continue;
            }
            seen.commands.push(line.trim_end().to_owned());
            let word = line.split_whitespace().next().unwrap_or("").to_owned();
            let answer = match word.as_str() {
                "EHLO" if over_tls => {
                    format!("250-submission\r\n250-{}\r\n250 8BITMIME\r\n", offer.auth)
                }
                "EHLO" if offer.security == SmtpSecurity::StartTls => {
                    "250-submission\r\n250-STARTTLS\r\n250 8BITMIME\r\n".to_owned()
                }
                "EHLO" => "250-submission\r\n250 8BITMIME\r\n".to_owned(),
                "STARTTLS" => {
                    conn.get_mut().write_all(b"220 go ahead\r\n").await.unwrap();
                    return true;
                }
                "AUTH" if line.starts_with("AUTH LOGIN") => "334 VXNlcm5hbWU6\r\n".to_owned(),
                "AUTH" => "235 welcome\r\n".to_owned(),
                // The two lines of AUTH LOGIN: the user name, then the password.
                _ if seen.commands.len() >= 2
                    && seen.commands[seen.commands.len() - 2] == "AUTH LOGIN" =>
                {
                    "334 UGFzc3dvcmQ6\r\n".to_owned()
                }
                _ if seen.commands.len() >= 3
                    && seen.commands[seen.commands.len() - 3] == "AUTH LOGIN" =>
                {
                    "235 welcome\r\n".to_owned()
                }
                "DATA" => {
                    in_data = true;
                    "354 go ahead\r\n".to_owned()
                }
                "QUIT" => {
                    conn.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                    return false;
                }
                _ => "250 ok\r\n".to_owned(),
            };
            conn.get_mut().write_all(answer.as_bytes()).await.unwrap();
        }
    }

    /// Delivers the test message to a submission server offering `offer`, as `transport`
    /// (with `{port}` in it), logging in as anna; returns what the server saw and the result.
    async fn submit(offer: Offer, transport: &str, trusted: bool) -> (Seen, std::io::Result<()>) {
        let certificate = TestCertificate::make();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(submission_server(listener, offer, certificate.acceptor()));
        let transport = MailTransport::parse(&transport.replace("{port}", &port.to_string()))
            .unwrap()
            .with_login("anna", "s3cret pass")
            .unwrap();
        let MailTransport::Smtp(smtp) = transport else {
            panic!("an SMTP transport")
        };
        let roots = if trusted {
            certificate.roots()
        } else {
            Arc::new(rustls::RootCertStore::empty())
        };
        let result = deliver(&smtp, roots, &message()).await;
        let seen = tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("the server ended")
            .unwrap();
        (seen, result)
    }

    fn b64(text: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[tokio::test]
    async fn starttls_then_auth_plain_then_the_message_over_tls() {
        let offer = Offer {
            security: SmtpSecurity::StartTls,
            auth: "AUTH LOGIN PLAIN",
        };
        let (seen, result) = submit(offer, "smtp+starttls://127.0.0.1:{port}", true).await;
        result.unwrap();
        let plain_token = b64("\0anna\0s3cret pass");
        assert_eq!(
            seen.commands,
            [
                "EHLO distretto".to_owned(),
                "STARTTLS".to_owned(),
                "EHLO distretto".to_owned(),
                format!("AUTH PLAIN {plain_token}"),
                "MAIL FROM:<distretto@example.org>".to_owned(),
                "RCPT TO:<anna@example.org>".to_owned(),
                "DATA".to_owned(),
                "QUIT".to_owned(),
            ]
        );
        assert!(seen.message_over_tls);
        assert!(seen.data.contains("\r\n..hidden line\r\n"), "{}", seen.data);
    }

    #[tokio::test]
    async fn smtps_logs_in_with_auth_login_when_plain_is_not_offered() {
        let offer = Offer {
            security: SmtpSecurity::Tls,
            auth: "AUTH LOGIN",
        };
        let (seen, result) = submit(offer, "smtps://127.0.0.1:{port}", true).await;
        result.unwrap();
        assert_eq!(
            seen.commands[..5],
            [
                "EHLO distretto".to_owned(),
                "AUTH LOGIN".to_owned(),
                b64("anna"),
                b64("s3cret pass"),
                "MAIL FROM:<distretto@example.org>".to_owned(),
            ]
        );
        assert!(seen.message_over_tls);
    }

    /// A server that does not offer STARTTLS hears neither the password nor the message.
    #[tokio::test]
    async fn no_starttls_on_offer_is_an_error_before_anything_is_sent() {
        let offer = Offer {
            security: SmtpSecurity::Plain,
            auth: "AUTH PLAIN",
        };
        let (seen, result) = submit(offer, "smtp+starttls://127.0.0.1:{port}", true).await;
        let e = result.unwrap_err();
        assert!(e.to_string().contains("STARTTLS"), "{e}");
        assert_eq!(seen.commands, ["EHLO distretto"]);
        assert!(seen.data.is_empty());
    }

    /// A certificate no trusted authority signed ends the conversation at the handshake.
    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        let offer = Offer {
            security: SmtpSecurity::StartTls,
            auth: "AUTH PLAIN",
        };
        let (seen, result) = submit(offer, "smtp+starttls://127.0.0.1:{port}", false).await;
        let e = result.unwrap_err();
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
        // Nothing after STARTTLS: the login and the message were never sent.
        assert_eq!(seen.commands, ["EHLO distretto", "STARTTLS"]);
        assert!(seen.data.is_empty());
    }

    /// With no AUTH mechanism the client knows, the password is not sent.
    #[tokio::test]
    async fn an_unknown_auth_mechanism_is_an_error() {
        let offer = Offer {
            security: SmtpSecurity::Tls,
            auth: "AUTH CRAM-MD5 XOAUTH2",
        };
        let (seen, result) = submit(offer, "smtps://127.0.0.1:{port}", true).await;
        let e = result.unwrap_err();
        assert!(e.to_string().contains("AUTH"), "{e}");
        assert_eq!(seen.commands, ["EHLO distretto"]);
    }
}
