//! Places on the map and the distance between them, for pickup points, farms and food miles.
//!
//! Coordinates are integer microdegrees (about 11 cm of latitude), so they compare and store
//! exactly; distances are geometry, computed in `f64` and rounded to the metre.

use crate::Invalid;
use std::fmt;

/// Microdegrees in one degree.
pub const MICRO_PER_DEGREE: i32 = 1_000_000;
/// The mean radius of the Earth (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// The longest text [`LatLon::parse`] reads, in bytes.
pub const MAX_COORDINATES_LEN: usize = 100;

const MAX_LAT_MICRO: i32 = 90 * MICRO_PER_DEGREE;
const MAX_LON_MICRO: i32 = 180 * MICRO_PER_DEGREE;
/// Decimals beyond the sixth are rounded away; more than this many is not a coordinate.
const MAX_DECIMALS: usize = 15;

/// A point on the Earth, in microdegrees: latitude −90..=90, longitude −180..=180.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatLon {
    lat_micro: i32,
    lon_micro: i32,
}

impl LatLon {
    /// Checks the latitude is within ±90° and the longitude within ±180°.
    pub fn new(lat_micro: i32, lon_micro: i32) -> Result<Self, Invalid> {
        if !(-MAX_LAT_MICRO..=MAX_LAT_MICRO).contains(&lat_micro)
            || !(-MAX_LON_MICRO..=MAX_LON_MICRO).contains(&lon_micro)
        {
            return Err(bad());
        }
        Ok(Self {
            lat_micro,
            lon_micro,
        })
    }

    /// Latitude in microdegrees, north positive.
    pub const fn lat_micro(self) -> i32 {
        self.lat_micro
    }

    /// Longitude in microdegrees, east positive.
    pub const fn lon_micro(self) -> i32 {
        self.lon_micro
    }

    /// Parses what people paste from a map: latitude then longitude in decimal degrees,
    /// separated by a comma, a semicolon or spaces, with `.` or `,` as the decimal separator:
    /// `45.0703, 7.6869`, `45.0703,7.6869`, `45,0703 7,6869`, `45,0703; 7,6869`, `-33.86 151.2`.
    /// Decimals beyond the sixth are rounded half away from zero.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_COORDINATES_LEN {
            return Err(bad());
        }
        let tokens: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ';')
            .map(|t| t.trim_matches(','))
            .filter(|t| !t.is_empty())
            .collect();
        let (lat, lon) = match tokens.as_slice() {
            // Two numbers apart: each may use a comma as decimal separator.
            [lat, lon] => (*lat, *lon),
            // One run of text: its only comma separates the two numbers ("45,5,7" could be
            // 45.5, 7 or 45, 5.7: refused).
            [both] if both.matches(',').count() == 1 => both.split_once(',').ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        Self::new(micro_degrees(lat)?, micro_degrees(lon)?)
    }
}

impl fmt::Display for LatLon {
    /// `45.070300, 7.686900`: what [`LatLon::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}",
            degrees_text(self.lat_micro),
            degrees_text(self.lon_micro)
        )
    }
}

fn bad() -> Invalid {
    Invalid::new("bad_coordinates", "coordinates")
}

fn degrees_text(micro: i32) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let magnitude = micro.unsigned_abs();
    let per = MICRO_PER_DEGREE.unsigned_abs();
    format!("{sign}{}.{:06}", magnitude / per, magnitude % per)
}

/// Decimal degrees (`-7.68`, `45,0703`, `+12`) as microdegrees, rounded half away from zero
/// at the sixth decimal; not range-checked.
fn micro_degrees(text: &str) -> Result<i32, Invalid> {
    let (negative, unsigned) = match text.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once(['.', ',']).unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 3
        || !digits(whole)
        || fraction.len() > MAX_DECIMALS
        || !digits(fraction)
        || unsigned.len() > whole.len() && fraction.is_empty()
    {
        return Err(bad());
    }
    let mut micro: i64 = 0;
    for b in whole.bytes() {
        micro = micro * 10 + i64::from(b - b'0');
    }
    let mut kept = fraction.bytes().chain(std::iter::repeat(b'0')).take(6);
    for b in kept.by_ref() {
        micro = micro * 10 + i64::from(b - b'0');
    }
    if fraction.as_bytes().get(6).is_some_and(|&b| b >= b'5') {
        micro += 1;
    }
    let micro = if negative { -micro } else { micro };
    i32::try_from(micro).map_err(|_| bad())
}

