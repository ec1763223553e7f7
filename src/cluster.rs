//! Worker layout: threads per process, processes over TCP, and the timely configuration for it.

use crate::config::ConfigError;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::communication::initialize::{Hooks, WorkerGuards};
use timely::communication::logging::{CommunicationEvent, CommunicationEventBuilder, CommunicationSetup};
use timely::logging_core::Logger;
use timely::worker::Worker;

/// Where this process sits in the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub threads: usize,
    pub processes: usize,
    pub process: usize,
    /// `host:port` of every process (empty for one process).
    pub hosts: Vec<String>,
}

/// Errors of resolving the layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    #[error(transparent)]
    Hosts(#[from] ConfigError),
    #[error("{processes} processes need a hosts file (--hosts or workers.hosts)")]
    NoHosts { processes: usize },
    #[error("the hosts file lists {listed} processes, but the layout has {processes}")]
    HostCount { listed: usize, processes: usize },
    #[error(
        "no process index: pass --process-index, or set RINGLEAD_PROCESS_INDEX, SLURM_PROCID, \
         or run under a hostname ending in -<ordinal> (a Kubernetes StatefulSet)"
    )]
    NoIndex,
    #[error("process index {index} is not below the process count {processes}")]
    IndexRange { index: usize, processes: usize },
}

impl Layout {
    /// Resolves the layout from flags/config values and, for the index, the environment.
    pub fn resolve(
        threads: usize,
        processes: usize,
        index: Option<usize>,
        hosts: Option<&Path>,
    ) -> Result<Layout, LayoutError> {
        if processes <= 1 {
            return Ok(Layout { threads: threads.max(1), processes: 1, process: 0, hosts: Vec::new() });
        }
        let hosts_path = hosts.ok_or(LayoutError::NoHosts { processes })?;
        let hosts = crate::config::read_hosts(hosts_path)?;
        if hosts.len() != processes {
            return Err(LayoutError::HostCount { listed: hosts.len(), processes });
        }
        let process = match index {
            Some(i) => i,
            None => index_from_env(|k| std::env::var(k).ok()).ok_or(LayoutError::NoIndex)?,
        };
        if process >= processes {
            return Err(LayoutError::IndexRange { index: process, processes });
        }
        Ok(Layout { threads: threads.max(1), processes, process, hosts })
    }

    /// Workers in the whole cluster.
    pub fn peers(&self) -> usize {
        self.threads * self.processes
    }

    /// The timely configuration of this process.
    pub fn timely_config(&self) -> timely::Config {
        use timely::CommunicationConfig;
        let communication = if self.processes > 1 {
            CommunicationConfig::Cluster {
                threads: self.threads,
                process: self.process,
                addresses: self.hosts.clone(),
                report: false,
                zerocopy: false,
            }
        } else if self.threads > 1 {
            CommunicationConfig::Process(self.threads)
        } else {
            CommunicationConfig::Thread
        };
        let mut worker = timely::WorkerConfig::default();
        // Merge arrangement batches while idle, so memory levels off between days.
        differential_dataflow::configure(
            &mut worker,
            &differential_dataflow::Config::default().idle_merge_effort(Some(1000)),
        );
        timely::Config { communication, worker }
    }
}

/// Bytes this process has written to its peers' sockets (message headers included).
static BYTES_SENT: AtomicU64 = AtomicU64::new(0);

/// Bytes this process has sent to other processes since it started: every message timely's
/// send threads wrote, header included. 0 for a single process (nothing crosses a socket).
///
/// Counted from timely's communication log, which reaches us a buffer (about 100 messages per
/// peer) at a time: a delta taken between two points lags by at most that buffer, and the total
/// is exact once the workers have been joined.
pub fn bytes_sent() -> u64 {
    BYTES_SENT.load(Ordering::Relaxed)
}

/// `timely::execute` with the communication layer's send log hooked to [`bytes_sent`]: the same
/// allocators, threads and worker configuration, plus a logger on each socket's send thread.
pub fn execute<T, F>(config: timely::Config, func: F) -> Result<WorkerGuards<T>, String>
where
    T: Send + 'static,
    F: Fn(&mut Worker) -> T + Send + Sync + 'static,
{
    let hooks = Hooks { log_fn: Arc::new(count_sent_bytes), ..Hooks::default() };
    let (allocators, others) = config.communication.try_build_with(hooks)?;
    timely::execute::execute_from(allocators, others, config.worker, func)
}

