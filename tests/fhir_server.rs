//! A real FHIR R4 server for the EHR-sync tests: `tests/fhir-server/server.mjs` (Medplum's
//! FhirRouter over its in-memory repository) run with Node.js, with its test controls
//! (`/$control/...`), and the synthetic-data generator `tests/fixtures/synthea.mjs`.
//!
//! Needs `node` (skipped locally when missing, a failure under CI) and the server's npm
//! packages: `npm ci --prefix tests/fhir-server`.

use std::{
    io::BufRead,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

/// A running `server.mjs`, killed when dropped.
pub struct FhirServer {
    child: Child,
    /// The FHIR base, `http://127.0.0.1:{port}/fhir/R4`.
    pub base_url: String,
    /// `http://127.0.0.1:{port}`: the token endpoint is `{origin}/auth/token`.
    pub origin: String,
    client: reqwest::Client,
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn node_installed() -> bool {
    crate::tool_installed("Node.js", "node", &["--version"], "apt-get install nodejs")
}

impl FhirServer {
    /// Starts the server on a random port with these extra environment variables (for example
    /// `FHIR_BEARER_TOKEN`, `FHIR_CLIENT_ID`, `FHIR_CLIENT_JWK`). `None` when Node.js is missing
    /// outside CI.
    pub async fn start(env: &[(&str, &str)]) -> Option<FhirServer> {
        if !node_installed() {
            return None;
        }
        let dir = tests_dir().join("fhir-server");
        assert!(
            dir.join("node_modules")
                .join("@medplum")
                .join("fhir-router")
                .is_dir(),
            "the FHIR test server's npm packages are missing: run `npm ci --prefix tests/fhir-server`"
        );
        let mut command = Command::new("node");
        command
            .arg(dir.join("server.mjs"))
            .current_dir(&dir)
            .env("PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .expect("spawn node tests/fhir-server/server.mjs");
        let stdout = child.stdout.take().expect("the server's stdout");
        let first_line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        });
        let line = match tokio::time::timeout(Duration::from_secs(60), first_line).await {
            Ok(read) => read
                .expect("join the reader")
                .expect("read the server's stdout"),
            Err(_) => {
                let _ = child.kill();
                panic!("the FHIR test server did not print its port within 60 s");
            }
        };
        let port = serde_json::from_str::<Value>(line.trim())
            .ok()
            .and_then(|v| v["port"].as_u64());
        let Some(port) = port else {
            let _ = child.kill();
            panic!(
                "the FHIR test server did not start (its first stdout line was {line:?}); see its stderr above"
            );
        };
        let origin = format!("http://127.0.0.1:{port}");
        Some(FhirServer {
            child,
            base_url: format!("{origin}/fhir/R4"),
            origin,
            client: reqwest::Client::new(),
        })
    }

    async fn control(&self, name: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}/$control/{name}", self.origin))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /$control/{name}: {e}"));
        let status = response.status();
        let value: Value = response.json().await.unwrap();
        assert!(
            status.is_success(),
            "POST /$control/{name}: {status} {value}"
        );
        value
    }

    /// Loads a Bundle (or a JSON array of resources) straight into the repository, keeping the
    /// ids it gives. Returns how many resources were written.
    pub async fn seed(&self, bundle: &Value) -> usize {
        let created = self.control("seed", bundle).await["created"].as_u64();
        usize::try_from(created.expect("`created` in the seed answer")).unwrap()
    }

    /// Sets the failure mode of every request outside `/$control`: `{"status": 503}`,
    /// `{"delayMs": 3000}`, optionally `"times": N` (only the next N requests) and
    /// `"retryAfter": S`; `{}` resets.
    pub async fn mode(&self, mode: Value) {
        self.control("mode", &mode).await;
    }

    /// Every request so far outside `/$control` (FHIR and the token endpoint), oldest first:
    /// `{method, path, ifMatch, authorization, status}`.
    pub async fn requests(&self) -> Vec<Value> {
        let response = self
            .client
            .get(format!("{}/$control/requests", self.origin))
            .send()
            .await
            .expect("GET /$control/requests");
        match response.json::<Value>().await.unwrap() {
            Value::Array(requests) => requests,
            other => panic!("GET /$control/requests answered {other}"),
        }
    }

    /// Forgets the requests logged so far.
    pub async fn clear_requests(&self) {
        let response = self
            .client
            .delete(format!("{}/$control/requests", self.origin))
            .send()
            .await
            .expect("DELETE /$control/requests");
        assert!(response.status().is_success(), "DELETE /$control/requests");
    }

    /// Empties the repository (resources and history; not the request log or tokens).
    pub async fn reset(&self) {
        self.control("reset", &Value::Null).await;
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The synthetic Bundle of `tests/fixtures/synthea.mjs` for `patients` patients (about 17
/// resources each, ids `{prefix}pat-0001`, ...). Deterministic for a given seed and prefix.
pub fn synthea(patients: usize, seed: u64, prefix: &str) -> Value {
    let output = Command::new("node")
        .arg(tests_dir().join("fixtures").join("synthea.mjs"))
        .args(["--patients", &patients.to_string()])
        .args(["--seed", &seed.to_string()])
        .args(["--prefix", prefix])
        .stderr(Stdio::inherit())
        .output()
        .expect("run node tests/fixtures/synthea.mjs");
    assert!(
        output.status.success(),
        "synthea.mjs failed: {}",
        output.status
    );
    serde_json::from_slice(&output.stdout).expect("synthea.mjs printed a JSON Bundle")
}
