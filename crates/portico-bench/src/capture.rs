//! Captures the SQL Portico runs for one dashboard request and writes it as a pgbench script
//! (`scripts/bench-compare`), so the database's own ceiling for that work can be measured
//! next to the servers.
//!
//! The running Portico must connect as a role whose statements are logged
//! (`ALTER ROLE portico_app IN DATABASE portico_bench SET log_statement = 'all'`, set by the
//! script before the server starts). This signs the sessions in, loads each dashboard once to
//! warm the server, then loads each one twice more between marker statements of its own, and
//! reads the server log (`pg_read_file`, as the owner role, from where it ended before) for
//! the statements and bound parameters in between. Every request must have run the same
//! statements (the most common sequence wins; requests that ran another are left out).
//!
//! Each parameter becomes, in the script:
//! - a literal, when it was the same in every request;
//! - a pgbench variable, when it differs from patient to patient but not between the two
//!   loads of one patient (the practice, the patient, the user): the script picks a session
//!   per transaction (clients rotate through them as `portico-bench load` does) and one
//!   `SELECT ... \gset` from a `VALUES` list of the sessions sets the variables;
//! - a fresh value, when it differed between the two loads of one patient (what a request
//!   mints: a new row's id, the audit chain's next `seq`): a UUID becomes `gen_random_uuid()`,
//!   an integer a number unique to the client and transaction, anything else (a timestamp,
//!   a hash) the second load's literal.
//!
//! Run with `pgbench -n -M prepared -D portico_n=0 -f SCRIPT`: the statements are prepared
//! once per connection and the variables bound, as Portico's driver does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use serde_json::json;

use crate::load::{DASHBOARD, Scenario, Spread, good, gql, sign_in_all};

#[derive(clap::Args)]
pub struct Args {
    /// Portico, connected as the logged role.
    #[arg(long, default_value = "http://127.0.0.1:18282")]
    base_url: String,
    /// The owner role's URL of the bench database (a superuser: it reads the server log).
    #[arg(long, env = "PORTICO_BENCH_OWNER_URL")]
    database_url: String,
    /// The PostgreSQL server's log file (default: `pg_current_logfile()`, else the newest
    /// `/var/log/postgresql/*.log`).
    #[arg(long, env = "PORTICO_BENCH_PG_LOG")]
    log_file: Option<String>,
    #[command(flatten)]
    spread: Spread,
    /// The pgbench clients the script is written for (they rotate through the sessions).
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Where to write the pgbench script.
    #[arg(long)]
    out: PathBuf,
    /// Where to write one request's statements with their parameters as literals.
    #[arg(long)]
    transcript: Option<PathBuf>,
}

/// One statement as logged: its text and its bound parameters (`None` for NULL).
#[derive(Clone, Debug)]
struct Logged {
    pid: String,
    text: String,
    params: Vec<Option<String>>,
}

/// What a parameter becomes in the script.
#[derive(Clone, Debug)]
enum Param {
    Literal(Option<String>),
    Variable(usize),
    FreshUuid,
    FreshInt(usize),
}

const TAGS: [&str; 12] = [
    "LOG:  ",
    "DETAIL:  ",
    "ERROR:  ",
    "STATEMENT:  ",
    "WARNING:  ",
    "HINT:  ",
    "CONTEXT:  ",
    "FATAL:  ",
    "NOTICE:  ",
    "PANIC:  ",
    "INFO:  ",
    "DEBUG:  ",
];

/// Splits stderr-format log text into records: (prefix, tag, message). A line starting with
/// a tab continues the record before it.
fn records(log: &str) -> Vec<(String, &'static str, String)> {
    let mut out: Vec<(String, &'static str, String)> = Vec::new();
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            if let Some(last) = out.last_mut() {
                last.2.push('\n');
                last.2.push_str(rest);
            }
            continue;
        }
        let found = TAGS
            .iter()
            .filter_map(|tag| line.find(tag).map(|at| (at, *tag)))
            .min_by_key(|(at, _)| *at);
        if let Some((at, tag)) = found {
            out.push((
                line[..at].to_owned(),
                tag,
                line[at + tag.len()..].to_owned(),
            ));
        }
    }
    out
}

/// The backend's process id from a log line's prefix (`[1234]`), or the whole prefix.
fn pid_of(prefix: &str) -> String {
    prefix
        .split('[')
        .skip(1)
        .find_map(|s| {
            let digits = s.split(']').next()?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.to_owned())
        })
        .unwrap_or_else(|| prefix.to_owned())
}

