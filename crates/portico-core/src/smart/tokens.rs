//! The token endpoint's work: a code exchanged once, by the app it was issued to, with the
//! redirect URI and the PKCE verifier of its request; a refresh token (`offline_access`)
//! used once and replaced. A code or refresh token presented again is taken as stolen: the
//! grant is revoked.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set, sea_query::Expr};

use super::{OAuthError, REFRESH_TTL, apps, constant_time_eq, hash, pkce_matches};
use crate::{
    TenantTx,
    entities::{smart_app, smart_grant, smart_request},
    fhir_api::Scopes,
};

/// The client as it authenticated: its id, and its secret (HTTP Basic or the form) if any.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub id: &'a str,
    pub secret: Option<&'a str>,
}

/// What the token endpoint answers with (the access token is the server's to sign).
#[derive(Clone, Debug)]
pub struct Issued {
    pub grant: smart_grant::Model,
    pub scopes: Scopes,
    pub refresh_token: Option<String>,
}

/// The app, if the client authenticated: a confidential app with its secret, a public one
/// with none.
async fn client_app(tx: &TenantTx, client: Client<'_>) -> Result<smart_app::Model, OAuthError> {
    let refused = || OAuthError::InvalidClient("unknown client, or a wrong secret".into());
    let app = apps::by_client(tx, client.id).await?.ok_or_else(refused)?;
    match (&app.secret_hash, client.secret) {
        (Some(kept), Some(given)) if constant_time_eq(kept.as_bytes(), hash(given).as_bytes()) => {
            Ok(app)
        }
        (None, None) => Ok(app),
        _ => Err(refused()),
    }
}

async fn grant_of(tx: &TenantTx, id: uuid::Uuid) -> Result<smart_grant::Model, OAuthError> {
    tx.find::<smart_grant::Entity>()
        .filter(smart_grant::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or_else(|| OAuthError::InvalidGrant("the grant is gone".into()))
}

async fn revoke(tx: &TenantTx, grant: smart_grant::Model) -> Result<(), OAuthError> {
    if grant.revoked_at.is_none() {
        let mut change = grant.into_active_model();
        change.revoked_at = Set(Some(Utc::now()));
        change.refresh_hash = Set(None);
        change.update(tx.conn()).await?;
    }
    Ok(())
}

/// Marks the grant used, with a new refresh token when it has `offline_access`.
async fn issue(tx: &TenantTx, grant: smart_grant::Model) -> Result<Issued, OAuthError> {
    let scopes = Scopes::parse(&grant.scopes);
    let refresh = scopes.offline().then(|| super::secret("rt_"));
    let now = Utc::now();
    let mut change = grant.clone().into_active_model();
    change.last_used_at = Set(Some(now));
    if let Some(token) = &refresh {
        change.previous_refresh_hash = Set(grant.refresh_hash.clone());
        change.refresh_hash = Set(Some(hash(token)));
        change.refresh_expires_at = Set(Some(now + REFRESH_TTL));
    }
    let grant = change.update(tx.conn()).await?;
    Ok(Issued {
        grant,
        scopes,
        refresh_token: refresh,
    })
}

/// `grant_type=authorization_code`.
pub async fn exchange(
    tx: &TenantTx,
    client: Client<'_>,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Issued, OAuthError> {
    let app = client_app(tx, client).await?;
    let invalid = |why: &str| OAuthError::InvalidGrant(why.to_owned());
    let request = tx
        .find::<smart_request::Entity>()
        .filter(smart_request::Column::CodeHash.eq(hash(code)))
        .one(tx.conn())
        .await?
        .ok_or_else(|| invalid("unknown code"))?;
    let Some(grant_id) = request.grant_id else {
        return Err(invalid("unknown code"));
    };
    if request.app_id != app.id {
        return Err(invalid("the code was issued to another app"));
    }
    if request.used_at.is_some() {
        // A code used twice: whoever holds it may not be the app. Nothing it gave stands.
        revoke(tx, grant_of(tx, grant_id).await?).await?;
        return Err(invalid("the code was already used; the grant is revoked"));
    }
    if request.expires_at < Utc::now() {
        return Err(invalid("the code has expired"));
    }
    if request.redirect_uri != redirect_uri {
        return Err(invalid(
            "redirect_uri is not the one the code was asked with",
        ));
    }
    if !pkce_matches(verifier, &request.code_challenge) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    // Claimed only if still unused: of two exchanges at once, one wins and the other is a
    // reuse.
    let claimed = tx
        .update::<smart_request::Entity>()
        .col_expr(smart_request::Column::UsedAt, Expr::value(Utc::now()))
        .filter(smart_request::Column::Id.eq(request.id))
        .filter(smart_request::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected != 1 {
        revoke(tx, grant_of(tx, grant_id).await?).await?;
        return Err(invalid("the code was already used; the grant is revoked"));
    }
    let grant = grant_of(tx, grant_id).await?;
    if grant.revoked_at.is_some() {
        return Err(invalid("the patient removed the app"));
    }
    issue(tx, grant).await
}

/// `grant_type=refresh_token`.
pub async fn refresh(tx: &TenantTx, client: Client<'_>, token: &str) -> Result<Issued, OAuthError> {
    let app = client_app(tx, client).await?;
    let invalid = |why: &str| OAuthError::InvalidGrant(why.to_owned());
    let presented = hash(token);
    let current = tx
        .find::<smart_grant::Entity>()
        .filter(smart_grant::Column::AppId.eq(app.id))
        .filter(smart_grant::Column::RefreshHash.eq(presented.as_str()))
        .one(tx.conn())
        .await?;
    let Some(grant) = current else {
        // The token before the last one: it was copied. Revoke the grant.
        let replaced = tx
            .find::<smart_grant::Entity>()
            .filter(smart_grant::Column::AppId.eq(app.id))
            .filter(smart_grant::Column::PreviousRefreshHash.eq(presented.as_str()))
            .one(tx.conn())
            .await?;
        if let Some(grant) = replaced {
            revoke(tx, grant).await?;
            return Err(invalid(
                "the refresh token was already used; the grant is revoked",
            ));
        }
        return Err(invalid("unknown refresh token"));
    };
    if grant.revoked_at.is_some() {
        return Err(invalid("the patient removed the app"));
    }
    if grant.refresh_expires_at.is_none_or(|at| at < Utc::now()) {
        return Err(invalid("the refresh token has expired"));
    }
    // Rotated only if the presented token is still the current one: of two refreshes at
    // once, one wins and the other is a reuse.
    let next = super::secret("rt_");
    let now = Utc::now();
    let claimed = tx
        .update::<smart_grant::Entity>()
        .col_expr(smart_grant::Column::RefreshHash, Expr::value(hash(&next)))
        .col_expr(
            smart_grant::Column::PreviousRefreshHash,
            Expr::value(presented.clone()),
        )
        .col_expr(
            smart_grant::Column::RefreshExpiresAt,
            Expr::value(now + REFRESH_TTL),
        )
        .col_expr(smart_grant::Column::LastUsedAt, Expr::value(now))
        .filter(smart_grant::Column::Id.eq(grant.id))
        .filter(smart_grant::Column::RefreshHash.eq(presented.as_str()))
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected != 1 {
        revoke(tx, grant_of(tx, grant.id).await?).await?;
        return Err(invalid(
            "the refresh token was already used; the grant is revoked",
        ));
    }
    Ok(Issued {
        grant: grant_of(tx, grant.id).await?,
        scopes: Scopes::parse(&grant.scopes),
        refresh_token: Some(next),
    })
}
