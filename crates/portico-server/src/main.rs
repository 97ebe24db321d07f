use std::process::ExitCode;

/// mimalloc returns freed memory to the system soon after a burst (argon2's 19 MiB per
/// sign-in among it); glibc's allocator kept hundreds of megabytes per process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options Portico runs with unless the environment already sets them.
const ALLOCATOR_OPTIONS: [(&str, &str); 2] = [
    // Commit an arena's memory as it is used, not all of it at once: committed up front, the
    // kernel backs it with 2 MiB pages (transparent huge pages) though little of it is used.
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    // Give freed pages back at once rather than a second later, since "later" only comes with
    // the next allocation: an idle server kept what its start (migrations, the demo) freed.
    ("MIMALLOC_PURGE_DELAY", "0"),
];

fn main() -> ExitCode {
    #[cfg(unix)]
    with_allocator_options();
    portico_server::cli::main()
}

/// mimalloc reads its options from the environment while the process loads, before `main`,
/// so the only way to give them defaults is to start again with them set. That happens once:
/// the new process finds them set. What an operator set is left as it is.
#[cfg(unix)]
fn with_allocator_options() {
    use std::os::unix::process::CommandExt;

    let missing: Vec<(&str, &str)> = ALLOCATOR_OPTIONS
        .into_iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(program);
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    // `exec` returns only when it failed; the server then runs with mimalloc's defaults.
    let failed = command.args(args).envs(missing).exec();
    eprintln!("portico: starting with the allocator's defaults ({failed})");
}
