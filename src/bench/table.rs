//! The benchmark's results as rows: the CSV file (named columns) and the table printed to stdout.

use super::{LayoutResult, LayoutSpec};

/// The CSV columns, in order. Speed-up and efficiency are relative to the first layout.
pub const COLUMNS: [&str; 20] = [
    "layout",
    "threads",
    "processes",
    "workers",
    "days",
    "rows_read",
    "initial_load_secs",
    "overhead_secs",
    "rows_per_sec",
    "speedup",
    "ideal_speedup",
    "efficiency",
    "refresh_median_secs",
    "refresh_p95_secs",
    "refresh_vs_recompute",
    "peak_rss_mib_per_process",
    "exchanged_bytes_per_day",
    "exchanged_bytes_per_refresh",
    "outputs_match",
    "differences",
];

/// One layout's row, with the numbers relative to the baseline filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub layout: LayoutSpec,
    pub days: usize,
    pub rows_read: u64,
    pub initial_load_secs: f64,
    pub overhead_secs: f64,
    pub rows_per_sec: f64,
    /// Baseline initial load / this one.
    pub speedup: f64,
    /// Workers / the baseline's workers: what perfect scaling would give.
    pub ideal_speedup: f64,
    pub refresh_median_secs: f64,
    pub refresh_p95_secs: f64,
    pub refresh_vs_recompute: f64,
    pub peak_rss_mib: f64,
    pub exchanged_bytes_per_day: Option<f64>,
    pub exchanged_bytes_per_refresh: Option<f64>,
    pub outputs_match: bool,
    pub differences: Vec<String>,
}

/// The rows of a benchmark; the first result is the baseline.
pub fn rows(results: &[LayoutResult]) -> Vec<Row> {
    let Some(base) = results.first() else { return Vec::new() };
    results
        .iter()
        .map(|r| {
            let s = &r.stats;
            Row {
                layout: r.layout,
                days: s.days,
                rows_read: s.rows_read,
                initial_load_secs: s.initial_load_secs,
                overhead_secs: s.overhead_secs,
                rows_per_sec: s.rows_per_sec,
                speedup: if s.initial_load_secs > 0.0 {
                    base.stats.initial_load_secs / s.initial_load_secs
                } else {
                    0.0
                },
                ideal_speedup: r.layout.workers() as f64 / base.layout.workers() as f64,
                refresh_median_secs: s.refresh_median_secs,
                refresh_p95_secs: s.refresh_p95_secs,
                refresh_vs_recompute: s.refresh_vs_recompute,
                peak_rss_mib: s.peak_rss_bytes as f64 / (1024.0 * 1024.0),
                exchanged_bytes_per_day: s.exchanged_bytes_per_day,
                exchanged_bytes_per_refresh: s.exchanged_bytes_per_refresh,
                outputs_match: r.differences.is_empty(),
                differences: r.differences.clone(),
            }
        })
        .collect()
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |b| format!("{b:.0}"))
}

impl Row {
    /// The row's cells, in `COLUMNS` order.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.layout.to_string(),
            self.layout.threads.to_string(),
            self.layout.processes.to_string(),
            self.layout.workers().to_string(),
            self.days.to_string(),
            self.rows_read.to_string(),
            format!("{:.3}", self.initial_load_secs),
            format!("{:.3}", self.overhead_secs),
            format!("{:.0}", self.rows_per_sec),
            format!("{:.3}", self.speedup),
            format!("{:.3}", self.ideal_speedup),
            format!("{:.3}", self.speedup / self.ideal_speedup),
            format!("{:.4}", self.refresh_median_secs),
            format!("{:.4}", self.refresh_p95_secs),
            format!("{:.5}", self.refresh_vs_recompute),
            format!("{:.1}", self.peak_rss_mib),
            opt(self.exchanged_bytes_per_day),
            opt(self.exchanged_bytes_per_refresh),
            self.outputs_match.to_string(),
            self.differences.join("; "),
        ]
    }
}

