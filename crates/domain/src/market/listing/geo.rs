//! Distances on the Earth's surface, and the latitude/longitude box around a point that a
//! database index can range-scan before the exact distance is taken.

/// The mean Earth radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A position in degrees, checked to lie on the globe.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoPoint {
    /// Latitude, −90..=90.
    pub lat: f64,
    /// Longitude, −180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// A point, or `None` outside the globe (or not a number).
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            .then_some(Self { lat, lon })
    }
}

/// The great-circle distance between two points, in km (haversine formula).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A latitude/longitude rectangle, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lon: f64,
    /// Eastern edge.
    pub max_lon: f64,
}

impl BoundingBox {
    /// The smallest box holding every point within `radius_km` of `centre` (clamped at the poles
    /// and at ±180°: a district never straddles the antimeridian, and a wider box only costs a
    /// few more rows to check).
    pub fn around(centre: GeoPoint, radius_km: f64) -> Self {
        let radius_km = radius_km.max(0.0);
        let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
        let min_lat = (centre.lat - dlat).max(-90.0);
        let max_lat = (centre.lat + dlat).min(90.0);
        // The widest circle of longitude is at the latitude farthest from the equator.
        let widest = min_lat.abs().max(max_lat.abs()).to_radians().cos();
        let (min_lon, max_lon) = if widest < 1e-6 {
            (-180.0, 180.0)
        } else {
            let dlon = (radius_km / (EARTH_RADIUS_KM * widest)).to_degrees();
            (
                (centre.lon - dlon).max(-180.0),
                (centre.lon + dlon).min(180.0),
            )
        };
        Self {
            min_lat,
            max_lat,
            min_lon,
            max_lon,
        }
    }

