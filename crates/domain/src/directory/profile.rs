//! An organisation's profile, parsed from untrusted input.

use super::{OrganizationKind, Sector};
use crate::Invalid;

/// Workers in full-time equivalents, held in hundredths so sums stay exact (3.5 FTE = 350).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct WorkersFte(pub i64);

/// The most FTE one organisation may declare (a bound against typos such as 1e9).
pub const MAX_WORKERS_FTE_HUNDREDTHS: i64 = 10_000_000;

impl WorkersFte {
    /// Parses a decimal such as `"3.5"` or `"3,5"`; at most two decimals, not negative.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let bad = Invalid::new("invalid_workers_fte", "workers_fte");
        let s = s.trim().replace(',', ".");
        if s.is_empty() {
            return Ok(Self(0));
        }
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        if int.is_empty()
            || frac.len() > 2
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return Err(bad);
        }
        let int: i64 = int.parse().map_err(|_| bad.clone())?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad.clone())?
        };
        let hundredths = int
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac))
            .ok_or(bad.clone())?;
        if hundredths > MAX_WORKERS_FTE_HUNDREDTHS {
            return Err(bad);
        }
        Ok(Self(hundredths))
    }

    /// The FTE as a float, for JSON and display only (never summed as a float).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::fmt::Display for WorkersFte {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (int, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            write!(f, "{int}")
        } else if frac % 10 == 0 {
            write!(f, "{int}.{}", frac / 10)
        } else {
            write!(f, "{int}.{frac:02}")
        }
    }
}

/// Raw profile fields as a form or JSON body gives them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileInput {
    pub name: String,
    pub kind: String,
    pub legal_form: String,
    pub sector: String,
    pub description: String,
    pub website: String,
    pub contact_email: String,
    pub phone: String,
    pub address: String,
    pub postcode: String,
    pub locality: String,
    pub lat: String,
    pub lon: String,
    pub founded_year: String,
    pub workers_fte: String,
    pub volunteers: String,
}

/// A valid organisation profile.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationProfile {
    pub name: String,
    pub kind: OrganizationKind,
    pub legal_form: String,
    pub sector: Sector,
    pub description: String,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub postcode: String,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub founded_year: Option<i32>,
    pub workers_fte: WorkersFte,
    pub volunteers: i32,
}

/// Field length bounds, in characters.
const MAX_NAME_CHARS: usize = 160;
const MAX_SHORT_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 5_000;

impl OrganizationProfile {
    /// Parses and validates a profile; the first invalid field is reported.
    pub fn parse(input: &ProfileInput) -> Result<Self, Invalid> {
        let name = bounded(&input.name, 2, MAX_NAME_CHARS, "invalid_name", "name")?;
        let kind = OrganizationKind::parse(input.kind.trim())
            .ok_or(Invalid::new("invalid_kind", "kind"))?;
        let sector =
            Sector::parse(input.sector.trim()).ok_or(Invalid::new("invalid_sector", "sector"))?;
        let (lat, lon) = parse_position(&input.lat, &input.lon)?;
        Ok(Self {
            name,
            kind,
            legal_form: bounded(
                &input.legal_form,
                0,
                MAX_SHORT_CHARS,
                "invalid_legal_form",
                "legal_form",
            )?,
            sector,
            description: bounded(
                &input.description,
                0,
                MAX_DESCRIPTION_CHARS,
                "invalid_description",
                "description",
            )?,
            website: optional_url(&input.website)?,
            contact_email: optional(&input.contact_email)
                .map(|e| {
                    crate::membership::Email::parse(e)
                        .map(|e| e.0)
                        .map_err(|_| Invalid::new("invalid_email", "contact_email"))
                })
                .transpose()?,
            phone: optional(&input.phone).map(parse_phone).transpose()?,
            address: bounded(
                &input.address,
                0,
                MAX_SHORT_CHARS,
                "invalid_address",
                "address",
            )?,
            postcode: bounded(&input.postcode, 0, 16, "invalid_postcode", "postcode")?,
            locality: bounded(
                &input.locality,
                0,
                MAX_SHORT_CHARS,
                "invalid_locality",
                "locality",
            )?,
            lat,
            lon,
            founded_year: optional(&input.founded_year).map(parse_year).transpose()?,
            workers_fte: WorkersFte::parse(&input.workers_fte)?,
            volunteers: optional(&input.volunteers)
                .map(|v| {
                    v.parse::<i32>()
                        .ok()
                        .filter(|v| (0..=1_000_000).contains(v))
                        .ok_or(Invalid::new("invalid_volunteers", "volunteers"))
                })
                .transpose()?
                .unwrap_or(0),
        })
    }

