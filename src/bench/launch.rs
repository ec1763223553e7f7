//! Launching one layout: P processes of the `ringlead` binary on loopback, supervised together.

use super::LayoutSpec;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What to launch.
#[derive(Clone, Copy, Debug)]
pub struct LaunchSpec<'a> {
    pub binary: &'a Path,
    pub layout: LayoutSpec,
    pub input: &'a Path,
    /// The layout's directory: `out/` (replaced), `hosts`, `process-<i>.log`.
    pub dir: &'a Path,
    /// Extra flags for `ringlead run`.
    pub run_args: &'a [String],
}

/// Errors of launching a layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    #[error("cannot prepare {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot start {binary}: {source}")]
    Spawn { binary: PathBuf, source: std::io::Error },
    #[error("process {index} exited with {status}; the others were stopped. Last lines of {log}:\n{tail}")]
    Failed { index: usize, status: ExitStatus, log: PathBuf, tail: String },
}

/// Runs the layout from a fresh output directory until every process exits; returns the wall
/// time from the first start to the last exit. If one process fails, the others are killed at
/// once: they would otherwise wait for their dead peer until a timeout.
pub fn run_layout(spec: &LaunchSpec<'_>) -> Result<Duration, LaunchError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| LaunchError::Io { path, source }
    };
    let out = spec.dir.join("out");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(io(&out))?;
    }
    std::fs::create_dir_all(spec.dir).map_err(io(spec.dir))?;
    let processes = spec.layout.processes;
    let hosts = spec.dir.join("hosts");
    if processes > 1 {
        let ports = free_ports(processes).map_err(io(&hosts))?;
        let text: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
        std::fs::write(&hosts, text).map_err(io(&hosts))?;
    }
    let started = Instant::now();
    let mut children: Vec<(usize, Child, PathBuf)> = Vec::with_capacity(processes);
    for index in 0..processes {
        let log = spec.dir.join(format!("process-{index}.log"));
        let file = File::create(&log).map_err(io(&log))?;
        // timely prints connection progress on stdout: both streams go to the log.
        let stdout = file.try_clone().map_err(io(&log))?;
        let mut cmd = Command::new(spec.binary);
        cmd.arg("run")
            .arg("--input")
            .arg(spec.input)
            .arg("--output")
            .arg(&out)
            .args(["-w", &spec.layout.threads.to_string()]);
        if processes > 1 {
            cmd.args(["--processes", &processes.to_string(), "--process-index", &index.to_string()])
                .arg("--hosts")
                .arg(&hosts);
        }
        cmd.args(spec.run_args).stdin(Stdio::null()).stdout(stdout).stderr(file);
        match cmd.spawn() {
            Ok(child) => children.push((index, child, log)),
            Err(source) => {
                stop_all(&mut children);
                return Err(LaunchError::Spawn { binary: spec.binary.to_owned(), source });
            }
        }
    }
    // Poll rather than wait on one child: whichever fails first must stop the rest.
    while !children.is_empty() {
        let mut failed = None;
        let mut i = 0;
        while i < children.len() {
            match children[i].1.try_wait() {
                Ok(Some(status)) if status.success() => {
                    children.swap_remove(i);
                }
                Ok(Some(status)) => {
                    let (index, _, log) = children.swap_remove(i);
                    failed = Some((index, status, log));
                    break;
                }
                Ok(None) => i += 1,
                Err(source) => {
                    let log = children[i].2.clone();
                    stop_all(&mut children);
                    return Err(LaunchError::Io { path: log, source });
                }
            }
        }
        if let Some((index, status, log)) = failed {
            stop_all(&mut children);
            let tail = tail(&log, 15);
            return Err(LaunchError::Failed { index, status, log, tail });
        }
        if !children.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(started.elapsed())
}

/// Kills and reaps the children still running (each by its own handle).
fn stop_all(children: &mut Vec<(usize, Child, PathBuf)>) {
    for (_, child, _) in children.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    children.clear();
}

/// `n` distinct loopback ports that were free a moment ago (the listeners are held together, so
/// no port is handed out twice; another program could still take one before the job binds it).
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect()
}

/// The last `n` lines of a log file, without timely's connection chatter.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> =
        text.lines().filter(|l| !l.starts_with("awaiting connections") && !l.ends_with("; retrying")).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