/// The CSV text: a header of `COLUMNS`, one line per layout. Cells with a comma or a quote are
/// quoted (only `differences` can have one).
pub fn csv(rows: &[Row]) -> String {
    let quote = |c: &str| {
        if c.contains([',', '"', '\n']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_owned()
        }
    };
    let mut text = COLUMNS.join(",") + "\n";
    for r in rows {
        text += &r.cells().iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
        text.push('\n');
    }
    text
}

/// The table for a terminal: the columns a reader compares, aligned, plus a verdict line.
pub fn render(rows: &[Row]) -> String {
    type Cell = fn(&Row) -> String;
    // (title, cell): one list, so titles and cells cannot drift apart.
    let columns: [(&str, Cell); 13] = [
        ("layout", |r| r.layout.to_string()),
        ("workers", |r| r.layout.workers().to_string()),
        ("initial s", |r| format!("{:.2}", r.initial_load_secs)),
        ("outside days s", |r| format!("{:.2}", r.overhead_secs)),
        ("rows/s", |r| format!("{:.0}", r.rows_per_sec)),
        ("speed-up", |r| format!("{:.2}x", r.speedup)),
        ("ideal", |r| format!("{:.1}x", r.ideal_speedup)),
        ("refresh p50 s", |r| format!("{:.3}", r.refresh_median_secs)),
        ("refresh p95 s", |r| format!("{:.3}", r.refresh_p95_secs)),
        ("refresh/full", |r| format!("{:.2}%", 100.0 * r.refresh_vs_recompute)),
        ("peak MiB/proc", |r| format!("{:.0}", r.peak_rss_mib)),
        ("exch B/day", |r| opt(r.exchanged_bytes_per_day)),
        ("same output", |r| if r.outputs_match { "yes" } else { "NO" }.to_owned()),
    ];
    let header: Vec<String> = columns.iter().map(|c| c.0.to_owned()).collect();
    let body: Vec<Vec<String>> = rows.iter().map(|r| columns.iter().map(|c| (c.1)(r)).collect()).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| body.iter().map(|r| r[c].len()).chain([header[c].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut text = line(&header);
    text += &line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for r in &body {
        text += &line(r);
    }
    let bad: Vec<&Row> = rows.iter().filter(|r| !r.outputs_match).collect();
    if bad.is_empty() {
        text += &format!("all {} layouts produced the same outputs\n", rows.len());
    } else {
        for r in bad {
            text += &format!("layout {} differs from {}: {}\n", r.layout, rows[0].layout, r.differences.join("; "));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::measure::Stats;

    fn result(layout: &str, initial: f64, differences: Vec<String>) -> LayoutResult {
        let stats = Stats {
            days: 3,
            rows_read: 600,
            initial_load_secs: initial,
            rows_per_sec: 600.0 / initial,
            ..Stats::default()
        };
        LayoutResult { layout: layout.parse().unwrap(), stats, differences }
    }

    #[test]
    fn speedup_is_relative_to_the_first_layout_and_the_csv_has_every_column() {
        let rows =
            rows(&[result("1x1", 10.0, vec![]), result("2x2", 4.0, vec!["rings dt=x: day missing, really".into()])]);
        assert_eq!((rows[1].speedup, rows[1].ideal_speedup), (2.5, 4.0));
        let text = csv(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0].split(',').collect::<Vec<_>>(), COLUMNS);
        assert!(lines[1].starts_with("1x1,1,1,1,3,600,10.000,0.000,60,1.000,1.000,1.000,"));
        assert!(lines[1].ends_with(",n/a,n/a,true,"), "{}", lines[1]);
        assert!(lines[2].ends_with(",false,\"rings dt=x: day missing, really\""), "{}", lines[2]);
        let table = render(&rows);
        assert!(table.contains("layout 2x2 differs from 1x1: rings dt=x"), "{table}");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0].split_whitespace().next(), Some("layout"));
        let cells: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(cells[..7], ["2x2", "4", "4.00", "0.00", "150", "2.50x", "4.0x"], "{table}");
        assert_eq!(cells.len(), lines[0].split("  ").filter(|t| !t.trim().is_empty()).count());
        assert!(render(&rows[..1]).ends_with("all 1 layouts produced the same outputs\n"));
    }
}
