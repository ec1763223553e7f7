//! `ringlead run`: worker layouts agree, snapshot and changes lakes agree, restarts replay,
//! bad input fails the day and keeps earlier days, follow mode, and no identity value leaks.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Runs the job as `processes` processes of `threads` threads on loopback; waits for all.
fn run_cluster(lake: &Path, out: &Path, processes: usize, threads: usize) {
    let hosts = out.with_extension("hosts");
    let ports = free_ports(processes);
    std::fs::write(&hosts, ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect::<String>()).unwrap();
    let children: Vec<Child> = (0..processes)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_ringlead"))
                .args(["run", "--input", lake.to_str().unwrap(), "--output", out.to_str().unwrap()])
                .args([
                    "-w",
                    &threads.to_string(),
                    "--processes",
                    &processes.to_string(),
                    "--hosts",
                    hosts.to_str().unwrap(),
                ])
                .env("RINGLEAD_HASH_KEY", KEY)
                .env("RINGLEAD_PROCESS_INDEX", i.to_string())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "a process failed: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn every_worker_layout_gives_the_same_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let base = dir.path().join("1x1");
    run_job_ok(&lake, &base, &[]);
    let state = states(&changelog(&base, "rings"));
    let last = state.values().last().unwrap();
    assert!(last.len() > 400 && last.values().all(|d| *d == 1), "every known seller has one ring row of weight 1");
    let threads2 = dir.path().join("2x1");
    run_job_ok(&lake, &threads2, &["-w", "2"]);
    assert_same_outputs(&base, &threads2, "2 threads");
    let procs2 = dir.path().join("1x2");
    run_cluster(&lake, &procs2, 2, 1);
    assert_same_outputs(&base, &procs2, "2 processes");
    let both = dir.path().join("2x2");
    run_cluster(&lake, &both, 2, 2);
    assert_same_outputs(&base, &both, "2 processes x 2 threads");
}

#[test]
fn snapshot_and_changes_lakes_give_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let changes = tiny_lake(dir.path(), "changes", &["--variety", "false"]);
    let flags = [&["--variety", "false"][..], &FLIPPED_MODES[..]].concat();
    let snapshots = tiny_lake(dir.path(), "snapshots", &flags);
    let (a, b) = (dir.path().join("out-a"), dir.path().join("out-b"));
    run_job_ok(&changes, &a, &[]);
    let job = dir.path().join("flipped.toml");
    std::fs::write(
        &job,
        "[input.tables]\nseller_identity = \"snapshot\"\nlistings = \"snapshot\"\nsellers = \"changes\"\nbrand_prices = \"changes\"\n",
    )
    .unwrap();
    run_job_ok(&snapshots, &b, &["--job", job.to_str().unwrap()]);
    assert_same_outputs(&a, &b, "snapshots vs changes");
    // Byte-identical too: the same rows in the same order in the same files.
    for ds in DATASETS {
        let (ta, tb) = (tree(&a.join(ds)), tree(&b.join(ds)));
        assert!(ta == tb, "{ds}: files differ");
    }
}

#[test]
fn a_restart_replays_committed_days_and_writes_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let full = tiny_lake(dir.path(), "full", &[]);
    let growing = dir.path().join("growing");
    copy_lake_until(&full, &growing, "2026-01-09");
    let out = dir.path().join("out");
    run_job_ok(&growing, &out, &[]);
    assert_eq!(days(&out, "rings").len(), 9);
    let before = tree(&out);
    // Nothing new: a re-run changes nothing.
    run_job_ok(&growing, &out, &[]);
    assert!(before == tree(&out), "re-running committed days changed the output");
    // New days land; the old days' files stay as they were.
    copy_lake_until(&full, &growing, "2026-01-21");
    let o = run_job_ok(&growing, &out, &[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("12 days processed, 9 replayed"));
    let after = tree(&out);
    for (name, bytes) in &before {
        assert!(after.get(name) == Some(bytes), "{name} was rewritten");
    }
    // And the result equals one run over the whole lake.
    let once = dir.path().join("once");
    run_job_ok(&full, &once, &[]);
    assert_same_outputs(&once, &out, "restarted vs once");
}

