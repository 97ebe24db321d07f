//! Portico's GraphQL schema. Modules mirror the domain areas of `portico-core`; `limits`
//! and `error` hold what applies to every operation.

// The merged root objects nest one future per area; rustc's default (128) is just short.
#![recursion_limit = "256"]

mod activation_throttle;
mod adoption;
mod api_keys;
mod audit;
mod audit_export;
mod billing;
mod branding;
mod break_glass;
mod browser_session;
mod campaigns;
mod chart_access;
mod coded_errors;
mod contact_details;
mod context;
mod dashboard;
mod deliveries;
mod documents;
mod education;
mod ehr;
mod emergency;
mod enrolment;
mod error;
mod feedback;
mod fhir_export;
mod forms;
mod global_id;
mod identity;
mod limits;
mod messaging;
mod nesting;
mod notifications;
mod operators;
mod passkeys;
mod patient_imports;
mod patients;
mod permissions;
mod persisted_queries;
mod proxies;
mod readings;
mod records;
mod records_entry;
mod refills;
mod request_reads;
mod run;
mod scalars;
mod scheduling;
mod settings;
mod smart;
mod staff;
mod tenants;
mod user_error;
mod webhooks;

use async_graphql::{MergedObject, MergedSubscription, Schema};

pub use activation_throttle::ActivationLimits;
pub use browser_session::{BrowserSession, SESSION_HEADER, SESSION_HEADER_COOKIE, cookie_name};
pub use context::{
    RequestContext, RequestMethod, Services, SessionSettings, actor_of, permits,
    revocation_check_failed,
};
pub use error::{ApiError, ErrorCode};

/// The opaque global id the API gives object `id` of `type_name` (for links made outside
/// GraphQL, such as the SMART consent page's address).
pub fn global_id_of(type_name: &str, id: uuid::Uuid) -> String {
    global_id::encode(type_name, id).to_string()
}
pub use limits::Limits;
pub use messaging::DOWNLOAD_PATH;
pub use permissions::POLICY_CHANGED_TOPIC;
pub use persisted_queries::names_persisted_query;
pub use request_reads::RequestReads;

#[derive(MergedObject, Default)]
pub struct Query(
    tenants::TenantsQuery,
    identity::IdentityQuery,
    passkeys::PasskeysQuery,
    patients::PatientsQuery,
    staff::StaffQuery,
    api_keys::ApiKeysQuery,
    permissions::PermissionsQuery,
    operators::OperatorsQuery,
    proxies::ProxiesQuery,
    settings::SettingsQuery,
    audit::AuditQuery,
    audit_export::AuditExportQuery,
    deliveries::DeliveriesQuery,
    notifications::NotificationsQuery,
    scheduling::SchedulingQuery,
    refills::RefillsQuery,
    feedback::FeedbackQuery,
    campaigns::CampaignsQuery,
    education::EducationQuery,
    readings::ReadingsQuery,
    break_glass::BreakGlassQuery,
    messaging::MessagingQuery,
    ehr::EhrQuery,
    adoption::AdoptionQuery,
    billing::BillingQuery,
    patient_imports::PatientImportsQuery,
    forms::FormsQuery,
    webhooks::WebhooksQuery,
    smart::SmartQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    passkeys::PasskeysMutation,
    patients::PatientsMutation,
    staff::StaffMutation,
    api_keys::ApiKeysMutation,
    permissions::PermissionsMutation,
    operators::OperatorsMutation,
    enrolment::EnrolmentMutation,
    proxies::ProxiesMutation,
    settings::SettingsMutation,
    branding::BrandingMutation,
    scheduling::SchedulingMutation,
    refills::RefillsMutation,
    feedback::FeedbackMutation,
    campaigns::CampaignsMutation,
    education::EducationMutation,
    readings::ReadingsMutation,
    deliveries::DeliveriesMutation,
    notifications::NotificationsMutation,
    records_entry::RecordsMutation,
    contact_details::ContactDetailsMutation,
    emergency::EmergencyMutation,
    chart_access::ChartAccessMutation,
    break_glass::BreakGlassMutation,
    messaging::MessagingMutation,
    ehr::EhrMutation,
    billing::BillingMutation,
    adoption::AdoptionMutation,
    patient_imports::PatientImportsMutation,
    forms::FormsMutation,
    webhooks::WebhooksMutation,
    smart::SmartMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(messaging::MessagingSubscription);

pub type PorticoSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema with its limits. `services` is shared by every request; per-request
/// data ([`RequestContext`], [`RequestMethod`]) is attached by the HTTP layer.
pub fn build_schema(services: Option<Services>, limits: &Limits) -> PorticoSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(limits.max_recursive_depth)
    .limit_directives(limits.max_directives)
    // Before the limits: a persisted query's text is put back first, then checked like any.
    .extension(persisted_queries::PersistedQueries::default())
    .extension(limits::ParseChecks::new(limits))
    .extension(coded_errors::CodedErrors)
    // No field returns it: registered so the SDL lists every `extensions.code`.
    .register_output_type::<ErrorCode>();
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &Limits::default()).sdl()
}
