//! Email through a real SMTP server (aiosmtpd, delivering into a Maildir).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use portico_core::ports::{Email, Mailer};
use portico_notify::SmtpMailer;
use portico_tests::{spawn_app_with, wait_until};
use secrecy::SecretString;
use serde_json::json;

use crate::support::processes::smtp_server;

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

    let delivered: Vec<std::path::PathBuf> = wait_until(
        "a message in the Maildir",
        Duration::from_secs(10),
        async || {
            let found: Vec<_> = std::fs::read_dir(maildir.join("new"))
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            (!found.is_empty()).then_some(found)
        },
    )
    .await;
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
