/*
 * Distretto map: progressive enhancement over a server-rendered list.
 *
 * For every [data-map] element:
 *   data-points="/api/..."  JSON {"items":[{id,name,kind,sector,locality,lat,lon,url}],"total":N}
 *   or data-lat, data-lon, data-name (and optional data-kind, data-url) for one pin;
 *   data-tiles="https://tile.example/{z}/{x}/{y}.png"  (optional: no tiles without it)
 *   data-attribution="© OpenStreetMap contributors"      (plain text, escaped here)
 *   data-label="Map of member organisations"             (accessible name of the map region)
 *   data-kind-labels='{"farm":"Farm",...}'               (optional, translated kind names)
 *   data-zoom="15"                                       (optional, zoom for a single pin)
 * Two ways to lay it out:
 *   - <div data-map class="map-canvas" role="region" aria-label="…">fallback</div>:
 *     the element becomes the map; its content is moved into a div.map-fallback
 *     placed right after it.
 *   - <section data-map …><div class="map-fallback" id="map-list">list</div></section>:
 *     a div.map-canvas (role="region", aria-label from data-label) is inserted before
 *     the fallback.
 * The fallback stays in the DOM: once the map is drawn it gets .is-behind-map, which
 * app.css hides visually only, and shows again when a "show as list" link targets it
 * (#map-list) or keyboard focus enters it. Without Leaflet, or when the points cannot
 * be fetched, nothing changes and the fallback stays on screen.
 *
 * Points are drawn on one canvas (preferCanvas) and added in chunks, so tens of
 * thousands of them neither create DOM nodes nor freeze the page. One shared popup
 * is built on click, with textContent only.
 */
