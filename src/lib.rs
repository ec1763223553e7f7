//! ringlead: turns a marketplace's data lake into leads — rings of seller accounts that are
//! likely one counterfeit operation — kept live day by day in a differential-dataflow program.
//!
//! Layers: `model` (record types), `config` (job files), `lake` (the input lake's layout,
//! Parquet reading and writing), `generate` (the synthetic lake), `cli` (the command line).

pub mod bench;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dataflow;
pub mod evaluate;
pub mod generate;
pub mod inspect;
pub mod lake;
pub mod model;
pub mod outputs;
pub mod privacy;
pub mod run;
pub mod sink;
pub mod train;
