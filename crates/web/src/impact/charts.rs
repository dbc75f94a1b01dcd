//! The charts of the impact dashboard: server-rendered SVG (no JavaScript) for indicators over
//! time, totals by category and the sector-to-sector flows of the district. Pure: numbers and
//! already translated, formatted texts in, markup out. Every chart is an accessible image
//! (`role="img"`, labelled by its `<title>` and `<desc>`), draws in the text colour so it reads
//! in light and dark schemes, and has a fixed `viewBox` 400 units wide that the stylesheet
//! scales down to a phone. The page shows a table with the same figures next to each chart.

use crate::ledger::chart::escape;

/// The most points drawn per series; longer series are downsampled to this.
pub const MAX_POINTS: usize = 120;
/// The most series a time series chart draws; the rest are ignored.
pub const MAX_SERIES: usize = 4;
/// The most bars a bar chart draws; the rest are ignored.
pub const MAX_BARS: usize = 24;
/// The most sectors a flow diagram knows; flows from or to a later sector are not drawn.
pub const MAX_SECTORS: usize = 20;
/// The most flows a flow diagram draws (the largest ones).
pub const MAX_FLOWS: usize = 60;

// Shown at about 0.85 scale on a 360 px phone, so 16-unit text stays readable.
const WIDTH: f64 = 400.0;
const FONT: f64 = 16.0;
const SMALL_FONT: f64 = 14.0;
// A rough width of one character as a share of the font size, to keep texts apart without
// measuring them (the server knows no fonts).
const CHAR_EM: f64 = 0.6;

// Time series layout: the highest value's label above the plot, the lowest's and the period
// labels below it, then one legend row per series.
const TS_LEFT: f64 = 8.0;
const TS_RIGHT: f64 = WIDTH - 8.0;
const TS_TOP: f64 = 26.0;
const TS_PLOT_H: f64 = 140.0;
const TS_LEGEND_ROW: f64 = 22.0;
// Markers per series: enough to tell the lines apart, few enough not to hide them.
const MAX_MARKERS: usize = 12;
const MARKER_R: f64 = 4.0;
const DASHES: [&str; MAX_SERIES] = ["", "9 5", "2 4", "12 4 3 4"];

// Bar chart layout: the category above its bar, the value at the bar's end.
const BAR_LEFT: f64 = 4.0;
const BAR_RIGHT: f64 = WIDTH - 4.0;
const BAR_TOP: f64 = 4.0;
const BAR_ROW: f64 = 48.0;
const BAR_H: f64 = 18.0;

// Flow diagram layout: labels | paying sectors | bands | receiving sectors | labels.
const FLOW_LABEL_W: f64 = 136.0;
const FLOW_NODE_W: f64 = 10.0;
const FLOW_TOP: f64 = 28.0;
const FLOW_BOTTOM: f64 = 6.0;
// Height shared by all the nodes of one column, before gaps and minimum slots.
const FLOW_H: f64 = 220.0;
// A node's slot is at least one label high, so labels never overlap.
const FLOW_MIN_SLOT: f64 = 18.0;
const FLOW_GAP: f64 = 6.0;
// Fits FLOW_LABEL_W at SMALL_FONT even in a wide font.
const FLOW_LABEL_CHARS: usize = 14;

/// The texts a chart carries, already translated and formatted by the page.
#[derive(Debug, Clone, Default)]
pub struct ChartText {
    /// Prefix of the ids of `<title>` and `<desc>` (unique in the page).
    pub id: String,
    /// The chart's name.
    pub title: String,
    /// Its text alternative: a summary (first, last, lowest, highest; for a flow diagram also
    /// how many small flows are not drawn, see [`flows_not_drawn`]).
    pub description: String,
    /// Time series: the label of the lowest value, at the bottom of the plot
    /// (see [`value_range`]). Unused by the other charts.
    pub min_label: String,
    /// Time series: the label of the highest value, at the top of the plot. Unused elsewhere.
    pub max_label: String,
    /// Flow diagram: heading of the left column (the paying sectors). Unused elsewhere.
    pub from_heading: String,
    /// Flow diagram: heading of the right column (the receiving sectors). Unused elsewhere.
    pub to_heading: String,
}

/// One line of a time series chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per period, in minor units, in period order.
    pub values: Vec<i64>,
}

/// One bar of a bar chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// The category, shown above the bar.
    pub label: String,
    /// Its value in minor units; a negative one is drawn leftwards from the zero line.
    pub value: i64,
    /// The formatted value, shown at the bar's end.
    pub value_label: String,
}

/// What one sector paid another over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorFlow {
    /// Index of the paying sector in the sector list.
    pub from: usize,
    /// Index of the receiving sector.
    pub to: usize,
    /// How much, in minor units; flows that are not positive are not drawn.
    pub amount_minor: i64,
    /// The band's tooltip, e.g. "Agriculture → Retail: 1,234.00".
    pub label: String,
}

/// First, last, lowest and highest value of a series, for the text alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesSummary {
    /// The first period's value.
    pub first: i64,
    /// The last period's value.
    pub last: i64,
    /// The lowest value.
    pub min: i64,
    /// The highest value.
    pub max: i64,
}

