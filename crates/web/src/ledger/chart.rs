//! The balance chart of an account page: a small server-rendered SVG (no JavaScript), drawn
//! as a step line (a balance holds until the next transfer) with a zero line. Pure: numbers in,
//! markup out; the page supplies the translated texts.

/// The most points a chart draws; longer histories are downsampled to this.
pub const MAX_POINTS: usize = 200;

// A small drawing area: on a 360 px phone it is shown at about 0.8 scale, so its 16-unit
// labels stay readable.
const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 180.0;
const PAD_LEFT: f64 = 4.0;
const PAD_RIGHT: f64 = 4.0;
const PAD_TOP: f64 = 26.0;
const PAD_BOTTOM: f64 = 26.0;

/// The balance after one transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// When, in seconds since the Unix epoch.
    pub at_s: i64,
    /// The balance after it, in minor units.
    pub balance_minor: i64,
}

/// What the text alternative says: balances at the start and end of the period, lowest and
/// highest in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// At the start of the period.
    pub start_minor: i64,
    /// At its end.
    pub end_minor: i64,
    /// The lowest.
    pub min_minor: i64,
    /// The highest.
    pub max_minor: i64,
}

/// The summary of a period that opens at `opening_minor` and has these points (in time order).
pub fn summary(opening_minor: i64, points: &[Point]) -> Summary {
    let mut s = Summary {
        start_minor: opening_minor,
        end_minor: opening_minor,
        min_minor: opening_minor,
        max_minor: opening_minor,
    };
    for p in points {
        s.min_minor = s.min_minor.min(p.balance_minor);
        s.max_minor = s.max_minor.max(p.balance_minor);
        s.end_minor = p.balance_minor;
    }
    s
}

/// At most `max` points (at least 3 kept), keeping each bucket's lowest and highest balance in
/// time order and always the last point, so peaks, troughs and the end balance survive.
pub fn downsample(points: &[Point], max: usize) -> Vec<Point> {
    let max = max.max(3);
    if points.len() <= max {
        return points.to_vec();
    }
    let buckets = (max - 1) / 2;
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(max);
    for chunk in points.chunks(size) {
        let lowest = chunk
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| p.balance_minor);
        let highest = chunk
            .iter()
            .enumerate()
            .max_by_key(|(_, p)| p.balance_minor);
        if let (Some((i, lo)), Some((j, hi))) = (lowest, highest) {
            match i.cmp(&j) {
                std::cmp::Ordering::Less => out.extend([*lo, *hi]),
                std::cmp::Ordering::Greater => out.extend([*hi, *lo]),
                std::cmp::Ordering::Equal => out.push(*lo),
            }
        }
    }
    if let Some(last) = points.last()
        && out.last() != Some(last)
    {
        out.push(*last);
    }
    out.truncate(max);
    out
}

/// The texts a chart carries, already translated and formatted.
#[derive(Debug, Clone)]
pub struct ChartText {
    /// Prefix of the ids of `<title>` and `<desc>` (unique in the page).
    pub id: String,
    /// The chart's name.
    pub title: String,
    /// Its text alternative (start, end, lowest, highest).
    pub description: String,
    /// The label of the highest value, shown top left.
    pub max_label: String,
    /// The label of the lowest value, shown bottom left.
    pub min_label: String,
}

/// The period a chart covers, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// Start (the opening balance holds from here).
    pub from_s: i64,
    /// End.
    pub until_s: i64,
}

