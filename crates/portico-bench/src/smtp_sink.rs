//! A fast SMTP sink for benchmarks: accepts every message on any number of connections,
//! keeps nothing, and prints how many it has taken once a second while the count changes.
//! It speaks just enough SMTP for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), so the
//! mail server is never what a delivery benchmark measures.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "127.0.0.1:2525")]
    listen: std::net::SocketAddr,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    println!("smtp sink listening on {}", listener.local_addr()?);
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    tokio::spawn(async move {
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = counter.load(Ordering::Relaxed);
            if now != last {
                println!("smtp sink: {now} messages received");
                last = now;
            }
        }
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let received = Arc::clone(&received);
        tokio::spawn(async move {
            // A client that goes away mid-session is its own business.
            let _ = session(stream, &received).await;
        });
    }
}

async fn session(stream: TcpStream, received: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 bench-sink ESMTP\r\n").await?;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb: String = line
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .map(|b| char::from(b.to_ascii_uppercase()))
            .collect();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            }
            "HELO" => write.write_all(b"250 bench-sink\r\n").await?,
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                }
                received.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 2.0.0 queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            // MAIL, RCPT, RSET, NOOP and anything else: accepted.
            _ => write.write_all(b"250 2.0.0 ok\r\n").await?,
        }
    }
}