/// The summary of one series' values, or `None` when it has none.
pub fn series_summary(values: &[i64]) -> Option<SeriesSummary> {
    let (&first, &last) = (values.first()?, values.last()?);
    let min = values.iter().copied().min()?;
    let max = values.iter().copied().max()?;
    Some(SeriesSummary {
        first,
        last,
        min,
        max,
    })
}

/// The lowest and highest value over the series [`time_series`] draws (the first
/// [`MAX_SERIES`]), or `None` when they have no values: the plot spans exactly this range, so
/// `ChartText::min_label` and `max_label` are these two values, formatted.
pub fn value_range(series: &[Series]) -> Option<(i64, i64)> {
    let mut values = series
        .iter()
        .take(MAX_SERIES)
        .flat_map(|s| s.values.iter().copied());
    let first = values.next()?;
    Some(values.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
}

/// An accessible inline SVG of up to [`MAX_SERIES`] lines over periods. `labels` name the
/// periods (same length as each series' values); the first, last and, when it fits, middle
/// one are shown under the plot. The lines differ by dash pattern and point marker, not only
/// by colour, and a legend names them. Long series are downsampled to [`MAX_POINTS`] evenly
/// spaced points, always keeping the last.
pub fn time_series(series: &[Series], labels: &[String], text: &ChartText) -> String {
    let drawn: Vec<&Series> = series
        .iter()
        .take(MAX_SERIES)
        .filter(|s| !s.values.is_empty())
        .collect();
    let periods = drawn
        .iter()
        .map(|s| s.values.len())
        .chain([labels.len()])
        .max()
        .unwrap_or(0);
    let plot_bottom = TS_TOP + TS_PLOT_H;
    let min_label_y = plot_bottom + 18.0;
    let period_label_y = plot_bottom + 40.0;
    let legend_top = plot_bottom + 48.0;
    let height = legend_top + TS_LEGEND_ROW * drawn.len() as f64 + 4.0;
    let plot_w = TS_RIGHT - TS_LEFT;
    let x = |i: usize| {
        if periods <= 1 {
            TS_LEFT + plot_w / 2.0
        } else {
            TS_LEFT + i as f64 / (periods - 1) as f64 * plot_w
        }
    };
    let mut out = open_svg("impact-chart impact-time-series", height, text);

    if let Some((lo, hi)) = value_range(series) {
        let y = |v: i64| TS_TOP + (1.0 - share(v, lo, hi)) * TS_PLOT_H;
        // Faint lines at the highest and lowest value, which the two labels name.
        for gy in [TS_TOP, plot_bottom] {
            out.push_str(&format!(
                r#"<line x1="{l:.1}" x2="{r:.1}" y1="{gy:.1}" y2="{gy:.1}" stroke="currentColor" stroke-opacity="0.3" stroke-width="1"/>"#,
                l = TS_LEFT,
                r = TS_RIGHT,
                gy = num(gy),
            ));
        }
        if lo < 0 && hi > 0 {
            out.push_str(&format!(
                r#"<line class="zero" x1="{l:.1}" x2="{r:.1}" y1="{zy:.1}" y2="{zy:.1}" stroke="currentColor" stroke-opacity="0.6" stroke-width="1" stroke-dasharray="4 4"/>"#,
                l = TS_LEFT,
                r = TS_RIGHT,
                zy = num(y(0)),
            ));
        }
        out.push_str(&text_at(
            TS_LEFT,
            18.0,
            FONT,
            "start",
            &text.max_label,
            "max",
        ));
        out.push_str(&text_at(
            TS_LEFT,
            min_label_y,
            FONT,
            "start",
            &text.min_label,
            "min",
        ));
        for (k, s) in drawn.iter().enumerate() {
            let kept = sample_indices(s.values.len(), MAX_POINTS);
            let mut d = String::new();
            let mut points = Vec::with_capacity(kept.len());
            for (j, &i) in kept.iter().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(lo);
                let (px, py) = (num(x(i)), num(y(v)));
                d.push_str(&format!(
                    "{}{px:.1} {py:.1}",
                    if j == 0 { "M" } else { "L" }
                ));
                points.push((px, py));
            }
            out.push_str(&format!(
                r#"<path class="series series-{k}" d="{d}" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round"{dash}/>"#,
                dash = dash_attr(k),
            ));
            let step = points.len().div_ceil(MAX_MARKERS).max(1);
            out.push_str(&format!(
                r#"<g class="markers series-{k}" fill="currentColor" stroke="currentColor">"#
            ));
            for (j, &(px, py)) in points.iter().enumerate() {
                if j % step == 0 || j + 1 == points.len() {
                    out.push_str(&marker(k, px, py));
                }
            }
            out.push_str("</g>");
        }
    }

    out.push_str(&period_labels(labels, periods, period_label_y, &x));

    for (k, s) in drawn.iter().enumerate() {
        let base = legend_top + TS_LEGEND_ROW * (k as f64 + 1.0) - 6.0;
        let mid = base - 5.0;
        out.push_str(&format!(
            r#"<g class="legend series-{k}" fill="currentColor" stroke="currentColor"><line x1="{l:.1}" x2="{r:.1}" y1="{mid:.1}" y2="{mid:.1}" stroke-width="2.5"{dash}/>{m}</g>"#,
            l = TS_LEFT,
            r = TS_LEFT + 36.0,
            dash = dash_attr(k),
            m = marker(k, TS_LEFT + 18.0, mid),
        ));
        out.push_str(&text_at(
            TS_LEFT + 46.0,
            base,
            FONT,
            "start",
            &truncate(&s.name, 38),
            "legend-name",
        ));
    }
    out.push_str("</svg>");
    out
}