/// Rewrites one orders file of `day` with `amount_cents` stored as a string.
fn break_orders_file(lake: &Path, day: &str) -> PathBuf {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    let file = data_files(&lake.join("orders").join(format!("dt={day}")))[0].clone();
    let b = &read_file(&file)[0];
    let cols: Vec<(String, ArrayRef)> = b
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let c = b.column_by_name(f.name()).unwrap().clone();
            if f.name() == "amount_cents" {
                let v: Vec<String> = (0..b.num_rows()).map(|i| display(c.as_ref(), i)).collect();
                (f.name().clone(), std::sync::Arc::new(StringArray::from(v)) as ArrayRef)
            } else if f.name() == "order_id" {
                (
                    f.name().clone(),
                    std::sync::Arc::new(Int64Array::from(
                        ints(b, "order_id").into_iter().map(|x| x.unwrap()).collect::<Vec<_>>(),
                    )) as ArrayRef,
                )
            } else {
                (f.name().clone(), c)
            }
        })
        .collect();
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    file
}

#[test]
fn a_bad_file_fails_its_day_with_file_and_column_and_keeps_earlier_days() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "6"]);
    let file = break_orders_file(&lake, "2026-01-04");
    let rel = file.strip_prefix(&lake).unwrap().display().to_string();
    let out = dir.path().join("out");
    let o = run_job(&lake, &out, &[]);
    assert!(!o.status.success(), "the day must fail");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "{rel}: column `amount_cents` must be a signed integer, but the file stores it as Arrow type Utf8"
        )),
        "{err}"
    );
    assert!(err.contains("day 2026-01-04 failed, nothing of it was committed"), "{err}");
    assert_eq!(days(&out, "rings"), vec!["2026-01-01", "2026-01-02", "2026-01-03"]);
    assert!(!out.join("runs/dt=2026-01-04.json").exists());
    let committed = tree(&out);

    // A truncated file: unreadable, not Parquet.
    std::fs::write(&file, b"PAR1 not really").unwrap();
    let o = run_job(&lake, &out, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{rel} is not a readable Parquet file")), "{err}");
    assert!(committed == tree(&out), "earlier days untouched");
}

#[test]
fn a_missing_day_in_the_middle_is_an_error_and_a_changed_committed_day_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "6"]);
    std::fs::remove_file(lake.join("sellers/dt=2026-01-04/_SUCCESS")).unwrap();
    let out = dir.path().join("out");
    let o = run_job(&lake, &out, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("day 2026-01-04 is missing: later days are ready (2026-01-05 first)"), "{err}");
    assert_eq!(days(&out, "rings").len(), 3, "the days before the gap are committed");

    // A file that appears in a day already processed is reported, not ignored.
    std::fs::write(lake.join("sellers/dt=2026-01-04/_SUCCESS"), b"").unwrap();
    let extra = lake.join("orders/dt=2026-01-02/late.parquet");
    std::fs::copy(data_files(&lake.join("orders/dt=2026-01-02"))[0].clone(), &extra).unwrap();
    let o = run_job(&lake, &out, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "the input of day 2026-01-02, already committed, has changed: orders/dt=2026-01-02/late.parquet appeared"
        ),
        "{err}"
    );
}

