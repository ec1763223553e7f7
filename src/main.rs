//! The `ringlead` binary: parse the command line, run the subcommand, map the result to an exit code.

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = ringlead::cli::Args::parse();
    ringlead::cli::init_logging(args.verbose);
    match ringlead::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Print the chain of causes, skipping those a message already quotes.
            let mut text = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !text.contains(&c) {
                    text = format!("{text}: {c}");
                }
            }
            eprintln!("error: {text}");
            ExitCode::FAILURE
        }
    }
}