/// An accessible inline SVG of up to [`MAX_BARS`] horizontal bars, one row each (the category
/// above its bar, the formatted value at the bar's end), from a zero line so negative values
/// go leftwards. The height grows with the number of bars.
pub fn bars(bars: &[Bar], text: &ChartText) -> String {
    let drawn = &bars[..bars.len().min(MAX_BARS)];
    let height = (BAR_TOP + BAR_ROW * drawn.len() as f64 + 4.0).max(24.0);
    let mut out = open_svg("impact-chart impact-bars", height, text);
    let lo = drawn.iter().map(|b| b.value).min().unwrap_or(0).min(0);
    let hi = drawn.iter().map(|b| b.value).max().unwrap_or(0).max(0);
    // Room for the value texts beyond the longest bar on either side.
    let gutter = |negative: bool| {
        drawn
            .iter()
            .filter(|b| (b.value < 0) == negative)
            .map(|b| text_width(&b.value_label, FONT) + 6.0)
            .fold(0.0_f64, f64::max)
            .min((BAR_RIGHT - BAR_LEFT) * 0.4)
    };
    let plot_left = BAR_LEFT + gutter(true);
    let plot_right = BAR_RIGHT - gutter(false);
    let plot_w = (plot_right - plot_left).max(0.0);
    let x = |v: i64| {
        if hi == lo {
            plot_left
        } else {
            plot_left + share(v, lo, hi) * plot_w
        }
    };
    let x0 = num(x(0));
    for (i, b) in drawn.iter().enumerate() {
        let row = BAR_TOP + BAR_ROW * i as f64;
        out.push_str(&text_at(
            BAR_LEFT,
            row + 16.0,
            FONT,
            "start",
            &truncate(&b.label, 40),
            "bar-label",
        ));
        let end = num(x(b.value));
        let (left, right) = if end < x0 { (end, x0) } else { (x0, end) };
        let bar_y = row + 22.0;
        out.push_str(&format!(
            r#"<rect class="bar" x="{left:.1}" y="{bar_y:.1}" width="{w:.1}" height="{h:.1}" fill="currentColor" fill-opacity="0.8"/>"#,
            w = num(right - left),
            h = BAR_H,
        ));
        // The zero line only beside the bars, so it never crosses a category's text.
        out.push_str(&format!(
            r#"<line class="zero" x1="{x0:.1}" x2="{x0:.1}" y1="{t:.1}" y2="{b:.1}" stroke="currentColor" stroke-width="1"/>"#,
            t = bar_y - 3.0,
            b = bar_y + BAR_H + 3.0,
        ));
        let (tx, anchor) = if b.value < 0 {
            (left - 4.0, "end")
        } else {
            (right + 4.0, "start")
        };
        out.push_str(&text_at(
            tx,
            bar_y + 14.0,
            FONT,
            anchor,
            &b.value_label,
            "bar-value",
        ));
    }
    out.push_str("</svg>");
    out
}

/// How many of `flows` [`flow_diagram`] leaves out: those beyond the [`MAX_FLOWS`] largest,
/// those that are not positive and those naming a sector beyond the list or [`MAX_SECTORS`].
/// The page says this in `ChartText::description`.
pub fn flows_not_drawn(sectors: &[String], flows: &[SectorFlow]) -> usize {
    flows
        .len()
        .saturating_sub(drawn_flows(sectors.len(), flows).len())
}

