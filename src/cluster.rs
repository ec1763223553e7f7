//! Worker layout: threads per process, processes over TCP, and the timely configuration for it.

use crate::config::ConfigError;
use std::path::Path;

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
