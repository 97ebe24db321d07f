//! How a practice's portal looks: its display name, primary colour and logo, the rules each
//! must meet (the colour must carry readable white text), and changing them.

pub mod contrast;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use tracing::instrument;

use self::contrast::{MIN_TEXT_CONTRAST, Rgb, format_ratio};
use crate::{
    CoreError, CoreResult, TenantTx,
    entities::tenant,
    tenants::{self, ResolvedTenant},
};

/// Longest logo URL accepted.
const MAX_URL_LEN: usize = 2048;

/// A change to the branding: only what is `Some` changes. An empty `logo_url` removes the
/// logo.
#[derive(Clone, Debug, Default)]
pub struct BrandingChange {
    pub display_name: Option<String>,
    pub primary_color: Option<String>,
    pub logo_url: Option<String>,
    /// An empty string removes the phone number.
    pub phone: Option<String>,
}

/// A practice admin's change of the branding, audited.
pub async fn change(
    tx: &TenantTx,
    actor: &crate::audit::Actor,
    change: BrandingChange,
) -> CoreResult<ResolvedTenant> {
    let updated = update(tx, change).await?;
    crate::audit::record(
        tx,
        actor,
        crate::audit::Access::practice("settings.branding", "Tenant", Some(updated.tenant.id)),
    )
    .await?;
    Ok(updated)
}

/// Applies `change` to the transaction's practice. Every given field is checked before
/// anything is written, so a refused field changes nothing.
#[instrument(skip_all, err(level = "warn"), fields(tenant_id = %tx.tenant_id()))]
pub async fn update(tx: &TenantTx, change: BrandingChange) -> CoreResult<ResolvedTenant> {
    let display_name = change
        .display_name
        .as_deref()
        .map(validate_display_name)
        .transpose()?;
    let primary_color = change
        .primary_color
        .as_deref()
        .map(validate_primary_color)
        .transpose()?;
    let logo_url = change
        .logo_url
        .as_deref()
        .map(|url| {
            let url = url.trim();
            if url.is_empty() {
                Ok(None)
            } else {
                validate_logo_url(url).map(|()| Some(url.to_owned()))
            }
        })
        .transpose()?;

    let phone = change
        .phone
        .as_deref()
        .map(|phone| {
            if phone.trim().is_empty() {
                Ok(None)
            } else {
                validate_phone(phone).map(Some)
            }
        })
        .transpose()?;

    let found = tenants::own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    if let Some(name) = display_name {
        active.display_name = Set(name);
    }
    if let Some(color) = primary_color {
        active.primary_color = Set(color);
    }
    if let Some(url) = logo_url {
        active.logo_url = Set(url);
    }
    if let Some(phone) = phone {
        active.phone = Set(phone);
    }
    active.updated_at = Set(Utc::now());
    Ok(ResolvedTenant {
        tenant: active.update(tx.conn()).await?,
    })
}

/// 2 to 80 characters once trimmed; returns the trimmed name.
pub fn validate_display_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if (2..=80).contains(&name.chars().count()) {
        Ok(name.to_owned())
    } else {
        Err(CoreError::invalid(
            "displayName",
            "INVALID_NAME",
            "must be 2 to 80 characters",
        ))
    }
}

/// `#rrggbb` on which white text has at least 4.5:1 contrast; returns it in lower case.
/// A colour that is too light is `COLOR_CONTRAST`, naming the nearest darker one that
/// passes (see [`suggested_primary_color`]).
pub fn validate_primary_color(color: &str) -> CoreResult<String> {
    let rgb = Rgb::parse(color.trim()).ok_or_else(|| {
        CoreError::invalid(
            "primaryColor",
            "INVALID_COLOR",
            "must be a colour written #rrggbb, such as #1f6feb",
        )
    })?;
    if rgb.passes_with_white_text() {
        return Ok(rgb.to_string());
    }
    Err(CoreError::invalid(
        "primaryColor",
        "COLOR_CONTRAST",
        format!(
            "white text on {rgb} has a contrast of {}, below the {MIN_TEXT_CONTRAST}:1 \
             needed to read it; the nearest darker colour that passes is {}",
            format_ratio(rgb.white_text_contrast()),
            rgb.nearest_passing_darker(),
        ),
    ))
}

