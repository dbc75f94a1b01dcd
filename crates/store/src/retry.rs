//! Running a write again when the database cancelled it before anything was committed.
//!
//! One rule for every caller: PostgreSQL breaks a deadlock by cancelling one transaction
//! (`40P01`) and refuses a serializable one that conflicts (`40001`); a pool with no free
//! connection times out before anything begins. In all three cases nothing was written, so
//! the same work may be run again, a bounded number of times, a little later each time.

use crate::StoreError;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

/// An error that may say the database cancelled the work before committing any of it.
pub(crate) trait Cancelled {
    /// Whether nothing of the work was committed and it may be run again.
    fn cancelled_by_the_server(&self) -> bool;
}

impl Cancelled for sqlx::Error {
    fn cancelled_by_the_server(&self) -> bool {
        match self {
            sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40P01" | "40001")),
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        }
    }
}

impl Cancelled for StoreError {
    fn cancelled_by_the_server(&self) -> bool {
        matches!(self, StoreError::Sqlx(e) if e.cancelled_by_the_server())
    }
}

/// The wait before try `n + 1`: 5 ms × `n`.
fn pause(tries: u32) -> Duration {
    Duration::from_millis(5 * u64::from(tries))
}

/// Runs `attempt` until it succeeds, fails otherwise, or has been cancelled by the server
/// `tries` times (its last error is returned). `what` names the work in the warning logged
/// at each new try.
pub(crate) async fn when_cancelled<T, E, F, Fut>(
    tries: u32,
    what: &'static str,
    mut attempt: F,
) -> Result<T, E>
where
    E: Cancelled + Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut done = 0u32;
    loop {
        done += 1;
        match attempt().await {
            Err(e) if done < tries && e.cancelled_by_the_server() => {
                tracing::warn!(error = %e, tries = done, "{what} cancelled by the server; running it again");
                tokio::time::sleep(pause(done)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn runs_again_only_what_the_server_cancelled_and_only_so_often() {
        let calls = Cell::new(0u32);
        let r: Result<u32, sqlx::Error> = when_cancelled(3, "test", || {
            calls.set(calls.get() + 1);
            async { Err(sqlx::Error::PoolTimedOut) }
        })
        .await;
        assert!(matches!(r, Err(sqlx::Error::PoolTimedOut)));
        assert_eq!(calls.get(), 3);

        calls.set(0);
        let r: Result<u32, StoreError> = when_cancelled(3, "test", || {
            calls.set(calls.get() + 1);
            async { Err(StoreError::Conflict) }
        })
        .await;
        assert!(matches!(r, Err(StoreError::Conflict)));
        assert_eq!(
            calls.get(),
            1,
            "an error that is not a cancellation is not retried"
        );

        calls.set(0);
        let r: Result<u32, StoreError> = when_cancelled(5, "test", || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 3 {
                    Err(StoreError::Sqlx(sqlx::Error::PoolTimedOut))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
    }
}
