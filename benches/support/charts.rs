//! The benchmarks' two charts, drawn with plotters' SVG backend:
//! benches/latency.svg (every server, benches/waves.rs) and
//! benches/runtimes.svg (wasm beside JS per runtime, benches/runtimes.rs).

use plotters::prelude::*;
use serde_json::Value;

use super::{Row, Stat};

/// A chart's drawing failed: only on a bug in the data given (NaN bounds).
type Drawn = Result<(), Box<dyn std::error::Error>>;

fn colour(server: &str) -> RGBColor {
    match server {
        "wasm" => RGBColor(0x18, 0x64, 0xab),
        "js" => RGBColor(0x4d, 0xab, 0xf7),
        "js-floor" => RGBColor(0xa5, 0xd8, 0xff),
        "tokio" => RGBColor(0x2f, 0x9e, 0x44),
        "flask-fixed" => RGBColor(0xe8, 0x59, 0x0c),
        "quart" => RGBColor(0xf5, 0x9f, 0x00),
        "gunicorn" => RGBColor(0xd9, 0x48, 0x0f),
        "uwsgi" => RGBColor(0xa6, 0x1e, 0x4d),
        _ => RGBColor(0x86, 0x8e, 0x96),
    }
}

/// Median p50 (solid) and p99 (dashed) latency against concurrency (log
/// scale) for every server that answered, and beside it CPU per request and
/// peak RSS at the largest N up to 1000, as bars. Servers that only fail
/// (the seed, the threaded WSGI servers) have no line and no bar.
pub fn latency(rows: &[Row], title: &str) -> String {
    let answered: Vec<&Row> = rows.iter().filter(|r| r.errors < r.n * r.reps).collect();
    let mut servers: Vec<&str> = Vec::new();
    for row in &answered {
        if !servers.contains(&row.server.as_str()) {
            servers.push(&row.server);
        }
    }
    let bar_n = answered
        .iter()
        .map(|r| r.n)
        .filter(|&n| n <= 1000)
        .max()
        .unwrap_or(1);
    let at: Vec<&Row> = servers
        .iter()
        .filter_map(|s| {
            answered
                .iter()
                .copied()
                .find(|r| r.server == *s && r.n == bar_n)
        })
        .collect();
    let mut svg = String::new();
    let drawn = draw_latency(&mut svg, &answered, &servers, &at, title);
    drawn
        .map(|()| svg)
        .unwrap_or_else(|e| panic!("latency chart: {e}"))
}

fn draw_latency(
    svg: &mut String,
    answered: &[&Row],
    servers: &[&str],
    at: &[&Row],
    title: &str,
) -> Drawn {
    let root = SVGBackend::with_string(svg, (980, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 15))?;
    let (left, right) = root.split_horizontally(560);
    let max_n = answered.iter().map(|r| r.n).max().unwrap_or(10).max(10) as f64;
    let top_ms = answered
        .iter()
        .map(|r| r.p99_ms.median)
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&left)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(65)
        .build_cartesian_2d(
            (1.0..max_n * 1.2).log_scale(),
            (500.0..top_ms * 1.3).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|n| format!("{n:.0}"))
        .y_labels(6)
        .y_label_formatter(&|ms| format!("{ms:.0}"))
        .x_desc("concurrent requests in one wave (log scale)")
        .y_desc("latency (ms, log scale): p50 solid, p99 dashed")
        .draw()?;
    for &server in servers {
        let line = || answered.iter().filter(move |r| r.server == server);
        let style = colour(server).stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                line().map(|r| (r.n as f64, r.p50_ms.median)),
                style,
            ))?
            .label(server)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour(server).filled())
            });
        let p99 = line().map(|r| (r.n as f64, r.p99_ms.median));
        chart.draw_series(DashedLineSeries::new(p99, 6, 4, style))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    let n = at.first().map_or(0, |r| r.n);
    let (cpu, rss) = right.split_vertically(200);
    bars(&cpu, &format!("CPU per request (µs), N={n}"), at, |r| {
        r.cpu_us_per_req
    })?;
    bars(&rss, &format!("peak RSS (MiB), N={n}"), at, |r| {
        r.peak_rss_mib
    })?;
    root.present()?;
    Ok(())
}

