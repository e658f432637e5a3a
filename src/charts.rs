//! `{chart}` blocks: bar, grouped-bar, line and scatter charts as inline, accessible SVG.
//!
//! Hand-written SVG rather than a plotting crate: the charts are simple, must carry `<title>`,
//! `<desc>` and ARIA roles, take their colours from CSS custom properties (so dark mode and
//! print work) and stay byte-identical between builds. Every value is escaped.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::i18n::{format_number, Lang};
use crate::markdown::{escape_attr, escape_text};

/// The parsed `{chart}` directive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    /// `fig-…`, unique site-wide.
    pub id: String,
    /// Caption.
    pub caption: String,
    /// Dataset to plot.
    #[serde(default)]
    pub dataset: Option<String>,
    /// Or a computed table.
    #[serde(default)]
    pub table: Option<String>,
    /// bar | line | scatter.
    #[serde(default)]
    pub kind: Option<ChartKind>,
    /// Column for the x axis (categories for bars).
    #[serde(default)]
    pub x: Option<String>,
    /// One or more series.
    #[serde(default)]
    pub y: Option<OneOrMany>,
    /// Axis label for x.
    #[serde(default)]
    pub x_label: Option<String>,
    /// Axis label for y.
    #[serde(default)]
    pub y_label: Option<String>,
    /// Row filter (as in tables).
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
}

impl ChartSpec {
    /// A translation's short block: only id and caption.
    pub fn is_reference(&self) -> bool {
        self.dataset.is_none()
            && self.table.is_none()
            && self.kind.is_none()
            && self.x.is_none()
            && self.y.is_none()
    }

    /// The y series names.
    pub fn series(&self) -> Vec<String> {
        match &self.y {
            Some(OneOrMany::One(s)) => vec![s.clone()],
            Some(OneOrMany::Many(v)) => v.clone(),
            None => Vec::new(),
        }
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One name.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

/// Chart types.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Vertical bars; several series give grouped bars.
    Bar,
    /// Lines with markers.
    Line,
    /// Points; x must be numeric.
    Scatter,
}

/// The data a chart plots, already resolved from a dataset or table.
#[derive(Debug, Clone)]
pub struct ChartData {
    /// X labels (categories) in row order.
    pub x: Vec<String>,
    /// X as numbers when every label is numeric (needed for scatter).
    pub x_num: Option<Vec<f64>>,
    /// (series label, values) pairs.
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

const W: f64 = 720.0;
const H: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 72.0;

/// Render the SVG. `title` is the caption; `desc` a one-sentence text description.
pub fn render_svg(
    kind: ChartKind,
    data: &ChartData,
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    lang: Lang,
) -> String {
    let values: Vec<f64> = data
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .collect();
    let (lo, hi) = nice_range(&values, kind == ChartKind::Bar);
    let ticks = ticks(lo, hi);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h - (v - lo) / (hi - lo) * plot_h;
    let desc = describe(kind, data, lang);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"{id}-title\">{t}</title><desc id=\"{id}-desc\">{d}</desc>",
        id = escape_attr(id),
        t = escape_text(title),
        d = escape_text(&desc)
    );
    // Grid and y axis.
    let digits = tick_digits(&ticks);
    for t in &ticks {
        let y = y_of(*t);
        let _ = write!(s, "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", W - RIGHT, LEFT - 6.0, y + 4.0, escape_text(&format_number(*t, digits, lang)));
    }
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
        W - RIGHT,
        y_of(lo.max(0.0).min(hi)),
        y_of(lo.max(0.0).min(hi))
    );
    let n = data.x.len().max(1);
    let band = plot_w / n as f64;
    match kind {
        ChartKind::Bar => {
            let k = data.series.len().max(1) as f64;
            let bw = band * 0.8 / k;
            let zero = y_of(0.0f64.clamp(lo, hi));
            for (si, (name, vals)) in data.series.iter().enumerate() {
                for (i, v) in vals.iter().enumerate() {
                    let Some(v) = v else { continue };
                    let x = LEFT + band * i as f64 + band * 0.1 + bw * si as f64;
                    let y = y_of(*v);
                    let (top, h) = if y < zero {
                        (y, zero - y)
                    } else {
                        (zero, y - zero)
                    };
                    let _ = write!(s, "<rect class=\"s{}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\"><title>{}: {}, {}</title></rect>", si % 6, escape_text(&data.x[i]), escape_text(name), escape_text(&format_number(*v, 2, lang)));
                }
            }
        }
        ChartKind::Line | ChartKind::Scatter => {
            let (xlo, xhi, xs): (f64, f64, Vec<f64>) = match (&data.x_num, kind) {
                (Some(xn), ChartKind::Scatter) => {
                    let (a, b) = nice_range(xn, false);
                    (a, b, xn.clone())
                }
                _ => (0.0, n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
            };
            let x_of = |v: f64| LEFT + (v - xlo) / (xhi - xlo) * plot_w;
            for (si, (name, vals)) in data.series.iter().enumerate() {
                let pts: Vec<(f64, f64, usize)> = vals
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (x_of(xs[i]), y_of(v), i)))
                    .collect();
                if kind == ChartKind::Line && pts.len() > 1 {
                    let d: Vec<String> = pts
                        .iter()
                        .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                        .collect();
                    let _ = write!(
                        s,
                        "<polyline class=\"line s{}\" fill=\"none\" points=\"{}\"/>",
                        si % 6,
                        d.join(" ")
                    );
                }
                for (x, y, i) in &pts {
                    let v = vals[*i].unwrap_or(0.0);
                    let _ = write!(s, "<circle class=\"s{}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\"><title>{}: {}, {}</title></circle>", si % 6, escape_text(&data.x[*i]), escape_text(name), escape_text(&format_number(v, 2, lang)));
                }
            }
            if kind == ChartKind::Scatter && data.x_num.is_some() {
                for t in ticks_for(xlo, xhi) {
                    let _ = write!(s, "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", x_of(t), H - BOTTOM + 18.0, escape_text(&format_number(t, tick_digits(&[t]), lang)));
                }
            }
        }
    }
    // Category labels (bars and lines).
    if kind != ChartKind::Scatter || data.x_num.is_none() {
        let rotate = n > 8 || data.x.iter().any(|l| l.chars().count() > 12);
        for (i, label) in data.x.iter().enumerate() {
            let x = LEFT + band * (i as f64 + 0.5);
            let y = H - BOTTOM + 16.0;
            let short: String = if label.chars().count() > 22 {
                label.chars().take(20).chain(['…']).collect()
            } else {
                label.clone()
            };
            if rotate {
                let _ = write!(s, "<text class=\"tick\" transform=\"translate({x:.1},{y:.1}) rotate(-35)\" text-anchor=\"end\">{}</text>", escape_text(&short));
            } else {
                let _ = write!(s, "<text class=\"tick\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\">{}</text>", escape_text(&short));
            }
        }
    }
    if !x_label.is_empty() {
        let _ = write!(
            s,
            "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            LEFT + plot_w / 2.0,
            H - 4.0,
            escape_text(x_label)
        );
    }
    if !y_label.is_empty() {
        let _ = write!(s, "<text class=\"axis-label\" transform=\"translate(14,{:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>", TOP + plot_h / 2.0, escape_text(y_label));
    }
    s.push_str("</svg>");
    s
}

