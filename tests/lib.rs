//! The test harness: [`spawn_app`] starts the real server on a random port with a fresh
//! database, on SQLite always, and on PostgreSQL + Redis when `PORTICO_TEST_DATABASE_URL`
//! and `PORTICO_TEST_REDIS_URL` are set (a fresh database and Redis key prefix per test).
//! Each fresh database is a copy of a migrated template (`template.rs`), so the migrations
//! run once, not once per test.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test harness")]

pub mod clinical_corpus;
pub mod fhir_server;
pub mod patient_corpus;
pub mod sms_provider;
pub mod soft_passkey;
pub mod stripe_api;
mod template;

use std::{path::PathBuf, time::Duration};

use portico_core::{
    Db, TenantTx,
    audit::Actor,
    entities::patient,
    identity::Role,
    patients::{self, NewPatient},
    tenancy::Access,
    tenants::{self, NewTenant, ResolvedTenant},
};
use portico_server::{
    Config, Options, Running,
    config::{DatabaseConfig, SecretsConfig},
};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The database and Redis this test run targets.
#[derive(Clone, Debug)]
pub enum Profile {
    Sqlite,
    Postgres {
        /// An owner (superuser) URL, used to create and drop each test's database.
        admin_url: String,
        redis_url: String,
    },
}

pub fn profile() -> Profile {
    match (
        std::env::var("PORTICO_TEST_DATABASE_URL"),
        std::env::var("PORTICO_TEST_REDIS_URL"),
    ) {
        (Ok(admin_url), Ok(redis_url)) if !admin_url.is_empty() && !redis_url.is_empty() => {
            Profile::Postgres {
                admin_url,
                redis_url,
            }
        }
        _ => Profile::Sqlite,
    }
}

/// A fresh database (and Redis prefix) for one test, removed when dropped.
pub struct TestDatabase {
    pub profile: Profile,
    /// What the server connects as (the application role on PostgreSQL).
    pub app_url: String,
    /// The owner, which runs migrations.
    pub owner_url: String,
    pub redis_prefix: String,
    /// The secrets key (base64) every instance on this database seals and opens with.
    pub secrets_key: String,
    pg_name: Option<String>,
    /// This test's own folder: the SQLite file and the email outbox.
    pub dir: PathBuf,
    /// False for a second instance's view of another test database: it drops nothing.
    owned: bool,
}

impl TestDatabase {
    /// A fresh database with every migration applied: a copy of the migrated template.
    pub async fn create() -> Self {
        Self::make(profile(), true).await
    }

    /// A fresh database with nothing in it, for tests of migrating itself (and of a new
    /// deployment's first start).
    pub async fn create_empty() -> Self {
        Self::make(profile(), false).await
    }

    /// A fresh, empty database on the given PostgreSQL and Redis (or SQLite), whatever the
    /// environment names.
    pub async fn create_empty_on(profile: Profile) -> Self {
        Self::make(profile, false).await
    }