/// An accessible inline SVG (`role="img"`, labelled by its `<title>` and `<desc>`) of the
/// balance over `period`: it opens at `opening_minor` and steps at each point. `points` are in
/// time order and already downsampled. Colours follow the text colour, so the chart reads in
/// light and dark schemes alike.
pub fn svg(opening_minor: i64, period: Period, points: &[Point], text: &ChartText) -> String {
    let s = summary(opening_minor, points);
    let (mut lo, mut hi) = (s.min_minor.min(0), s.max_minor.max(0));
    if hi == lo {
        // A flat zero balance: draw it across the middle.
        (lo, hi) = (lo.saturating_sub(1), hi.saturating_add(1));
    }
    let span = (hi - lo) as f64;
    let plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM;
    let y = |b: i64| PAD_TOP + (hi - b) as f64 / span * plot_h;
    let duration = (period.until_s - period.from_s).max(1) as f64;
    let plot_w = WIDTH - PAD_LEFT - PAD_RIGHT;
    let x = |t: i64| PAD_LEFT + ((t - period.from_s) as f64 / duration).clamp(0.0, 1.0) * plot_w;
    let mut d = format!("M{:.1} {:.1}", x(period.from_s), y(opening_minor));
    for p in points {
        d.push_str(&format!("H{:.1}V{:.1}", x(p.at_s), y(p.balance_minor)));
    }
    d.push_str(&format!("H{:.1}", x(period.until_s)));
    let id = escape(&text.id);
    let zero = y(0);
    format!(
        concat!(
            r#"<svg class="balance-chart" xmlns="http://www.w3.org/2000/svg" width="400" height="180" viewBox="0 0 400 180" role="img" aria-labelledby="{id}-title {id}-desc">"#,
            r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            r#"<line x1="{l:.1}" x2="{r:.1}" y1="{zero:.1}" y2="{zero:.1}" stroke="currentColor" stroke-opacity="0.6" stroke-width="1" stroke-dasharray="4 4"/>"#,
            r#"<path d="{d}" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round"/>"#,
            r#"<text x="{l:.1}" y="18" font-size="16" fill="currentColor">{max}</text>"#,
            r#"<text x="{l:.1}" y="174" font-size="16" fill="currentColor">{min}</text>"#,
            "</svg>"
        ),
        id = id,
        title = escape(&text.title),
        desc = escape(&text.description),
        l = PAD_LEFT,
        r = WIDTH - PAD_RIGHT,
        zero = zero,
        d = d,
        max = escape(&text.max_label),
        min = escape(&text.min_label),
    )
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: i64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                at_s: i * 60,
                balance_minor: if i % 7 == 0 { -i * 10 } else { i * 3 },
            })
            .collect()
    }

    fn text() -> ChartText {
        ChartText {
            id: "chart".into(),
            title: "Balance <90 days>".into(),
            description: "From 0 to 12 & more".into(),
            max_label: "12.00".into(),
            min_label: "-3.00".into(),
        }
    }

    #[test]
    fn summary_covers_opening_and_every_point() {
        let s = summary(
            500,
            &[
                Point {
                    at_s: 1,
                    balance_minor: -200,
                },
                Point {
                    at_s: 2,
                    balance_minor: 900,
                },
                Point {
                    at_s: 3,
                    balance_minor: 100,
                },
            ],
        );
        assert_eq!(
            s,
            Summary {
                start_minor: 500,
                end_minor: 100,
                min_minor: -200,
                max_minor: 900
            }
        );
        assert_eq!(
            summary(7, &[]),
            Summary {
                start_minor: 7,
                end_minor: 7,
                min_minor: 7,
                max_minor: 7
            }
        );
    }

    #[test]
    fn downsampling_is_bounded_and_keeps_extremes_and_the_end() {
        let all = points(10_000);
        let few = downsample(&all, MAX_POINTS);
        assert!(few.len() <= MAX_POINTS, "{}", few.len());
        assert!(few.len() > MAX_POINTS / 2);
        assert_eq!(few.last(), all.last());
        let s_all = summary(0, &all);
        let s_few = summary(0, &few);
        assert_eq!(
            (s_all.min_minor, s_all.max_minor, s_all.end_minor),
            (s_few.min_minor, s_few.max_minor, s_few.end_minor)
        );
        assert!(
            few.windows(2).all(|w| w[0].at_s <= w[1].at_s),
            "time order kept"
        );
        assert_eq!(
            downsample(&all[..50], MAX_POINTS),
            all[..50].to_vec(),
            "short ones untouched"
        );
    }

    #[test]
    fn svg_is_accessible_and_escaped() {
        let pts = downsample(&points(1_000), MAX_POINTS);
        let out = svg(
            0,
            Period {
                from_s: 0,
                until_s: 60_000,
            },
            &pts,
            &text(),
        );
        assert!(out.starts_with("<svg") && out.ends_with("</svg>"));
        assert!(out.contains(r#"role="img""#));
        assert!(out.contains(r#"aria-labelledby="chart-title chart-desc""#));
        assert!(out.contains("<title id=\"chart-title\">Balance &lt;90 days&gt;</title>"));
        assert!(out.contains("12 &amp; more"));
        assert!(out.contains("stroke-dasharray"), "a zero line");
        let path = out
            .split("<path d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(path.matches('V').count() <= MAX_POINTS, "bounded drawing");
    }

    #[test]
    fn flat_and_empty_periods_still_draw() {
        let out = svg(
            0,
            Period {
                from_s: 10,
                until_s: 10,
            },
            &[],
            &text(),
        );
        assert!(
            out.contains("<path d=\"M4.0 90.0H"),
            "a flat zero across the middle: {out}"
        );
        assert!(!out.contains("NaN") && !out.contains("inf"));
        let out = svg(
            -5_000,
            Period {
                from_s: 0,
                until_s: 100,
            },
            &[Point {
                at_s: 50,
                balance_minor: -5_000,
            }],
            &text(),
        );
        assert!(!out.contains("NaN"));
    }
}
