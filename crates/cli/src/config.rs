//! Typed settings: defaults, then a TOML file, then `DISTRETTO_*` environment variables, then
//! command-line flags. Secrets (the database URL may hold a password) are never printed.

use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// Everything the server can be configured with.
#[derive(Debug, serde::Deserialize)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite:PATH` or `postgres://…`.
    pub database_url: SecretString,
    /// Pooled database connections.
    pub max_connections: u32,
    /// The district's name.
    pub district_name: String,
    /// The address users reach the server at.
    pub public_url: String,
    /// `fr`, `it` or `en`.
    pub default_language: String,
    /// District currency code (stored on accounts: never change it once money moved).
    pub currency_code: String,
    /// District currency name, e.g. "Credito".
    pub currency_name: String,
    /// Symbol shown beside amounts.
    pub currency_symbol: String,
    /// Decimals of the minor unit (2: 1 unit = 100 minor units).
    pub currency_scale: u8,
    /// ISO 3166 country code.
    pub country: String,
    /// Map tiles URL template.
    pub tile_url: String,
    /// Tiles attribution text.
    pub tile_attribution: String,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Browser session lifetime in hours.
    pub session_ttl_hours: i64,
    /// Where notification e-mails go: `none`, `file:DIR`, `smtp://HOST:PORT` (a local relay),
    /// `smtp+starttls://HOST:PORT` or `smtps://HOST:PORT` (a submission server over TLS).
    pub mail_transport: String,
    /// The login on the SMTP server (empty: none; only over TLS).
    pub mail_username: String,
    /// Its password (a secret: never printed).
    pub mail_password: SecretString,
    /// The sender address of notification e-mails.
    pub mail_from: String,
    /// Seconds a payment to another district waits for that district to prepare it before it
    /// is aborted (5 to 3600).
    pub federation_payment_timeout_secs: i64,
    /// Days between the clearing rounds this district starts with its linked districts (0:
    /// only when a coordinator starts one; at most 366).
    pub federation_clearing_every_days: i64,
    /// Comma-separated addresses of the reverse proxies in front (e.g. `127.0.0.1,::1`): the
    /// client address of a request from one of them is taken from `X-Forwarded-For`. Empty:
    /// the socket's peer is the client.
    pub trusted_proxies: String,
}

/// The default SQLite file, under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:./data/distretto.db";

impl Settings {
    /// Loads the settings from `file` (if given or if `./distretto.toml` exists) and the environment.
    /// A key the file does not know is refused, naming it: a misspelt setting would otherwise
    /// be ignored without a word (the environment is not checked: other `DISTRETTO_*`
    /// variables, such as `DISTRETTO_LOG`, are not settings).
    pub fn load(file: Option<&PathBuf>) -> Result<Self, config::ConfigError> {
        type Table = std::collections::HashMap<String, config::Value>;
        let known: Table = Self::defaults()?.build()?.try_deserialize()?;
        // Read once: the same contents are checked for unknown keys and then layered.
        let from_file = config::Config::builder()
            .add_source(Self::file_source(file))
            .build()?;
        let file_only = from_file.clone().try_deserialize::<Table>()?;
        if let Some(unknown) = file_only.keys().find(|k| !known.contains_key(*k)) {
            let name = file.map_or_else(|| "distretto.toml".into(), |p| p.display().to_string());
            return Err(config::ConfigError::Message(format!(
                "unknown setting {unknown:?} in {name} (see the README's table of every setting)"
            )));
        }
        Self::defaults()?
            .add_source(from_file)
            .add_source(config::Environment::with_prefix("DISTRETTO").try_parsing(true))
            .build()?
            .try_deserialize()
    }

    /// The file to read: the one given, or `./distretto.toml` when it exists.
    fn file_source(
        file: Option<&PathBuf>,
    ) -> config::File<config::FileSourceFile, config::FileFormat> {
        match file {
            Some(path) => config::File::from(path.as_path()).required(true),
            None => config::File::with_name("distretto.toml").required(false),
        }
    }

    /// Every setting with its default (and so the names a file may use).
    fn defaults()
    -> Result<config::builder::ConfigBuilder<config::builder::DefaultState>, config::ConfigError>
    {
        config::Config::builder()
            .set_default("bind", "127.0.0.1:8080")?
            .set_default("database_url", DEFAULT_DATABASE_URL)?
            .set_default("max_connections", 16)?
            .set_default("district_name", "Distretto")?
            .set_default("public_url", "")?
            .set_default("default_language", "fr")?
            .set_default("currency_code", "CRD")?
            .set_default("currency_name", "Credito")?
            .set_default("currency_symbol", "Cr")?
            .set_default("currency_scale", 2)?
            .set_default("country", "IT")?
            .set_default("tile_url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")?
            .set_default("tile_attribution", "© OpenStreetMap contributors")?
            .set_default("log_format", "text")?
            .set_default("session_ttl_hours", 168)?
            .set_default("mail_transport", "none")?
            .set_default("mail_from", "distretto@localhost")?
            .set_default("mail_username", "")?
            .set_default("mail_password", "")?
            .set_default("federation_payment_timeout_secs", 30)?
            .set_default("federation_clearing_every_days", 0)?
            .set_default("trusted_proxies", "")
    }

