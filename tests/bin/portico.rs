//! The `portico` command, built inside the test package so that black-box tests can start
//! real worker and server processes (and kill them) next to the one they run in-process.

fn main() -> std::process::ExitCode {
    portico_server::cli::main()
}