(function () {
  "use strict";

  // Same colours as .kind-* in app.css.
  var KIND_COLOURS = {
    worker_coop: "#b71c1c",
    consumer_coop: "#0d47a1",
    producer_coop: "#bf360c",
    multi_stakeholder_coop: "#6a1b9a",
    social_enterprise: "#00695c",
    association: "#ad1457",
    community_group: "#5d4037",
    farm: "#2e7d32",
    purchasing_group: "#7a5c00",
    public_partner: "#37474f"
  };
  var OTHER_COLOUR = "#424242";
  var CHUNK = 5000; // markers added per animation frame
  var MAX_POINTS = 200000; // a bound on the work done for one response

  function colourOf(kind) {
    return Object.prototype.hasOwnProperty.call(KIND_COLOURS, kind) ? KIND_COLOURS[kind] : OTHER_COLOUR;
  }

  // Leaflet's attribution control takes HTML: pass it text only.
  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  // Only http(s) links (relative ones resolve against the page) go into popups.
  function safeUrl(url) {
    if (typeof url !== "string" || url === "") return null;
    try {
      var u = new URL(url, window.location.href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function validPoint(item) {
    if (!item || typeof item !== "object") return false;
    var lat = Number(item.lat);
    var lon = Number(item.lon);
    return item.lat !== null && item.lon !== null && isFinite(lat) && isFinite(lon) &&
      lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
  }

  function readKindLabels(el) {
    var raw = el.getAttribute("data-kind-labels");
    if (!raw) return {};
    try {
      var parsed = JSON.parse(raw);
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};
    }
  }

  function kindLabel(labels, kind) {
    if (typeof kind !== "string" || kind === "") return "";
    return Object.prototype.hasOwnProperty.call(labels, kind) ? String(labels[kind]) : kind.replace(/_/g, " ");
  }

  // Popup content as DOM nodes: no data ever goes through innerHTML.
  function popupContent(item, labels) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("div");
    title.className = "map-popup-title";
    var href = safeUrl(item.url);
    var name = item.name == null ? "" : String(item.name);
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = name;
      title.appendChild(a);
    } else {
      title.textContent = name;
    }
    box.appendChild(title);
    var label = kindLabel(labels, item.kind);
    if (label) {
      var p = document.createElement("p");
      var badge = document.createElement("span");
      badge.className = "kind-badge kind-" + String(item.kind).replace(/[^a-z0-9_]/g, "");
      badge.textContent = label;
      p.appendChild(badge);
      box.appendChild(p);
    }
    var details = [item.sector, item.locality].filter(function (v) {
      return typeof v === "string" && v !== "";
    });
    if (details.length) {
      var d = document.createElement("p");
      d.textContent = details.join(" · ");
      box.appendChild(d);
    }
    return box;
  }

  function pointsFromAttributes(el) {
    var item = {
      name: el.getAttribute("data-name") || "",
      kind: el.getAttribute("data-kind") || "",
      lat: el.getAttribute("data-lat"),
      lon: el.getAttribute("data-lon"),
      url: el.getAttribute("data-url") || ""
    };
    return validPoint(item) ? [item] : [];
  }

  function fetchPoints(url) {
    if (!window.fetch) return Promise.reject(new Error("no fetch"));
    return window.fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      if (!body || !Array.isArray(body.items)) throw new Error("unexpected response");
      var out = [];
      var n = Math.min(body.items.length, MAX_POINTS);
      for (var i = 0; i < n; i++) {
        if (validPoint(body.items[i])) out.push(body.items[i]);
      }
      return out;
    });
  }

  function boundsOf(L, items) {
    var s = 90, w = 180, n = -90, e = -180;
    for (var i = 0; i < items.length; i++) {
      var lat = Number(items[i].lat), lon = Number(items[i].lon);
      if (lat < s) s = lat;
      if (lat > n) n = lat;
      if (lon < w) w = lon;
      if (lon > e) e = lon;
    }
    return L.latLngBounds([s, w], [n, e]);
  }

  function nextFrame(fn) {
    if (window.requestAnimationFrame) window.requestAnimationFrame(fn);
    else window.setTimeout(fn, 16);
  }

  function buildMap(el, items) {
    var L = window.L;
    var labels = readKindLabels(el);
    var fallback = el.querySelector(".map-fallback");
    var canvas;
    var selfIsCanvas = el.classList.contains("map-canvas");
    if (selfIsCanvas) {
      // The [data-map] element is the map itself: move what the server put inside it
      // out, just after it, so Leaflet's panes neither cover nor trap it.
      canvas = el;
      if (!fallback) {
        fallback = document.createElement("div");
        fallback.className = "map-fallback";
        while (el.firstChild) fallback.appendChild(el.firstChild);
      }
      el.parentNode.insertBefore(fallback, el.nextSibling);
    } else {
      // The [data-map] element wraps the fallback: the map goes in before it.
      canvas = document.createElement("div");
      canvas.className = "map-canvas";
      el.insertBefore(canvas, fallback || el.firstChild);
    }
    if (!canvas.hasAttribute("role")) canvas.setAttribute("role", "region");
    if (!canvas.hasAttribute("aria-label") && !canvas.hasAttribute("aria-labelledby")) {
      canvas.setAttribute("aria-label", el.getAttribute("data-label") || "Map");
    }

    var map;
    try {
      map = L.map(canvas, { preferCanvas: true, zoomControl: true, worldCopyJump: true });
      var tiles = el.getAttribute("data-tiles");
      if (tiles) {
        L.tileLayer(tiles, {
          maxZoom: 19,
          attribution: escapeHtml(el.getAttribute("data-attribution") || "")
        }).addTo(map);
      }

      if (items.length === 1) {
        var z = parseInt(el.getAttribute("data-zoom") || "15", 10);
        map.setView([Number(items[0].lat), Number(items[0].lon)], isFinite(z) ? z : 15);
      } else {
        map.fitBounds(boundsOf(L, items), { padding: [24, 24], maxZoom: 16 });
      }

      var renderer = L.canvas({ padding: 0.1 });
      var many = items.length > CHUNK;
      var radius = many ? 4 : items.length > 500 ? 6 : 8;
      if (many) {
        // Chunks of neighbouring points: each frame then redraws one strip of the
        // canvas instead of all the points added so far.
        items.sort(function (a, b) { return Number(a.lon) - Number(b.lon); });
      }
      var styles = {};
      var styleOf = function (kind) {
        var key = colourOf(kind);
        if (!styles[key]) {
          styles[key] = {
            renderer: renderer,
            radius: radius,
            stroke: !many, // one fill per point is half the drawing work
            color: "#ffffff",
            weight: 1,
            fillColor: key,
            fillOpacity: 0.9
          };
        }
        return styles[key];
      };

      var group = L.featureGroup().addTo(map);
      var popup = L.popup({ maxWidth: 280, autoPanPadding: [16, 16] });
      group.on("click", function (ev) {
        var marker = ev.propagatedFrom || ev.layer;
        if (!marker || !marker.feature) return;
        popup.setLatLng(marker.getLatLng())
          .setContent(popupContent(marker.feature, labels))
          .openOn(map);
      });

      var i = 0;
      var step = function () {
        var end = Math.min(i + CHUNK, items.length);
        try {
          for (; i < end; i++) {
            var item = items[i];
            var marker = L.circleMarker([Number(item.lat), Number(item.lon)], styleOf(item.kind));
            marker.feature = item;
            group.addLayer(marker);
          }
        } catch (err) {
          return; // keep what was drawn; the list is still there
        }
        if (i < items.length) nextFrame(step);
        else el.setAttribute("data-map-state", "ready");
      };
      step();
    } catch (err) {
      // Leaflet failed: undo everything so the server-rendered list is what people see.
      if (map) {
        try { map.remove(); } catch (e) { /* already broken */ }
      }
      if (selfIsCanvas) {
        if (fallback) el.appendChild(fallback);
      } else if (canvas.parentNode) {
        canvas.parentNode.removeChild(canvas);
      }
      el.setAttribute("data-map-state", "failed");
      return;
    }
    el.classList.add("is-map-ready");
    // Off screen, still read by screen readers; app.css brings it back on focus or #target.
    if (fallback) fallback.classList.add("is-behind-map");
    // The canvas had no size until now if it was laid out while hidden.
    map.invalidateSize();
  }

  function initOne(el) {
    if (el.hasAttribute("data-map-state")) return; // already done (or in progress)
    el.setAttribute("data-map-state", "loading");
    var pointsUrl = el.getAttribute("data-points");
    var loading = pointsUrl ? fetchPoints(pointsUrl) : Promise.resolve(pointsFromAttributes(el));
    loading.then(function (items) {
      if (!items.length) {
        el.setAttribute("data-map-state", "empty");
        return;
      }
      buildMap(el, items);
    }, function () {
      el.setAttribute("data-map-state", "failed");
    });
  }

  function init(root) {
    if (!window.L || typeof window.L.map !== "function" || !window.Promise) return;
    var scope = root && root.querySelectorAll ? root : document;
    var els = scope.querySelectorAll("[data-map]");
    for (var i = 0; i < els.length; i++) initOne(els[i]);
    if (scope !== document && scope.matches && scope.matches("[data-map]")) initOne(scope);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Content swapped in by htmx may carry a map too.
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
})();
