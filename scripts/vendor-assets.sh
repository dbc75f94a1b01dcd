#!/usr/bin/env bash
# Copies the browser libraries the web crate embeds from node_modules into
# crates/web/assets/vendor/. The copies are committed, so building the Rust
# crates never needs npm or the network; run this only after changing the
# versions in package.json (then `npm install`, then this script, then commit).
#
# Idempotent: the vendor folders are rebuilt from scratch on every run, so a
# file dropped upstream does not linger here.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/node_modules"
dst="$root/crates/web/assets/vendor"

if [[ ! -d "$src/leaflet/dist" || ! -d "$src/htmx.org/dist" ]]; then
  echo "vendor-assets: node_modules is missing leaflet or htmx.org;" >&2
  echo "  run: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund" >&2
  exit 1
fi

version_of() {
  node -p "require('$src/$1/package.json').version"
}

rm -rf "$dst/leaflet" "$dst/htmx"
mkdir -p "$dst/leaflet/images" "$dst/htmx"

cp "$src/leaflet/dist/leaflet.js" "$dst/leaflet/leaflet.js"
cp "$src/leaflet/dist/leaflet.css" "$dst/leaflet/leaflet.css"
cp "$src/leaflet/dist/images/"*.png "$dst/leaflet/images/"
cp "$src/leaflet/LICENSE" "$dst/leaflet/LICENSE"

cp "$src/htmx.org/dist/htmx.min.js" "$dst/htmx/htmx.min.js"
cp "$src/htmx.org/LICENSE" "$dst/htmx/LICENSE"

cat > "$dst/VERSIONS" <<VERSIONS
leaflet $(version_of leaflet) (BSD-2-Clause)
htmx.org $(version_of htmx.org) (0BSD)
VERSIONS

echo "vendor-assets: copied into ${dst#"$root"/}:"
(cd "$dst" && find . -type f | sort | sed 's|^\./|  |')
