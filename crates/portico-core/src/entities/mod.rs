//! sea-orm entities, one file per table. Tenant-owned ones implement
//! [`crate::tenancy::TenantOwned`] and are only queried through a [`crate::TenantTx`].

pub mod activation_code;
pub mod adoption_rollup;
pub mod allergy;
pub mod api_key;
pub mod appointment;
pub mod appointment_link;
pub mod appointment_reminder;
pub mod appointment_type;
pub mod audit_event;
pub mod audit_pending;
pub mod availability_window;
pub mod billing_account;
pub mod billing_event;
pub mod break_glass_access;
pub mod bulk_export;
pub mod bulk_export_file;
pub mod campaign_recipient;
pub mod care_team_member;
pub mod care_team_pool;
pub mod care_team_pool_member;
pub mod chart_restriction;
pub mod condition;
pub mod contact_change;
pub mod diagnostic_report;
pub mod education_resource;
pub mod education_resource_code;
pub mod ehr_connection;
pub mod ehr_link;
pub mod ehr_rejection;
pub mod ehr_review;
pub mod ehr_sync_mark;
pub mod ehr_sync_run;
pub mod emergency_contact;
pub mod encounter;
pub mod feedback_invitation;
pub mod feedback_response;
pub mod form;
pub mod form_attachment;
pub mod form_request;
pub mod immunization;
pub mod invitation;
pub mod invitation_campaign;
pub mod location;
pub mod medication_request;
pub mod message_attachment;
pub mod message_thread;
pub mod observation;
pub mod outbox_message;
pub mod passkey;
pub mod passkey_challenge;
pub mod password_reset;
pub mod patient;
pub mod patient_import;
pub mod patient_import_chart;
pub mod patient_import_file;
pub mod patient_search_term;
pub mod provider;
pub mod proxy_grant;
pub mod recall_notice;
pub mod recall_rule;
pub mod recovery_code;
pub mod refill_request;
pub mod refresh_token;
// Home readings and their thresholds and alerts.
pub mod home_reading;
pub mod reading_alert;
pub mod reading_threshold;
pub mod role_permission;
pub mod schedule_block;
pub mod signing_key;
pub mod smart_app;
pub mod smart_assertion;
pub mod smart_grant;
pub mod smart_request;
pub mod tenant;
pub mod thread_message;
pub mod thread_read;
pub mod usage_report;
pub mod user;
pub mod waitlist_entry;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;

/// Lifecycle of a practice on the platform.
pub mod tenant_status {
    pub const TRIAL: &str = "trial";
    pub const ACTIVE: &str = "active";
    /// A payment failed: everything works, staff see a banner until the grace period ends.
    pub const PAST_DUE: &str = "past_due";
    /// New work is refused (staff can still sign in, see why and pay; patients still read).
    pub const SUSPENDED: &str = "suspended";
    /// The subscription ended: like suspended, and the data is kept for export for the
    /// configured time.
    pub const CANCELLED: &str = "cancelled";
    pub const CLOSED: &str = "closed";
}
