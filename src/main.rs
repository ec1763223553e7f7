//! The `ringlead` binary: parse the command line, run the subcommand, map the result to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = ringlead::cli::Args::parse();
    ringlead::cli::init_logging(args.verbose);
    match ringlead::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
