//! Cluster launch and `bench`: the hosts-file script under faked Slurm and Kubernetes
//! environments, a cluster whose process indices come only from launcher variables, the local
//! launcher, and a two-layout benchmark's CSV, plot and verdict.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The columns `bench.csv` documents (README, "Scaling benchmarks and clusters").
const BENCH_COLUMNS: [&str; 20] = [
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

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name)
}

/// A directory with an executable `scontrol` that answers `show hostnames LIST` with `hosts`.
fn fake_scontrol(dir: &Path, hosts: &[&str]) -> PathBuf {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let body = format!(
        "#!/bin/sh\n[ \"$1 $2\" = \"show hostnames\" ] && [ -n \"$3\" ] || exit 1\nprintf '{}'\n",
        hosts.iter().map(|h| format!("{h}\\n")).collect::<String>()
    );
    let path = bin.join("scontrol");
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Runs `scripts/cluster-hosts.sh` with `args` and exactly the launcher variables in `env`.
fn cluster_hosts(args: &[&str], path_prefix: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script("cluster-hosts.sh")).args(args);
    for var in ["SLURM_JOB_NODELIST", "SLURM_NTASKS", "SLURM_NTASKS_PER_NODE", "RINGLEAD_PORT", "POD_NAMESPACE"] {
        cmd.env_remove(var);
    }
    if let Some(p) = path_prefix {
        cmd.env("PATH", format!("{}:{}", p.display(), std::env::var("PATH").unwrap_or_default()));
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn stdout_ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Two consecutive loopback ports that are free now (Slurm tasks on one node get PORT, PORT+1).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two consecutive free ports");
}

#[test]
fn cluster_hosts_script_derives_slurm_and_kubernetes_hosts_files() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_scontrol(dir.path(), &["node-a", "node-b"]);
    let slurm = [("SLURM_JOB_NODELIST", "node-[a-b]"), ("SLURM_PROCID", "1")];
    let o = cluster_hosts(&["slurm"], Some(&bin), &slurm);
    assert_eq!(stdout_ok(&o), "node-a:2101\nnode-b:2101\n");
    let o = cluster_hosts(&["slurm", "4000"], Some(&bin), &[slurm[0], ("SLURM_NTASKS_PER_NODE", "2")]);
    assert_eq!(stdout_ok(&o), "node-a:4000\nnode-a:4001\nnode-b:4000\nnode-b:4001\n");
    let o = cluster_hosts(&["slurm"], Some(&bin), &[slurm[0], ("SLURM_NTASKS", "3"), ("RINGLEAD_PORT", "7000")]);
    assert!(!o.status.success(), "3 tasks on 2 nodes x 1 task per node must not fit");
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 tasks do not fit 2 nodes x 1 tasks per node"));
    let o = cluster_hosts(&["slurm"], Some(&bin), &[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("SLURM_JOB_NODELIST is not set"));

    let o = cluster_hosts(&["k8s", "3", "ringlead", "ringlead-svc", "2101"], None, &[("POD_NAMESPACE", "fraud")]);
    assert_eq!(
        stdout_ok(&o),
        "ringlead-0.ringlead-svc.fraud.svc.cluster.local:2101\n\
         ringlead-1.ringlead-svc.fraud.svc.cluster.local:2101\n\
         ringlead-2.ringlead-svc.fraud.svc.cluster.local:2101\n"
    );
    let o = cluster_hosts(&["k8s", "0", "ringlead", "ringlead", "2101"], None, &[]);
    assert!(!o.status.success());
}

#[test]
fn a_cluster_takes_its_process_indices_from_slurm_and_statefulset_variables() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let single = dir.path().join("single");
    run_job_ok(&lake, &single, &[]);

    // The hosts file as the sbatch recipe makes it: two tasks on one (loopback) node.
    let fake = fake_scontrol(dir.path(), &["127.0.0.1"]);
    let port = free_port_pair().to_string();
    let env = [("SLURM_JOB_NODELIST", "localhost"), ("SLURM_NTASKS", "2"), ("SLURM_NTASKS_PER_NODE", "2")];
    let text = stdout_ok(&cluster_hosts(&["slurm", &port], Some(&fake), &env));
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, &text).unwrap();
    assert_eq!(text.lines().count(), 2);

    // No --process-index: process 0 has only SLURM_PROCID, process 1 only a pod hostname.
    let out = dir.path().join("cluster");
    let launch = |vars: &[(&str, &str)]| {
        let mut cmd = bin();
        cmd.args(["run", "--input", lake.to_str().unwrap(), "--output", out.to_str().unwrap()])
            .args(["--processes", "2", "--hosts", hosts.to_str().unwrap()])
            .env("RINGLEAD_HASH_KEY", KEY)
            .env_remove("RINGLEAD_PROCESS_INDEX")
            .env_remove("SLURM_PROCID")
            .env_remove("HOSTNAME")
            .envs(vars.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let children = [launch(&[("SLURM_PROCID", "0")]), launch(&[("HOSTNAME", "ringlead-1")])];
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "a process failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    assert_same_outputs(&single, &out, "indices from SLURM_PROCID and HOSTNAME");
}

#[test]
fn launch_local_runs_a_cluster_from_one_command_and_fails_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let single = dir.path().join("single");
    run_job_ok(&lake, &single, &[]);
    let out = dir.path().join("launched");
    let hosts = dir.path().join("hosts");
    let launch = |binary: &Path, extra: &[&str]| {
        Command::new("bash")
            .arg(script("launch-local.sh"))
            .args(["-n", "2", "-w", "1", "-H", hosts.to_str().unwrap(), "--"])
            .args(extra)
            .env("RINGLEAD_BIN", binary)
            .env("RINGLEAD_HASH_KEY", KEY)
            .output()
            .unwrap()
    };
    let real = Path::new(env!("CARGO_BIN_EXE_ringlead"));
    let o = launch(real, &["--input", lake.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "launch-local failed: {err}");
    assert!(err.contains("hosts file") && err.contains("[p1] "), "{err}");
    assert_eq!(std::fs::read_to_string(&hosts).unwrap().lines().count(), 2);
    assert_same_outputs(&single, &out, "launch-local.sh -n 2");

    // Process 1 dies at once while process 0 waits for it to connect: the launch must kill
    // process 0 and fail now, not when process 0's start-up timeout (60 s) runs out.
    let wrapper = dir.path().join("dies-as-1.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \"$*\" in *\"--process-index 1 \"*) exit 7;; esac\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = std::time::Instant::now();
    let o = launch(&wrapper, &["--input", lake.to_str().unwrap(), "--output", dir.path().join("x").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(7), "{err}");
    assert!(err.contains("process 1 (pid") && err.contains("exited with 7; stopping the others"), "{err}");
    assert!(started.elapsed().as_secs() < 30, "the failed launch was not stopped promptly");
}

#[test]
fn bench_runs_two_layouts_and_writes_a_csv_a_plot_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let out = dir.path().join("bench");
    let o = bin()
        .args(["bench", "--input", lake.to_str().unwrap(), "--output", out.to_str().unwrap()])
        .args(["--layouts", "1x1,1x2", "--last-days", "5"])
        .env("RINGLEAD_HASH_KEY", KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "bench failed:\n{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("all 2 layouts produced the same outputs"), "{stdout}");

    let csv = std::fs::read_to_string(out.join("bench.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0].split(',').collect::<Vec<_>>(), BENCH_COLUMNS);
    assert_eq!(lines.len(), 3, "a header and 2 layouts:\n{csv}");
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| BENCH_COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(rows.iter().map(|r| r[col("layout")]).collect::<Vec<_>>(), ["1x1", "1x2"]);
    for r in &rows {
        assert_eq!(r.len(), BENCH_COLUMNS.len());
        assert_eq!(r[col("outputs_match")], "true");
        assert_eq!(r[col("days")], "21");
        assert!(r[col("initial_load_secs")].parse::<f64>().unwrap() > 0.0);
        assert!(r[col("rows_per_sec")].parse::<f64>().unwrap() > 0.0);
        assert!(r[col("peak_rss_mib_per_process")].parse::<f64>().unwrap() > 1.0);
        let ratio: f64 = r[col("refresh_vs_recompute")].parse().unwrap();
        assert!(ratio > 0.0 && ratio < 1.0, "a day's refresh costs less than recomputing all days: {ratio}");
        // Absent from the run reports until the job reports it; then a number of bytes.
        let bytes = r[col("exchanged_bytes_per_day")];
        assert!(bytes == "n/a" || bytes.parse::<f64>().is_ok(), "{bytes}");
    }
    assert_eq!(rows[1][col("ideal_speedup")], "2.000");
    assert_eq!(rows[0][col("exchanged_bytes_per_day")].replace("n/a", "0"), "0", "one process exchanges nothing");

    let svg = std::fs::read_to_string(out.join("bench.svg")).unwrap();
    assert!(svg.len() > 1000 && svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("speed-up") && svg.contains("ideal") && svg.contains("1x2"));
    assert!(out.join("1x2/out/runs").is_dir() && out.join("1x2/hosts").is_file());
}

#[test]
fn bench_rejects_a_malformed_layout_and_flags_it_owns() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin().args(["bench", "--input", ".", "--output", dir.path().to_str().unwrap(), "--layouts", "2"]).output();
    let o = o.unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad layout `2`: expected THREADSxPROCESSES"));
    let o = bin().args(["bench", "--input", ".", "--output", dir.path().to_str().unwrap(), "--", "-w", "3"]).output();
    let o = o.unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("`-w` after `--` is set by the bench itself"));
}