    async fn make(profile: Profile, migrated: bool) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let redis_prefix = format!("portico-test-{id}");
        let secrets_key = portico_auth::sealing::Sealer::generate_key();
        let dir = std::env::temp_dir().join(format!("portico-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        match profile {
            Profile::Sqlite => {
                let file = dir.join("portico.db");
                if migrated {
                    static TEMPLATE: tokio::sync::OnceCell<PathBuf> =
                        tokio::sync::OnceCell::const_new();
                    let template = TEMPLATE.get_or_init(template::sqlite).await;
                    template::copy_sqlite(template, &file);
                }
                let url = format!("sqlite://{}", file.display());
                Self {
                    profile: Profile::Sqlite,
                    app_url: url.clone(),
                    owner_url: url,
                    redis_prefix,
                    secrets_key,
                    pg_name: None,
                    dir,
                    owned: true,
                }
            }
            profile @ Profile::Postgres { .. } => {
                let Profile::Postgres { admin_url, .. } = &profile else {
                    unreachable!()
                };
                let name = format!("portico_test_{id}");
                if migrated {
                    // Only the environment's PostgreSQL has a template; others get empty
                    // databases ([`TestDatabase::create_empty_on`]).
                    static TEMPLATE: tokio::sync::OnceCell<String> =
                        tokio::sync::OnceCell::const_new();
                    let template = TEMPLATE.get_or_init(|| template::postgres(admin_url)).await;
                    // The copy has the template's tables, grants and row-level security;
                    // the grant to connect belongs to a database itself, so it is made again.
                    admin_execute_all(
                        admin_url,
                        &[
                            format!("CREATE DATABASE {name} TEMPLATE {template}"),
                            format!(
                                "GRANT CONNECT ON DATABASE {name} TO {}",
                                portico_migrations::postgres::APP_ROLE
                            ),
                        ],
                    )
                    .await;
                } else {
                    admin_execute(admin_url, &format!("CREATE DATABASE {name}")).await;
                }
                let mut owner = url::Url::parse(admin_url).unwrap();
                owner.set_path(&name);
                let mut app = owner.clone();
                app.set_username(portico_migrations::postgres::APP_ROLE)
                    .unwrap();
                app.set_password(None).unwrap();
                Self {
                    profile: profile.clone(),
                    app_url: app.to_string(),
                    owner_url: owner.to_string(),
                    redis_prefix,
                    secrets_key,
                    pg_name: Some(name),
                    dir,
                    owned: true,
                }
            }
        }
    }

    /// The same database and Redis prefix, for a second instance; dropping it drops nothing.
    pub fn shared(&self) -> Self {
        Self {
            profile: self.profile.clone(),
            app_url: self.app_url.clone(),
            owner_url: self.owner_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            secrets_key: self.secrets_key.clone(),
            pg_name: self.pg_name.clone(),
            dir: self.dir.clone(),
            owned: false,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.profile, Profile::Postgres { .. })
    }

    /// A server configuration on this database, with test-friendly defaults.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.database = DatabaseConfig {
            database_url: SecretString::from(self.app_url.clone()),
            migration_database_url: Some(SecretString::from(self.owner_url.clone())),
            database_max_connections: 5,
            database_retry_max_secs: 1,
        };
        config.queue.redis_prefix = self.redis_prefix.clone();
        config.runtime.log = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".to_owned());
        config.notify.outbox_dir = self.dir.join("outbox").display().to_string();
        config.attachments.attachments_dir = self.dir.join("attachments").display().to_string();
        config.secrets = SecretsConfig {
            secrets_key: Some(SecretString::from(self.secrets_key.clone())),
            secrets_key_file: self.dir.join("secrets.key").display().to_string(),
        };
        // The FHIR test server listens on plain http on loopback.
        config.ehr.ehr_allow_loopback_http = true;
        // The tests' receivers listen on 127.0.0.1 without TLS.
        config.notify.webhooks_allow_loopback_http = true;
        if let Profile::Postgres { redis_url, .. } = &self.profile {
            config.queue.redis_url = Some(SecretString::from(redis_url.clone()));
        }
        config
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let (
            Some(name),
            Profile::Postgres {
                admin_url,
                redis_url,
            },
        ) = (self.pg_name.clone(), self.profile.clone())
        {
            let prefix = self.redis_prefix.clone();
            // Drop runs inside the test's runtime; clean up on a thread with its own.
            let cleanup = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    admin_execute(
                        &admin_url,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                    delete_redis_prefix(&redis_url, &prefix).await;
                });
            });
            let _ = cleanup.join();
        }
    }
}

async fn admin_execute(admin_url: &str, sql: &str) {
    admin_execute_all(admin_url, &[sql.to_owned()]).await;
}

/// Runs each statement on its own (`CREATE DATABASE` is refused in a multi-statement query).
async fn admin_execute_all(admin_url: &str, statements: &[String]) {
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(admin_url).await.unwrap();
    for sql in statements {
        conn.execute_unprepared(sql).await.unwrap();
    }
    conn.close().await.unwrap();
}

