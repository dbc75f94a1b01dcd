//! Secrets: random tokens, their stored hashes, CSRF tokens and argon2id passwords.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG (through rand's thread generator).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rng().fill_bytes(&mut out);
    out
}

/// A new secret token for a cookie, an API token or an invitation: 256 bits, hex.
pub fn new_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// What the database keeps of a token: its SHA-256, so a leaked table signs nobody in.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token bound to a browser: HMAC-SHA256 of its session (or anonymous) cookie.
pub fn csrf_token(key: &[u8; 32], binding: &str) -> String {
    // Hmac::new_from_slice only fails for key sizes HMAC cannot take; 32 bytes always works.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(binding.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Hashes a password with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane: the
/// argon2 crate's defaults), off the async threads.
pub async fn hash_password(password: String) -> Result<String, crate::AppError> {
    tokio::task::spawn_blocking(move || {
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| crate::AppError::internal())?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        crate::AppError::internal()
    })
}

/// Checks a password against a stored PHC hash, off the async threads. A malformed hash is a no.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the e-mail is unknown so that timing
/// does not tell which addresses are registered.
pub static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    argon2::Argon2::default()
        .hash_password(new_token().as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn csrf_tokens_bind_to_their_cookie() {
        let key = [7u8; 32];
        let t = csrf_token(&key, "a:123");
        assert!(same_secret(&t, &csrf_token(&key, "a:123")));
        assert!(!same_secret(&t, &csrf_token(&key, "a:124")));
        assert!(!same_secret(&t, &csrf_token(&[8u8; 32], "a:123")));
        assert!(!same_secret(&t, ""));
    }
}