/// `$1 = 'a', $2 = NULL, ...` (quotes inside values doubled) into values by number.
fn parse_params(detail: &str) -> anyhow::Result<Vec<Option<String>>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut rest = detail.trim();
    while !rest.is_empty() {
        let after = rest
            .strip_prefix('$')
            .with_context(|| format!("parameters: expected $ at {rest:.40}"))?;
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = after[..digits].parse()?;
        let after = after[digits..]
            .strip_prefix(" = ")
            .with_context(|| format!("parameters: expected = at {after:.40}"))?;
        let (value, after) = if let Some(after) = after.strip_prefix("NULL") {
            (None, after)
        } else {
            let body = after
                .strip_prefix('\'')
                .with_context(|| format!("parameters: expected a quote at {after:.40}"))?;
            let mut value = String::new();
            let mut chars = body.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, c)| *c == '\'') {
                        chars.next();
                        value.push('\'');
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            let end = end.context("parameters: unterminated value")?;
            (Some(value), &body[end..])
        };
        if out.len() < n {
            out.resize(n, None);
        }
        out[n - 1] = value;
        rest = after.trim_start_matches(',').trim_start();
    }
    Ok(out)
}

/// The statement's text with each `$n` outside quotes replaced by `replace(n)`.
fn substitute(text: &str, mut replace: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            let start = i;
            i += 1;
            while i < bytes.len() {
                if bytes[i] == c {
                    if bytes.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            out.push_str(&text[start..i]);
        } else if c == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let n: usize = text[i + 1..i + 1 + digits].parse().unwrap_or(0);
            out.push_str(&replace(n));
            i += 1 + digits;
        } else {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

/// A SQL literal. pgbench (in prepared mode) takes `:name` anywhere in a command for a
/// variable, even inside quotes, so a value with a colon is written as an escape string with
/// the colon in octal.
fn quote(value: Option<&str>) -> String {
    match value {
        None => "NULL".to_owned(),
        Some(v) if v.contains(':') => format!(
            "E'{}'",
            v.replace('\\', "\\\\")
                .replace('\'', "''")
                .replace(':', "\\072")
        ),
        Some(v) => format!("'{}'", v.replace('\'', "''")),
    }
}

fn is_uuid(v: &str) -> bool {
    v.len() == 36
        && v.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_int(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    !digits.is_empty() && digits.len() < 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

async fn log_path(db: &DatabaseConnection, given: Option<String>) -> anyhow::Result<String> {
    if let Some(path) = given {
        return Ok(path);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_logfile() AS file, current_setting('data_directory') AS data",
        ))
        .await?
        .context("pg_current_logfile")?;
    if let Some(file) = row.try_get::<Option<String>>("", "file")? {
        let data: String = row.try_get("", "data")?;
        return Ok(if Path::new(&file).is_absolute() {
            file
        } else {
            format!("{data}/{file}")
        });
    }
    // No logging collector: Debian's clusters write stderr to /var/log/postgresql.
    let newest = std::fs::read_dir("/var/log/postgresql")
        .context("no logging collector and no /var/log/postgresql: set PORTICO_BENCH_PG_LOG")?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .context("no log in /var/log/postgresql: set PORTICO_BENCH_PG_LOG")?;
    Ok(newest.1.to_string_lossy().into_owned())
}

async fn log_size(db: &DatabaseConnection, path: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (pg_stat_file($1)).size AS size",
            [path.into()],
        ))
        .await?
        .context("pg_stat_file")?;
    Ok(row.try_get("", "size")?)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.clients == 0 || args.clients > 1000 {
        bail!("--clients: 1 to 1000");
    }
    // One connection, so that the session setting and the markers are on the same one.
    let mut options = ConnectOptions::new(args.database_url.clone());
    options.max_connections(1).min_connections(1);
    let db = Database::connect(options).await?;
    db.execute_unprepared("SET log_statement = 'all'").await?;
    let path = log_path(&db, args.log_file.clone()).await?;
    let marker_pid: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid()::text AS pid",
        ))
        .await?
        .context("pg_backend_pid")?
        .try_get("", "pid")?;

    let client = reqwest::Client::new();
    let base = args.base_url.trim_end_matches('/').to_owned();
    let sessions = sign_in_all(&client, &base, args.spread).await?;
    let dashboard = |i: usize| {
        let session = &sessions[i];
        let (client, base) = (&client, &base);
        async move {
            let (status, body) = gql(
                client,
                base,
                &session.slug,
                Some(&session.token),
                DASHBOARD,
                json!({ "patient": session.patient }),
            )
            .await?;
            if !good(Scenario::Dashboard, status, &body) {
                bail!("dashboard: HTTP {status}: {body}");
            }
            anyhow::Ok(())
        }
    };
    for i in 0..sessions.len() {
        dashboard(i).await?;
    }

    let run = uuid::Uuid::new_v4().simple().to_string();
    let offset = log_size(&db, &path).await?;
    for pass in 0..2 {
        for i in 0..sessions.len() {
            db.execute_unprepared(&format!(
                "SELECT 'portico-bench-capture {run} begin {pass} {i}'"
            ))
            .await?;
            dashboard(i).await?;
            db.execute_unprepared(&format!(
                "SELECT 'portico-bench-capture {run} end {pass} {i}'"
            ))
            .await?;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let size = log_size(&db, &path).await?;
    let log: String = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_read_file($1, $2, $3) AS log",
            [path.clone().into(), offset.into(), (size - offset).into()],
        ))
        .await?
        .context("pg_read_file")?
        .try_get("", "log")?;

    // (pass, session) -> the statements logged between its markers.
    let mut segments: HashMap<(usize, usize), Vec<Logged>> = HashMap::new();
    let mut current: Option<(usize, usize)> = None;
    let mut current_stmts: Vec<Logged> = Vec::new();
    let marker = format!("'portico-bench-capture {run} ");
    for (prefix, tag, message) in records(&log) {
        if let Some(at) = message.find(&marker) {
            let label: Vec<&str> = message[at + marker.len()..]
                .trim_end_matches('\'')
                .split(' ')
                .collect();
            if let [kind, pass, i] = label[..] {
                let key = (pass.parse()?, i.parse()?);
                if kind == "begin" {
                    current = Some(key);
                    current_stmts = Vec::new();
                } else if current == Some(key) {
                    segments.insert(key, std::mem::take(&mut current_stmts));
                    current = None;
                }
            }
            continue;
        }
        let pid = pid_of(&prefix);
        if current.is_none() || pid == marker_pid {
            continue;
        }
        if tag == "LOG:  " {
            let text = if let Some(text) = message.strip_prefix("statement: ") {
                text.to_owned()
            } else if let Some(rest) = message.strip_prefix("execute ") {
                match rest.find(": ") {
                    Some(at) => rest[at + 2..].to_owned(),
                    None => continue,
                }
            } else {
                continue;
            };
            current_stmts.push(Logged {
                pid,
                text,
                params: Vec::new(),
            });
        } else if tag == "DETAIL:  "
            && let Some(detail) = message.strip_prefix("parameters: ")
            && let Some(last) = current_stmts.iter_mut().rev().find(|s| s.pid == pid)
        {
            last.params = parse_params(detail)?;
        }
    }
    if segments.is_empty() {
        bail!(
            "no statements between the markers in {path}: is the server's role logged \
             (log_statement = 'all'), and is this its log? (PORTICO_BENCH_PG_LOG)"
        );
    }

    // The most common sequence of statements; sessions whose two loads both ran it.
    let shape = |s: &[Logged]| s.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    for s in segments.values() {
        *counts.entry(shape(s)).or_default() += 1;
    }
    let (common, _) = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .context("no segments")?;
    let used: Vec<usize> = (0..sessions.len())
        .filter(|i| (0..2).all(|p| segments.get(&(p, *i)).is_some_and(|s| &shape(s) == common)))
        .collect();
    if common.is_empty() || used.len() * 2 < sessions.len() {
        bail!(
            "the dashboard requests ran different statements ({} shapes; the most common, \
             {} statements, in {} of {} sessions)",
            counts.len(),
            common.len(),
            used.len(),
            sessions.len()
        );
    }
    let first = &segments[&(0, used[0])];
    let second = |i: usize| &segments[&(1, i)];

    // Classify every parameter.
    let mut variables: Vec<Vec<Option<String>>> = Vec::new();
    let mut fresh_ints = 0;
    let mut plan: Vec<Vec<Param>> = Vec::new();
    for (k, stmt) in first.iter().enumerate() {
        let mut params = Vec::new();
        for j in 0..stmt.params.len() {
            let value = |pass: usize, i: usize| {
                segments[&(pass, i)][k]
                    .params
                    .get(j)
                    .cloned()
                    .unwrap_or_default()
            };
            let minted = used.iter().any(|&i| value(0, i) != value(1, i));
            let per_session: Vec<Option<String>> = used.iter().map(|&i| value(1, i)).collect();
            let literal = value(1, used[0]);
            let param = if minted {
                match literal.as_deref() {
                    Some(v) if is_uuid(v) => Param::FreshUuid,
                    Some(v) if is_int(v) => {
                        fresh_ints += 1;
                        Param::FreshInt(fresh_ints - 1)
                    }
                    _ => Param::Literal(literal),
                }
            } else if per_session.iter().all(|v| *v == literal) {
                Param::Literal(literal)
            } else {
                let at = variables
                    .iter()
                    .position(|v| *v == per_session)
                    .unwrap_or_else(|| {
                        variables.push(per_session);
                        variables.len() - 1
                    });
                Param::Variable(at)
            };
            params.push(param);
        }
        plan.push(params);
    }

    // The script.
    let clients = args.clients;
    let mut script = String::new();
    writeln!(
        script,
        "-- One Portico dashboard request's SQL, captured from the server log by `portico-bench \
         capture`\n-- ({} statements; {} sessions, {} session values, {} minted values).\n\
         -- pgbench -n -M prepared -D portico_n=0 -c {clients} -f THIS_FILE DATABASE_URL",
        first.len(),
        used.len(),
        variables.len(),
        plan.iter()
            .flatten()
            .filter(|p| matches!(p, Param::FreshInt(_) | Param::FreshUuid))
            .count(),
    )?;
    writeln!(
        script,
        "\\set portico_s (:client_id + :portico_n * {clients}) % {}",
        used.len()
    )?;
    writeln!(script, "\\set portico_n :portico_n + 1")?;
    if !variables.is_empty() {
        let columns: Vec<String> = (0..variables.len())
            .map(|v| format!("v{v} AS portico_v{v}"))
            .collect();
        let rows: Vec<String> = (0..used.len())
            .map(|row| {
                let values: Vec<String> = variables
                    .iter()
                    .map(|column| quote(column[row].as_deref()))
                    .collect();
                format!("({row}, {})", values.join(", "))
            })
            .collect();
        let names: Vec<String> = (0..variables.len()).map(|v| format!("v{v}")).collect();
        writeln!(
            script,
            "SELECT {} FROM (VALUES\n  {}\n) AS portico_sessions(s, {}) WHERE s = :portico_s \\gset",
            columns.join(", "),
            rows.join(",\n  "),
            names.join(", ")
        )?;
    }
    let mut transcript = String::new();
    let sample = second(used[0]);
    for (k, stmt) in first.iter().enumerate() {
        let text = substitute(&stmt.text, |n| match plan[k].get(n.wrapping_sub(1)) {
            Some(Param::Literal(v)) => quote(v.as_deref()),
            Some(Param::Variable(v)) => format!(":portico_v{v}"),
            Some(Param::FreshUuid) => "gen_random_uuid()".to_owned(),
            Some(Param::FreshInt(i)) => format!(
                "(1000000000::bigint + (:portico_n * 1000 + :client_id) * {} + {i})",
                fresh_ints.max(1)
            ),
            None => format!("${n}"),
        });
        writeln!(script, "{};", text.trim().trim_end_matches(';'))?;
        // For reading (not for pgbench): plain literals.
        let literal = substitute(&sample[k].text, |n| {
            match sample[k].params.get(n.wrapping_sub(1)).cloned().flatten() {
                Some(v) => format!("'{}'", v.replace('\'', "''")),
                None => "NULL".to_owned(),
            }
        });
        writeln!(transcript, "{};", literal.trim().trim_end_matches(';'))?;
    }
    std::fs::write(&args.out, &script)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(path) = &args.transcript {
        std::fs::write(path, &transcript).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "captured {} statements per dashboard request from {path} ({} of {} sessions ran the \
         same ones); pgbench script {}",
        first.len(),
        used.len(),
        sessions.len(),
        args.out.display()
    );
    for stmt in first {
        let one_line: String = stmt.text.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("  {}", one_line.chars().take(110).collect::<String>());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_with_quotes_and_nulls() -> anyhow::Result<()> {
        let p = parse_params("$1 = 'a''b', $2 = NULL, $3 = '12, $4 = x'")?;
        assert_eq!(
            p,
            vec![Some("a'b".to_owned()), None, Some("12, $4 = x".to_owned())]
        );
        Ok(())
    }

    #[test]
    fn substitution_skips_quoted_text() {
        let out = substitute(r#"SELECT "a$1", '$2', $1, $10 FROM t WHERE x = $2"#, |n| {
            format!("<{n}>")
        });
        assert_eq!(out, r#"SELECT "a$1", '$2', <1>, <10> FROM t WHERE x = <2>"#);
    }

    #[test]
    fn colons_are_hidden_from_pgbench() {
        assert_eq!(quote(Some(r"a:b'c\d")), r"E'a\072b''c\\d'");
        assert_eq!(quote(Some("a'b")), "'a''b'");
        assert_eq!(quote(None), "NULL");
    }

    #[test]
    fn records_join_continuation_lines_and_find_the_pid() {
        let log = "2026-01-01 00:00:00.000 UTC [42] app@db LOG:  execute s1: SELECT 1\n\
                   \tFROM t\n\
                   2026-01-01 00:00:00.000 UTC [42] app@db DETAIL:  parameters: $1 = 'x'\n";
        let r = records(log);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].2, "execute s1: SELECT 1\nFROM t");
        assert_eq!(pid_of(&r[1].0), "42");
        assert_eq!(r[1].1, "DETAIL:  ");
    }
}
