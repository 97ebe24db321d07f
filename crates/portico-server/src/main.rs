/// mimalloc returns freed memory to the system soon after a burst (argon2's 19 MiB per
/// sign-in among it); glibc's allocator kept hundreds of megabytes per process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    portico_server::cli::main()
}
