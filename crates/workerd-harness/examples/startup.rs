//! How long each way of starting a small JS worker takes, spawn to the first
//! answer: this crate on bare workerd, this crate under `wrangler dev` (the
//! same worker with a KV namespace), and Miniflare from Node. 11 rounds, the
//! order alternating; prints the median (min–max) of each, in ms.
//!
//! Run from a directory with wrangler (and so Miniflare and workerd) in
//! `node_modules`, or above one:
//! `cargo run --release -p workerd-harness --example startup`.

#[cfg(unix)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::time::Instant;
    use workerd_harness::Workerd;

    const ROUNDS: usize = 11;
    let dir = std::env::current_dir()?.join("target/workerd-harness-startup");
    std::fs::create_dir_all(dir.join("src"))?;
    let worker = "export default { fetch() { return new Response('ok'); } };\n";
    std::fs::write(dir.join("src/index.js"), worker)?;
    let config =
        r#"{ "name": "startup", "main": "src/index.js", "compatibility_date": "2026-11-01" }"#;
    std::fs::write(dir.join("wrangler.jsonc"), config)?;
    let kv = r#"{ "name": "startup", "main": "src/index.js", "compatibility_date": "2026-11-01",
  "kv_namespaces": [{ "binding": "KV", "id": "kv" }] }"#;
    std::fs::write(dir.join("kv.jsonc"), kv)?;
    // Miniflare as a JS test would use it, timed inside Node (a test runner
    // pays Node's start and the import once, not per worker): new
    // Miniflare(…) to the first answer, which starts a workerd as this crate
    // does.
    let script = r#"import { Miniflare, convertV4MiniflareOptions } from "miniflare";
const started = performance.now();
const options = { modules: true, scriptPath: "src/index.js", compatibilityDate: "2026-11-01" };
const mf = new Miniflare(convertV4MiniflareOptions(options));
const answer = await mf.dispatchFetch("http://localhost/");
if ((await answer.text()) !== "ok") process.exit(1);
console.log(performance.now() - started);
await mf.dispose();
"#;
    std::fs::write(dir.join("miniflare.mjs"), script)?;
    let node = dir
        .ancestors()
        .map(|d| d.join("node_modules/.bin/node"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| "node".into());

    let bare = Workerd::from_wrangler_config(dir.join("wrangler.jsonc"))?;
    let wrangler = Workerd::from_wrangler_config(dir.join("kv.jsonc"))?;
    println!("bare: {:?}; kv: {:?}", bare.backend(), wrangler.backend());
    let mut times: [Vec<f64>; 3] = Default::default();
    for round in 0..ROUNDS {
        let mut order = [0, 1, 2];
        if round % 2 == 1 {
            order.reverse();
        }
        for way in order {
            let started = Instant::now();
            let ms = match way {
                0 | 1 => {
                    let worker = [&bare, &wrangler][way].start()?;
                    assert_eq!(worker.get("/")?.body, "ok");
                    started.elapsed().as_secs_f64() * 1e3
                }
                _ => {
                    let out = std::process::Command::new(&node)
                        .current_dir(&dir)
                        .arg("miniflare.mjs")
                        .output()?;
                    let text = String::from_utf8_lossy(&out.stdout);
                    text.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("miniflare.mjs: {text}"))?
                }
            };
            times[way].push(ms);
        }
    }
    for (name, samples) in ["bare workerd", "wrangler dev", "Miniflare"]
        .iter()
        .zip(&mut times)
    {
        samples.sort_by(f64::total_cmp);
        println!(
            "{name:<13} {:.0} ms ({:.0}–{:.0}), {ROUNDS} starts",
            samples[ROUNDS / 2],
            samples[0],
            samples[ROUNDS - 1]
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn main() {}