/// The legend as HTML (outside the SVG so it wraps on phones).
pub fn legend_html(data: &ChartData) -> String {
    if data.series.len() < 2 {
        return String::new();
    }
    let mut s = String::from("<ul class=\"legend\">");
    for (i, (name, _)) in data.series.iter().enumerate() {
        let _ = write!(
            s,
            "<li><span class=\"swatch s{}\" aria-hidden=\"true\"></span>{}</li>",
            i % 6,
            escape_text(name)
        );
    }
    s.push_str("</ul>");
    s
}

fn describe(kind: ChartKind, data: &ChartData, lang: Lang) -> String {
    let kind_name = match (kind, lang) {
        (ChartKind::Bar, Lang::En) => "Bar chart",
        (ChartKind::Line, Lang::En) => "Line chart",
        (ChartKind::Scatter, Lang::En) => "Scatter plot",
        (ChartKind::Bar, Lang::Ru) => "Столбчатая диаграмма",
        (ChartKind::Line, Lang::Ru) => "Линейный график",
        (ChartKind::Scatter, Lang::Ru) => "Диаграмма рассеяния",
        (ChartKind::Bar, Lang::Kk) => "Бағаналы диаграмма",
        (ChartKind::Line, Lang::Kk) => "Сызықтық график",
        (ChartKind::Scatter, Lang::Kk) => "Шашырау диаграммасы",
    };
    let names: Vec<&str> = data.series.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{kind_name}: {} ({}–{}, n = {}).",
        names.join(", "),
        data.x.first().map_or("", String::as_str),
        data.x.last().map_or("", String::as_str),
        data.x.len()
    )
}

fn nice_range(values: &[f64], include_zero: bool) -> (f64, f64) {
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let step = nice_step((hi - lo) / 5.0);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.abs().log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn ticks_for(lo: f64, hi: f64) -> Vec<f64> {
    let step = nice_step((hi - lo) / 5.0);
    let mut out = Vec::new();
    let mut t = lo;
    while t <= hi + step * 1e-9 && out.len() < 20 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    ticks_for(lo, hi)
}

fn tick_digits(ticks: &[f64]) -> usize {
    ticks
        .iter()
        .map(|t| {
            let s = format!("{:.6}", t.abs());
            s.trim_end_matches('0')
                .split_once('.')
                .map_or(0, |(_, f)| f.len())
        })
        .max()
        .unwrap_or(0)
        .min(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ChartData {
        ChartData {
            x: vec!["Astana".into(), "<b>Almaty</b>".into()],
            x_num: None,
            series: vec![
                ("hai".into(), vec![Some(79.06), Some(-3.0)]),
                ("b".into(), vec![None, Some(10.0)]),
            ],
        }
    }

    #[test]
    fn svg_is_accessible_and_escaped() {
        let svg = render_svg(
            ChartKind::Bar,
            &data(),
            "fig-x",
            "Caption <script>",
            "City",
            "Index",
            Lang::En,
        );
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"fig-x-title\">Caption &lt;script&gt;</title>"));
        assert!(!svg.contains("<b>"));
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "one bar per non-missing value"
        );
        assert!(legend_html(&data()).contains("swatch s1"));
    }

    #[test]
    fn nice_ranges() {
        assert_eq!(nice_range(&[3.0, 97.0], true), (0.0, 100.0));
        assert_eq!(ticks(0.0, 100.0), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_range(&[], true), (0.0, 1.0));
    }

    #[test]
    fn line_and_scatter_render_points() {
        let mut d = data();
        d.x_num = Some(vec![1.0, 2.0]);
        let svg = render_svg(ChartKind::Line, &d, "fig-l", "t", "", "", Lang::Ru);
        assert!(svg.contains("<polyline"));
        let svg = render_svg(ChartKind::Scatter, &d, "fig-s", "t", "", "", Lang::Kk);
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
