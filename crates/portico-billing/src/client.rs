//! [`StripeBilling`]: the billing gateway over Stripe's API. Requests are built with the
//! SDK's typed parameters; answers are read into the narrow types of [`crate::wire`].

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};
use portico_core::billing::{
    events::SubscriptionSnapshot,
    gateway::{
        BillingError, BillingGateway, CheckoutRequest, InvoiceSummary, NewCustomer, UsageRecord,
    },
};
use stripe::{Client, ClientBuilder, RequestStrategy, StripeRequest as _};
use stripe_billing::{
    billing_meter_event::CreateBillingMeterEvent,
    billing_portal_session::CreateBillingPortalSession, invoice::ListInvoice,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::customer::CreateCustomer;

use crate::{
    errors::{is_duplicate_meter_event, to_billing_error},
    settings::StripeSettings,
    wire,
};

/// Attempts per call: one retry, with the same idempotency key, when Stripe asks for it or
/// answers 409/429/5xx, or the connection fails.
const ATTEMPTS: u32 = 2;

/// Stripe refuses a subscription trial that ends sooner than this.
const MIN_TRIAL: TimeDelta = TimeDelta::hours(48);

/// Stripe as Portico's payment provider.
#[derive(Clone, Debug)]
pub struct StripeBilling {
    client: Client,
    meter_event_name: String,
}

impl StripeBilling {
    /// A client for the account in `settings`; fails only on a key or base URL that cannot
    /// be used in a request.
    pub fn new(settings: &StripeSettings) -> Result<Self, BillingError> {
        let client = ClientBuilder::new(settings.secret_key.clone())
            .url(settings.api_base())
            .request_strategy(RequestStrategy::Retry(ATTEMPTS))
            .app_info("portico", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(to_billing_error)?;
        Ok(Self {
            client,
            meter_event_name: settings.meter_event_name.clone(),
        })
    }

    /// The meter's event name from the settings, for the usage job's records.
    pub fn meter_event_name(&self) -> &str {
        &self.meter_event_name
    }
}

/// The Checkout Session's form: the plan's base price once, its seat price per provider,
/// and its metered patient price with no quantity (Stripe counts it from meter events).
pub(crate) fn checkout_params(request: &CheckoutRequest) -> CreateCheckoutSession {
    let plan = &request.plan;
    let mut items = vec![line_item(&plan.base_price, Some(1))];
    if let Some(seat) = &plan.seat_price {
        items.push(line_item(seat, Some(u64::from(request.seats.max(1)))));
    }
    if let Some(patient) = &plan.patient_price {
        items.push(line_item(patient, None));
    }
    let tenant = request.tenant_id.to_string();
    let mut subscription = CreateCheckoutSessionSubscriptionData::new();
    subscription.metadata = Some(HashMap::from([("tenant_id".to_owned(), tenant.clone())]));
    // A trial that ends too soon for Stripe is dropped rather than failing the checkout.
    subscription.trial_end = request
        .trial_end
        .filter(|end| *end >= Utc::now() + MIN_TRIAL)
        .map(|end| end.timestamp());
    CreateCheckoutSession::new()
        .mode(stripe_shared::CheckoutSessionMode::Subscription)
        .customer(request.customer_id.clone())
        .client_reference_id(tenant)
        .subscription_data(subscription)
        .line_items(items)
        .success_url(request.success_url.clone())
        .cancel_url(request.cancel_url.clone())
}

fn line_item(price: &str, quantity: Option<u64>) -> CreateCheckoutSessionLineItems {
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price.to_owned());
    item.quantity = quantity;
    item
}

fn missing_url() -> BillingError {
    BillingError::Unavailable("session has no url".to_owned())
}

#[async_trait]
impl BillingGateway for StripeBilling {
    #[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %customer.tenant_id))]
    async fn create_customer(&self, customer: &NewCustomer) -> Result<String, BillingError> {
        let mut params = CreateCustomer::new()
            .name(customer.name.clone())
            .metadata(HashMap::from([(
                "tenant_id".to_owned(),
                customer.tenant_id.to_string(),
            )]));
        if let Some(email) = &customer.email {
            params = params.email(email.clone());
        }
        let created: wire::Created = params
            .build()
            .customize()
            .send(&self.client)
            .await
            .map_err(to_billing_error)?;
        Ok(created.id)
    }

    #[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %request.tenant_id, plan = %request.plan.code))]
    async fn checkout_url(&self, request: &CheckoutRequest) -> Result<String, BillingError> {
        let session: wire::Session = checkout_params(request)
            .build()
            .customize()
            .send(&self.client)
            .await
            .map_err(to_billing_error)?;
        tracing::debug!(session = %session.id, "checkout session created");
        session.url.ok_or_else(missing_url)
    }

    #[tracing::instrument(skip_all, err(level = "warn"))]
    async fn portal_url(
        &self,
        customer_id: &str,
        return_url: &str,
    ) -> Result<String, BillingError> {
        let params = CreateBillingPortalSession::new()
            .customer(customer_id.to_owned())
            .return_url(return_url.to_owned());
        let session: wire::Session = params
            .build()
            .customize()
            .send(&self.client)
            .await
            .map_err(to_billing_error)?;
        session.url.ok_or_else(missing_url)
    }

    #[tracing::instrument(skip_all, err(level = "warn"))]
    async fn invoices(
        &self,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<InvoiceSummary>, BillingError> {
        // Stripe lists 1 to 100 per page, newest first.
        let params = ListInvoice::new()
            .customer(customer_id.to_owned())
            .limit(i64::from(limit.clamp(1, 100)));
        let list: wire::InvoiceList = params
            .build()
            .customize()
            .send(&self.client)
            .await
            .map_err(to_billing_error)?;
        list.data
            .into_iter()
            .map(|invoice| {
                invoice.into_summary().ok_or_else(|| {
                    BillingError::Unavailable("invoice timestamp out of range".to_owned())
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, err(level = "warn"), fields(value = usage.value))]
    async fn report_usage(&self, usage: &UsageRecord) -> Result<(), BillingError> {
        let event_name = if usage.event_name.is_empty() {
            self.meter_event_name.clone()
        } else {
            usage.event_name.clone()
        };
        let payload = HashMap::from([
            ("stripe_customer_id".to_owned(), usage.customer_id.clone()),
            ("value".to_owned(), usage.value.to_string()),
        ]);
        let params = CreateBillingMeterEvent::new(event_name, payload)
            .identifier(usage.identifier.clone())
            .timestamp(usage.timestamp.timestamp());
        match params
            .build()
            .customize::<wire::MeterEvent>()
            .send(&self.client)
            .await
        {
            Ok(event) => {
                tracing::debug!(identifier = %event.identifier, "usage reported");
                Ok(())
            }
            Err(error) if is_duplicate_meter_event(&error) => {
                tracing::debug!("usage already reported under this identifier");
                Ok(())
            }
            Err(error) => Err(to_billing_error(error)),
        }
    }

    #[tracing::instrument(skip_all, err(level = "warn"))]
    async fn set_item_quantity(
        &self,
        subscription_id: &str,
        price: &str,
        quantity: u32,
    ) -> Result<Option<u64>, BillingError> {
        let Some(object) = self.subscription_json(subscription_id).await? else {
            return Ok(None);
        };
        let item = object
            .pointer("/items/data")
            .and_then(serde_json::Value::as_array)
            .and_then(|items| {
                items.iter().find(|item| {
                    item.pointer("/price/id")
                        .and_then(serde_json::Value::as_str)
                        == Some(price)
                })
            });
        let (Some(item_id), current) = (
            item.and_then(|i| i.get("id"))
                .and_then(serde_json::Value::as_str),
            item.and_then(|i| i.get("quantity"))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        ) else {
            return Ok(None);
        };
        if !is_stripe_id(item_id, "si_") {
            return Ok(None);
        }
        if current != u64::from(quantity) {
            let form = HashMap::from([
                ("quantity", quantity.to_string()),
                ("proration_behavior", "create_prorations".to_owned()),
            ]);
            RequestBuilder::new(StripeMethod::Post, format!("/subscription_items/{item_id}"))
                .form(&form)
                .customize::<miniserde::json::Value>()
                .send(&self.client)
                .await
                .map_err(to_billing_error)?;
        }
        Ok(Some(current))
    }

    #[tracing::instrument(skip_all, err(level = "warn"))]
    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionSnapshot>, BillingError> {
        Ok(self
            .subscription_json(id)
            .await?
            .and_then(|object| crate::webhook::subscription(&object, "")))
    }
}

impl StripeBilling {
    /// The subscription as Stripe renders it now, read as plain JSON (the full typed object
    /// requires fields of one API version only); `None` when Stripe does not know it.
    async fn subscription_json(&self, id: &str) -> Result<Option<serde_json::Value>, BillingError> {
        if !is_stripe_id(id, "sub_") {
            return Ok(None);
        }
        let answer = RequestBuilder::new(StripeMethod::Get, format!("/subscriptions/{id}"))
            .customize::<miniserde::json::Value>()
            .send(&self.client)
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(error) => {
                return match to_billing_error(error) {
                    BillingError::Refused { code } if code == "resource_missing" => Ok(None),
                    other => Err(other),
                };
            }
        };
        serde_json::from_str(&miniserde::json::to_string(&object))
            .map(Some)
            .map_err(|_| BillingError::Unavailable("unreadable subscription".to_owned()))
    }
}

/// A Stripe id of this kind (`sub_`, `si_`, then letters and digits): anything else is
/// never put in a request path.
fn is_stripe_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