async fn delete_redis_prefix(redis_url: &str, prefix: &str) {
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // apalis lists every queue's workers in one shared set.
    let _: () = redis::cmd("ZREM")
        .arg("core:apalis:queues:list")
        .arg(
            portico_core::ports::Queue::ALL
                .iter()
                .map(|queue| format!("{prefix}:{queue}:workers"))
                .collect::<Vec<_>>(),
        )
        .query_async(&mut conn)
        .await
        .unwrap();
}

/// A running Portico on a random port, and a client for it.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    running: Option<Running>,
    /// Dropped after the server, so the database outlives it.
    pub database: TestDatabase,
}

/// Starts Portico on a fresh database with API and workers, and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with a change to the configuration first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let database = TestDatabase::create().await;
    let mut config = database.config();
    adjust(&mut config);
    let app = start(config, database, true).await;
    app.ready().await;
    app
}

/// Starts Portico without waiting for readiness (for start-up tests).
pub async fn start(config: Config, database: TestDatabase, workers: bool) -> TestApp {
    config.validate().expect("test configuration is valid");
    portico_server::telemetry::init_tracing(&config);
    let listener = TcpListener::bind(config.http.listen).await.unwrap();
    let options = Options {
        api: true,
        workers,
        migrate: true,
        demo: false,
    };
    let running = portico_server::start(config, listener, options)
        .await
        .unwrap();
    let addr = running.addr;
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        running: Some(running),
        database,
    }
}

impl TestApp {
    /// Another Portico process on the same database and Redis (another replica).
    pub async fn second_instance(&self) -> TestApp {
        let database = self.database.shared();
        let config = database.config();
        let app = start(config, database, true).await;
        app.ready().await;
        app
    }

    fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    /// The server's own database handle (the application role on PostgreSQL).
    pub fn db(&self) -> Db {
        self.running()
            .state
            .runtime()
            .expect("the app is ready")
            .services
            .db
            .clone()
    }

