//! Static assets (CSS, JS, Leaflet, htmx, icons) embedded in the binary with long caching.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new().route("/assets/{*path}", axum::routing::get(asset))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") | None => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mut res = file.data.into_owned().into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            res
        }
        None => crate::AppError::not_found().into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn vendored_assets_are_embedded() {
        for path in [
            "app.css",
            "app.js",
            "map.js",
            "favicon.svg",
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/leaflet.css",
            "vendor/htmx/htmx.min.js",
        ] {
            assert!(
                super::Assets::get(path).is_some(),
                "{path} missing from the binary"
            );
        }
        assert_eq!(
            super::content_type("vendor/leaflet/leaflet.css"),
            "text/css; charset=utf-8"
        );
    }
}
