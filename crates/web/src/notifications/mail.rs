//! Handing e-mails to a transport: a directory of `.eml` files (tests, demos, or a spool a
//! local mailer picks up) or an SMTP relay.
//!
//! The SMTP client is written here rather than taken from `lettre`: it speaks the dozen lines of
//! plain SMTP a local relay (Postfix, OpenSMTPD, msmtpd on `localhost:25`) needs, while
//! `lettre` would bring a TLS stack into every build. The relay does TLS and authentication
//! towards the world, as mail servers on a platform's host usually do.

use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where e-mails go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MailTransport {
    /// Nowhere: notifications stay on the platform.
    #[default]
    None,
    /// One RFC 5322 file per message in this directory.
    File(PathBuf),
    /// A plain SMTP relay.
    Smtp {
        /// Host name or address.
        host: String,
        /// Port (25 by default).
        port: u16,
    },
}

impl MailTransport {
    /// Parses `none`, `file:DIR` or `smtp://HOST[:PORT]`.
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
        if let Some(rest) = text.strip_prefix("smtp://") {
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse().map_err(|_| format!("bad SMTP port in {text}"))?,
                ),
                None => (rest, 25),
            };
            if host.is_empty() {
                return Err("smtp:// needs a host".into());
            }
            return Ok(Self::Smtp {
                host: host.to_owned(),
                port,
            });
        }
        Err(format!(
            "unknown mail transport {text} (none, file:DIR or smtp://HOST:PORT)"
        ))
    }
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

/// Hands a message to the transport.
pub async fn send(transport: &MailTransport, m: &Message) -> std::io::Result<()> {
    let text = render(m, time::OffsetDateTime::now_utc());
    match transport {
        MailTransport::None => Ok(()),
        MailTransport::File(dir) => {
            tokio::fs::create_dir_all(dir).await?;
            let name = address(&m.id);
            let partial = dir.join(format!(".{name}.eml.part"));
            tokio::fs::write(&partial, text.as_bytes()).await?;
            tokio::fs::rename(&partial, dir.join(format!("{name}.eml"))).await
        }
        MailTransport::Smtp { host, port } => {
            let (from, to) = (address(&m.from), address(&m.to));
            let talk = smtp(host, *port, &from, &to, &text);
            tokio::time::timeout(Duration::from_secs(30), talk)
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "SMTP timeout"))?
        }
    }
}

fn refused(step: &str, reply: &str) -> std::io::Error {
    std::io::Error::other(format!("SMTP {step} refused: {}", reply.trim()))
}

/// Reads one (possibly multi-line) SMTP reply; its code must start with `expect`.
async fn reply(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    step: &str,
    expect: char,
) -> std::io::Result<()> {
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(refused(step, "connection closed"));
        }
        // "250-…" continues, "250 …" ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            return if line.starts_with(expect) {
                Ok(())
            } else {
                Err(refused(step, &line))
            };
        }
    }
    Err(refused(step, "reply too long"))
}

/// One plain SMTP conversation delivering `text` from `from` to `to`.
async fn smtp(host: &str, port: u16, from: &str, to: &str, text: &str) -> std::io::Result<()> {
    let stream = TcpStream::connect((host, port)).await?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    reply(&mut reader, "greeting", '2').await?;
    write.write_all(b"EHLO distretto\r\n").await?;
    reply(&mut reader, "EHLO", '2').await?;
    write
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await?;
    reply(&mut reader, "MAIL FROM", '2').await?;
    write
        .write_all(format!("RCPT TO:<{to}>\r\n").as_bytes())
        .await?;
    reply(&mut reader, "RCPT TO", '2').await?;
    write.write_all(b"DATA\r\n").await?;
    reply(&mut reader, "DATA", '3').await?;
    // Dot-stuffing: a line starting with '.' gets one more.
    let stuffed = text.replace("\r\n.", "\r\n..");
    let stuffed = stuffed
        .strip_prefix('.')
        .map_or(stuffed.clone(), |rest| format!("..{rest}"));
    write.write_all(stuffed.as_bytes()).await?;
    write.write_all(b".\r\n").await?;
    reply(&mut reader, "message", '2').await?;
    write.write_all(b"QUIT\r\n").await?;
    // The relay accepted the message; a missing goodbye is not a failure.
    let _ = reply(&mut reader, "QUIT", '2').await;
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
        assert_eq!(
            MailTransport::parse("smtp://localhost:2525"),
            Ok(MailTransport::Smtp {
                host: "localhost".into(),
                port: 2525
            })
        );
        assert_eq!(
            MailTransport::parse("smtp://relay"),
            Ok(MailTransport::Smtp {
                host: "relay".into(),
                port: 25
            })
        );
        assert!(MailTransport::parse("smtp://x:y").is_err());
        assert!(MailTransport::parse("pigeon://x").is_err());
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
        let transport = MailTransport::Smtp {
            host: "127.0.0.1".into(),
            port,
        };
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
        let transport = MailTransport::Smtp {
            host: "127.0.0.1".into(),
            port,
        };
        let e = send(&transport, &message()).await.unwrap_err();
        assert!(e.to_string().contains("554"), "{e}");
    }
}
