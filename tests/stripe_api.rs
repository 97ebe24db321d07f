//! A local HTTP server that answers as Stripe's API does for the calls Portico makes
//! (`POST /v1/customers`, `/v1/checkout/sessions`, `/v1/billing_portal/sessions`,
//! `/v1/billing/meter_events`, `GET /v1/invoices`): bearer auth with [`SECRET_KEY`], form
//! bodies with Stripe's bracketed keys, Stripe-shaped JSON objects and errors
//! (`{"error": {"type", "code", "message", "param"}}`), a `400` for a meter event whose
//! identifier was already used, and a `404`-style `resource_missing` for an unknown customer.
//! It records what it received, lets a test seed invoices, and can fail the next calls.
//!
//! Also here: signed webhook deliveries ([`sign`], [`delivery`]) and builders of event JSON
//! with the envelope Stripe sends ([`subscription_event`], [`checkout_completed_event`],
//! [`invoice_event`]).
//!
//! Used by portico-tests and, through `#[path]`, by portico-billing's own tests.

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

/// The only API key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_portico";
/// A webhook signing secret for tests.
pub const WEBHOOK_SECRET: &str = "whsec_portico_test";
/// The API version events are rendered in (the one async-stripe 1.0.0-rc.10 targets).
pub const API_VERSION: &str = "2026-09-30.endive";

/// A form as received: each bracketed key (`line_items[1][quantity]`) with its value.
pub type Fields = BTreeMap<String, String>;

/// One request as received, whatever its answer.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
}

#[derive(Default)]
struct Book {
    requests: Vec<Received>,
    customers: Vec<(String, Fields)>,
    checkout_sessions: Vec<(String, Fields)>,
    portal_sessions: Vec<(String, Fields)>,
    meter_events: Vec<Fields>,
    identifiers: HashSet<String>,
    invoices: HashMap<String, Vec<Value>>,
    subscriptions: HashMap<String, Value>,
    item_updates: Vec<(String, Fields)>,
    failures: VecDeque<(StatusCode, Value)>,
}

type Shared = Arc<Mutex<Book>>;

#[derive(Clone)]
pub struct StripeApi {
    /// `http://127.0.0.1:{port}`: the API base to configure.
    pub base_url: String,
    book: Shared,
}

impl StripeApi {
    pub async fn start() -> Self {
        let book = Shared::default();
        let app = Router::new()
            .route("/v1/customers", post(create_customer))
            .route("/v1/checkout/sessions", post(create_checkout_session))
            .route("/v1/billing_portal/sessions", post(create_portal_session))
            .route("/v1/billing/meter_events", post(create_meter_event))
            .route("/v1/invoices", get(list_invoices))
            .route("/v1/subscriptions/{id}", get(retrieve_subscription))
            .route(
                "/v1/subscription_items/{id}",
                post(update_subscription_item),
            )
            .with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, book }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap()
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.book().requests.clone()
    }

    /// The customers created, each with its id and the form that created it.
    pub fn customers(&self) -> Vec<(String, Fields)> {
        self.book().customers.clone()
    }

    /// A customer that exists without a `POST /v1/customers` (created in the dashboard).
    pub fn add_customer(&self, id: &str) {
        self.book().customers.push((id.to_owned(), Fields::new()));
    }

    /// The Checkout Sessions created, each with its id and form.
    pub fn checkout_sessions(&self) -> Vec<(String, Fields)> {
        self.book().checkout_sessions.clone()
    }

    /// The Customer Portal sessions created, each with its id and form.
    pub fn portal_sessions(&self) -> Vec<(String, Fields)> {
        self.book().portal_sessions.clone()
    }

    /// The meter events accepted (a refused duplicate is not among them).
    pub fn meter_events(&self) -> Vec<Fields> {
        self.book().meter_events.clone()
    }

    /// Adds an invoice for `customer`, listed newest (by `created`) first.
    pub fn seed_invoice(&self, customer: &str, invoice: Value) {
        self.book()
            .invoices
            .entry(customer.to_owned())
            .or_default()
            .push(invoice);
    }

    /// Makes `subscription` (a subscription object, as in an event's `data.object`) the
    /// one `GET /v1/subscriptions/{id}` answers with from now on.
    pub fn set_subscription(&self, subscription: Value) {
        let id = subscription["id"].as_str().unwrap().to_owned();
        self.book().subscriptions.insert(id, subscription);
    }

    /// The subscription item updates received, each with the item's id and form.
    pub fn item_updates(&self) -> Vec<(String, Fields)> {
        self.book().item_updates.clone()
    }

    /// Answers the next authorised request with `status` and Stripe's error JSON (queued:
    /// call twice to fail two requests, e.g. an attempt and its retry).
    pub fn fail_next(&self, status: u16, error_type: &str, code: Option<&str>) {
        let status = StatusCode::from_u16(status).unwrap();
        let body = json!({ "error": {
            "type": error_type,
            "code": code,
            "message": "Simulated failure.",
        }});
        self.book().failures.push_back((status, body));
    }
}