#[test]
fn follow_mode_picks_up_new_days_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let full = tiny_lake(dir.path(), "full", &["--days", "5"]);
    let lake = dir.path().join("lake");
    copy_lake_until(&full, &lake, "2026-01-03");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringlead"))
        .args([
            "run",
            "--follow",
            "--poll-interval",
            "1",
            "--input",
            lake.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .env("RINGLEAD_HASH_KEY", KEY)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let wait_for = |path: PathBuf| {
        for _ in 0..300 {
            if path.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{} never appeared", path.display());
    };
    wait_for(out.join("runs/dt=2026-01-03.json"));
    copy_lake_until(&full, &lake, "2026-01-05");
    wait_for(out.join("runs/dt=2026-01-05.json"));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM ends follow mode with exit 0: {status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(err.matches(": read ").count(), 5, "one summary line per day:\n{err}");
}

#[test]
fn no_identity_value_appears_in_outputs_or_logs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "5"]);
    let out = dir.path().join("out");
    let o = run_job_ok(&lake, &out, &["-v"]);
    let mut values = std::collections::BTreeSet::new();
    for day in days(&lake, "seller_identity") {
        for b in partition(&lake, "seller_identity", &day) {
            // `ship_from` values are dispatch location codes, which SPEC shows as they are
            // (a lead's origins); every other kind is personal data.
            let (kinds, vals) = (req(strs(&b, "kind")), req(strs(&b, "value")));
            values.extend(kinds.into_iter().zip(vals).filter(|(k, _)| k != "ship_from").map(|(_, v)| v));
        }
    }
    assert!(values.len() > 1000);
    let mut haystack: Vec<(String, Vec<u8>)> = tree(&out).into_iter().collect();
    haystack.push(("stderr".into(), o.stderr.clone()));
    haystack.push(("stdout".into(), o.stdout.clone()));
    for (name, bytes) in haystack {
        let text = String::from_utf8_lossy(&bytes);
        for v in &values {
            assert!(!text.contains(v.as_str()), "{name} contains an identity value");
        }
    }
}

#[test]
fn a_missing_hash_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "2"]);
    let o = bin()
        .args(["run", "--input", lake.to_str().unwrap(), "--output", dir.path().join("out").to_str().unwrap()])
        .env_remove("RINGLEAD_HASH_KEY")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no hash key: set the environment variable RINGLEAD_HASH_KEY"));
}

#[test]
fn when_a_process_dies_the_others_exit_non_zero_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "3"]);
    let out = dir.path().join("out");
    let hosts = dir.path().join("hosts");
    let ports = free_ports(2);
    std::fs::write(&hosts, ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect::<String>()).unwrap();
    let spawn = |i: usize| {
        Command::new(env!("CARGO_BIN_EXE_ringlead"))
            .args(["run", "--follow", "--poll-interval", "1", "--input", lake.to_str().unwrap()])
            .args(["--output", out.to_str().unwrap(), "--processes", "2", "--hosts", hosts.to_str().unwrap()])
            .args(["--process-index", &i.to_string()])
            .env("RINGLEAD_HASH_KEY", KEY)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let survivor = spawn(0);
    let mut victim = spawn(1);
    for _ in 0..300 {
        if out.join("runs/dt=2026-01-03.json").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(out.join("runs/dt=2026-01-03.json").exists(), "the cluster ran");
    victim.kill().unwrap();
    victim.wait().unwrap();
    let started = std::time::Instant::now();
    let o = survivor.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the survivor must not hang");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("a peer process of the cluster probably died"), "{err}");
}

#[test]
fn an_operator_profile_names_each_workers_busiest_operators_and_changes_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let (plain, profiled) = (dir.path().join("plain"), dir.path().join("profiled"));
    run_job_ok(&lake, &plain, &["-w", "2"]);
    let o = run_job_ok(&lake, &profiled, &["-w", "2", "--profile-operators"]);
    assert_same_outputs(&plain, &profiled, "a profiled run");
    let log = String::from_utf8_lossy(&o.stderr);
    for worker in 0..2 {
        let at = log.find(&format!("worker {worker}: operators by busy time")).expect("a profile per worker");
        // Operators are named when the dataflow is built: the profiler must see that happen.
        let profile: String = log[at..].lines().skip(1).take(15).collect::<Vec<_>>().join("\n");
        assert!(profile.contains("Reduce: SellerFeatures") || profile.contains("Ingest:"), "{profile}");
        assert!(profile.lines().all(|l| l.contains(" s ") && l.contains('%') && l.contains("runs")), "{profile}");
    }
}
