//! Job, model and cluster configuration: TOML types with SPEC defaults, checked before use.
//!
//! Every table rejects unknown keys, so a typo in a job file is an error naming the key
//! instead of a silently ignored setting.

use crate::model::{LinkClass, Table, TableMode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors of loading or checking configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {key}: {message}")]
    Invalid { path: PathBuf, key: String, message: String },
}

/// A job file (`jobs/*.toml`). Every key is optional; absent keys take SPEC defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobConfig {
    pub input: InputConfig,
    pub output: OutputConfig,
    pub window: WindowConfig,
    pub identity: IdentityConfig,
    pub workers: WorkersConfig,
    pub privacy: PrivacyConfig,
    pub model: ModelRef,
}

/// `[input]`: where the lake is and how to read its tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// The lake root; relative paths are relative to the job file.
    pub root: Option<PathBuf>,
    /// `run --follow`: seconds between looks for a newly ready day.
    pub poll_interval_secs: u64,
    /// Per-table mode overrides; tables not named keep their SPEC default mode.
    pub tables: BTreeMap<Table, TableMode>,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig { root: None, poll_interval_secs: 60, tables: BTreeMap::new() }
    }
}

impl InputConfig {
    /// The mode `table` is read in.
    pub fn mode(&self, table: Table) -> TableMode {
        self.tables.get(&table).copied().unwrap_or(table.default_mode())
    }
}

/// `[output]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// The output root; relative paths are relative to the job file.
    pub root: Option<PathBuf>,
}

/// `[window]`: the time windows of SPEC section 3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowConfig {
    /// W: events of days [D-W+1, D] count at D.
    pub days: u32,
    /// New listings count when first added in [D-burst_days+1, D].
    pub burst_days: u32,
    /// A seller registered after D - young_account_days is young.
    pub young_account_days: u32,
    /// A branded listing is low-priced below this fraction of its reference price.
    pub low_price_ratio: f64,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig { days: 30, burst_days: 7, young_account_days: 90, low_price_ratio: 0.5 }
    }
}

/// `[identity]`: which kinds link sellers, and when a shared value is a hub.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Two sellers sharing weak values link only when the values are of this many kinds.
    pub min_weak_kinds: u32,
    /// Every accepted kind; a row of another kind is rejected.
    pub kinds: BTreeMap<String, KindConfig>,
}

/// One identity kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    pub class: LinkClass,
    /// A value held by more than `cap` distinct sellers is a hub and links nobody.
    pub cap: u32,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        let strong = KindConfig { class: LinkClass::Strong, cap: 5 };
        let weak = |cap| KindConfig { class: LinkClass::Weak, cap };
        let kinds = [
            ("id_card", strong),
            ("payment_account", strong),
            ("bank_card", strong),
            ("phone", strong),
            ("device", weak(10)),
            ("ip", weak(20)),
            ("ship_from", weak(20)),
            ("return_address", weak(20)),
        ];
        IdentityConfig { min_weak_kinds: 2, kinds: kinds.into_iter().map(|(k, c)| (k.to_owned(), c)).collect() }
    }
}

/// `[workers]`: the worker layout; command-line flags override it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkersConfig {
    /// Worker threads per process.
    pub threads: usize,
    /// Processes in the cluster.
    pub processes: usize,
    /// Hosts file (one `host:port` a line, line i for process i) when `processes > 1`.
    pub hosts: Option<PathBuf>,
    /// Seconds to wait for every peer to connect before giving up.
    pub startup_timeout_secs: u64,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        WorkersConfig { threads: 1, processes: 1, hosts: None, startup_timeout_secs: 60 }
    }
}

/// `[privacy]`: where the key of the keyed hash of identity values comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Environment variable holding the key.
    pub hash_key_env: String,
    /// A file holding the key, used when the variable is unset.
    pub hash_key_file: Option<PathBuf>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig { hash_key_env: "RINGLEAD_HASH_KEY".to_owned(), hash_key_file: None }
    }
}

/// `[model]`: where the scoring model lives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelRef {
    /// The model config; relative paths are relative to the job file. Unset: the built-in
    /// weights, which `configs/model.toml` repeats.
    pub config: Option<PathBuf>,
}