    pub fn services(&self) -> portico_graphql::Services {
        self.running()
            .state
            .runtime()
            .expect("the app is ready")
            .services
            .clone()
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a practice directly through the domain layer.
    pub async fn create_tenant(&self, slug: &str) -> ResolvedTenant {
        self.create_tenant_with_domain(slug, None).await
    }

    pub async fn create_tenant_with_domain(
        &self,
        slug: &str,
        custom_domain: Option<&str>,
    ) -> ResolvedTenant {
        tenants::create(
            &self.db(),
            NewTenant {
                slug: slug.to_owned(),
                name: format!("{slug} clinic"),
                time_zone: "America/New_York".to_owned(),
                branding: None,
                custom_domain: custom_domain.map(str::to_owned),
            },
        )
        .await
        .unwrap()
    }

    /// Waits until start-up has reached the database.
    pub async fn ready(&self) {
        tokio::time::timeout(Duration::from_secs(60), self.running().ready())
            .await
            .expect("Portico did not become ready within 60 s");
    }

    /// The status `/readyz` answers now.
    pub async fn readyz_status(&self) -> u16 {
        self.client
            .get(self.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Adds a patient to `tenant` through the domain layer, as the system.
    pub async fn add_patient(&self, tenant: &ResolvedTenant, given_name: &str) -> patient::Model {
        let tx = TenantTx::begin(&self.db(), &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let created = patients::create(&tx, &Actor::system(), new_patient(given_name))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        created
    }

    /// POSTs a GraphQL operation as JSON with this `Host` header.
    pub async fn gql_at_host(&self, host: &str, query: &str) -> (u16, Value) {
        let res = self
            .client
            .post(self.url("/graphql"))
            .header("Host", host)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// POSTs a GraphQL operation as JSON; returns the status and the body.
    pub async fn gql_status(
        &self,
        tenant: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(slug) = tenant {
            req = req.header("X-Portico-Tenant", slug);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// POSTs a GraphQL operation to a tenant (or to the platform when `None`).
    pub async fn gql(&self, tenant: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_status(tenant, query, variables).await.1
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown_token().cancel();
        }
    }
}

/// A practice admin's session, from `signUpPractice`.
#[derive(Clone, Debug)]
pub struct Signed {
    pub slug: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
    /// Set once TOTP is enrolled.
    pub totp_secret: Option<String>,
}

pub const SIGN_UP: &str = "mutation($input: SignUpPracticeInput!) { signUpPractice(input: $input) {
    tenant { slug } session { accessToken refreshToken mfaEnrolmentRequired }
    userErrors { field code message } } }";

pub const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) {
    session { accessToken refreshToken mfaEnrolmentRequired } } }";

impl TestApp {
    /// POSTs a GraphQL operation to `tenant` with a bearer token.
    pub async fn gql_as(
        &self,
        tenant: &str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let res = self
            .client
            .post(self.url("/graphql"))
            .header("X-Portico-Tenant", tenant)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// Signs up a practice in Chicago; its admin still has to enrol TOTP.
    pub async fn sign_up(&self, slug: &str) -> Signed {
        self.sign_up_in(slug, "America/Chicago").await
    }

    /// Signs up a practice in `time_zone`; its admin still has to enrol TOTP.
    pub async fn sign_up_in(&self, slug: &str, time_zone: &str) -> Signed {
        let email = format!("admin@{slug}.example.com");
        let password = "correct kettle orbit lantern".to_owned();
        let body = self
            .gql(
                None,
                SIGN_UP,
                json!({ "input": {
                    "practiceName": format!("{slug} practice"),
                    "slug": slug,
                    "timeZone": time_zone,
                    "adminName": "Avery Admin",
                    "adminEmail": email,
                    "adminPassword": password,
                }}),
            )
            .await;
        let session = &body["data"]["signUpPractice"]["session"];
        assert!(session.is_object(), "sign-up failed: {body}");
        Signed {
            slug: slug.to_owned(),
            email,
            password,
            access: session["accessToken"].as_str().unwrap().to_owned(),
            refresh: session["refreshToken"].as_str().unwrap().to_owned(),
            totp_secret: None,
        }
    }

    /// Enrols TOTP for the signed-in user; returns the session that follows.
    pub async fn enrol_totp(&self, signed: &Signed) -> Signed {
        let (_, begun) = self
            .gql_as(
                &signed.slug,
                &signed.access,
                "mutation { beginTotpEnrolment { enrolment { secret otpauthUri } } }",
                json!({}),
            )
            .await;
        let secret = begun["data"]["beginTotpEnrolment"]["enrolment"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("enrolment did not start: {begun}"))
            .to_owned();
        let code = portico_auth::totp::current(&secret).unwrap();
        let (_, confirmed) = self
            .gql_as(
                &signed.slug,
                &signed.access,
                "mutation($code: String!) { confirmTotpEnrolment(input: { code: $code }) {
                    session { accessToken refreshToken mfaEnrolmentRequired }
                    userErrors { code } } }",
                json!({ "code": code }),
            )
            .await;
        let session = &confirmed["data"]["confirmTotpEnrolment"]["session"];
        assert_eq!(session["mfaEnrolmentRequired"], false, "{confirmed}");
        Signed {
            access: session["accessToken"].as_str().unwrap().to_owned(),
            refresh: session["refreshToken"].as_str().unwrap().to_owned(),
            totp_secret: Some(secret),
            ..signed.clone()
        }
    }

    /// A practice with an admin who has enrolled TOTP: a session that may do admin work.
    pub async fn practice_admin(&self, slug: &str) -> Signed {
        let signed = self.sign_up(slug).await;
        self.enrol_totp(&signed).await
    }

    /// Adds a user with `role` to the practice directly (invitations and patient enrolment
    /// come later), with TOTP enrolled for staff roles, and signs them in. A patient gets a
    /// chart linked to the account; its id is returned too.
    pub async fn add_user(&self, slug: &str, role: Role) -> (Signed, Option<uuid::Uuid>) {
        use portico_core::ports::Credentials;
        let db = self.db();
        let tenant = tenants::find_by_slug(&db, slug).await.unwrap().unwrap();
        let email = format!(
            "{}-{}@{slug}.example.com",
            role.as_str(),
            uuid::Uuid::now_v7().simple()
        );
        let password = "orbit lantern correct kettle".to_owned();
        let hasher = portico_auth::password::Argon2Hasher::new(
            portico_auth::password::Argon2Params::default(),
            12,
        )
        .unwrap();
        let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let user = portico_core::accounts::insert_user(
            &tx,
            &email,
            "Test Person",
            role,
            Some(hasher.hash(&password).unwrap()),
        )
        .await
        .unwrap();
        let secret = role.requires_mfa().then(portico_auth::totp::new_secret);
        if let Some(secret) = &secret {
            portico_core::accounts::set_totp(&tx, &user, secret)
                .await
                .unwrap();
        }
        let chart = if role == Role::Patient {
            let chart = patients::create(
                &tx,
                &Actor::system(),
                new_patient(&user.id.simple().to_string()),
            )
            .await
            .unwrap();
            patients::link_account(
                &tx,
                &Actor::system(),
                portico_core::PatientId::from_uuid(chart.id),
                portico_core::UserId::from_uuid(user.id),
            )
            .await
            .unwrap();
            Some(chart.id)
        } else {
            None
        };
        tx.commit().await.unwrap();
        let code = secret
            .as_deref()
            .map(|s| portico_auth::totp::current(s).unwrap());
        let body = self.sign_in(slug, &email, &password, code.as_deref()).await;
        let session = &body["data"]["signIn"]["session"];
        assert!(session.is_object(), "sign-in failed: {body}");
        (
            Signed {
                slug: slug.to_owned(),
                email,
                password,
                access: session["accessToken"].as_str().unwrap().to_owned(),
                refresh: session["refreshToken"].as_str().unwrap().to_owned(),
                totp_secret: secret,
            },
            chart,
        )
    }

    /// The emails sent so far, oldest first, each as its raw text.
    pub fn outbox(&self) -> Vec<String> {
        self.outbox_files("eml")
    }

    /// The text messages written to the outbox folder (no SMS provider configured).
    pub fn texts(&self) -> Vec<String> {
        self.outbox_files("sms")
    }

    fn outbox_files(&self, extension: &str) -> Vec<String> {
        let dir = self.database.dir.join("outbox");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == extension))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Sets `table.column` of row `id` to `at`, as the database owner: a test cannot wait a
    /// day for something to fall due.
    pub async fn backdate(
        &self,
        table: &str,
        column: &str,
        id: uuid::Uuid,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = sea_orm::Database::connect(&self.database.owner_url)
            .await
            .unwrap();
        let backend = conn.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                format!("UPDATE {table} SET {column} = $1 WHERE id = $2")
            }
            _ => format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
        };
        let done = conn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                &sql,
                [at.into(), id.into()],
            ))
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "{table} {id}");
        conn.close().await.unwrap();
    }

    /// The newest email to `address`.
    pub fn last_email_to(&self, address: &str) -> Option<String> {
        self.outbox()
            .into_iter()
            .rev()
            .find(|m| m.starts_with(&format!("To: {address}\r\n")))
    }

    /// An operator of the platform tenant, signed in (as `portico operator create` makes).
    pub async fn operator(&self) -> Signed {
        let email = format!("op-{}@portico.example.com", uuid::Uuid::now_v7().simple());
        let password = "lighthouse keeper ledger".to_owned();
        let config = self.database.config();
        let (secret, _) = portico_server::cli::create_operator(
            &self.db(),
            &config,
            &email,
            "Olive Operator",
            &password,
        )
        .await
        .unwrap();
        let code = portico_auth::totp::current(&secret).unwrap();
        let body = self
            .sign_in("platform", &email, &password, Some(&code))
            .await;
        let session = &body["data"]["signIn"]["session"];
        assert!(session.is_object(), "operator sign-in failed: {body}");
        Signed {
            slug: "platform".to_owned(),
            email,
            password,
            access: session["accessToken"].as_str().unwrap().to_owned(),
            refresh: session["refreshToken"].as_str().unwrap().to_owned(),
            totp_secret: Some(secret),
        }
    }

    /// The newest email to `address`, waiting for it (emails sent in the background).
    pub async fn wait_for_email_to(&self, address: &str) -> String {
        // Generous: a busy machine (parallel tests, other builds) may take a while.
        wait_until(
            &format!("an email to {address}"),
            Duration::from_secs(30),
            async || self.last_email_to(address),
        )
        .await
    }

    /// `signIn`; returns the status and body.
    pub async fn sign_in(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        totp_code: Option<&str>,
    ) -> Value {
        let (_, body) = self
            .gql_status(
                Some(slug),
                SIGN_IN,
                json!({ "input": { "email": email, "password": password, "totpCode": totp_code } }),
            )
            .await;
        body
    }
}

