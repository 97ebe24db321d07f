//! The developer guide's examples run as written: every block of `docs/developers.md` marked
//! `<!-- run -->` is executed (shell with curl, or Node) against this Portico with an API key,
//! and must succeed; one marked `<!-- run: expect-user-error CODE -->` must answer that
//! `userErrors` code; the webhook example verifies a real delivery's signature.

use std::process::Command;

use serde_json::{Value, json};

use crate::{
    support::scheduling::practice,
    webhooks::{Receiver, book_a_visit, create},
};

/// A runnable block: what its marker asks, its language and its text.
struct Example {
    marker: String,
    language: String,
    code: String,
}

fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/developers.md");
    let guide = std::fs::read_to_string(path).expect("docs/developers.md is readable");
    let mut found = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- run")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().expect("a code block follows its marker");
        let language = fence
            .strip_prefix("```")
            .expect("the marker is right above a fenced block")
            .to_owned();
        let code: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        found.push(Example {
            marker: marker.trim_start_matches(':').trim().to_owned(),
            language,
            code: code.join("\n"),
        });
    }
    found
}

/// Runs `command` off the test's thread: the server under test answers on that thread.
async fn output(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("the example's program runs"))
        .await
        .unwrap()
}

/// Runs a shell example; its standard output, read as JSON.
async fn run_shell(code: &str, env: &[(&str, &str)]) -> Value {
    let mut command = Command::new("bash");
    command
        .args(["-euo", "pipefail", "-c", code])
        .envs(env.iter().copied());
    let out = output(command).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "example failed ({}):\n{code}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("example printed no JSON:\n{code}\n{stdout}"))
}

#[tokio::test]
async fn every_runnable_example_of_the_developer_guide_works_as_written() {
    let node = portico_tests::tool_installed("Node.js", "node", &["--version"], "Node.js 20");
    let curl =
        portico_tests::tool_installed("curl", "curl", &["--version"], "apt-get install curl");
    if !(node && curl) {
        return;
    }
    let examples = examples();
    let shells = examples.iter().filter(|e| e.language == "sh").count();
    assert!(shells >= 4, "the guide lost its runnable examples");
    assert!(examples.iter().any(|e| e.marker == "webhook"));

    let app = portico_tests::spawn_app().await;
    let p = practice(&app, "devguide").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "devguide")
        .await
        .unwrap()
        .unwrap();
    for name in ["Ana", "Ben", "Cy"] {
        app.add_patient(&tenant, name).await;
    }
    let (_, created) = app
        .gql_as(
            "devguide",
            &p.admin.access,
            "mutation { createApiKey(input: { name: \"Guide\", role: \"practice_admin\" }) {
                secret } }",
            json!({}),
        )
        .await;
    let key = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let base = app.url("");
    let env = [
        ("PORTICO_URL", base.as_str()),
        ("PORTICO_TENANT", "devguide"),
        ("PORTICO_API_KEY", key.as_str()),
    ];

    for example in examples.iter().filter(|e| e.language == "sh") {
        let answer = run_shell(&example.code, &env).await;
        match example.marker.strip_prefix("expect-user-error ") {
            Some(code) => {
                let errors = answer["data"]
                    .as_object()
                    .and_then(|d| d.values().next())
                    .map(|payload| payload["userErrors"].clone())
                    .unwrap_or_default();
                assert_eq!(errors[0]["code"], code, "{}\n{answer}", example.code);
            }
            // A FHIR answer is a resource, never an OperationOutcome.
            None if answer["resourceType"].is_string() => {
                assert_ne!(
                    answer["resourceType"], "OperationOutcome",
                    "{}",
                    example.code
                );
            }
            // SMART's discovery document names both endpoints.
            None if answer["authorization_endpoint"].is_string() => {
                assert!(answer["token_endpoint"].is_string(), "{}", example.code);
            }
            None => {
                assert!(answer["errors"].is_null(), "{}\n{answer}", example.code);
                assert!(answer["data"].is_object(), "{}\n{answer}", example.code);
            }
        }
    }

    // The webhook example, on a real delivery.
    let receiver = Receiver::start().await;
    let endpoint = create(&app, &p.admin, &receiver.url, &["APPOINTMENT_BOOKED"]).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    book_a_visit(&app, &p).await;
    let got = receiver.nth(1).await;
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .into_iter()
            .map(|h| (h.to_owned(), json!(got.headers[h].to_str().unwrap())))
            .collect();
    let request = json!({ "headers": headers, "body": got.body }).to_string();
    let webhook = examples.iter().find(|e| e.marker == "webhook").unwrap();
    let run = |secret: &str| {
        let mut command = Command::new("node");
        command
            .args(["-e", &webhook.code])
            .env("WEBHOOK_SECRET", secret)
            .env("WEBHOOK_REQUEST", &request);
        output(command)
    };
    let verified = run(&secret).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&verified.stdout).trim(),
        "appointment.booked"
    );
    // And it refuses a message signed with another secret.
    let forged = run("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").await;
    assert!(!forged.status.success());
}