impl JobConfig {
    /// Reads and checks a job file; relative paths in it become relative to its directory.
    pub fn load(path: &Path) -> Result<JobConfig, ConfigError> {
        let mut job: JobConfig = parse_toml(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        job.input.root.as_mut().map(rebase);
        job.output.root.as_mut().map(rebase);
        job.workers.hosts.as_mut().map(rebase);
        job.privacy.hash_key_file.as_mut().map(rebase);
        job.model.config.as_mut().map(rebase);
        job.check(path)?;
        Ok(job)
    }

    /// Checks the values serde cannot: ranges and combinations.
    pub fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| {
            Err(ConfigError::Invalid { path: path.to_owned(), key: key.to_owned(), message })
        };
        for (table, mode) in &self.input.tables {
            if !table.allowed_modes().contains(mode) {
                let allowed: Vec<_> = table.allowed_modes().iter().map(|m| m.as_str()).collect();
                return bad(
                    &format!("input.tables.{table}"),
                    format!("mode `{mode}` does not fit this table (allowed: {})", allowed.join(", ")),
                );
            }
        }
        let w = &self.window;
        if w.days == 0 {
            return bad("window.days", "must be at least 1".into());
        }
        if w.burst_days == 0 {
            return bad("window.burst_days", "must be at least 1".into());
        }
        if !(w.low_price_ratio > 0.0 && w.low_price_ratio <= 1.0) {
            return bad("window.low_price_ratio", format!("{} is not in (0, 1]", w.low_price_ratio));
        }
        if self.identity.kinds.is_empty() {
            return bad("identity.kinds", "at least one kind is needed".into());
        }
        if self.identity.min_weak_kinds == 0 {
            return bad("identity.min_weak_kinds", "must be at least 1".into());
        }
        for (kind, spec) in &self.identity.kinds {
            if spec.cap == 0 {
                return bad(&format!("identity.kinds.{kind}.cap"), "must be at least 1".into());
            }
            if kind.is_empty() {
                return bad("identity.kinds", "a kind name is empty".into());
            }
        }
        if self.workers.threads == 0 {
            return bad("workers.threads", "must be at least 1".into());
        }
        if self.workers.processes == 0 {
            return bad("workers.processes", "must be at least 1".into());
        }
        if self.workers.processes > 1 && self.workers.hosts.is_none() {
            return bad("workers.hosts", "a hosts file is needed for more than one process".into());
        }
        if self.privacy.hash_key_env.is_empty() {
            return bad("privacy.hash_key_env", "must name an environment variable".into());
        }
        Ok(())
    }
}

/// A model config (`configs/model.toml`): a logistic seller score and lead thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Logit of a seller with every feature at zero.
    pub bias: f64,
    /// A ring whose score passes this is a lead.
    pub lead_threshold: f64,
    /// A lead whose score moves by more than this is `updated` in `lead_changes`.
    pub update_step: f64,
    /// Rings smaller than this are never leads (a lone seller is not an operation).
    #[serde(default = "default_min_ring_size")]
    pub min_ring_size: usize,
    /// Weight of each model input (see `dataflow::scoring::INPUTS`); an input not named weighs 0.
    pub weights: BTreeMap<String, f64>,
}

fn default_min_ring_size() -> usize {
    2
}

