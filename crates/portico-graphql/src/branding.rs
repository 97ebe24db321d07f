//! Practice admins change how their portal looks (`branding/write`): display name, primary
//! colour and logo. A colour too light for the portal's white text is refused with the
//! nearest darker colour that would pass.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::branding::{self, BrandingChange};

use crate::{
    run::{Need, Run},
    tenants::TenantBranding,
    user_error::UserError,
};

/// Only the fields given change.
#[derive(InputObject)]
pub struct UpdateBrandingInput {
    /// 2 to 80 characters (trimmed).
    display_name: Option<String>,
    /// `#rrggbb`; white text on it must reach 4.5:1 contrast (WCAG 2.x AA).
    primary_color: Option<String>,
    /// An https URL of at most 2048 characters; `""` removes the logo.
    logo_url: Option<String>,
    /// The practice's phone number as patients should see it: digits, spaces and
    /// `+ ( ) - .`, at most 32 characters (`INVALID_PHONE`); `""` removes it.
    phone: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateBrandingPayload {
    /// The branding after the change; null when it was refused.
    tenant: Option<TenantBranding>,
    user_errors: Vec<UserError>,
    /// With `COLOR_CONTRAST`: the nearest darker colour of the same hue that white text is
    /// readable on, `#rrggbb`; null otherwise.
    suggested_primary_color: Option<String>,
}

#[derive(Default)]
pub struct BrandingMutation;

#[Object]
impl BrandingMutation {
    /// Changes the practice's display name, primary colour, logo or phone number; the portal and
    /// `tenantBranding` show the change at once. Also allowed while the practice is
    /// suspended: it is not new work.
    async fn update_branding(
        &self,
        ctx: &Context<'_>,
        input: UpdateBrandingInput,
    ) -> async_graphql::Result<UpdateBrandingPayload> {
        let suggestion = input
            .primary_color
            .as_deref()
            .and_then(branding::suggested_primary_color);
        let change = BrandingChange {
            display_name: input.display_name,
            primary_color: input.primary_color,
            logo_url: input.logo_url,
            phone: input.phone,
        };
        let outcome = ctx
            .mutate(Need::to("branding", "write"), async |tx, caller| {
                branding::change(tx, &caller.actor, change).await
            })
            .await?;
        Ok(match outcome {
            Ok(updated) => UpdateBrandingPayload {
                tenant: Some(TenantBranding::from(&updated)),
                user_errors: Vec::new(),
                suggested_primary_color: None,
            },
            Err(user_errors) => UpdateBrandingPayload {
                suggested_primary_color: suggestion
                    .filter(|_| user_errors.iter().any(|e| e.code == "COLOR_CONTRAST")),
                tenant: None,
                user_errors,
            },
        })
    }
}