/// A paid invoice for `customer` as Stripe renders it, with the fields Portico lists.
pub fn invoice(id: &str, customer: &str, total: i64, created: i64) -> Value {
    json!({
        "id": id,
        "object": "invoice",
        "customer": customer,
        "number": format!("PORT-{}", &id[id.len().saturating_sub(4)..]),
        "status": "paid",
        "currency": "usd",
        "total": total,
        "subtotal": total,
        "amount_due": total,
        "amount_paid": total,
        "amount_remaining": 0,
        "created": created,
        "period_start": created - 30 * 86_400,
        "period_end": created,
        "hosted_invoice_url": format!("https://invoice.stripe.com/i/{id}"),
        "invoice_pdf": format!("https://pay.stripe.com/invoice/{id}/pdf"),
        "livemode": false,
        "lines": { "object": "list", "data": [], "has_more": false, "url": "/v1/invoices/lines" },
    })
}

fn stripe_id(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..24])
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn error(
    status: StatusCode,
    error_type: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> Response {
    let mut body = json!({ "type": error_type, "message": message,
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_fake" });
    if let Some(code) = code {
        body["code"] = json!(code);
        body["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{code}"));
    }
    if let Some(param) = param {
        body["param"] = json!(param);
    }
    (status, Json(json!({ "error": body }))).into_response()
}

fn missing(param: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("parameter_missing"),
        Some(param),
        &format!("Missing required param: {param}."),
    )
}

/// Records the request; the answer instead of the endpoint's: `401` without the key, or
/// the failure a test queued.
fn admit(book: &Shared, method: &str, path: &str, headers: &HeaderMap) -> Option<Response> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let mut book = book.lock().unwrap();
    book.requests.push(Received {
        method: method.to_owned(),
        path: path.to_owned(),
        authorization: authorization.clone(),
        idempotency_key: header("idempotency-key"),
        stripe_version: header("stripe-version"),
    });
    if authorization.as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            None,
            "Invalid API Key provided: sk_test_****",
        ));
    }
    if let Some((status, body)) = book.failures.pop_front() {
        return Some((status, Json(body)).into_response());
    }
    None
}

fn fields(form: Vec<(String, String)>) -> Fields {
    form.into_iter().collect()
}

fn no_such_customer(book: &Shared, customer: &str) -> Option<Response> {
    let known = book
        .lock()
        .unwrap()
        .customers
        .iter()
        .any(|(id, _)| id == customer);
    (!known).then(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_missing"),
            Some("customer"),
            &format!("No such customer: '{customer}'"),
        )
    })
}

async fn create_customer(
    State(book): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = admit(&book, "POST", "/v1/customers", &headers) {
        return refused;
    }
    let form = fields(form);
    let id = stripe_id("cus");
    let body = json!({
        "id": id, "object": "customer", "created": now(), "livemode": false,
        "name": form.get("name"), "email": form.get("email"),
        "metadata": { "tenant_id": form.get("metadata[tenant_id]") },
    });
    book.lock().unwrap().customers.push((id, form));
    Json(body).into_response()
}