/// A valid patient with a unique MRN derived from `given_name`.
pub fn new_patient(given_name: &str) -> NewPatient {
    NewPatient {
        mrn: Some(format!("MRN-{given_name}")),
        given_name: given_name.to_owned(),
        family_name: "Tester".to_owned(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 1, 2),
        gender: "unknown".to_owned(),
        email: None,
        phone: Some("555-0100".to_owned()),
    }
}

/// What one look of [`wait_until`] found: done (with what it found), or not yet (and what
/// it saw instead, for the message if time runs out).
pub trait Probe {
    type Found;
    fn found(self) -> Result<Self::Found, String>;
}

impl Probe for bool {
    type Found = ();
    fn found(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("false".to_owned())
        }
    }
}

impl<T> Probe for Option<T> {
    type Found = T;
    fn found(self) -> Result<T, String> {
        self.ok_or_else(|| "nothing yet".to_owned())
    }
}

impl<T, E: std::fmt::Display> Probe for Result<T, E> {
    type Found = T;
    fn found(self) -> Result<T, String> {
        self.map_err(|seen| seen.to_string())
    }
}

/// Looks with `probe` until it finds what the test waits for (something done in the
/// background: a job run, a message delivered, a process up), first at once, then after
/// pauses growing to 250 ms; fails naming `what` and the last thing seen once `within` has
/// passed. The one way the tests wait: never a fixed sleep.
pub async fn wait_until<P: Probe>(
    what: &str,
    within: Duration,
    probe: impl AsyncFnMut() -> P,
) -> P::Found {
    poll(what, within, Duration::from_millis(250), probe).await
}

