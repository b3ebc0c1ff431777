//! `mooring`: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before the runtime starts its threads: the arena limit applies as they allocate.
    mooring::allocator::tune();
    let cli = mooring::cli::Cli::parse();
    mooring::cli::init_tracing(cli.command.default_log_level());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mooring: error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(mooring::cli::run(cli))
}
