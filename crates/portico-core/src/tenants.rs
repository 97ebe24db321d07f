//! The tenant directory: creating practices and resolving a request's tenant by slug or by
//! custom domain. These are platform-level reads of the `tenants` table, which has no RLS.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::{
    CoreError, CoreResult, Db, TenantId, TenantScope, TenantTx,
    entities::{tenant, tenant_status},
    tenancy::Access,
};

/// Slugs that would collide with the platform's own host names and paths.
const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "console",
    "demo-admin",
    "graphiql",
    "graphql",
    "healthz",
    "help",
    "login",
    "mail",
    "metrics",
    "operator",
    "platform",
    "portal",
    "portico",
    "readyz",
    "signup",
    "static",
    "status",
    "support",
    "t",
    "www",
];

/// A tenant found in the directory, and the scope that lets code reach its data.
#[derive(Clone, Debug)]
pub struct ResolvedTenant {
    pub tenant: tenant::Model,
}

impl ResolvedTenant {
    pub fn id(&self) -> TenantId {
        TenantId::from_uuid(self.tenant.id)
    }

    pub fn scope(&self) -> TenantScope {
        TenantScope::new(self.id())
    }

    pub fn branding(&self) -> Branding {
        Branding {
            display_name: self.tenant.display_name.clone(),
            logo_url: self.tenant.logo_url.clone(),
            primary_color: self.tenant.primary_color.clone(),
            phone: self.tenant.phone.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub primary_color: String,
    pub phone: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub branding: Option<Branding>,
    pub custom_domain: Option<String>,
}

pub async fn find_by_slug(db: &Db, slug: &str) -> CoreResult<Option<ResolvedTenant>> {
    let slug = slug.trim().to_ascii_lowercase();
    let key = format!("slug:{slug}");
    cached(
        db,
        key,
        tenant::Entity::find().filter(tenant::Column::Slug.eq(slug)),
    )
    .await
}

pub async fn find_by_id(db: &Db, id: TenantId) -> CoreResult<Option<ResolvedTenant>> {
    let key = format!("id:{id}");
    cached(db, key, tenant::Entity::find_by_id(id.as_uuid())).await
}

/// A directory row through the instance's cache ([`crate::caches`]); a practice that does
/// not exist is asked for again each time (a new one is found at once).
async fn cached(
    db: &Db,
    key: String,
    query: sea_orm::Select<tenant::Entity>,
) -> CoreResult<Option<ResolvedTenant>> {
    let caches = db.caches();
    if let Some(found) = caches.tenant(&key) {
        return Ok(Some(found));
    }
    let generation = caches.generation();
    let found = query
        .one(db.conn())
        .await?
        .map(|tenant| ResolvedTenant { tenant });
    if let Some(found) = &found {
        caches.keep_tenant(generation, key, found);
    }
    Ok(found)
}

/// Every tenant's id, for platform jobs that visit each tenant in turn.
pub async fn list_ids(db: &Db) -> CoreResult<Vec<TenantId>> {
    use sea_orm::QuerySelect;
    let ids: Vec<uuid::Uuid> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .into_tuple()
        .all(db.conn())
        .await?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}

pub async fn find_by_domain(db: &Db, host: &str) -> CoreResult<Option<ResolvedTenant>> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let key = format!("domain:{host}");
    cached(
        db,
        key,
        tenant::Entity::find().filter(tenant::Column::CustomDomain.eq(host)),
    )
    .await
}

/// What a request's `Host` names.
#[derive(Clone, Debug)]
pub enum Addressed {
    /// The platform itself: the base domain, an IP address or a reserved name (`www`, `api`).
    Platform,
    Tenant(Box<ResolvedTenant>),
    /// A subdomain or custom domain that belongs to no tenant.
    Unknown,
}

/// Resolves a request's `Host`: `{slug}.{base_domain}` names a tenant by slug, any other
/// name is looked up as a custom domain.
pub async fn find_by_host(db: &Db, host: &str, base_domain: &str) -> CoreResult<Addressed> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    // Strip a port; IPv6 literals (`[::1]:8080`) name no tenant.
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_owned(),
        _ => host,
    };
    if host.is_empty()
        || host == base_domain
        || host.starts_with('[')
        || host.parse::<std::net::IpAddr>().is_ok()
    {
        return Ok(Addressed::Platform);
    }
    let found = match host
        .strip_suffix(base_domain)
        .and_then(|p| p.strip_suffix('.'))
    {
        Some(label) if RESERVED_SLUGS.contains(&label) => return Ok(Addressed::Platform),
        Some(label) if !label.contains('.') => find_by_slug(db, label).await?,
        Some(_) => None,
        None => find_by_domain(db, &host).await?,
    };
    Ok(found.map_or(Addressed::Unknown, |t| Addressed::Tenant(Box::new(t))))
}

