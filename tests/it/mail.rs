//! Email through a real SMTP server (aiosmtpd, delivering into a Maildir).

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use portico_core::ports::{Email, Mailer};
use portico_notify::SmtpMailer;
use portico_tests::spawn_app_with;
use secrecy::SecretString;
use serde_json::json;

/// An SMTP server in a child process, killed when dropped.
pub(crate) struct SmtpServer {
    child: std::process::Child,
    pub(crate) port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts aiosmtpd, or returns `None` when it is not installed here (CI installs it and
/// then requires it).
pub(crate) async fn smtp_server(maildir: &Path) -> Option<SmtpServer> {
    if !portico_tests::tool_installed(
        "aiosmtpd",
        "python3",
        &["-c", "import aiosmtpd"],
        "python3 -m pip install aiosmtpd",
    ) {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
            &maildir.display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = SmtpServer { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("aiosmtpd did not start");
}

#[tokio::test]
async fn invitations_are_delivered_over_smtp() {
    let maildir =
        std::env::temp_dir().join(format!("portico-maildir-{}", uuid::Uuid::now_v7().simple()));
    let Some(server) = smtp_server(&maildir).await else {
        return;
    };
    let url = format!("smtp://127.0.0.1:{}", server.port);
    let app = spawn_app_with(|c| c.notify.smtp_url = Some(SecretString::from(url))).await;
    let admin = app.practice_admin("postal").await;
    let (_, invited) = app
        .gql_as(
            "postal",
            &admin.access,
            "mutation { inviteStaff(input: { email: \"nia@postal.example.com\", role: \"staff\" }) {
                invitation { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        invited["data"]["inviteStaff"]["invitation"]["status"], "pending",
        "{invited}"
    );

    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered.len(), 1, "one message in the Maildir");
    // Undo quoted-printable soft breaks and `=` escapes: long lines are encoded that way.
    let message = std::fs::read_to_string(&delivered[0])
        .unwrap()
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(message.contains("nia@postal.example.com"), "{message}");
    assert!(
        message.contains("/console/accept-invitation?practice=postal#token=inv_"),
        "{message}"
    );
    assert!(app.outbox().is_empty(), "nothing went to the outbox folder");
    drop(server);
    let _ = std::fs::remove_dir_all(&maildir);
}

/// A TCP relay in front of the SMTP server that counts the connections made through it.
async fn counting_relay(port: u16) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut server = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap();
                // Either side closing ends the relay of this connection.
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (relay_port, connections)
}

#[tokio::test]
async fn a_burst_of_email_goes_over_a_few_kept_sessions_and_every_message_arrives() {
    let maildir =
        std::env::temp_dir().join(format!("portico-maildir-{}", uuid::Uuid::now_v7().simple()));
    let Some(server) = smtp_server(&maildir).await else {
        return;
    };
    let (relay, connections) = counting_relay(server.port).await;
    let mailer = Arc::new(
        SmtpMailer::new(
            &format!("smtp://127.0.0.1:{relay}"),
            "Portico <no-reply@portico.example.com>",
        )
        .unwrap(),
    );
    let sends = (0..40).map(|i| {
        let mailer = mailer.clone();
        async move {
            mailer
                .send(Email {
                    to: format!("patient{i}@burst.example.com"),
                    subject: "Your visit is tomorrow".into(),
                    text: format!("Reminder {i}"),
                    html: None,
                    message_id: Some(format!("burst-{i}")),
                })
                .await
        }
    });
    for sent in futures::future::join_all(sends).await {
        sent.expect("every message is accepted");
    }

    let delivered: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(delivered.len(), 40, "every message is in the Maildir");
    let ids: std::collections::BTreeSet<usize> = (0..40)
        .filter(|i| {
            delivered
                .iter()
                .any(|m| m.contains(&format!("<burst-{i}@portico>")))
        })
        .collect();
    assert_eq!(
        ids.len(),
        40,
        "each message arrived under its own Message-ID"
    );
    let opened = connections.load(Ordering::SeqCst);
    assert!(
        (1..=portico_notify::CONNECTIONS as usize).contains(&opened),
        "40 messages went over {opened} sessions, at most {}",
        portico_notify::CONNECTIONS
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&maildir);
}