impl Default for ModelConfig {
    /// The shipped weights (`configs/model.toml` holds the same).
    fn default() -> Self {
        let weights = [
            ("counterfeit_complaints", 0.9),
            ("complaint_rate", 0.6),
            ("reports", 0.5),
            ("low_price_share", 2.5),
            ("branded_share", 0.5),
            ("logo_mismatch_max", 3.0),
            ("new_brands", 0.3),
            ("new_listings", 0.1),
            ("rating_gap", 0.4),
            ("young_account", 0.6),
            ("ring_size", 0.3),
            ("ring_strong_links", 0.2),
            ("ring_members_with_complaints", 1.5),
        ];
        ModelConfig {
            bias: -5.0,
            lead_threshold: 0.5,
            update_step: 0.05,
            min_ring_size: 2,
            weights: weights.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

impl ModelConfig {
    /// Reads and checks a model config.
    pub fn load(path: &Path) -> Result<ModelConfig, ConfigError> {
        let model: ModelConfig = parse_toml(path)?;
        let bad = |key: String, message: String| Err(ConfigError::Invalid { path: path.to_owned(), key, message });
        for (name, w) in &model.weights {
            let inputs = crate::dataflow::scoring::INPUTS;
            if !inputs.contains(&name.as_str()) {
                return bad(format!("weights.{name}"), format!("not a model input (known: {})", inputs.join(", ")));
            }
            if !w.is_finite() {
                return bad(format!("weights.{name}"), "must be a finite number".into());
            }
        }
        if !(model.lead_threshold > 0.0 && model.lead_threshold < 1.0) {
            return bad("lead_threshold".into(), format!("{} is not in (0, 1)", model.lead_threshold));
        }
        if !(model.update_step >= 0.0 && model.update_step < 1.0) {
            return bad("update_step".into(), format!("{} is not in [0, 1)", model.update_step));
        }
        if !model.bias.is_finite() {
            return bad("bias".into(), "must be a finite number".into());
        }
        Ok(model)
    }
}

/// Reads a TOML file into `T`, naming the file (and serde's key and line) on error.
pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
}

/// Reads a hosts file: one `host:port` a line, line i for process i; blank lines and `#`
/// comments are skipped.
pub fn read_hosts(path: &Path) -> Result<Vec<String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    let mut hosts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let port_ok = line.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !port_ok {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                key: format!("line {}", i + 1),
                message: format!("`{line}` is not host:port"),
            });
        }
        hosts.push(line.to_owned());
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<JobConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.toml");
        std::fs::write(&path, text).unwrap();
        JobConfig::load(&path)
    }

    #[test]
    fn empty_job_has_spec_defaults() {
        let job = load_str("").unwrap();
        assert_eq!(job.window, WindowConfig::default());
        assert_eq!(job.window.days, 30);
        assert_eq!(job.identity.kinds["device"].cap, 10);
        assert_eq!(job.identity.kinds["phone"].class, LinkClass::Strong);
        assert_eq!(job.input.mode(Table::Sellers), TableMode::Snapshot);
        assert_eq!(job.input.mode(Table::Orders), TableMode::Events);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_str("[window]\ndayz = 3\n").unwrap_err().to_string();
        assert!(err.contains("dayz"), "{err}");
        let err = load_str("[input.tables]\nsellerz = \"changes\"\n").unwrap_err().to_string();
        assert!(err.contains("sellerz"), "{err}");
    }

    #[test]
    fn mode_must_fit_table() {
        let err = load_str("[input.tables]\norders = \"snapshot\"\n").unwrap_err().to_string();
        assert!(err.contains("input.tables.orders") && err.contains("snapshot"), "{err}");
        let job = load_str("[input.tables]\nseller_identity = \"snapshot\"\n").unwrap();
        assert_eq!(job.input.mode(Table::SellerIdentity), TableMode::Snapshot);
    }

    #[test]
    fn relative_paths_follow_the_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.toml");
        std::fs::write(&path, "[input]\nroot = \"lake\"\n").unwrap();
        let job = JobConfig::load(&path).unwrap();
        assert_eq!(job.input.root.unwrap(), dir.path().join("lake"));
    }

    #[test]
    fn shipped_configs_are_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(root.join("jobs")).unwrap() {
            let path = entry.unwrap().path();
            JobConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
        }
        let shipped = ModelConfig::load(&root.join("configs/model.toml")).unwrap();
        assert_eq!(shipped, ModelConfig::default(), "configs/model.toml holds the built-in weights");
        assert_eq!(read_hosts(&root.join("configs/hosts.local")).unwrap().len(), 2);
    }

    #[test]
    fn model_weights_must_name_features() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.toml");
        std::fs::write(&path, "bias = -3.0\nlead_threshold = 0.8\nupdate_step = 0.05\n[weights]\nshoe_size = 1.0\n")
            .unwrap();
        let err = ModelConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("weights.shoe_size") && err.contains("not a model input"), "{err}");
    }

    #[test]
    fn hosts_file_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(&path, "# cluster\n127.0.0.1:2101\n\nlocalhost:2102 # second\n").unwrap();
        assert_eq!(read_hosts(&path).unwrap(), vec!["127.0.0.1:2101", "localhost:2102"]);
        std::fs::write(&path, "127.0.0.1\n").unwrap();
        assert!(read_hosts(&path).unwrap_err().to_string().contains("line 1"));
    }
}
