fn main() -> std::process::ExitCode {
    portico_server::cli::main()
}