/// One horizontal bar per row: the median of `figure`, labelled.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    at: &[&Row],
    figure: fn(&Row) -> Stat,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let top = at.iter().map(|r| figure(r).median).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 12))
        .margin(6)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..top * 1.25, 0.0..at.len() as f64)?;
    let names: Vec<&str> = at.iter().map(|r| r.server.as_str()).collect();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(at.len() * 2 + 1)
        .y_label_formatter(&|y| label_at(&names, *y))
        .draw()?;
    chart.draw_series(at.iter().enumerate().map(|(i, r)| {
        let y = (at.len() - 1 - i) as f64;
        Rectangle::new(
            [(0.0, y + 0.15), (figure(r).median, y + 0.85)],
            colour(&r.server).filled(),
        )
    }))?;
    chart.draw_series(at.iter().enumerate().map(|(i, r)| {
        let y = (at.len() - 1 - i) as f64;
        let value = figure(r).median;
        Text::new(
            format!("{value:.0}"),
            (value + top * 0.02, y + 0.7),
            ("sans-serif", 11),
        )
    }))?;
    Ok(())
}

/// The name of the bar whose middle is at `y` (rows drawn top down).
fn label_at(names: &[&str], y: f64) -> String {
    let from_top = names.len() as f64 - y - 0.5;
    let i = from_top.round();
    if (from_top - i).abs() < 0.01 && i >= 0.0 {
        names
            .get(i as usize)
            .map_or(String::new(), |n| n.to_string())
    } else {
        String::new()
    }
}

/// benches/runtimes.json's `series`: per runtime and wave size, CPU per
/// request of the wasm and of the plain-JS handler (median bar, min–max
/// whisker), labelled with the paired wasm/JS ratio and its 95% interval.
pub fn runtimes(results: &Value) -> String {
    let empty = Vec::new();
    let series = results["series"].as_array().unwrap_or(&empty);
    let mut svg = String::new();
    let drawn = draw_runtimes(&mut svg, series);
    drawn
        .map(|()| svg)
        .unwrap_or_else(|e| panic!("runtimes chart: {e}"))
}

fn draw_runtimes(svg: &mut String, series: &[Value]) -> Drawn {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let height = 90 + 48 * series.len() as u32;
    let root = SVGBackend::with_string(svg, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = "GET /toy (1 s sleep): CPU per request, wasm (dark) and the same handler in plain JS (light)";
    let root = root.titled(title, ("sans-serif", 14))?;
    let top = series
        .iter()
        .flat_map(|s| {
            [
                num(&s["cpu_us_per_req"]["wasm"]["max"]),
                num(&s["cpu_us_per_req"]["js"]["max"]),
            ]
        })
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let names: Vec<String> = series.iter().map(row_label).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(250)
        .build_cartesian_2d(0.0..top * 1.1, 0.0..series.len() as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_label_formatter(&|us| format!("{us:.0}"))
        .y_labels(series.len() * 2 + 1)
        .y_label_formatter(&|y| label_at(&names, *y))
        .x_desc("CPU per request (µs): bar the median of the waves, whisker min–max; label wasm/JS, median of the per-pair ratios (95%)")
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let y = (series.len() - 1 - i) as f64;
        for (j, side) in ["wasm", "js"].into_iter().enumerate() {
            let stat = &s["cpu_us_per_req"][side];
            let (lo, y) = (
                y + 0.1 + 0.4 * (1 - j) as f64,
                y + 0.1 + 0.4 * (1 - j) as f64 + 0.35,
            );
            let bar = Rectangle::new(
                [(0.0, lo), (num(&stat["median"]), y)],
                colour(side).filled(),
            );
            let mid = (lo + y) / 2.0;
            let whisker =
                PathElement::new([(num(&stat["min"]), mid), (num(&stat["max"]), mid)], BLACK);
            chart.draw_series([bar])?;
            chart.draw_series([whisker])?;
        }
    }
    root.present()?;
    Ok(())
}

/// "deno c=1000  ×1.18 (1.07–1.52)".
fn row_label(s: &Value) -> String {
    let ratio = &s["wasm_js"]["cpu"];
    let median = ratio["stat"]["median"].as_f64().unwrap_or(f64::NAN);
    let ci = match (ratio["ci95"][0].as_f64(), ratio["ci95"][1].as_f64()) {
        (Some(lo), Some(hi)) => format!(" ({lo:.2}–{hi:.2})"),
        _ => String::new(),
    };
    format!(
        "{} c={}  ×{median:.2}{ci}",
        s["runtime"].as_str().unwrap_or("?"),
        s["n"]
    )
}
