//! Paired figures: a wasm and a JS measurement back to back, the order
//! alternating, summed up as the median of the per-pair ratios with its 95%
//! interval.

use serde_json::{Value, json};

use super::{Stat, median_ci95};

/// `rounds` measurements of the wasm and of the JS side, the order
/// alternating round by round so that drift hits both alike. `measure`
/// takes `(round, is_wasm)`; returns the wasm's figures and the JS's.
pub fn alternating<T>(
    rounds: usize,
    mut measure: impl FnMut(usize, bool) -> T,
) -> (Vec<T>, Vec<T>) {
    let (mut wasm, mut js) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for is_wasm in [round % 2 == 0, round % 2 == 1] {
            let figure = measure(round, is_wasm);
            if is_wasm { &mut wasm } else { &mut js }.push(figure);
        }
    }
    (wasm, js)
}

/// Median, min–max and the 95% interval of the per-pair ratios.
pub fn ratio(wasm: &[f64], js: &[f64]) -> Value {
    let ratios: Vec<f64> = wasm.iter().zip(js).map(|(w, j)| w / j).collect();
    json!({ "stat": Stat::of(&ratios), "ci95": median_ci95(&ratios), "ratios": ratios })
}

pub fn median(ratio: &Value) -> f64 {
    ratio["stat"]["median"].as_f64().unwrap_or(f64::NAN)
}

/// "1.034 (0.981–1.102)": the median ratio and its 95% interval.
pub fn ratio_text(ratio: &Value) -> String {
    match (ratio["ci95"][0].as_f64(), ratio["ci95"][1].as_f64()) {
        (Some(lo), Some(hi)) => format!("{:.3} ({lo:.3}–{hi:.3})", median(ratio)),
        _ => format!("{:.3}", median(ratio)),
    }
}