    /// The database URL (a secret: may hold a password).
    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    /// The district currency. The configuration is checked at start-up ([`Settings::check`]).
    pub fn currency(&self) -> distretto_domain::ledger::Currency {
        distretto_domain::ledger::Currency::new(
            &self.currency_code,
            &self.currency_name,
            &self.currency_symbol,
            self.currency_scale,
        )
        .unwrap_or_else(|_| distretto_domain::ledger::Currency {
            code: self.currency_code.clone(),
            name: self.currency_name.clone(),
            symbol: self.currency_symbol.clone(),
            scale: self
                .currency_scale
                .min(distretto_domain::ledger::money::MAX_SCALE),
        })
    }

    /// Where notification e-mails go, with the SMTP login if one is set.
    pub fn mail_transport(
        &self,
    ) -> Result<distretto_web::notifications::mail::MailTransport, String> {
        distretto_web::notifications::mail::MailTransport::parse(&self.mail_transport)?
            .with_login(&self.mail_username, self.mail_password.expose_secret())
    }

    /// The addresses of `trusted_proxies`.
    pub fn trusted_proxies(&self) -> Result<Vec<std::net::IpAddr>, String> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(64)
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("trusted_proxies: {s:?} is not an IP address"))
            })
            .collect()
    }

    /// Refuses settings that would corrupt data (a bad currency) or weaken the throttle (a
    /// proxy address that does not parse).
    pub fn check(&self) -> Result<(), String> {
        self.mail_transport()?;
        self.trusted_proxies()?;
        self.check_choices()?;
        distretto_domain::ledger::Currency::new(
            &self.currency_code,
            &self.currency_name,
            &self.currency_symbol,
            self.currency_scale,
        )
        .map(|_| ())
        .map_err(|e| format!("bad currency setting ({})", e.code))
    }

    /// Refuses a language or log format we do not have, and numbers out of their range,
    /// instead of quietly using another value.
    fn check_choices(&self) -> Result<(), String> {
        if distretto_web::i18n::Lang::parse(&self.default_language).is_none() {
            return Err(format!(
                "default_language: {:?} is not one of fr, it, en",
                self.default_language
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(format!(
                "log_format: {:?} is not text or json",
                self.log_format
            ));
        }
        let ranges: [(&str, i64, i64, i64); 4] = [
            ("max_connections", i64::from(self.max_connections), 1, 1_000),
            ("session_ttl_hours", self.session_ttl_hours, 1, 24 * 90),
            (
                "federation_payment_timeout_secs",
                self.federation_payment_timeout_secs,
                5,
                3_600,
            ),
            (
                "federation_clearing_every_days",
                self.federation_clearing_every_days,
                0,
                366,
            ),
        ];
        for (name, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                return Err(format!("{name}: {value} is not between {low} and {high}"));
            }
        }
        Ok(())
    }

    /// The web layer's part of the settings.
    pub fn web(&self) -> distretto_web::WebConfig {
        let public_url = if self.public_url.is_empty() {
            format!("http://{}", self.bind)
        } else {
            self.public_url.clone()
        };
        distretto_web::WebConfig {
            district_name: self.district_name.clone(),
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            tile_url: self.tile_url.clone(),
            tile_attribution: self.tile_attribution.clone(),
            default_lang: distretto_web::i18n::Lang::parse(&self.default_language)
                .unwrap_or(distretto_web::i18n::Lang::Fr),
            currency: self.currency(),
            country_iso_3166: self.country.clone(),
            session_ttl_hours: self.session_ttl_hours.clamp(1, 24 * 90),
            api_token_ttl_days: 30,
            mail_transport: self.mail_transport().unwrap_or_default(),
            mail_from: self.mail_from.clone(),
            federation_payment_timeout_secs: self.federation_payment_timeout_secs.clamp(5, 3600),
            federation_clearing_every_days: self.federation_clearing_every_days.clamp(0, 366),
            trusted_proxies: self.trusted_proxies().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The file's values lie over the defaults, and a key the file leaves out keeps its default.
    #[test]
    fn a_file_setting_lies_over_its_default() {
        let path =
            std::env::temp_dir().join(format!("distretto-settings-{}.toml", std::process::id()));
        std::fs::write(&path, "max_connections = 7\ndistrict_name = \"Valle\"\n").unwrap();
        let settings = Settings::load(Some(&path)).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(settings.max_connections, 7);
        assert_eq!(settings.district_name, "Valle");
        assert_eq!(settings.session_ttl_hours, 168);
    }

    /// An SMTP login is taken over TLS and refused over plain SMTP, at the start-up check.
    #[test]
    fn an_smtp_login_needs_tls() {
        use distretto_web::notifications::mail::MailTransport;
        let load = |toml: &str| {
            let path = std::env::temp_dir().join(format!(
                "distretto-mail-{}-{}.toml",
                std::process::id(),
                toml.len()
            ));
            std::fs::write(&path, toml).unwrap();
            let settings = Settings::load(Some(&path)).unwrap();
            std::fs::remove_file(&path).unwrap();
            settings
        };
        let tls = load(
            "mail_transport = \"smtp+starttls://mail.example.org\"\nmail_username = \"anna\"\nmail_password = \"s3cret\"\n",
        );
        tls.check().unwrap();
        let MailTransport::Smtp(server) = tls.mail_transport().unwrap() else {
            panic!("an SMTP transport")
        };
        assert_eq!(server.port, 587);
        assert_eq!(server.login.unwrap().username, "anna");
        let plain = load(
            "mail_transport = \"smtp://mail.example.org\"\nmail_username = \"anna\"\nmail_password = \"s3cret\"\n",
        );
        let e = plain.check().unwrap_err();
        assert!(e.contains("TLS"), "{e}");
    }
}
