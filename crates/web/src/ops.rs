//! Operations: `/healthz`, `/metrics` (Prometheus text), request accounting, security headers.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/metrics", axum::routing::get(metrics))
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Upper bounds (seconds) of the request duration histogram.
const BUCKETS_S: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
/// Distinct (method, route, status) series kept, a bound against label explosion.
const MAX_SERIES: usize = 2_000;

/// Request counters and a latency histogram, per method, route template and status.
///
/// Hand-written rather than the `metrics`/`prometheus` crates: a dozen lines of text format
/// are cheaper than their dependency trees for the few series we keep.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
}

#[derive(Default)]
struct MetricsInner {
    requests: BTreeMap<(String, String, u16), u64>,
    buckets: [u64; BUCKETS_S.len()],
    count: u64,
    sum_s: f64,
    jobs: BTreeMap<&'static str, JobFigures>,
}

/// One background job's steps (see [`crate::background`]).
#[derive(Default, Clone, Copy)]
struct JobFigures {
    ok: u64,
    failed: u64,
    /// Unix time of the last step that went through.
    last_ok_unix_s: Option<i64>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, elapsed_s: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        let key = (method.to_owned(), route.to_owned(), status);
        if m.requests.len() < MAX_SERIES || m.requests.contains_key(&key) {
            *m.requests.entry(key).or_default() += 1;
        }
        for (i, le) in BUCKETS_S.iter().enumerate() {
            if elapsed_s <= *le {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum_s += elapsed_s;
    }

    /// Counts one step of the background job `job`, done at `at_unix_s`: `ok` when it went
    /// through, `false` when it failed (logged by the job) and will be tried again.
    pub fn job_step(&self, job: &'static str, ok: bool, at_unix_s: i64) {
        let Ok(mut m) = self.inner.lock() else { return };
        let figures = m.jobs.entry(job).or_default();
        if ok {
            figures.ok += 1;
            figures.last_ok_unix_s = Some(at_unix_s);
        } else {
            figures.failed += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else { return out };
        out.push_str("# HELP distretto_http_requests_total HTTP requests answered.\n# TYPE distretto_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "distretto_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                route.replace('"', "'")
            );
        }
        out.push_str("# HELP distretto_http_request_duration_seconds Time to answer.\n# TYPE distretto_http_request_duration_seconds histogram\n");
        for (le, n) in BUCKETS_S.iter().zip(m.buckets.iter()) {
            let _ = writeln!(
                out,
                "distretto_http_request_duration_seconds_bucket{{le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "distretto_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            m.count
        );
        let _ = writeln!(
            out,
            "distretto_http_request_duration_seconds_sum {}",
            m.sum_s
        );
        let _ = writeln!(
            out,
            "distretto_http_request_duration_seconds_count {}",
            m.count
        );
        render_jobs(&mut out, &m.jobs);
        out
    }
}

/// The background jobs' steps and the time of each job's last step that went through.
fn render_jobs(out: &mut String, jobs: &BTreeMap<&'static str, JobFigures>) {
    use std::fmt::Write;
    out.push_str("# HELP distretto_job_steps_total Steps of the background jobs, by outcome.\n# TYPE distretto_job_steps_total counter\n");
    for (job, f) in jobs {
        let _ = writeln!(
            out,
            "distretto_job_steps_total{{job=\"{job}\",outcome=\"ok\"}} {}",
            f.ok
        );
        let _ = writeln!(
            out,
            "distretto_job_steps_total{{job=\"{job}\",outcome=\"failed\"}} {}",
            f.failed
        );
    }
    out.push_str("# HELP distretto_job_last_success_timestamp_seconds When each background job last went through (Unix time).\n# TYPE distretto_job_last_success_timestamp_seconds gauge\n");
    for (job, f) in jobs {
        if let Some(at) = f.last_ok_unix_s {
            let _ = writeln!(
                out,
                "distretto_job_last_success_timestamp_seconds{{job=\"{job}\"}} {at}"
            );
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.metrics.render();
    body.push_str("# HELP distretto_info Build and backend.\n# TYPE distretto_info gauge\n");
    body.push_str(&format!(
        "distretto_info{{version=\"{}\",backend=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION"),
        state.db.backend()
    ));
    body.push_str(&pool_text(&state.db.pool_figures()));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The database pools in Prometheus text: connections in use and idle, and each pool's
/// ceiling (a pool always at its ceiling is requests waiting for a connection).
fn pool_text(pools: &[distretto_store::PoolFigures]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# HELP distretto_db_connections Database connections open, by pool and state.
# TYPE distretto_db_connections gauge
",
    );
    for p in pools {
        let in_use = p.open.saturating_sub(p.idle);
        let _ = writeln!(
            out,
            "distretto_db_connections{{pool=\"{}\",state=\"in_use\"}} {in_use}",
            p.name
        );
        let _ = writeln!(
            out,
            "distretto_db_connections{{pool=\"{}\",state=\"idle\"}} {}",
            p.name, p.idle
        );
    }
    out.push_str(
        "# HELP distretto_db_connections_max The most connections each pool opens.
# TYPE distretto_db_connections_max gauge
",
    );
    for p in pools {
        let _ = writeln!(
            out,
            "distretto_db_connections_max{{pool=\"{}\"}} {}",
            p.name, p.max
        );
    }
    out
}

/// Counts and times every request under its route template (not its raw path).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed = start.elapsed().as_secs_f64();
    state.metrics.record(&method, &route, status, elapsed);
    if status >= 500 {
        tracing::warn!(%method, %route, status, elapsed_ms = elapsed * 1000.0, "request failed");
    } else if status == 408 {
        tracing::warn!(%method, %route, elapsed_ms = elapsed * 1000.0, "request cut by the timeout");
    } else if status == 401 || status == 403 {
        // Every denial is logged (issue 10); the audit log keeps only security events that
        // change something, so a flood of denials cannot grow it.
        tracing::warn!(target: "distretto::denied", %method, %route, status, "access denied");
    } else {
        tracing::debug!(%method, %route, status, elapsed_ms = elapsed * 1000.0, "request");
    }
    res
}

/// The `img-src` origin of the configured tile server (`{s}` subdomains become a wildcard).
pub fn tile_origin(tile_url: &str) -> String {
    let Some((scheme, rest)) = tile_url.split_once("://") else {
        return String::new();
    };
    let host = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .replace("{s}", "*");
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:*".contains(c))
    {
        return String::new();
    }
    format!("{scheme}://{host}")
}

/// Content-Security-Policy, nosniff, Referrer-Policy, frame-ancestors and friends on every answer.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let csp = format!(
        "default-src 'self'; img-src 'self' data: {}; style-src 'self'; script-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        tile_origin(&state.config.tile_url)
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn tile_origins() {
        assert_eq!(
            super::tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "https://tile.openstreetmap.org"
        );
        assert_eq!(
            super::tile_origin("https://{s}.tiles.example/{z}/{x}/{y}.png"),
            "https://*.tiles.example"
        );
        assert_eq!(super::tile_origin("javascript:alert(1)"), "");
    }

    #[test]
    fn metrics_render_counts() {
        let m = super::Metrics::default();
        m.record("GET", "/healthz", 200, 0.002);
        let text = m.render();
        assert!(text.contains(
            "distretto_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(text.contains("distretto_http_request_duration_seconds_count 1"));
    }

    /// Steps are counted by outcome; the last success keeps the time of the last step that
    /// went through, not of a later failure; a job that never went through has no time.
    #[test]
    fn metrics_render_job_steps() {
        let m = super::Metrics::default();
        m.job_step("votes_close", true, 1_000);
        m.job_step("votes_close", true, 1_030);
        m.job_step("votes_close", false, 1_060);
        m.job_step("impact_refresh", false, 1_000);
        let text = m.render();
        for line in [
            "distretto_job_steps_total{job=\"votes_close\",outcome=\"ok\"} 2",
            "distretto_job_steps_total{job=\"votes_close\",outcome=\"failed\"} 1",
            "distretto_job_last_success_timestamp_seconds{job=\"votes_close\"} 1030",
            "distretto_job_steps_total{job=\"impact_refresh\",outcome=\"failed\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        assert!(
            !text.contains("distretto_job_last_success_timestamp_seconds{job=\"impact_refresh\"}")
        );
    }
}
