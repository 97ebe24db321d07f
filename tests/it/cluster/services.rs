//! The services of the production topology that the cluster run owns, so that it can stop
//! and start them: a PostgreSQL cluster of its own (initdb into a temporary folder, on a free
//! port), and HAProxy in front of the API replicas. Redis and the SMTP server come from the
//! helpers the other process tests use.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use portico_tests::wait_until;

use crate::support::processes::Process;

const PG_BIN: &str = "/usr/lib/postgresql";

/// PostgreSQL's server programs (`initdb`, `pg_ctl`) of the newest version installed.
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<u32> = std::fs::read_dir(PG_BIN)
        .expect("PostgreSQL's server is installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let version = versions.last().expect("a PostgreSQL version is installed");
    Path::new(PG_BIN)
        .join(version.to_string())
        .join("bin")
        .join(program)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs a PostgreSQL program as the `postgres` user when this process is root (PostgreSQL
/// refuses to run as root), as this user otherwise.
fn as_pg_user(program: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(pg_bin(program));
        cmd
    } else {
        Command::new(pg_bin(program))
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL cluster of the run's own, with trust authentication on loopback.
pub struct Postgres {
    dir: PathBuf,
    pub port: u16,
}

impl Postgres {
    pub fn start(root: &Path, port: u16) -> Self {
        let dir = root.join("pg");
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["postgres:postgres"]).arg(&dir);
                    c
                },
                "chown",
            );
        }
        let mut initdb = as_pg_user("initdb");
        initdb
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync"]);
        run(initdb, "initdb");
        let pg = Self { dir, port };
        pg.pg_ctl_start();
        pg
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl_start(&self) {
        let mut start = as_pg_user("pg_ctl");
        start
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                self.port,
                self.dir.display()
            ))
            .args(["-w", "start"]);
        run(start, "pg_ctl start");
    }

    fn pg_ctl_stop(&self, mode: &str) {
        let mut stop = as_pg_user("pg_ctl");
        stop.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", mode, "-w", "stop"]);
        run(stop, "pg_ctl stop");
    }

    /// Stops the server (every connection is cut) and starts it again.
    pub fn restart(&self) {
        self.pg_ctl_stop("fast");
        self.pg_ctl_start();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = as_pg_user("pg_ctl");
        stop.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
    }
}

/// HAProxy on `listen`, balancing over the API replicas and taking one out of rotation when
/// its `/readyz` fails twice (checked every half second). A request that could not connect
/// is retried on the other replica; one cut off mid-way is not (it may have been applied).
pub fn haproxy(root: &Path, listen: &str, replicas: &[String]) -> Process {
    let mut config = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  \
         timeout tunnel 1h\n  retries 3\n  option redispatch\n\
         frontend portico\n  bind {listen}\n  default_backend api\n\
         backend api\n  balance roundrobin\n  option httpchk GET /readyz\n  \
         http-check expect status 200\n  default-server inter 500ms fall 2 rise 2\n"
    );
    for (i, replica) in replicas.iter().enumerate() {
        config.push_str(&format!("  server api{} {replica} check\n", i + 1));
    }
    let path = root.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    run(
        {
            let mut c = Command::new("haproxy");
            c.arg("-c").arg("-q").arg("-f").arg(&path);
            c
        },
        "haproxy -c (configuration check)",
    );
    Process(
        Command::new("haproxy")
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts"),
    )
}

/// Waits until something accepts connections on `listen`.
pub async fn wait_listening(listen: &str) {
    wait_until(
        &format!("something to listen on {listen}"),
        Duration::from_secs(10),
        async || tokio::net::TcpStream::connect(listen).await,
    )
    .await;
}