/// [`wait_until`] for a moment the test must catch while it lasts (a fault injected part-way
/// through a batch): it looks at least every `every`, so fast progress is not missed.
pub async fn wait_until_closely<P: Probe>(
    what: &str,
    within: Duration,
    every: Duration,
    probe: impl AsyncFnMut() -> P,
) -> P::Found {
    poll(what, within, every, probe).await
}

async fn poll<P: Probe>(
    what: &str,
    within: Duration,
    longest_pause: Duration,
    mut probe: impl AsyncFnMut() -> P,
) -> P::Found {
    let deadline = tokio::time::Instant::now() + within;
    let mut pause = Duration::from_millis(10).min(longest_pause);
    loop {
        match probe().await.found() {
            Ok(found) => return found,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("waited {within:?} for {what} in vain; last seen: {seen}")
            }
            Err(_) => {}
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(longest_pause);
    }
}

/// Whether `what` is installed: `program args...` succeeds. Tests that need a real server
/// skip without it locally, saying how to `install` it; under `CI` it is required.
pub fn tool_installed(what: &str, program: &str, args: &[&str], install: &str) -> bool {
    let installed = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {what} ({install})"
        );
        eprintln!("skipped: {what} is not installed ({install})");
    }
    installed
}

/// The `extensions.code` of the first error of a GraphQL response.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// A graphql-ws (graphql-transport-ws) upgrade request to `/graphql` on `host` (`ip:port`).
pub fn graphql_ws_request(
    host: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};
    let mut request = format!("ws://{host}/graphql")
        .into_client_request()
        .expect("a ws:// URL with a host is a valid request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    request
}
