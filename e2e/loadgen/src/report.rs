//! Results: percentiles, a JSON document and a markdown table.
use serde_json::{Map, Value};

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Samples(pub Vec<u64>);

impl Samples {
    pub fn extend(&mut self, other: Vec<u64>) {
        self.0.extend(other);
    }

    /// p50/p95/p99/max in milliseconds (0 when empty).
    pub fn summary(&mut self) -> Value {
        self.0.sort_unstable();
        let ms = |us: u64| (us as f64 / 100.0).round() / 10.0;
        let at = |q: f64| {
            if self.0.is_empty() {
                return 0.0;
            }
            let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
            ms(self.0[i])
        };
        serde_json::json!({
            "count": self.0.len(),
            "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": self.0.last().copied().map(ms).unwrap_or(0.0),
        })
    }
}

/// Prints the markdown table (metric | value) and the JSON line, and writes the JSON to `out`.
pub fn emit(scenario: &str, result: Value, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    println!("\n### {scenario}\n\n| metric | value |\n|---|---|");
    let mut flat = Map::new();
    flatten("", &result, &mut flat);
    for (k, v) in &flat {
        println!("| {k} | {} |", v.to_string().trim_matches('"'));
    }
    let doc = serde_json::json!({ "scenario": scenario, "result": result });
    println!("\n{}", serde_json::to_string(&doc)?);
    if let Some(p) = out {
        std::fs::write(p, serde_json::to_vec_pretty(&doc)?)?;
    }
    Ok(())
}

fn flatten(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        // A list of rows (a ramp's steps) has its own table.
        Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => {}
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

/// Rounds to one decimal for the report.
pub fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A markdown table of a ramp's steps: rates, latency, losses and CPU ms per message of each
/// process group in `procs` (as `cpu::between` reported them).
pub fn steps_table(rows: &[Value], procs: &[String]) {
    let cpu_cols: String = procs.iter().map(|p| format!(" {p} ms/msg |")).collect();
    println!("\n### fanout steps\n");
    println!("| offered msgs/s | accepted/s | deliveries/s | p50 ms | p99 ms | missing | refused | errors |{cpu_cols} pass |");
    println!("|--:|--:|--:|--:|--:|--:|--:|--:|{}---|", "--:|".repeat(procs.len()));
    for r in rows {
        let l = &r["latency_send_to_receive"];
        let cpu: String =
            procs.iter().map(|p| format!(" {} |", r["cpu"][p]["ms_per_msg"].as_f64().unwrap_or(0.0))).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |{cpu} {} |",
            r["offered_per_s"],
            r["accepted_per_s"],
            r["deliveries_per_s"],
            l["p50_ms"],
            l["p99_ms"],
            r["missing_after_drain"],
            r["refused"],
            r["errors"],
            r["pass"]
        );
    }
}
