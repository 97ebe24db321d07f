//! `portico` starts again with mimalloc's options set (they are read before `main`), keeping
//! any an operator set. Seen from outside: the running process's environment (`exec` keeps
//! the process id).
#![cfg(target_os = "linux")]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers unwrap outside #[test] functions"
)]

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The environment of a `portico serve` on a fresh embedded database, once it has started
/// again with the allocator's options.
fn environment_of_serve(env: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("portico-alloc-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    command
        .arg("serve")
        .current_dir(&dir)
        .env("PORTICO_LISTEN", "127.0.0.1:0")
        .env("PORTICO_LOG", "off")
        .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
        .env_remove("MIMALLOC_PURGE_DELAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut server = Killed(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let environment = loop {
        let environ = std::fs::read(format!("/proc/{}/environ", server.0.id())).unwrap();
        let environment: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if environment
            .iter()
            .any(|v| v.starts_with("MIMALLOC_ARENA_EAGER_COMMIT="))
        {
            break environment;
        }
        assert!(
            Instant::now() < deadline,
            "portico did not start again with the options"
        );
        assert!(
            server.0.try_wait().unwrap().is_none(),
            "portico serve exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
    environment
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_runs_with_the_allocators_options() {
    let environment = environment_of_serve(&[]);
    for option in ["MIMALLOC_ARENA_EAGER_COMMIT=0", "MIMALLOC_PURGE_DELAY=0"] {
        assert!(
            environment.iter().any(|v| v == option),
            "{option} in {environment:?}"
        );
    }
}

#[test]
fn an_option_the_operator_set_is_kept() {
    let environment = environment_of_serve(&[("MIMALLOC_PURGE_DELAY", "250")]);
    assert!(environment.iter().any(|v| v == "MIMALLOC_PURGE_DELAY=250"));
    assert!(!environment.iter().any(|v| v == "MIMALLOC_PURGE_DELAY=0"));
    assert!(
        environment
            .iter()
            .any(|v| v == "MIMALLOC_ARENA_EAGER_COMMIT=0")
    );
}
