//! The keyed hash that stands in for identity values everywhere past the reader.
//!
//! An unkeyed hash of an ID number can be reversed by enumerating ID numbers; a keyed one
//! (BLAKE3 in keyed mode, key derived from the configured secret) cannot without the key.

use crate::config::PrivacyConfig;
use std::path::PathBuf;

/// Errors of loading the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "no hash key: set the environment variable {var} (any secret string, the same for every run \
         over one output directory) or privacy.hash_key_file in the job file"
    )]
    Missing { var: String },
    #[error("cannot read the hash key file {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error("the hash key is empty")]
    Empty,
}

/// Hashes identity values with a secret key.
#[derive(Clone)]
pub struct ValueHasher {
    key: [u8; 32],
}

impl std::fmt::Debug for ValueHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValueHasher(<key>)")
    }
}

impl ValueHasher {
    /// A hasher whose key is derived from `secret`.
    pub fn new(secret: &[u8]) -> ValueHasher {
        ValueHasher { key: blake3::derive_key("ringlead 2026 identity value key", secret) }
    }

    /// Loads the secret from the environment variable or key file the config names.
    pub fn from_config(cfg: &PrivacyConfig) -> Result<ValueHasher, KeyError> {
        let secret = match std::env::var(&cfg.hash_key_env) {
            Ok(v) => v.into_bytes(),
            Err(_) => match &cfg.hash_key_file {
                Some(path) => std::fs::read(path).map_err(|source| KeyError::File { path: path.clone(), source })?,
                None => return Err(KeyError::Missing { var: cfg.hash_key_env.clone() }),
            },
        };
        let trimmed = secret.trim_ascii();
        if trimmed.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(ValueHasher::new(trimmed))
    }

    /// 128 bits of the keyed hash of (kind, value): the value's identity inside the dataflow.
    pub fn value_key(&self, kind: &str, value: &str) -> u128 {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(kind.as_bytes());
        h.update(&[0]);
        h.update(value.as_bytes());
        let bytes = h.finalize();
        u128::from_le_bytes(bytes.as_bytes()[..16].try_into().expect("16 bytes"))
    }
}

/// How a value key is shown in outputs.
pub fn show_key(key: u128) -> String {
    format!("{key:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_secret_kind_and_value() {
        let a = ValueHasher::new(b"one");
        let b = ValueHasher::new(b"two");
        assert_eq!(a.value_key("phone", "13800000000"), a.value_key("phone", "13800000000"));
        assert_ne!(a.value_key("phone", "13800000000"), b.value_key("phone", "13800000000"));
        assert_ne!(a.value_key("phone", "13800000000"), a.value_key("device", "13800000000"));
        assert_eq!(show_key(a.value_key("ip", "1.2.3.4")).len(), 32);
        assert!(!format!("{a:?}").contains("one"));
    }
}
