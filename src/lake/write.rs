//! Writing Parquet files atomically (temporary name, then rename), with chosen encodings.

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A Parquet compression codec we write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    Snappy,
    Zstd,
    Gzip,
    None,
}

impl Codec {
    fn to_parquet(self) -> Compression {
        match self {
            Codec::Snappy => Compression::SNAPPY,
            Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
            Codec::Gzip => Compression::GZIP(GzipLevel::default()),
            Codec::None => Compression::UNCOMPRESSED,
        }
    }
}

/// How a file is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    pub codec: Codec,
    pub dictionary: bool,
    /// Rows per row group.
    pub row_group_rows: usize,
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding { codec: Codec::Snappy, dictionary: true, row_group_rows: 128 * 1024 }
    }
}

/// Errors of writing a Parquet file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot encode {path}: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
}

/// Writes `batches` (all of one schema) to `path` as one Parquet file. The file appears under
/// its final name only once complete, so a reader never sees half a file.
pub fn write_parquet(path: &Path, batches: &[RecordBatch], encoding: Encoding) -> Result<(), WriteError> {
    let schema = batches.first().map(|b| b.schema()).expect("at least one batch, possibly empty");
    let tmp = temp_path(path);
    let io_err = |source| WriteError::Io { path: path.to_owned(), source };
    let pq_err = |source| WriteError::Parquet { path: path.to_owned(), source };
    let props = WriterProperties::builder()
        .set_compression(encoding.codec.to_parquet())
        .set_dictionary_enabled(encoding.dictionary)
        .set_max_row_group_row_count(Some(encoding.row_group_rows.max(1)))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .build();
    let file = File::create(&tmp).map_err(io_err)?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(pq_err)?;
    for batch in batches {
        writer.write(batch).map_err(pq_err)?;
    }
    let file = writer.into_inner().map_err(pq_err)?;
    file.sync_all().map_err(io_err)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io_err)
}

/// Writes an empty `_SUCCESS` marker into `dir`: the partition is complete.
pub fn mark_success(dir: &Path) -> io::Result<()> {
    std::fs::write(dir.join(super::SUCCESS), b"")
}

/// `.<name>.tmp` beside `path`: hidden, so lake readers skip it.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}