pub async fn create(db: &Db, new: NewTenant) -> CoreResult<ResolvedTenant> {
    let (tenant, tx) = create_in_transaction(db, new).await?;
    tx.commit().await?;
    Ok(tenant)
}

/// Creates the tenant in a transaction that is left open and scoped to it, so that what
/// must exist with it (its first admin) commits or fails together with it.
pub async fn create_in_transaction(
    db: &Db,
    new: NewTenant,
) -> CoreResult<(ResolvedTenant, TenantTx)> {
    let model = validate(new)?;
    if find_by_slug(db, model.slug.as_ref()).await?.is_some() {
        return Err(CoreError::Conflict { field: "slug" });
    }
    let tx = db
        .conn()
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    // A concurrent sign-up with the same slug loses on the unique index.
    let tenant = model.insert(&tx).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            CoreError::Conflict { field: "slug" }
        }
        _ => CoreError::Database(e),
    })?;
    let id = TenantId::from_uuid(tenant.id);
    let tx = TenantTx::scope_transaction(tx, db, id, Access::Write).await?;
    Ok((ResolvedTenant { tenant }, tx))
}

fn validate(new: NewTenant) -> CoreResult<tenant::ActiveModel> {
    let slug = new.slug.trim().to_ascii_lowercase();
    validate_slug(&slug)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "must be 1 to 120 characters",
        ));
    }
    validate_time_zone(&new.time_zone)?;
    let branding = new.branding.unwrap_or_else(|| Branding {
        display_name: name.clone(),
        logo_url: None,
        primary_color: "#1f6feb".to_owned(),
        phone: None,
    });
    validate_branding(&branding)?;
    let custom_domain = new
        .custom_domain
        .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase());
    if let Some(domain) = &custom_domain {
        validate_domain(domain)?;
    }
    let now = Utc::now();
    Ok(tenant::ActiveModel {
        id: Set(TenantId::new().as_uuid()),
        slug: Set(slug),
        name: Set(name),
        status: Set(tenant_status::TRIAL.to_owned()),
        time_zone: Set(new.time_zone),
        display_name: Set(branding.display_name),
        logo_url: Set(branding.logo_url),
        primary_color: Set(branding.primary_color.trim().to_ascii_lowercase()),
        phone: Set(branding
            .phone
            .as_deref()
            .map(crate::branding::validate_phone)
            .transpose()?),
        custom_domain: Set(custom_domain),
        status_reason: Set(None),
        status_changed_at: Set(None),
        operator_hold: Set(false),
        staff_idle_minutes: Set(None),
        patient_idle_minutes: Set(None),
        cancellation_window_hours: Set(None),
        reminder_offsets: Set(None),
        quiet_hours_start: Set(None),
        quiet_hours_end: Set(None),
        sending_limit_per_hour: Set(None),
        message_response_target_hours: Set(None),
        refill_turnaround_hours: Set(None),
        refill_pool_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// The platform's own tenant, whose users are the operators.
pub const PLATFORM_SLUG: &str = "platform";

impl ResolvedTenant {
    pub fn is_platform(&self) -> bool {
        self.tenant.slug == PLATFORM_SLUG
    }

    /// New work is refused (suspended by an operator or for billing, or cancelled); staff
    /// can still sign in and pay, patients can still read their records.
    pub fn refuses_new_work(&self) -> bool {
        matches!(
            self.tenant.status.as_str(),
            tenant_status::SUSPENDED | tenant_status::CANCELLED
        )
    }
}

/// The platform tenant, created on first use (its slug is reserved for everyone else).
pub async fn platform(db: &Db) -> CoreResult<ResolvedTenant> {
    if let Some(found) = find_by_slug(db, PLATFORM_SLUG).await? {
        return Ok(found);
    }
    let now = Utc::now();
    let model = tenant::ActiveModel {
        id: Set(TenantId::new().as_uuid()),
        slug: Set(PLATFORM_SLUG.to_owned()),
        name: Set("Portico".to_owned()),
        status: Set(tenant_status::ACTIVE.to_owned()),
        time_zone: Set("UTC".to_owned()),
        display_name: Set("Portico operators".to_owned()),
        logo_url: Set(None),
        primary_color: Set("#111827".to_owned()),
        phone: Set(None),
        custom_domain: Set(None),
        status_reason: Set(None),
        status_changed_at: Set(None),
        operator_hold: Set(false),
        staff_idle_minutes: Set(None),
        patient_idle_minutes: Set(None),
        cancellation_window_hours: Set(None),
        reminder_offsets: Set(None),
        quiet_hours_start: Set(None),
        quiet_hours_end: Set(None),
        sending_limit_per_hour: Set(None),
        message_response_target_hours: Set(None),
        refill_turnaround_hours: Set(None),
        refill_pool_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match model.insert(db.conn()).await {
        Ok(tenant) => Ok(ResolvedTenant { tenant }),
        // Another process created it first.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            find_by_slug(db, PLATFORM_SLUG)
                .await?
                .ok_or(CoreError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// Practices (not the platform), newest first, optionally of one status.
pub async fn list(db: &Db, status: Option<&str>, limit: u64) -> CoreResult<Vec<ResolvedTenant>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = tenant::Entity::find()
        .filter(tenant::Column::Slug.ne(PLATFORM_SLUG))
        .order_by_desc(tenant::Column::CreatedAt)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(tenant::Column::Status.eq(status));
    }
    Ok(query
        .all(db.conn())
        .await?
        .into_iter()
        .map(|tenant| ResolvedTenant { tenant })
        .collect())
}

/// The tenant row of the transaction's own tenant.
pub(crate) async fn own_row(tx: &TenantTx) -> CoreResult<ResolvedTenant> {
    tenant::Entity::find_by_id(tx.tenant_id().as_uuid())
        .one(tx.conn())
        .await?
        .map(|tenant| ResolvedTenant { tenant })
        .ok_or(CoreError::NotFound)
}

/// Suspends the transaction's practice (`reason` is shown to its staff) or reactivates it,
/// in the transaction that also records the audit event. With billing on, reactivating
/// returns the practice to what its subscription makes it.
pub async fn set_status(
    tx: &TenantTx,
    suspend: bool,
    reason: Option<String>,
    billing_on: bool,
) -> CoreResult<ResolvedTenant> {
    let found = Some(own_row(tx).await?)
        .filter(|t| !t.is_platform())
        .ok_or(CoreError::NotFound)?;
    if let Some(r) = &reason
        && r.chars().count() > 500
    {
        return Err(CoreError::invalid(
            "reason",
            "INVALID_REASON",
            "at most 500 characters",
        ));
    }
    // The account first (as webhooks and the sweep take them), so a subscription settling
    // meanwhile either sees this hold or is seen by it.
    let billing = if billing_on {
        crate::billing::accounts::hold(tx.conn(), found.tenant.id, Utc::now()).await?;
        crate::entities::billing_account::Entity::find_by_id(found.tenant.id)
            .one(tx.conn())
            .await?
    } else {
        None
    };
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    let now = Utc::now();
    let status = match (suspend, billing) {
        (true, _) => tenant_status::SUSPENDED.to_owned(),
        (false, Some(account)) => account.status,
        (false, None) => tenant_status::ACTIVE.to_owned(),
    };
    active.status_reason = Set(if suspend {
        reason
    } else {
        crate::billing::lifecycle::reason(&status).map(str::to_owned)
    });
    active.status = Set(status);
    active.operator_hold = Set(suspend);
    active.status_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(ResolvedTenant {
        tenant: active.update(tx.conn()).await?,
    })
}

/// Sets the practice's automatic log-off (minutes; `None` restores the default).
pub async fn set_idle_timeouts(
    tx: &TenantTx,
    staff_minutes: Option<i32>,
    patient_minutes: Option<i32>,
) -> CoreResult<ResolvedTenant> {
    for (field, value) in [
        ("staffIdleMinutes", staff_minutes),
        ("patientIdleMinutes", patient_minutes),
    ] {
        if value.is_some_and(|m| !(5..=720).contains(&m)) {
            return Err(CoreError::invalid(
                field,
                "INVALID_TIMEOUT",
                "must be between 5 and 720 minutes",
            ));
        }
    }
    let found = own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    active.staff_idle_minutes = Set(staff_minutes);
    active.patient_idle_minutes = Set(patient_minutes);
    active.updated_at = Set(Utc::now());
    Ok(ResolvedTenant {
        tenant: active.update(tx.conn()).await?,
    })
}

/// Sets the hours before a visit inside which the portal refuses to cancel or move it
/// (`None` restores the default).
pub async fn set_cancellation_window(
    tx: &TenantTx,
    hours: Option<i32>,
) -> CoreResult<ResolvedTenant> {
    if hours.is_some_and(|h| !(0..=336).contains(&h)) {
        return Err(CoreError::invalid(
            "cancellationWindowHours",
            "OUT_OF_RANGE",
            "must be between 0 and 336 hours",
        ));
    }
    let found = own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    active.cancellation_window_hours = Set(hours);
    active.updated_at = Set(Utc::now());
    Ok(ResolvedTenant {
        tenant: active.update(tx.conn()).await?,
    })
}

/// 3 to 40 characters of `a-z`, `0-9` and inner hyphens; usable as a DNS label.
pub fn validate_slug(slug: &str) -> CoreResult<()> {
    let well_formed = (3..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if !well_formed {
        return Err(CoreError::invalid(
            "slug",
            "INVALID_SLUG",
            "use 3 to 40 lower-case letters, digits and single inner hyphens",
        ));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(CoreError::invalid(
            "slug",
            "RESERVED_SLUG",
            "this name is reserved",
        ));
    }
    Ok(())
}

pub fn validate_time_zone(tz: &str) -> CoreResult<()> {
    tz.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        CoreError::invalid(
            "timeZone",
            "INVALID_TIME_ZONE",
            "must be an IANA time zone such as America/Chicago",
        )
    })
}

fn validate_branding(b: &Branding) -> CoreResult<()> {
    if b.display_name.trim().is_empty() || b.display_name.chars().count() > 120 {
        return Err(CoreError::invalid(
            "displayName",
            "INVALID_DISPLAY_NAME",
            "must be 1 to 120 characters",
        ));
    }
    // The same colour rules as changing the branding later: white text must be readable.
    crate::branding::validate_primary_color(&b.primary_color)?;
    if let Some(url) = &b.logo_url {
        crate::branding::validate_logo_url(url)?;
    }
    Ok(())
}

fn validate_domain(domain: &str) -> CoreResult<()> {
    let ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "customDomain",
            "INVALID_DOMAIN",
            "must be a host name such as portal.example-clinic.com",
        ))
    }
}