    /// The folded text searched by the directory: name, description and place.
    pub fn search_text(&self) -> String {
        crate::text::fold(&format!(
            "{} {} {} {}",
            self.name, self.description, self.locality, self.legal_form
        ))
    }
}

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

fn bounded(
    s: &str,
    min: usize,
    max: usize,
    code: &'static str,
    field: &'static str,
) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min
        || n > max
        || t.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new(code, field));
    }
    Ok(t.to_owned())
}

fn optional_url(s: &str) -> Result<Option<String>, Invalid> {
    let Some(url) = optional(s) else {
        return Ok(None);
    };
    let bad = Invalid::new("invalid_website", "website");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(bad.clone())?;
    if rest.is_empty()
        || url.len() > 300
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    {
        return Err(bad);
    }
    Ok(Some(url.to_owned()))
}

/// A phone number: digits with `+ - ( ) .` and spaces, at least 6 digits, at most 32 characters.
pub fn parse_phone(p: &str) -> Result<String, Invalid> {
    let ok = p.len() <= 32
        && p.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && p.chars().filter(char::is_ascii_digit).count() >= 6;
    if ok {
        Ok(p.to_owned())
    } else {
        Err(Invalid::new("invalid_phone", "phone"))
    }
}

fn parse_year(y: &str) -> Result<i32, Invalid> {
    y.parse::<i32>()
        .ok()
        .filter(|y| (1800..=2100).contains(y))
        .ok_or(Invalid::new("invalid_founded_year", "founded_year"))
}

fn parse_position(lat: &str, lon: &str) -> Result<(Option<f64>, Option<f64>), Invalid> {
    match (optional(lat), optional(lon)) {
        (None, None) => Ok((None, None)),
        (Some(lat), Some(lon)) => {
            let lat = lat
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| (-90.0..=90.0).contains(v))
                .ok_or(Invalid::new("invalid_position", "lat"))?;
            let lon = lon
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| (-180.0..=180.0).contains(v))
                .ok_or(Invalid::new("invalid_position", "lon"))?;
            Ok((Some(lat), Some(lon)))
        }
        _ => Err(Invalid::new("invalid_position", "lat")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProfileInput {
        ProfileInput {
            name: " Cooperativa Il Germoglio ".into(),
            kind: "worker_coop".into(),
            sector: "agriculture".into(),
            lat: "45.07".into(),
            lon: "7,68".into(),
            workers_fte: "3,5".into(),
            founded_year: "1987".into(),
            ..ProfileInput::default()
        }
    }

    #[test]
    fn parses_a_valid_profile() {
        let p = OrganizationProfile::parse(&input()).unwrap();
        assert_eq!(p.name, "Cooperativa Il Germoglio");
        assert_eq!(p.kind, OrganizationKind::WorkerCoop);
        assert_eq!(p.workers_fte, WorkersFte(350));
        assert_eq!(p.lon, Some(7.68));
        assert_eq!(p.founded_year, Some(1987));
    }

    #[test]
    fn rejects_each_bad_field_with_its_code() {
        type Case = (&'static str, fn(&mut ProfileInput), &'static str);
        let cases: &[Case] = &[
            ("name", |i| i.name = "x".into(), "invalid_name"),
            ("kind", |i| i.kind = "bank".into(), "invalid_kind"),
            ("sector", |i| i.sector = "".into(), "invalid_sector"),
            ("lat", |i| i.lat = "95".into(), "invalid_position"),
            ("lon only", |i| i.lat = "".into(), "invalid_position"),
            (
                "website",
                |i| i.website = "javascript:alert(1)".into(),
                "invalid_website",
            ),
            (
                "email",
                |i| i.contact_email = "nope".into(),
                "invalid_email",
            ),
            (
                "fte",
                |i| i.workers_fte = "-1".into(),
                "invalid_workers_fte",
            ),
            (
                "fte decimals",
                |i| i.workers_fte = "1.234".into(),
                "invalid_workers_fte",
            ),
            (
                "year",
                |i| i.founded_year = "3000".into(),
                "invalid_founded_year",
            ),
            ("phone", |i| i.phone = "call me".into(), "invalid_phone"),
        ];
        for (label, mutate, code) in cases {
            let mut i = input();
            mutate(&mut i);
            assert_eq!(
                OrganizationProfile::parse(&i).unwrap_err().code,
                *code,
                "{label}"
            );
        }
    }

    #[test]
    fn fte_formats_and_parses() {
        assert_eq!(WorkersFte::parse("12").unwrap().to_string(), "12");
        assert_eq!(WorkersFte::parse("0.5").unwrap().to_string(), "0.5");
        assert_eq!(WorkersFte::parse("2.25").unwrap().to_string(), "2.25");
        assert!(WorkersFte::parse("1e9").is_err());
        assert!(WorkersFte::parse("99999999").is_err());
    }
}