    /// Whether `p` lies inside (edges included).
    pub fn contains(&self, p: GeoPoint) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

/// The factor that turns a longitude difference into a latitude-equivalent one near `lat`:
/// the database orders by `dlat² + (k·dlon)²` with this `k`, which ranks points in the same
/// order as their distance within a district's radius, using plain arithmetic both backends
/// have (SQLite is built without trigonometric functions).
pub fn lon_scale(lat: f64) -> f64 {
    lat.to_radians().cos().max(1e-6)
}

/// The grid levels of the place tokens the full-text index holds beside a listing's words: the
/// side of a cell in degrees, finest first. A search "words near a point" asks the index for
/// the words *and* one of the cells covering the circle, so the index intersects both and
/// neither a popular word nor a dense area is read whole.
pub const CELL_LEVELS_DEG: [f64; 3] = [0.05, 0.2, 0.8];

/// The most cells one search names: the finest level whose cover stays within this is used.
pub const MAX_SEARCH_CELLS: u64 = 36;

/// The token of the cell at `level` holding (`lat`, `lon`): `g{level}x{column}y{row}`, columns
/// and rows counted from −180° and −90° so they are never negative.
fn cell_token(level: usize, lat: f64, lon: f64) -> String {
    let side = CELL_LEVELS_DEG[level];
    let column = ((lon + 180.0) / side).floor() as i64;
    let row = ((lat + 90.0) / side).floor() as i64;
    format!("g{level}x{column}y{row}")
}

/// A point's place tokens, one per level, space-separated (empty without a point).
pub fn cell_tokens(point: Option<GeoPoint>) -> String {
    let Some(p) = point else {
        return String::new();
    };
    (0..CELL_LEVELS_DEG.len())
        .map(|level| cell_token(level, p.lat, p.lon))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tokens of the cells covering the box around `centre` within `radius_km`, at the finest
/// level that needs at most [`MAX_SEARCH_CELLS`]; `None` when even the coarsest needs more (a
/// search wider than a region, which the box alone serves).
pub fn covering_cells(centre: GeoPoint, radius_km: f64) -> Option<Vec<String>> {
    let b = BoundingBox::around(centre, radius_km);
    for (level, side) in CELL_LEVELS_DEG.iter().enumerate() {
        let first_column = ((b.min_lon + 180.0) / side).floor() as i64;
        let last_column = ((b.max_lon + 180.0) / side).floor() as i64;
        let first_row = ((b.min_lat + 90.0) / side).floor() as i64;
        let last_row = ((b.max_lat + 90.0) / side).floor() as i64;
        let count = (last_column - first_column + 1).unsigned_abs()
            * (last_row - first_row + 1).unsigned_abs();
        if count > MAX_SEARCH_CELLS {
            continue;
        }
        let mut cells = Vec::with_capacity(count as usize);
        for column in first_column..=last_column {
            for row in first_row..=last_row {
                cells.push(format!("g{level}x{column}y{row}"));
            }
        }
        return Some(cells);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn known_distances() {
        // Turin – Milan, about 126 km as the crow flies.
        let d = haversine_km(p(45.0703, 7.6869), p(45.4642, 9.1900));
        assert!((d - 125.7).abs() < 1.5, "{d}");
        // Aosta – Courmayeur, about 31 km.
        let d = haversine_km(p(45.7370, 7.3201), p(45.7969, 6.9690));
        assert!((d - 28.0).abs() < 3.0, "{d}");
        assert_eq!(haversine_km(p(10.0, 10.0), p(10.0, 10.0)), 0.0);
    }

    #[test]
    fn cells_are_named_per_level_and_cover_a_district_search() {
        assert_eq!(cell_tokens(None), "");
        // Turin: 45.07 N, 7.69 E.
        assert_eq!(
            cell_tokens(Some(p(45.0703, 7.6869))),
            "g0x3753y2701 g1x938y675 g2x234y168"
        );
        // 5 km around Turin: the finest level; 30 km: the 0.2° level; a continent: none.
        assert!(covering_cells(p(45.0703, 7.6869), 5.0).unwrap()[0].starts_with("g0x"));
        assert!(covering_cells(p(45.0703, 7.6869), 30.0).unwrap()[0].starts_with("g1x"));
        assert_eq!(covering_cells(p(45.0703, 7.6869), 3000.0), None);
    }

    #[test]
    fn off_the_globe_is_refused() {
        assert!(GeoPoint::new(91.0, 0.0).is_none());
        assert!(GeoPoint::new(0.0, -181.0).is_none());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_none());
    }

    proptest! {
        #[test]
        fn every_point_within_the_radius_is_in_the_box(
            lat in -80.0f64..80.0, lon in -170.0f64..170.0,
            bearing in 0.0f64..360.0, frac in 0.0f64..1.0, radius in 0.1f64..200.0,
        ) {
            let c = p(lat, lon);
            // Walk `frac × radius` km from the centre along `bearing` (destination formula).
            let d = frac * radius / EARTH_RADIUS_KM;
            let (la, lo, b) = (lat.to_radians(), lon.to_radians(), bearing.to_radians());
            let la2 = (la.sin() * d.cos() + la.cos() * d.sin() * b.cos()).asin();
            let lo2 = lo + (b.sin() * d.sin() * la.cos()).atan2(d.cos() - la.sin() * la2.sin());
            let q = p(la2.to_degrees(), lo2.to_degrees());
            prop_assert!(haversine_km(c, q) <= radius + 1e-6);
            prop_assert!(BoundingBox::around(c, radius).contains(q), "{q:?}");
        }

        #[test]
        fn every_point_within_the_radius_has_a_covering_cell(
            lat in -80.0f64..80.0, lon in -170.0f64..170.0,
            dlat in -1.0f64..1.0, dlon in -1.0f64..1.0, radius in 0.1f64..100.0,
        ) {
            let c = p(lat, lon);
            let q = p(lat + dlat * 0.5, lon + dlon * 0.5);
            if let Some(cells) = covering_cells(c, radius).filter(|_| haversine_km(c, q) <= radius) {
                prop_assert!(cells.len() as u64 <= MAX_SEARCH_CELLS);
                let tokens = cell_tokens(Some(q));
                prop_assert!(
                    tokens.split(' ').any(|t| cells.contains(&t.to_owned())),
                    "{tokens} not in {cells:?}"
                );
            }
        }

        #[test]
        fn distance_is_symmetric_and_non_negative(
            a in -89.0f64..89.0, b in -179.0f64..179.0, c in -89.0f64..89.0, d in -179.0f64..179.0,
        ) {
            let (x, y) = (p(a, b), p(c, d));
            prop_assert!(haversine_km(x, y) >= 0.0);
            prop_assert!((haversine_km(x, y) - haversine_km(y, x)).abs() < 1e-9);
        }
    }
}