/// The great-circle distance between two points in metres (haversine on a sphere of
/// [`EARTH_RADIUS_M`]; within 0.5% of the ellipsoid's, enough for food miles and pickup
/// points).
pub fn distance_m(a: LatLon, b: LatLon) -> u32 {
    let radians = |micro: i32| (f64::from(micro) / f64::from(MICRO_PER_DEGREE)).to_radians();
    let (lat_a, lat_b) = (radians(a.lat_micro), radians(b.lat_micro));
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (radians(b.lon_micro) - radians(a.lon_micro)) / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    let metres = 2.0 * EARTH_RADIUS_M * h.clamp(0.0, 1.0).sqrt().asin();
    // At most half the circumference (~2·10^7 m), far inside u32; `as` saturates anyway.
    metres.round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(lat: f64, lon: f64) -> LatLon {
        LatLon::new((lat * 1e6).round() as i32, (lon * 1e6).round() as i32).unwrap()
    }

    #[test]
    fn parses_what_people_paste() {
        let turin = LatLon::new(45_070_300, 7_686_900).unwrap();
        for text in [
            "45.0703, 7.6869",
            "45.0703,7.6869",
            " 45.0703 7.6869 ",
            "45,0703 7,6869",
            "45,0703; 7,6869",
            "45,0703, 7,6869",
            "45.0703 , 7.6869",
            "+45.07030000, 7.6869",
            "45.07030049, 7.68689951",
        ] {
            assert_eq!(LatLon::parse(text), Ok(turin), "{text}");
        }
        let sydney = LatLon::parse("-33.8688, 151.2093").unwrap();
        assert_eq!(
            (sydney.lat_micro(), sydney.lon_micro()),
            (-33_868_800, 151_209_300)
        );
        assert_eq!(LatLon::parse("−0.0000005 -180").unwrap().lat_micro(), -1);
        assert_eq!(LatLon::parse("90, 180").unwrap().lon_micro(), 180_000_000);
    }

    #[test]
    fn refuses_what_is_not_a_place() {
        for text in [
            "",
            "45.0703",
            "45.0703, 7.6869, 3",
            "45,0703,7,6869",
            "45,5,7",
            "91, 7",
            "45, 180.000001",
            "45.07.03, 7",
            "45., 7",
            ".5, 7",
            "1e1, 7",
            "north, east",
            "1000, 7",
            "- 45, 7",
            &"4".repeat(200),
        ] {
            assert_eq!(
                LatLon::parse(text).unwrap_err(),
                Invalid::new("bad_coordinates", "coordinates"),
                "{text}"
            );
        }
        assert!(LatLon::new(90_000_001, 0).is_err());
        assert!(LatLon::new(0, -180_000_001).is_err());
    }

    #[test]
    fn displays_what_it_parses() {
        let p = LatLon::new(-5, 7_686_900).unwrap();
        assert_eq!(p.to_string(), "-0.000005, 7.686900");
        assert_eq!(LatLon::parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn known_distances_within_half_a_percent() {
        let near = |a: LatLon, b: LatLon, km: f64| {
            let got = f64::from(distance_m(a, b));
            assert!((got - km * 1_000.0).abs() <= km * 5.0, "{got} m vs {km} km");
        };
        let turin = at(45.0703, 7.6869);
        let milan = at(45.4642, 9.1900);
        let paris = at(48.8566, 2.3522);
        let lyon = at(45.7640, 4.8357);
        let london = at(51.5074, -0.1278);
        let new_york = at(40.7128, -74.0060);
        near(turin, milan, 126.0);
        near(paris, lyon, 392.0);
        near(london, new_york, 5_570.0);
        assert_eq!(distance_m(turin, turin), 0);
        // Half the circumference, across the antimeridian and pole to pole.
        assert_eq!(distance_m(at(0.0, 0.0), at(0.0, 180.0)), 20_015_114);
        assert_eq!(distance_m(at(90.0, 0.0), at(-90.0, 0.0)), 20_015_114);
        assert!(distance_m(at(0.0, 179.9), at(0.0, -179.9)) < 23_000);
    }

    fn point() -> impl Strategy<Value = LatLon> {
        (
            -MAX_LAT_MICRO..=MAX_LAT_MICRO,
            -MAX_LON_MICRO..=MAX_LON_MICRO,
        )
            .prop_map(|(lat, lon)| LatLon::new(lat, lon).unwrap())
    }

    proptest! {
        #[test]
        fn text_round_trips(p in point()) {
            prop_assert_eq!(LatLon::parse(&p.to_string()), Ok(p));
            let comma = p.to_string().replace(", ", " ").replace('.', ",");
            prop_assert_eq!(LatLon::parse(&comma), Ok(p));
        }

        #[test]
        fn distances_are_a_metric(a in point(), b in point(), c in point()) {
            let d = distance_m(a, b);
            prop_assert_eq!(d, distance_m(b, a));
            prop_assert!(d <= 20_015_115);
            // Up to the rounding of each leg.
            prop_assert!(u64::from(d) <= u64::from(distance_m(a, c)) + u64::from(distance_m(c, b)) + 2);
        }
    }
}