/// An accessible inline SVG of who pays whom: the paying sectors in the left column, the
/// receiving ones in the right, each a bar as tall as its total, joined by translucent bands
/// as wide as each flow, each band titled with its flow's `label`. At most [`MAX_FLOWS`] flows
/// are drawn (the largest) among at most [`MAX_SECTORS`] sectors.
pub fn flow_diagram(sectors: &[String], flows: &[SectorFlow], text: &ChartText) -> String {
    let drawn = drawn_flows(sectors.len(), flows);
    let n = sectors.len().min(MAX_SECTORS);
    let mut paid = vec![0_i128; n];
    let mut received = vec![0_i128; n];
    for f in &drawn {
        // drawn_flows keeps only indices below n.
        if let Some(t) = paid.get_mut(f.from) {
            *t += i128::from(f.amount_minor);
        }
        if let Some(t) = received.get_mut(f.to) {
            *t += i128::from(f.amount_minor);
        }
    }
    let total: i128 = paid.iter().sum();
    let scale = if total > 0 {
        FLOW_H / total as f64
    } else {
        0.0
    };
    let left = column(&paid, scale);
    let right = column(&received, scale);
    let inner = left.height.max(right.height);
    let height = FLOW_TOP + inner + FLOW_BOTTOM;
    let mut out = open_svg("impact-chart impact-flows", height, text);

    if !drawn.is_empty() {
        if !text.from_heading.is_empty() {
            out.push_str(&text_at(
                4.0,
                18.0,
                SMALL_FONT,
                "start",
                &text.from_heading,
                "heading",
            ));
        }
        if !text.to_heading.is_empty() {
            out.push_str(&text_at(
                WIDTH - 4.0,
                18.0,
                SMALL_FONT,
                "end",
                &text.to_heading,
                "heading",
            ));
        }
    }

    // Where each band starts and ends: stacked in the other column's order, so bands cross
    // as little as the order allows.
    let left_shift = FLOW_TOP + (inner - left.height) / 2.0;
    let right_shift = FLOW_TOP + (inner - right.height) / 2.0;
    let mut by_source: Vec<usize> = (0..drawn.len()).collect();
    by_source.sort_by_key(|&i| drawn.get(i).map(|f| (f.from, f.to)));
    let mut by_target: Vec<usize> = (0..drawn.len()).collect();
    by_target.sort_by_key(|&i| drawn.get(i).map(|f| (f.to, f.from)));
    let mut start_y = vec![0.0_f64; drawn.len()];
    let mut end_y = vec![0.0_f64; drawn.len()];
    stack(
        &drawn,
        &by_source,
        |f| f.from,
        &left,
        left_shift,
        scale,
        &mut start_y,
    );
    stack(
        &drawn,
        &by_target,
        |f| f.to,
        &right,
        right_shift,
        scale,
        &mut end_y,
    );

    let x1 = FLOW_LABEL_W + FLOW_NODE_W;
    let x2 = WIDTH - FLOW_LABEL_W - FLOW_NODE_W;
    let xm = (x1 + x2) / 2.0;
    for (i, f) in drawn.iter().enumerate() {
        let w = (f.amount_minor as f64 * scale).max(1.0);
        let sy = num(start_y.get(i).copied().unwrap_or(FLOW_TOP));
        let ty = num(end_y.get(i).copied().unwrap_or(FLOW_TOP));
        let (sb, tb) = (num(sy + w), num(ty + w));
        out.push_str(&format!(
            concat!(
                r#"<path class="flow" d="M{x1:.1} {sy:.1}C{xm:.1} {sy:.1} {xm:.1} {ty:.1} {x2:.1} {ty:.1}"#,
                r#"V{tb:.1}C{xm:.1} {tb:.1} {xm:.1} {sb:.1} {x1:.1} {sb:.1}Z" fill="currentColor" fill-opacity="0.3" stroke="currentColor" stroke-opacity="0.5" stroke-width="0.5">"#,
                "<title>{label}</title></path>"
            ),
            x1 = x1,
            x2 = x2,
            xm = xm,
            sy = sy,
            ty = ty,
            sb = sb,
            tb = tb,
            label = escape(&f.label),
        ));
    }

    for (side, col, shift) in [(0, &left, left_shift), (1, &right, right_shift)] {
        for node in &col.nodes {
            let name = sectors.get(node.sector).map(String::as_str).unwrap_or("");
            let (rect_x, text_x, anchor) = if side == 0 {
                (FLOW_LABEL_W, FLOW_LABEL_W - 4.0, "end")
            } else {
                (x2, x2 + FLOW_NODE_W + 4.0, "start")
            };
            let top = shift + node.top;
            out.push_str(&format!(
                r#"<g class="sector"><title>{title}</title><rect x="{rect_x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="currentColor"/>{label}</g>"#,
                title = escape(name),
                y = num(top),
                w = FLOW_NODE_W,
                h = num(node.height),
                label = text_at(
                    text_x,
                    top + node.height / 2.0 + 5.0,
                    SMALL_FONT,
                    anchor,
                    &truncate(name, FLOW_LABEL_CHARS),
                    "sector-name"
                ),
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// The flows drawn: valid sectors, positive amounts, the largest [`MAX_FLOWS`].
fn drawn_flows(sector_count: usize, flows: &[SectorFlow]) -> Vec<&SectorFlow> {
    let n = sector_count.min(MAX_SECTORS);
    let mut kept: Vec<&SectorFlow> = flows
        .iter()
        .filter(|f| f.from < n && f.to < n && f.amount_minor > 0)
        .collect();
    kept.sort_by(|a, b| {
        b.amount_minor
            .cmp(&a.amount_minor)
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
    });
    kept.truncate(MAX_FLOWS);
    kept
}

/// One node of a flow diagram column.
struct Node {
    sector: usize,
    /// Top of the node, from the column's top.
    top: f64,
    height: f64,
}

/// The nodes of one column, in sector order, with the column's height.
struct Column {
    nodes: Vec<Node>,
    /// Index into `nodes` by sector, for the sectors present.
    by_sector: Vec<Option<usize>>,
    height: f64,
}

fn column(totals: &[i128], scale: f64) -> Column {
    let mut nodes = Vec::new();
    let mut by_sector = vec![None; totals.len()];
    let mut cursor = 0.0;
    for (sector, &t) in totals.iter().enumerate() {
        if t <= 0 {
            continue;
        }
        let height = num((t as f64 * scale).max(1.0));
        let slot = height.max(FLOW_MIN_SLOT);
        if let Some(entry) = by_sector.get_mut(sector) {
            *entry = Some(nodes.len());
        }
        nodes.push(Node {
            sector,
            top: cursor + (slot - height) / 2.0,
            height,
        });
        cursor += slot + FLOW_GAP;
    }
    let height = (cursor - FLOW_GAP).max(0.0);
    Column {
        nodes,
        by_sector,
        height,
    }
}

/// Stacks the bands on their node of `col`, in `order`, writing each band's top into `out`.
fn stack(
    drawn: &[&SectorFlow],
    order: &[usize],
    sector_of: impl Fn(&SectorFlow) -> usize,
    col: &Column,
    shift: f64,
    scale: f64,
    out: &mut [f64],
) {
    let mut offset = vec![0.0_f64; col.nodes.len()];
    for &i in order {
        let Some(f) = drawn.get(i) else { continue };
        let Some(Some(n)) = col.by_sector.get(sector_of(f)) else {
            continue;
        };
        let (Some(node), Some(off), Some(slot)) =
            (col.nodes.get(*n), offset.get_mut(*n), out.get_mut(i))
        else {
            continue;
        };
        *slot = num(shift + node.top + *off);
        *off += f.amount_minor as f64 * scale;
    }
}

/// At most `max` (at least 2) evenly spaced indices into `len` items, first and last included.
fn sample_indices(len: usize, max: usize) -> Vec<usize> {
    let max = max.max(2);
    if len <= max {
        return (0..len).collect();
    }
    let (last, steps) = ((len - 1) as u128, (max - 1) as u128);
    (0..max)
        .map(|k| (k as u128 * last / steps) as usize)
        .collect()
}

/// Where `v` sits between `lo` (0) and `hi` (1); the middle when the range is empty.
fn share(v: i64, lo: i64, hi: i64) -> f64 {
    let span = i128::from(hi) - i128::from(lo);
    if span <= 0 {
        return 0.5;
    }
    num(((i128::from(v) - i128::from(lo)) as f64 / span as f64).clamp(0.0, 1.0))
}

/// A coordinate that is surely finite.
fn num(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn text_width(s: &str, font: f64) -> f64 {
    s.chars().count() as f64 * font * CHAR_EM
}

/// `s` cut to `max` characters, the cut marked with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn open_svg(class: &str, height: f64, text: &ChartText) -> String {
    let id = escape(&text.id);
    format!(
        concat!(
            r#"<svg class="{class}" xmlns="http://www.w3.org/2000/svg" width="400" height="{h:.0}" viewBox="0 0 400 {h:.0}" role="img" aria-labelledby="{id}-title {id}-desc">"#,
            r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        ),
        class = class,
        h = num(height.ceil()),
        id = id,
        title = escape(&text.title),
        desc = escape(&text.description),
    )
}

fn text_at(x: f64, y: f64, font: f64, anchor: &str, s: &str, class: &str) -> String {
    format!(
        r#"<text class="{class}" x="{x:.1}" y="{y:.1}" font-size="{font:.0}" text-anchor="{anchor}" fill="currentColor">{s}</text>"#,
        x = num(x),
        y = num(y),
        font = num(font),
        s = escape(s),
    )
}

fn dash_attr(series: usize) -> String {
    match DASHES.get(series) {
        Some(d) if !d.is_empty() => format!(r#" stroke-dasharray="{d}""#),
        _ => String::new(),
    }
}

/// The point marker of a series: filled circle, hollow square, filled triangle, hollow
/// diamond, so the lines differ in shape as well as dashes.
fn marker(series: usize, x: f64, y: f64) -> String {
    let r = MARKER_R;
    match series % MAX_SERIES {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}"/>"#),
        1 => format!(
            r#"<rect x="{l:.1}" y="{t:.1}" width="{s:.1}" height="{s:.1}" fill="none" stroke-width="1.5"/>"#,
            l = x - r,
            t = y - r,
            s = 2.0 * r,
        ),
        2 => format!(
            r#"<polygon points="{x:.1},{t:.1} {l:.1},{b:.1} {rr:.1},{b:.1}"/>"#,
            t = y - r - 1.0,
            b = y + r,
            l = x - r - 1.0,
            rr = x + r + 1.0,
        ),
        _ => format!(
            r#"<polygon points="{x:.1},{t:.1} {rr:.1},{y:.1} {x:.1},{b:.1} {l:.1},{y:.1}" fill="none" stroke-width="1.5"/>"#,
            t = y - r - 1.0,
            b = y + r + 1.0,
            l = x - r - 1.0,
            rr = x + r + 1.0,
        ),
    }
}

/// The first, last and (when it fits between them) middle period labels under the plot.
fn period_labels(labels: &[String], periods: usize, y: f64, x: &impl Fn(usize) -> f64) -> String {
    let label = |i: usize| labels.get(i).map(String::as_str).unwrap_or("");
    match periods {
        0 => String::new(),
        1 => text_at(x(0), y, FONT, "middle", label(0), "period"),
        _ => {
            let last = periods - 1;
            let mut out = text_at(TS_LEFT, y, FONT, "start", label(0), "period");
            let mid = last / 2;
            if mid > 0 && mid < last {
                let half = text_width(label(mid), FONT) / 2.0;
                let fits_left = TS_LEFT + text_width(label(0), FONT) + 8.0 < x(mid) - half;
                let fits_right = x(mid) + half + 8.0 < TS_RIGHT - text_width(label(last), FONT);
                if fits_left && fits_right {
                    out.push_str(&text_at(x(mid), y, FONT, "middle", label(mid), "period"));
                }
            }
            out.push_str(&text_at(TS_RIGHT, y, FONT, "end", label(last), "period"));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = r#"<&">"#;
    const NASTY_ESCAPED: &str = "&lt;&amp;&quot;&gt;";

    fn text() -> ChartText {
        ChartText {
            id: "impact".into(),
            title: "Local money <retained>".into(),
            description: "From 1 to 9 & more".into(),
            min_label: "-3.00".into(),
            max_label: "12.00".into(),
            from_heading: "Pays".into(),
            to_heading: "Receives".into(),
        }
    }

    /// A tiny XML well-formedness check: tags balance and nest, attributes are quoted, text
    /// has no stray `<`, `>` or `&` outside entities.
    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        let mut roots = 0;
        while !rest.is_empty() {
            let Some(open) = rest.find('<') else {
                check_text(rest);
                break;
            };
            check_text(&rest[..open]);
            if stack.is_empty() && open > 0 {
                panic!("text outside the root: {svg}");
            }
            let after = &rest[open + 1..];
            let close = after.find('>').expect("an unclosed tag");
            let tag = &after[..close];
            assert!(!tag.contains('<'), "< inside a tag: {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}> in {svg}");
            } else {
                let name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("");
                assert!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "bad tag name in <{tag}>"
                );
                check_attributes(tag);
                if stack.is_empty() {
                    roots += 1;
                }
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &after[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert_eq!(roots, 1, "one root element");
    }

    fn check_attributes(tag: &str) {
        // name="value" pairs only; values checked like text.
        for (i, part) in tag.split('"').enumerate() {
            if i % 2 == 1 {
                check_text(part);
            } else if i > 0 {
                let part = part.trim().trim_end_matches('/');
                assert!(
                    part.is_empty() || part.ends_with('='),
                    "unquoted attribute in <{tag}>"
                );
            }
        }
    }

    fn check_text(s: &str) {
        assert!(!s.contains('<') && !s.contains('>'), "raw markup in {s:?}");
        for (i, _) in s.match_indices('&') {
            let entity = &s[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare & in {s:?}"
            );
        }
    }

    fn assert_finite(svg: &str) {
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    fn check(svg: &str) {
        assert_well_formed(svg);
        assert_finite(svg);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="impact-title impact-desc""#));
        assert!(svg.contains(r#"<title id="impact-title">Local money &lt;retained&gt;</title>"#));
        assert!(svg.contains(r#"<desc id="impact-desc">From 1 to 9 &amp; more</desc>"#));
    }

    fn paths(svg: &str) -> usize {
        svg.matches("<path").count()
    }

    fn series(name: &str, values: Vec<i64>) -> Series {
        Series {
            name: name.into(),
            values,
        }
    }

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("2024-{:02}", i % 12 + 1)).collect()
    }

    #[test]
    fn the_checker_rejects_broken_markup() {
        for bad in [
            "<svg><g></svg>",
            "<svg>a < b</svg>",
            "<svg>a & b</svg>",
            "<svg><g></g><g>",
            r#"<svg x="1></svg>"#,
        ] {
            assert!(
                std::panic::catch_unwind(|| assert_well_formed(bad)).is_err(),
                "{bad}"
            );
        }
        assert_well_formed(r#"<svg a="1"><g><title>x &amp; y</title></g><line b="2"/></svg>"#);
    }

    #[test]
    fn summaries_and_ranges() {
        assert_eq!(series_summary(&[]), None);
        assert_eq!(
            series_summary(&[5, -2, 9, 3]),
            Some(SeriesSummary {
                first: 5,
                last: 3,
                min: -2,
                max: 9
            })
        );
        assert_eq!(value_range(&[]), None);
        assert_eq!(value_range(&[series("a", vec![])]), None);
        let many: Vec<Series> = (0..6).map(|i| series("s", vec![i, 10 * i])).collect();
        assert_eq!(value_range(&many), Some((0, 30)), "only the drawn series");
    }

    #[test]
    fn sampling_is_bounded_even_and_keeps_both_ends() {
        assert_eq!(sample_indices(0, MAX_POINTS), Vec::<usize>::new());
        assert_eq!(sample_indices(3, MAX_POINTS), vec![0, 1, 2]);
        let kept = sample_indices(10_000, MAX_POINTS);
        assert_eq!(kept.len(), MAX_POINTS);
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&9_999));
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        let gaps: Vec<usize> = kept.windows(2).map(|w| w[1] - w[0]).collect();
        let (lo, hi) = (gaps.iter().min(), gaps.iter().max());
        assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "even spacing");
    }

    #[test]
    fn time_series_draws_one_path_per_series_with_distinct_styles() {
        let s = vec![
            series("Jobs", vec![1, 2, 3, 4]),
            series("LM3", vec![4, 3, 2, 1]),
            series("Food km", vec![2, 2, 2, 2]),
        ];
        let out = time_series(&s, &labels(4), &text());
        check(&out);
        assert_eq!(paths(&out), 3);
        assert!(out.contains(r#"stroke-dasharray="9 5""#));
        assert!(out.contains(r#"stroke-dasharray="2 4""#));
        assert!(out.contains("<circle") && out.contains("<rect") && out.contains("<polygon"));
        assert!(
            out.contains(">Jobs</text>") && out.contains(">Food km</text>"),
            "legend"
        );
        assert!(out.contains(">12.00</text>") && out.contains(">-3.00</text>"));
        assert!(out.contains(">2024-01</text>") && out.contains(">2024-04</text>"));
    }

    #[test]
    fn time_series_edge_cases_stay_finite() {
        let cases: Vec<(Vec<Series>, Vec<String>, usize)> = vec![
            (vec![], vec![], 0),
            (vec![], labels(3), 0),
            (vec![series("empty", vec![])], labels(2), 0),
            (vec![series("one", vec![7])], labels(1), 1),
            (vec![series("one", vec![7])], vec![], 1),
            (vec![series("flat", vec![0; 5])], labels(5), 1),
            (vec![series("flat", vec![-9; 5])], labels(5), 1),
            (vec![series("neg", vec![-5, 3, -1, 0])], labels(4), 1),
            (
                vec![
                    series("extreme", vec![i64::MIN, i64::MAX, 0]),
                    series("short", vec![1]),
                ],
                labels(2),
                2,
            ),
        ];
        for (s, l, drawn) in cases {
            let out = time_series(&s, &l, &text());
            check(&out);
            assert_eq!(paths(&out), drawn, "{out}");
        }
        let out = time_series(&[series("neg", vec![-5, 3])], &labels(2), &text());
        assert!(
            out.contains(r#"class="zero""#),
            "a zero line between negatives and positives"
        );
        let flat = time_series(&[series("flat", vec![4; 3])], &labels(3), &text());
        assert!(flat.contains("M8.0 96.0L200.0 96.0L392.0 96.0"), "{flat}");
    }

    #[test]
    fn time_series_bounds_series_points_and_markers() {
        let s: Vec<Series> = (0..7)
            .map(|k| {
                series(
                    &format!("s{k}"),
                    (0..5_000).map(|i| (i * 37 + k) % 1_001).collect(),
                )
            })
            .collect();
        let out = time_series(&s, &labels(5_000), &text());
        check(&out);
        assert_eq!(paths(&out), MAX_SERIES);
        assert!(
            !out.contains(">s4</text>"),
            "series beyond the fourth ignored"
        );
        for d in out.split(r#" d=""#).skip(1) {
            let d = d.split('"').next().unwrap_or("");
            assert_eq!(d.matches(['M', 'L']).count(), MAX_POINTS);
            let last_x = d.rsplit('L').next().and_then(|p| p.split(' ').next());
            assert_eq!(last_x, Some("392.0"), "the last point kept: {d}");
        }
        let circles = out.matches("<circle").count();
        assert!(circles <= MAX_MARKERS + 2, "{circles} markers");
    }

    #[test]
    fn time_series_escapes_every_text() {
        let t = ChartText {
            id: NASTY.into(),
            title: NASTY.into(),
            description: NASTY.into(),
            min_label: NASTY.into(),
            max_label: NASTY.into(),
            ..ChartText::default()
        };
        let out = time_series(
            &[series(NASTY, vec![1, 2, 3])],
            &[NASTY.into(), NASTY.into(), NASTY.into()],
            &t,
        );
        assert_well_formed(&out);
        assert!(!out.contains(NASTY));
        assert!(out.matches(NASTY_ESCAPED).count() >= 7, "{out}");
    }

    #[test]
    fn bars_are_bounded_and_grow_with_their_count() {
        let few: Vec<Bar> = (0..3)
            .map(|i| Bar {
                label: format!("Sector {i}"),
                value: i * 100,
                value_label: format!("{i}.00"),
            })
            .collect();
        let many: Vec<Bar> = (0..40)
            .map(|i| Bar {
                label: format!("Sector {i}"),
                value: i * 100,
                value_label: format!("{i}.00"),
            })
            .collect();
        let out_few = bars(&few, &text());
        let out_many = bars(&many, &text());
        check(&out_few);
        check(&out_many);
        assert_eq!(out_few.matches("<rect").count(), 3);
        assert_eq!(out_many.matches("<rect").count(), MAX_BARS);
        assert!(!out_many.contains(">Sector 24</text>"));
        assert_eq!(paths(&out_many), 0);
        let height = |s: &str| {
            s.split("height=\"")
                .nth(1)
                .and_then(|h| h.split('"').next())
                .and_then(|h| h.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        assert!(height(&out_many) > height(&out_few));
    }

    #[test]
    fn bars_edge_cases_stay_finite_and_negatives_go_left() {
        let bar = |value: i64| Bar {
            label: "x".into(),
            value,
            value_label: value.to_string(),
        };
        for case in [
            vec![],
            vec![bar(0)],
            vec![bar(0), bar(0)],
            vec![bar(-5)],
            vec![bar(i64::MIN), bar(i64::MAX)],
        ] {
            check(&bars(&case, &text()));
        }
        let out = bars(&[bar(-50), bar(100)], &text());
        let zero: f64 = out
            .split(r#"class="zero" x1=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1.0);
        let first_bar_x: f64 = out
            .split(r#"class="bar" x=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1.0);
        assert!(first_bar_x < zero && zero > BAR_LEFT, "{out}");
        assert!(out.contains(r#"text-anchor="end" fill="currentColor">-50</text>"#));
    }

    #[test]
    fn bars_escape_every_text() {
        let out = bars(
            &[Bar {
                label: NASTY.into(),
                value: 1,
                value_label: NASTY.into(),
            }],
            &text(),
        );
        check(&out);
        assert!(!out.contains(NASTY));
        assert_eq!(out.matches(NASTY_ESCAPED).count(), 2);
    }

    fn sectors(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("Sector {i}")).collect()
    }

    fn flow(from: usize, to: usize, amount_minor: i64) -> SectorFlow {
        SectorFlow {
            from,
            to,
            amount_minor,
            label: format!("Sector {from} → Sector {to}: {amount_minor}"),
        }
    }

    #[test]
    fn flow_diagram_draws_one_titled_band_per_flow() {
        let f = vec![
            flow(0, 1, 500),
            flow(1, 2, 300),
            flow(2, 0, 200),
            flow(0, 0, 50),
        ];
        let out = flow_diagram(&sectors(3), &f, &text());
        check(&out);
        assert_eq!(paths(&out), 4);
        assert_eq!(out.matches("</title></path>").count(), 4);
        assert!(out.contains("<title>Sector 0 → Sector 1: 500</title>"));
        assert_eq!(out.matches(r#"<g class="sector">"#).count(), 6);
        assert!(out.contains(">Pays</text>") && out.contains(">Receives</text>"));
        assert!(out.contains(r#"fill-opacity="0.3""#));
        assert_eq!(flows_not_drawn(&sectors(3), &f), 0);
    }

    #[test]
    fn flow_diagram_node_heights_follow_totals() {
        let out = flow_diagram(&sectors(2), &[flow(0, 1, 300), flow(1, 0, 100)], &text());
        let heights: Vec<f64> = out
            .split(r#"width="10.0" height=""#)
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect();
        // Left column: sector 0 pays 300, sector 1 pays 100; right: 100 then 300.
        assert_eq!(heights, vec![165.0, 55.0, 55.0, 165.0]);
    }

    #[test]
    fn flow_diagram_bounds_and_edge_cases() {
        let all: Vec<SectorFlow> = (0..30)
            .flat_map(|a| (0..30).map(move |b| flow(a, b, (a * 30 + b) as i64 + 1)))
            .collect();
        let s = sectors(30);
        let out = flow_diagram(&s, &all, &text());
        check(&out);
        assert_eq!(paths(&out), MAX_FLOWS);
        assert_eq!(flows_not_drawn(&s, &all), all.len() - MAX_FLOWS);
        assert!(
            !out.contains(">Sector 25<"),
            "sectors beyond MAX_SECTORS not drawn"
        );
        // The largest among sectors 0..20 is 19 → 19 (amount 19*30+19+1).
        assert!(out.contains("<title>Sector 19 → Sector 19: 590</title>"));
        for (sectors, flows, drawn) in [
            (sectors(0), vec![], 0),
            (sectors(3), vec![], 0),
            (sectors(0), vec![flow(0, 1, 5)], 0),
            (sectors(3), vec![flow(0, 1, 0), flow(1, 2, -5)], 0),
            (sectors(3), vec![flow(0, 7, 5), flow(9, 1, 5)], 0),
            (sectors(2), vec![flow(0, 1, 1)], 1),
            (
                sectors(2),
                vec![flow(0, 1, i64::MAX), flow(1, 0, i64::MAX), flow(0, 0, 1)],
                3,
            ),
        ] {
            let out = flow_diagram(&sectors, &flows, &text());
            check(&out);
            assert_eq!(paths(&out), drawn, "{out}");
            assert_eq!(flows_not_drawn(&sectors, &flows), flows.len() - drawn);
        }
    }

    #[test]
    fn flow_diagram_escapes_every_text() {
        let t = ChartText {
            id: "impact".into(),
            from_heading: NASTY.into(),
            to_heading: NASTY.into(),
            ..text()
        };
        let s = vec![NASTY.to_string(), "Retail".to_string()];
        let f = vec![SectorFlow {
            from: 0,
            to: 1,
            amount_minor: 10,
            label: NASTY.into(),
        }];
        let out = flow_diagram(&s, &f, &t);
        check(&out);
        assert!(!out.contains(NASTY));
        // Two headings, the band's title, the node's title and its label.
        assert_eq!(out.matches(NASTY_ESCAPED).count(), 5);
    }

    #[test]
    fn long_sector_names_are_cut_but_kept_in_the_title() {
        let long = "Servizi sociali e sanitari di comunità".to_string();
        let out = flow_diagram(&[long.clone(), "B".into()], &[flow(0, 1, 3)], &text());
        check(&out);
        assert!(out.contains(&format!("<title>{long}</title>")));
        assert!(out.contains(">Servizi socia…</text>"), "{out}");
    }
}
