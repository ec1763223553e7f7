//! Integration tests: the real binary and library on generated lakes, checked against plain
//! sequential computations written here.

mod generate;
mod util;