/// The audit event of an operator suspending (`tenant.suspend`) or reactivating
/// (`tenant.reactivate`) a practice; recorded in the practice's log and the platform's.
pub fn status_event(suspend: bool, tenant: uuid::Uuid) -> crate::audit::Access<'static> {
    crate::audit::Access {
        action: if suspend {
            "tenant.suspend"
        } else {
            "tenant.reactivate"
        },
        resource_type: "Tenant",
        resource_id: Some(tenant),
        patient_id: None,
    }
}

/// An operator suspends or reactivates the transaction's practice ([`set_status`]); the
/// change and the practice's own audit event commit together.
pub async fn change_status(
    tx: &TenantTx,
    actor: &crate::audit::Actor,
    suspend: bool,
    reason: Option<String>,
    billing_on: bool,
) -> CoreResult<ResolvedTenant> {
    let changed = set_status(tx, suspend, reason, billing_on).await?;
    crate::audit::record(tx, actor, status_event(suspend, changed.tenant.id)).await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_must_be_dns_labels_and_not_reserved() {
        for ok in ["lakeside", "dr-who-clinic", "abc", "a1b2"] {
            assert!(validate_slug(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "Lakeside",
            "lake side",
            "www",
            "graphql",
        ] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(validate_time_zone("America/Chicago").is_ok());
        assert!(validate_time_zone("Mars/Olympus").is_err());
    }
}
