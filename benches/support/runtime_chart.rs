//! The chart of benches/runtimes.rs: per runtime and wave size, CPU per
//! request of the wasm and of the plain-JS handler (median bar, min–max
//! whisker), and the paired wasm/JS ratio with its 95% interval beside them.

use serde_json::Value;

const W: f64 = 900.0;
const ROW: f64 = 56.0;
const TOP: f64 = 64.0;
const LEFT: f64 = 130.0;
const BAR_W: f64 = 520.0;
const WASM: &str = "#1864ab";
const JS: &str = "#4dabf7";

/// The SVG for benches/runtimes.json's `series`.
pub fn runtime_chart(results: &Value) -> String {
    let empty = Vec::new();
    let series = results["series"].as_array().unwrap_or(&empty);
    let top_us = series
        .iter()
        .flat_map(|s| {
            [
                &s["cpu_us_per_req"]["wasm"]["max"],
                &s["cpu_us_per_req"]["js"]["max"],
            ]
        })
        .filter_map(Value::as_f64)
        .fold(1.0, f64::max);
    let scale = |us: f64| us / top_us * BAR_W;
    let h = TOP + ROW * series.len() as f64 + 40.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="14">GET /toy (1 s sleep): CPU per request, the one wasm build and the same handler in plain JS, per runtime</text>
<text x="{}" y="40" text-anchor="middle" fill="#555">bar: median of the waves, whisker: min–max; right: wasm/JS, median of the per-pair ratios (95% interval); target ≤ 1.10</text>
"##,
        W / 2.0,
        W / 2.0
    );
    for (i, s) in series.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        out += &format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{} c={}</text>\n",
            LEFT - 8.0,
            y + ROW / 2.0,
            s["runtime"].as_str().unwrap_or("?"),
            s["n"]
        );
        for (j, (which, colour)) in [("wasm", WASM), ("js", JS)].iter().enumerate() {
            let stat = &s["cpu_us_per_req"][which];
            let (med, lo, hi) = (num(&stat["median"]), num(&stat["min"]), num(&stat["max"]));
            let by = y + 6.0 + 20.0 * j as f64;
            out += &format!(
                "<rect x=\"{LEFT}\" y=\"{by:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{colour}\"/>\
                 <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{which} {med:.0} µs</text>\n",
                scale(med),
                LEFT + scale(lo),
                by + 8.0,
                LEFT + scale(hi),
                by + 8.0,
                LEFT + scale(hi) + 6.0,
                by + 12.0
            );
        }
        let ratio = &s["wasm_js"]["cpu"];
        let ci = match (ratio["ci95"][0].as_f64(), ratio["ci95"][1].as_f64()) {
            (Some(lo), Some(hi)) => format!(" ({lo:.2}–{hi:.2})"),
            _ => String::new(),
        };
        out += &format!(
            "<text x=\"{}\" y=\"{:.1}\" font-weight=\"bold\">×{:.2}{ci}</text>\n",
            LEFT + BAR_W + 90.0,
            y + ROW / 2.0,
            num(&ratio["stat"]["median"])
        );
    }
    out + "</svg>\n"
}

fn num(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}