/// The logger of one communication thread: send threads add the bytes of each message they
/// wrote to [`BYTES_SENT`]; receive threads get none (every byte is counted once, at its sender).
fn count_sent_bytes(setup: CommunicationSetup) -> Option<Logger<CommunicationEventBuilder>> {
    if !setup.sender {
        return None;
    }
    let action = |_: &Duration, batch: &mut Option<Vec<(Duration, CommunicationEvent)>>| {
        let Some(events) = batch else { return };
        let bytes: usize = events
            .iter()
            .map(|(_, e)| match e {
                CommunicationEvent::Message(m) if m.is_send => m.header.required_bytes(),
                _ => 0,
            })
            .sum();
        BYTES_SENT.fetch_add(bytes as u64, Ordering::Relaxed);
        // The builder reuses this buffer; leave it empty so no event is counted twice.
        events.clear();
    };
    Some(Logger::new(Instant::now(), Duration::ZERO, action))
}

/// The process index as cluster launchers publish it: our own variable, Slurm's, or the
/// ordinal at the end of a StatefulSet pod's hostname (`ringlead-3` -> 3).
pub fn index_from_env(var: impl Fn(&str) -> Option<String>) -> Option<usize> {
    for name in ["RINGLEAD_PROCESS_INDEX", "SLURM_PROCID"] {
        if let Some(i) = var(name).and_then(|v| v.trim().parse().ok()) {
            return Some(i);
        }
    }
    let host = var("HOSTNAME").or_else(|| std::fs::read_to_string("/etc/hostname").ok())?;
    let (_, ordinal) = host.trim().rsplit_once('-')?;
    ordinal.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_comes_from_launcher_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_owned())
        };
        assert_eq!(index_from_env(env(&[("RINGLEAD_PROCESS_INDEX", "2"), ("SLURM_PROCID", "5")])), Some(2));
        assert_eq!(index_from_env(env(&[("SLURM_PROCID", "5")])), Some(5));
        assert_eq!(index_from_env(env(&[("HOSTNAME", "ringlead-workers-3")])), Some(3));
        assert_eq!(index_from_env(env(&[("HOSTNAME", "ringlead-workers-x")])), None);
    }

    /// Two "processes" as two threads of this test, over loopback: the bytes of an exchange
    /// are counted, and a run with nothing to send still counts progress traffic only.
    #[test]
    fn execute_counts_the_bytes_sent_to_peers() {
        use timely::dataflow::operators::{Exchange, Inspect, ToStream};
        let ports: Vec<u16> = (0..2)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect::<Vec<_>>()
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let before = bytes_sent();
        let processes: Vec<_> = (0..2)
            .map(|process| {
                let hosts = addresses.clone();
                std::thread::spawn(move || {
                    let layout = Layout { threads: 1, processes: 2, process, hosts };
                    let guards = execute(layout.timely_config(), |worker| {
                        let index = worker.index();
                        let received = std::rc::Rc::new(std::cell::Cell::new(0usize));
                        let seen = received.clone();
                        worker.dataflow::<u64, _, _>(|scope| {
                            // 10k u64s from each worker, every one sent to the other process.
                            let mine: Vec<u64> = (0..10_000u64).map(|x| 2 * x + (1 - index as u64)).collect();
                            mine.to_stream(scope)
                                .container::<Vec<u64>>()
                                .exchange(|x: &u64| *x)
                                .inspect(move |_| seen.set(seen.get() + 1));
                        });
                        while worker.step() {}
                        received.get()
                    })
                    .unwrap();
                    guards.join().into_iter().map(|r| r.unwrap()).sum::<usize>()
                })
            })
            .collect();
        let received: usize = processes.into_iter().map(|p| p.join().unwrap()).sum();
        assert_eq!(received, 20_000);
        let sent = bytes_sent() - before;
        // 20k u64 payloads crossed a socket, plus headers and progress messages.
        assert!(sent >= 160_000, "only {sent} bytes counted");
        assert!(sent < 2_000_000, "{sent} bytes counted for 160 kB of payload");
    }

    #[test]
    fn hosts_must_match_processes() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::write(&hosts, "127.0.0.1:2101\n127.0.0.1:2102\n").unwrap();
        let l = Layout::resolve(2, 2, Some(1), Some(&hosts)).unwrap();
        assert_eq!((l.peers(), l.process), (4, 1));
        assert!(matches!(Layout::resolve(1, 3, Some(0), Some(&hosts)), Err(LayoutError::HostCount { .. })));
        assert!(matches!(Layout::resolve(1, 2, Some(2), Some(&hosts)), Err(LayoutError::IndexRange { .. })));
        assert_eq!(Layout::resolve(3, 1, None, None).unwrap().peers(), 3);
    }
}
