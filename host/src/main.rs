//! The `ristretto` binary: hands argv to the library and turns its result into an exit code.
//! Everything testable lives in the library (`ristretto::run`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ristretto::run(std::env::args_os())
}
