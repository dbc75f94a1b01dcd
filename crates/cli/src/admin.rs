//! `distretto admin …`: tasks for the people who run a deployment.

use crate::config::Settings;
use crate::{Failure, open_db};

/// Administration commands.
#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Create a person with a district role (the first administrator of a real deployment).
    CreateUser {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `administrator`, `coordinator` or `person`.
        #[arg(long, default_value = "administrator")]
        role: String,
        /// Password (default: a random one, printed once). Prefer the environment variable.
        #[arg(long, env = "DISTRETTO_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// `sqlite:PATH` or `postgres://…`.
        #[arg(long)]
        database: Option<String>,
    },
}

pub async fn run(settings: &Settings, cmd: AdminCommand) -> Result<(), Failure> {
    match cmd {
        AdminCommand::CreateUser {
            email,
            name,
            role,
            password,
            database,
        } => {
            let role = distretto_domain::membership::Role::parse(&role).ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown role {role}: use administrator, coordinator or person"
                ))
            })?;
            let email = distretto_domain::membership::Email::parse(&email)
                .map_err(|_| Failure::Usage("bad --email".into()))?;
            let name = distretto_domain::membership::parse_person_name(&name)
                .map_err(|_| Failure::Usage("bad --name".into()))?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (
                    distretto_web::auth::crypto::new_token()[..20].to_owned(),
                    true,
                ),
            };
            distretto_domain::membership::check_new_password(&password)
                .map_err(|_| Failure::Usage("the password needs at least 10 characters".into()))?;
            let db = open_db(settings, database.as_deref()).await?;
            let hash = distretto_web::auth::crypto::hash_password(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("hashing failed: {}", e.code))?;
            let id = distretto_web::membership::service::create_member(
                &db,
                &email.0,
                &name,
                &hash,
                role,
                &settings.currency(),
            )
            .await
            .map_err(|e| match e {
                distretto_store::StoreError::Conflict => {
                    Failure::Usage(format!("{} already exists", email.0))
                }
                other => Failure::Runtime(other.into()),
            })?;
            println!("created {} {} ({})", role.code(), email.0, id);
            if generated {
                println!("password: {password}");
            }
            db.close().await;
            Ok(())
        }
    }
}