async fn create_checkout_session(
    State(book): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = admit(&book, "POST", "/v1/checkout/sessions", &headers) {
        return refused;
    }
    let form = fields(form);
    let Some(customer) = form.get("customer").cloned() else {
        return missing("customer");
    };
    if form.get("mode").map(String::as_str) != Some("subscription") {
        return missing("mode");
    }
    if !form.contains_key("line_items[0][price]") {
        return missing("line_items");
    }
    if let Some(refused) = no_such_customer(&book, &customer) {
        return refused;
    }
    let id = stripe_id("cs_test");
    let body = json!({
        "id": id, "object": "checkout.session", "created": now(), "livemode": false,
        "mode": "subscription", "status": "open", "payment_status": "unpaid",
        "customer": customer, "client_reference_id": form.get("client_reference_id"),
        "success_url": form.get("success_url"), "cancel_url": form.get("cancel_url"),
        "subscription": null,
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    });
    book.lock().unwrap().checkout_sessions.push((id, form));
    Json(body).into_response()
}

async fn create_portal_session(
    State(book): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = admit(&book, "POST", "/v1/billing_portal/sessions", &headers) {
        return refused;
    }
    let form = fields(form);
    let Some(customer) = form.get("customer").cloned() else {
        return missing("customer");
    };
    if let Some(refused) = no_such_customer(&book, &customer) {
        return refused;
    }
    let id = stripe_id("bps");
    let body = json!({
        "id": id, "object": "billing_portal.session", "created": now(), "livemode": false,
        "customer": customer, "return_url": form.get("return_url"),
        "configuration": "bpc_fake", "locale": null, "on_behalf_of": null, "flow": null,
        "url": format!("https://billing.stripe.com/p/session/test_{}", &id[4..]),
    });
    book.lock().unwrap().portal_sessions.push((id, form));
    Json(body).into_response()
}

async fn create_meter_event(
    State(book): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = admit(&book, "POST", "/v1/billing/meter_events", &headers) {
        return refused;
    }
    let form = fields(form);
    for param in [
        "event_name",
        "payload[stripe_customer_id]",
        "payload[value]",
    ] {
        if !form.contains_key(param) {
            return missing(param);
        }
    }
    let identifier = form
        .get("identifier")
        .cloned()
        .unwrap_or_else(|| stripe_id("mev"));
    let mut book = book.lock().unwrap();
    if !book.identifiers.insert(identifier.clone()) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_already_exists"),
            Some("identifier"),
            &format!("An event already exists with identifier {identifier}."),
        );
    }
    let body = json!({
        "object": "billing.meter_event", "created": now(), "livemode": false,
        "event_name": form.get("event_name"), "identifier": identifier,
        "payload": { "stripe_customer_id": form.get("payload[stripe_customer_id]"),
            "value": form.get("payload[value]") },
        "timestamp": form.get("timestamp").and_then(|t| t.parse::<i64>().ok()).unwrap_or_else(now),
    });
    book.meter_events.push(form);
    Json(body).into_response()
}

async fn retrieve_subscription(
    State(book): State<Shared>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if let Some(refused) = admit(&book, "GET", &format!("/v1/subscriptions/{id}"), &headers) {
        return refused;
    }
    let found = book.lock().unwrap().subscriptions.get(&id).cloned();
    match found {
        Some(subscription) => Json(subscription).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            Some("id"),
            &format!("No such subscription: '{id}'"),
        ),
    }
}

async fn update_subscription_item(
    State(book): State<Shared>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let path = format!("/v1/subscription_items/{id}");
    if let Some(refused) = admit(&book, "POST", &path, &headers) {
        return refused;
    }
    let form = fields(form);
    let Some(quantity) = form.get("quantity").and_then(|q| q.parse::<u64>().ok()) else {
        return missing("quantity");
    };
    let mut book = book.lock().unwrap();
    let item = book.subscriptions.values_mut().find_map(|subscription| {
        subscription["items"]["data"]
            .as_array_mut()?
            .iter_mut()
            .find(|item| item["id"] == id.as_str())
    });
    let Some(item) = item else {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            Some("id"),
            &format!("No such subscription item: '{id}'"),
        );
    };
    item["quantity"] = json!(quantity);
    let body = item.clone();
    book.item_updates.push((id, form));
    Json(body).into_response()
}