/// The colour to offer instead of `color`: the nearest darker one of the same hue that
/// passes, when `color` is a well-formed colour that fails; `None` otherwise.
pub fn suggested_primary_color(color: &str) -> Option<String> {
    Rgb::parse(color.trim())
        .filter(|rgb| !rgb.passes_with_white_text())
        .map(|rgb| rgb.nearest_passing_darker().to_string())
}

/// Longest phone number accepted, as written.
pub const MAX_PHONE_LEN: usize = 32;

/// A phone number as the practice writes it: digits, spaces and `+ ( ) - .`, at most 32
/// characters, with at least 3 digits; returns it trimmed. Loose on purpose: it is shown,
/// not dialled by Portico.
pub fn validate_phone(phone: &str) -> CoreResult<String> {
    let phone = phone.trim();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +()-.".contains(c));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if allowed && digits >= 3 && phone.chars().count() <= MAX_PHONE_LEN {
        Ok(phone.to_owned())
    } else {
        Err(CoreError::invalid(
            "phone",
            "INVALID_PHONE",
            "must be a phone number of at most 32 characters: digits, spaces and + ( ) - .",
        ))
    }
}

/// An `https://` URL with a host, no spaces or control characters, at most 2048 characters.
pub fn validate_logo_url(url: &str) -> CoreResult<()> {
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let well_formed = url.len() <= MAX_URL_LEN
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|h| {
            !h.is_empty()
                && !h.contains('@')
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        });
    if well_formed {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "logoUrl",
            "INVALID_URL",
            "must be an https URL of at most 2048 characters, or empty to remove the logo",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: CoreResult<impl std::fmt::Debug>) -> &'static str {
        match result {
            Err(CoreError::Invalid { code, .. }) => code,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn display_names_are_2_to_80_characters_trimmed() {
        assert_eq!(validate_display_name("  Lakeside  ").unwrap(), "Lakeside");
        assert_eq!(code(validate_display_name(" a ")), "INVALID_NAME");
        assert_eq!(code(validate_display_name(&"é".repeat(81))), "INVALID_NAME");
        assert!(validate_display_name(&"é".repeat(80)).is_ok());
    }

    #[test]
    fn colours_must_be_hex_and_carry_white_text() {
        assert_eq!(validate_primary_color("#1F6FEB").unwrap(), "#1f6feb");
        assert_eq!(code(validate_primary_color("blue")), "INVALID_COLOR");
        assert_eq!(code(validate_primary_color("#ffcc00")), "COLOR_CONTRAST");
        let suggested = suggested_primary_color("#ffcc00").unwrap();
        assert!(validate_primary_color(&suggested).is_ok(), "{suggested}");
        match validate_primary_color("#ffcc00") {
            Err(CoreError::Invalid { message, .. }) => {
                assert!(message.contains(&suggested), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(suggested_primary_color("#1f6feb"), None);
        assert_eq!(suggested_primary_color("blue"), None);
    }

    #[test]
    fn phones_are_digits_and_a_little_punctuation() {
        assert_eq!(
            validate_phone(" (555) 010-0199 ").unwrap(),
            "(555) 010-0199"
        );
        assert!(validate_phone("+1 555.010.0199").is_ok());
        for bad in [
            "call us",
            "555-0199 ext 4",
            "()",
            "12",
            &"1".repeat(33),
            "555\n0199",
        ] {
            assert_eq!(code(validate_phone(bad)), "INVALID_PHONE", "{bad:?}");
        }
    }

    #[test]
    fn logos_are_https_urls() {
        assert!(validate_logo_url("https://cdn.example.com/logo.png").is_ok());
        for bad in [
            "http://cdn.example.com/logo.png",
            "https://",
            "https:///logo.png",
            "javascript:alert(1)",
            "https://cdn.example.com/a logo.png",
            "https://user@cdn.example.com/logo.png",
        ] {
            assert_eq!(code(validate_logo_url(bad)), "INVALID_URL", "{bad}");
        }
        let long = format!("https://cdn.example.com/{}", "a".repeat(2048));
        assert_eq!(code(validate_logo_url(&long)), "INVALID_URL");
    }
}
