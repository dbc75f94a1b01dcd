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
        fn distance_is_symmetric_and_non_negative(
            a in -89.0f64..89.0, b in -179.0f64..179.0, c in -89.0f64..89.0, d in -179.0f64..179.0,
        ) {
            let (x, y) = (p(a, b), p(c, d));
            prop_assert!(haversine_km(x, y) >= 0.0);
            prop_assert!((haversine_km(x, y) - haversine_km(y, x)).abs() < 1e-9);
        }
    }
}
