//! Integration tests: the real binary and library on generated lakes, checked against plain
//! sequential computations written here.

mod bench;
mod e2e;
mod generate;
mod leads;
mod oracle;
mod run;
mod util;
