//! Integration tests: the real binary and library on generated lakes, checked against plain
//! sequential computations written here.

mod e2e;
mod generate;
mod oracle;
mod run;
mod util;
