//! `mooring`: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = mooring::cli::Cli::parse();
    mooring::cli::init_tracing(cli.command.default_log_level());
    mooring::cli::run(cli).await
}
