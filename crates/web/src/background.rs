//! The server's periodic jobs (closing due votes and cycles, charging instalments, settling
//! rounds, folding the journal into the impact aggregates…) and how they stop: `serve` turns
//! its [`StopSwitch`] after the last request, each job finishes the step it is in and returns,
//! and only then is the database closed. A step cut by a closed pool used to log a failure at
//! every early stop.

use std::time::Duration;
use tokio::sync::watch;

/// Told when the server stops; cheap to clone, one per job.
#[derive(Clone, Debug)]
pub struct Stop(watch::Receiver<bool>);

/// What `serve` keeps to stop its jobs.
#[derive(Debug)]
pub struct StopSwitch(watch::Sender<bool>);

impl StopSwitch {
    /// A switch, off, and the [`Stop`] its jobs watch.
    pub fn new() -> (Self, Stop) {
        let (tx, rx) = watch::channel(false);
        (Self(tx), Stop(rx))
    }

    /// Tells every job to return after its current step.
    pub fn stop(&self) {
        // Without a job watching any more there is no one to tell: nothing to do.
        let _ = self.0.send(true);
    }
}

impl Stop {
    /// Resolves once the server stops (also when the switch is gone).
    pub async fn stopped(&mut self) {
        // An error means the switch was dropped: the server is stopping too.
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// The ticks of the periodic job `job` (its name in `/metrics`): the first at once, then
/// every `period`, until `stop`. A job runs
/// `while ticks.next().await { step; ticks.done(&state, ok) }`: a step under way always
/// finishes, and none starts once the server stops.
pub fn every(job: &'static str, period: Duration, stop: Stop) -> Ticks {
    let mut tick = tokio::time::interval(period);
    // A step longer than the period is followed by a whole period, not a burst of steps.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Ticks { job, tick, stop }
}

/// See [`every`].
#[derive(Debug)]
pub struct Ticks {
    job: &'static str,
    tick: tokio::time::Interval,
    stop: Stop,
}

impl Ticks {
    /// Counts the step just run as gone through (`ok`) or failed, for `/metrics`.
    pub fn done(&self, state: &crate::AppState, ok: bool) {
        state
            .metrics
            .job_step(self.job, ok, distretto_store::now().unix_timestamp());
    }

    /// Waits for the next tick: `true` to run a step, `false` once the server stops.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            biased;
            () = self.stop.stopped() => false,
            _ = self.tick.tick() => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A step under way when the server stops runs to its end, and none starts after.
    #[tokio::test]
    async fn a_step_under_way_finishes_and_no_other_starts() {
        let (switch, stop) = StopSwitch::new();
        let started = Arc::new(AtomicU32::new(0));
        let finished = Arc::new(AtomicU32::new(0));
        let (s, f) = (started.clone(), finished.clone());
        let job = tokio::spawn(async move {
            let mut ticks = every("test", Duration::from_secs(60), stop);
            while ticks.next().await {
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                f.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The first step starts at once; stop while it sleeps (300 ms).
        tokio::time::timeout(Duration::from_secs(30), async {
            while started.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the first step started");
        switch.stop();
        job.await.unwrap();
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the step ran to its end"
        );
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "no step started after the stop"
        );
    }

    /// Between steps, a stop ends the job at once instead of at the next tick.
    #[tokio::test]
    async fn a_stop_between_steps_ends_the_job_at_once() {
        let (switch, stop) = StopSwitch::new();
        let steps = Arc::new(AtomicU32::new(0));
        let s = steps.clone();
        let job = tokio::spawn(async move {
            let mut ticks = every("test", Duration::from_secs(3600), stop);
            while ticks.next().await {
                s.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        switch.stop();
        // Well before the next tick, an hour away.
        tokio::time::timeout(Duration::from_secs(30), job)
            .await
            .expect("the job ended at the stop")
            .unwrap();
        assert_eq!(steps.load(Ordering::SeqCst), 1);
    }

    /// A dropped switch stops the jobs too.
    #[tokio::test]
    async fn a_dropped_switch_stops_the_job() {
        let (switch, stop) = StopSwitch::new();
        let job = tokio::spawn(async move {
            let mut ticks = every("test", Duration::from_secs(60), stop);
            while ticks.next().await {}
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(switch);
        tokio::time::timeout(Duration::from_secs(30), job)
            .await
            .expect("the job ended with its switch")
            .unwrap();
    }
}
