//! The benchmark plot (SVG): initial-load time and speed-up versus workers, with the ideal line.
//!
//! One line per process count, so threads (1 process, more threads) and processes (more
//! processes, 1 thread) scale visibly apart; each point is labelled with its layout `TxP`.

use super::table::Row;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const PALETTE: [RGBColor; 5] = [BLUE, RED, GREEN, MAGENTA, CYAN];

/// Draws `rows` (the first is the baseline of speed-up) into an SVG file at `path`.
pub fn draw(path: &Path, rows: &[Row]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let Some(base) = rows.first() else { return Err("no layouts to plot".into()) };
    let root = SVGBackend::new(path, (1100, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(550);
    let mut by_processes: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_processes.entry(r.layout.processes).or_default().push(r);
    }
    for group in by_processes.values_mut() {
        group.sort_by_key(|r| r.layout.workers());
    }
    let max_workers = rows.iter().map(|r| r.layout.workers()).max().unwrap_or(1) as i32;
    let xs = 0..max_workers + 1;

    // Left: wall time of the initial load.
    let max_secs = rows.iter().map(|r| r.initial_load_secs).fold(0.0, f64::max).max(1e-3) * 1.25;
    let mut chart = ChartBuilder::on(&left)
        .caption("initial load (every day from scratch)", ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(xs.clone(), 0.0..max_secs)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(max_workers as usize + 2)
        .x_desc("workers = threads x processes")
        .y_desc("wall seconds")
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (processes, group)) in by_processes.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(i32, f64)> = group.iter().map(|r| (r.layout.workers() as i32, r.initial_load_secs)).collect();
        series(&mut chart, &points, group, (color, i), &processes_label(*processes)).map_err(|e| err(&e))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(|e| err(&e))?;

    // Right: speed-up over the baseline, against perfect linear scaling.
    let ideal = |w: i32| f64::from(w) / base.layout.workers() as f64;
    let max_speedup = rows.iter().map(|r| r.speedup).fold(ideal(max_workers), f64::max).max(1.0) * 1.2;
    let mut chart = ChartBuilder::on(&right)
        .caption(format!("speed-up over {}", base.layout), ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(xs, 0.0..max_speedup)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(max_workers as usize + 2)
        .x_desc("workers = threads x processes")
        .y_desc("speed-up (x)")
        .draw()
        .map_err(|e| err(&e))?;
    let line: Vec<(i32, f64)> = (1..=max_workers).map(|w| (w, ideal(w))).collect();
    chart
        .draw_series(DashedLineSeries::new(line, 6, 4, BLACK.mix(0.6).stroke_width(2)))
        .map_err(|e| err(&e))?
        .label("ideal (linear in workers)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6).stroke_width(2)));
    for (i, (processes, group)) in by_processes.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(i32, f64)> = group.iter().map(|r| (r.layout.workers() as i32, r.speedup)).collect();
        series(&mut chart, &points, group, (color, i), &processes_label(*processes)).map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

fn processes_label(processes: usize) -> String {
    if processes == 1 {
        "1 process".into()
    } else {
        format!("{processes} processes")
    }
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordi32, plotters::coord::types::RangedCoordf64>,
>;

/// A line through `points` with a legend entry, and a marker labelled with each point's layout.
/// Layouts of equal workers often land on one spot (`2x1`, `1x2`): the `slot`-th line's labels go
/// lower, so that they do not overprint.
fn series(
    chart: &mut Chart<'_, '_>,
    points: &[(i32, f64)],
    rows: &[&Row],
    (color, slot): (RGBColor, usize),
    label: &str,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let dy = -18 + 16 * (slot % 4) as i32;
    chart
        .draw_series(LineSeries::new(points.to_vec(), color.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    chart.draw_series(points.iter().zip(rows).map(|(&p, r)| {
        EmptyElement::at(p)
            + Circle::new((0, 0), 4, color.filled())
            + Text::new(r.layout.to_string(), (7, dy), ("sans-serif", 13).into_font())
    }))?;
    Ok(())
}