async fn list_invoices(
    State(book): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = admit(&book, "GET", "/v1/invoices", &headers) {
        return refused;
    }
    let query = fields(query);
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10);
    let mut invoices = query
        .get("customer")
        .and_then(|c| book.lock().unwrap().invoices.get(c).cloned())
        .unwrap_or_default();
    invoices.sort_by_key(|i| std::cmp::Reverse(i["created"].as_i64()));
    let has_more = invoices.len() > limit;
    invoices.truncate(limit);
    Json(json!({ "object": "list", "url": "/v1/invoices", "has_more": has_more, "data": invoices }))
        .into_response()
}

/// The `Stripe-Signature` header for `payload` signed with `secret` at `timestamp`.
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    stripe_webhook::Webhook::generate_test_header(payload, secret, Some(timestamp))
}

/// A delivery of `event`: its body and its signature header, signed at `timestamp`.
pub fn delivery(event: &Value, secret: &str, timestamp: i64) -> (String, String) {
    let payload = event.to_string();
    let header = sign(&payload, secret, timestamp);
    (payload, header)
}

/// An event's envelope around `object`, as Stripe sends it to an endpoint.
pub fn event(id: &str, event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
    })
}

/// `customer.subscription.created|updated|deleted` with one item of `price`, in the current
/// API's shape (the period on the item); `metadata.tenant_id` when `tenant_id` is given.
#[expect(clippy::too_many_arguments, reason = "mirrors the event's fields")]
pub fn subscription_event(
    id: &str,
    event_type: &str,
    created: i64,
    subscription_id: &str,
    customer: &str,
    status: &str,
    tenant_id: Option<uuid::Uuid>,
    price: &str,
) -> Value {
    let metadata = match tenant_id {
        Some(tenant) => json!({ "tenant_id": tenant.to_string() }),
        None => json!({}),
    };
    let subscription = json!({
        "id": subscription_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "created": created - 3600,
        "start_date": created - 3600,
        "currency": "usd",
        "livemode": false,
        "cancel_at_period_end": false,
        "canceled_at": if status == "canceled" { json!(created) } else { Value::Null },
        "trial_end": if status == "trialing" { json!(created + 14 * 86_400) } else { Value::Null },
        "metadata": metadata,
        "items": {
            "object": "list",
            "has_more": false,
            "url": format!("/v1/subscription_items?subscription={subscription_id}"),
            "data": [{
                "id": format!("si_{}", &subscription_id[subscription_id.len().saturating_sub(8)..]),
                "object": "subscription_item",
                "subscription": subscription_id,
                "created": created - 3600,
                "quantity": 1,
                "current_period_start": created - 3600,
                "current_period_end": created - 3600 + 30 * 86_400,
                "metadata": {},
                "price": { "id": price, "object": "price", "currency": "usd",
                    "active": true, "type": "recurring", "unit_amount": 4900,
                    "recurring": { "interval": "month", "interval_count": 1 } },
            }],
        },
    });
    event(id, event_type, created, subscription)
}

/// `checkout.session.completed` for a subscription Checkout Session; the tenant in
/// `client_reference_id` when given.
pub fn checkout_completed_event(
    id: &str,
    created: i64,
    session_id: &str,
    customer: &str,
    subscription: Option<&str>,
    tenant_id: Option<uuid::Uuid>,
) -> Value {
    let session = json!({
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "created": created - 600,
        "livemode": false,
        "customer": customer,
        "subscription": subscription,
        "client_reference_id": tenant_id.map(|t| t.to_string()),
        "metadata": {},
        "url": null,
    });
    event(id, "checkout.session.completed", created, session)
}

/// `invoice.paid` or `invoice.payment_failed` in the current API's shape (the subscription
/// under `parent.subscription_details`).
pub fn invoice_event(
    id: &str,
    event_type: &str,
    created: i64,
    invoice_id: &str,
    customer: &str,
    subscription: Option<&str>,
) -> Value {
    let paid = event_type == "invoice.paid";
    let mut object = invoice(invoice_id, customer, 4900, created);
    object["status"] = json!(if paid { "paid" } else { "open" });
    object["amount_paid"] = json!(if paid { 4900 } else { 0 });
    object["parent"] = match subscription {
        Some(subscription) => json!({
            "type": "subscription_details",
            "quote_details": null,
            "subscription_details": { "subscription": subscription, "metadata": {} },
        }),
        None => Value::Null,
    };
    event(id, event_type, created, object)
}
