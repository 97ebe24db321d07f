//! The SMART apps a practice registers (practice admins): a name, the exact redirect URIs
//! it may use, and whether it is confidential (it gets a secret, shown once) or public (a
//! browser or phone app, which proves itself with PKCE alone).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::smart_app,
};

/// At most this many redirect URIs per app.
pub const MAX_REDIRECT_URIS: usize = 10;

/// A registered app, with its secret when it was just made (confidential apps).
#[derive(Clone, Debug)]
pub struct Registered {
    pub app: smart_app::Model,
    pub secret: Option<String>,
}

fn audit_access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "SmartApp",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// A redirect URI as the app registers it: absolute, https (or http to this machine, for
/// development), no fragment; the app's own scheme (`com.example.app:/callback`) for a
/// phone app.
fn redirect_uri(raw: &str) -> CoreResult<String> {
    let refuse = || {
        CoreError::invalid(
            "redirectUris",
            "INVALID_REDIRECT_URI",
            "each must be an absolute https URL (http only to localhost), or an app's own scheme, without a fragment",
        )
    };
    let raw = raw.trim();
    // The URL parser drops tabs and line breaks inside a URL; one smuggled in would make a
    // second address of what was checked as one.
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse());
    }
    let url = url::Url::parse(raw).map_err(|_| refuse())?;
    if url.fragment().is_some() || raw.len() > 500 {
        return Err(refuse());
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" | "javascript" | "data" | "file" | "ftp" | "ws" | "wss" => return Err(refuse()),
        // A private-use scheme (RFC 8252 §7.1) names the app, reverse-DNS style.
        custom if custom.contains('.') => {}
        _ => return Err(refuse()),
    }
    Ok(raw.to_owned())
}

pub async fn register(
    tx: &TenantTx,
    actor: &Actor,
    creator: UserId,
    name: &str,
    redirect_uris: &[String],
    confidential: bool,
) -> CoreResult<Registered> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(CoreError::invalid(
            "redirectUris",
            "INVALID_REDIRECT_URI",
            format!("give 1 to {MAX_REDIRECT_URIS} redirect URIs"),
        ));
    }
    let mut uris = Vec::new();
    for raw in redirect_uris {
        let uri = redirect_uri(raw)?;
        if !uris.contains(&uri) {
            uris.push(uri);
        }
    }
    if uris.iter().map(|u| u.len() + 1).sum::<usize>() > 2000 {
        return Err(CoreError::invalid(
            "redirectUris",
            "INVALID_REDIRECT_URI",
            "the redirect URIs may take 2,000 characters in all",
        ));
    }
    let secret = confidential.then(|| super::secret("smartsec_"));
    let app = smart_app::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        client_id: Set(super::secret("app_")[..28].to_owned()),
        redirect_uris: Set(uris.join("\n")),
        secret_hash: Set(secret.as_deref().map(super::hash)),
        jwks: Set(None),
        disabled_at: Set(None),
        created_by: Set(creator.as_uuid()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_access("smart_app.register", app.id)).await?;
    Ok(Registered { app, secret })
}

/// The practice's apps, newest first.
pub async fn list(tx: &TenantTx) -> CoreResult<Vec<smart_app::Model>> {
    Ok(tx
        .find::<smart_app::Entity>()
        .order_by_desc(smart_app::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

/// Turns an app off: its requests and tokens are refused from now on (its grants stay, for
/// the patients to see, until they remove them).
pub async fn disable(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<smart_app::Model> {
    let app = tx
        .find::<smart_app::Entity>()
        .filter(smart_app::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if app.disabled_at.is_some() {
        return Ok(app);
    }
    let mut change = app.into_active_model();
    change.disabled_at = Set(Some(Utc::now()));
    let app = change.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("smart_app.disable", id)).await?;
    Ok(app)
}

/// The enabled app a patient launches with this `client_id` (never a backend service).
pub async fn by_client(tx: &TenantTx, client_id: &str) -> CoreResult<Option<smart_app::Model>> {
    Ok(tx
        .find::<smart_app::Entity>()
        .filter(smart_app::Column::ClientId.eq(client_id))
        .filter(smart_app::Column::Jwks.is_null())
        .filter(smart_app::Column::DisabledAt.is_null())
        .one(tx.conn())
        .await?)
}

/// An app by id, enabled or not.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<smart_app::Model> {
    tx.find::<smart_app::Entity>()
        .filter(smart_app::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Whether `uri` is one the app registered, exactly.
pub fn allows_redirect(app: &smart_app::Model, uri: &str) -> bool {
    app.redirect_uris.lines().any(|u| u == uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_loopback_http_or_an_apps_own_scheme() {
        for ok in [
            "https://app.example.org/callback",
            "http://localhost:3000/cb",
            "http://127.0.0.1:9000/cb",
            "org.example.app:/oauth2redirect",
        ] {
            assert!(redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example.org/callback",
            "https://app.example.org/cb#frag",
            "javascript:alert(1)",
            "data:text/html,hi",
            "callback",
            "myapp:/cb",
            "https://app.example/cb\njavascript:alert(1)//",
            "https://app.example/c b",
        ] {
            assert!(redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
