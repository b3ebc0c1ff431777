//! `mooring`: parses arguments and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists: the arena limit applies as threads allocate.
    mooring::allocator::tune();
    let cli = match mooring::cli::parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    mooring::cli::init_tracing(cli.command.default_log_level());
    // One thread: mooring waits on AWS, not on the CPU (about 0.5 ms of CPU a request),
    // and concurrency comes from futures in flight, not threads. A worker pool would add
    // its threads' stacks and a second malloc arena: 0.6 MB of a 17 MB process at 100
    // services (docs/benchmarks.md). DNS lookups still use tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
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
