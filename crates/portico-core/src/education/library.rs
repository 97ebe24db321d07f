//! The library: practice admins add and change resources and archive those no longer
//! wanted; staff list them to send one. Bad input is refused with the field named, and
//! nothing is saved.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::{
    ACTIVE, ARCHIVED, ARTICLE, LANGUAGES, LINK, MAX_BODY, MAX_CODES, MAX_SUMMARY, MAX_TITLE,
    MAX_URL, codes::System,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{education_resource, education_resource_code},
    records::Page,
};

/// A resource as an admin writes it.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub title: String,
    pub summary: String,
    /// `link` or `article`.
    pub kind: String,
    pub url: Option<String>,
    pub body: Option<String>,
    pub language: String,
    /// About no code in particular (then it has none).
    pub general: bool,
    /// `(system, code)` as typed.
    pub codes: Vec<(String, String)>,
}

/// A draft checked: trimmed, codes canonical and without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub title: String,
    pub summary: String,
    pub kind: &'static str,
    pub url: Option<String>,
    pub body: Option<String>,
    pub language: &'static str,
    pub general: bool,
    pub codes: Vec<(System, String)>,
}

fn trimmed(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// An address a patient may be sent to: https, a host, nothing that could break out of an
/// attribute or hide where it goes (credentials, spaces, quotes, angle brackets).
fn safe_https(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.split(':').next().unwrap_or_default();
    !host.is_empty()
        && !authority.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !url.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`')
        })
}

impl Draft {
    /// Everything that can be checked without the database, the first problem named.
    pub fn checked(&self) -> CoreResult<Checked> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(CoreError::invalid(
                "title",
                "TITLE_REQUIRED",
                "give the resource a title",
            ));
        }
        if title.chars().count() > MAX_TITLE {
            return Err(CoreError::invalid(
                "title",
                "TITLE_TOO_LONG",
                format!("a title is at most {MAX_TITLE} characters"),
            ));
        }
        let summary = self.summary.trim();
        if summary.is_empty() {
            return Err(CoreError::invalid(
                "summary",
                "SUMMARY_REQUIRED",
                "write a sentence or two saying what the resource is about",
            ));
        }
        if summary.chars().count() > MAX_SUMMARY {
            return Err(CoreError::invalid(
                "summary",
                "SUMMARY_TOO_LONG",
                format!("a summary is at most {MAX_SUMMARY} characters"),
            ));
        }
        let (kind, url, body) = match self.kind.as_str() {
            LINK => {
                let url = trimmed(self.url.as_deref()).ok_or_else(|| {
                    CoreError::invalid("url", "URL_REQUIRED", "give the address of the resource")
                })?;
                if url.chars().count() > MAX_URL || !safe_https(url) {
                    return Err(CoreError::invalid(
                        "url",
                        "URL_NOT_HTTPS",
                        "give a full https:// address",
                    ));
                }
                (LINK, Some(url.to_owned()), None)
            }
            ARTICLE => {
                let body = trimmed(self.body.as_deref()).ok_or_else(|| {
                    CoreError::invalid("body", "BODY_REQUIRED", "write the article")
                })?;
                if body.chars().count() > MAX_BODY {
                    return Err(CoreError::invalid(
                        "body",
                        "BODY_TOO_LONG",
                        format!("an article is at most {MAX_BODY} characters"),
                    ));
                }
                (ARTICLE, None, Some(body.to_owned()))
            }
            _ => {
                return Err(CoreError::invalid(
                    "kind",
                    "INVALID_KIND",
                    "a resource is a link or an article",
                ));
            }
        };
        let wanted = self.language.trim().to_ascii_lowercase();
        let language = LANGUAGES
            .into_iter()
            .find(|l| *l == wanted)
            .ok_or_else(|| {
                CoreError::invalid(
                    "language",
                    "LANGUAGE_UNSUPPORTED",
                    "the portal is in English (en) and Spanish (es)",
                )
            })?;
        let codes = checked_codes(&self.codes)?;
        if codes.is_empty() && !self.general {
            return Err(CoreError::invalid(
                "codes",
                "CODES_REQUIRED",
                "add a code the resource is about, or mark it general",
            ));
        }
        if !codes.is_empty() && self.general {
            return Err(CoreError::invalid(
                "codes",
                "GENERAL_WITH_CODES",
                "a general resource is about no code; remove the codes or the mark",
            ));
        }
        Ok(Checked {
            title: title.to_owned(),
            summary: summary.to_owned(),
            kind,
            url,
            body,
            language,
            general: self.general,
            codes,
        })
    }
}

/// The codes canonical, sorted, each once; the first bad one named by its place (1-based).
fn checked_codes(codes: &[(String, String)]) -> CoreResult<Vec<(System, String)>> {
    if codes.len() > MAX_CODES {
        return Err(CoreError::invalid(
            "codes",
            "TOO_MANY_CODES",
            format!("a resource is about at most {MAX_CODES} codes"),
        ));
    }
    let mut out = Vec::with_capacity(codes.len());
    for (i, (system, code)) in codes.iter().enumerate() {
        let place = i + 1;
        let system = System::parse(system.trim()).ok_or_else(|| {
            CoreError::invalid(
                "codes",
                "INVALID_CODE_SYSTEM",
                format!("code {place}: the system is icd10, snomed, loinc or rxnorm"),
            )
        })?;
        let canonical = system.canonical(code).ok_or_else(|| {
            let what = match system {
                System::Icd10 => "an ICD-10-CM code such as E11.9",
                System::Snomed => "a SNOMED CT id such as 44054006 (its check digit too)",
                System::Loinc => "a LOINC code such as 4548-4 (its check digit too)",
                System::Rxnorm => "an RxNorm id (RxCUI), digits only",
            };
            CoreError::invalid(
                "codes",
                "INVALID_CODE",
                format!("code {place} is not {what}"),
            )
        })?;
        out.push((system, canonical));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A resource with its codes.
#[derive(Clone, Debug)]
pub struct Resource {
    pub model: education_resource::Model,
    pub codes: Vec<(String, String)>,
}

/// Adds a resource (`id` none) or changes one (its codes replaced), as `user`.
pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    user: Uuid,
    id: Option<Uuid>,
    draft: &Draft,
    now: DateTime<Utc>,
) -> CoreResult<Resource> {
    let checked = draft.checked()?;
    audit::lock(tx).await?;
    let model = match id {
        None => {
            education_resource::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                title: Set(checked.title),
                summary: Set(checked.summary),
                kind: Set(checked.kind.to_owned()),
                url: Set(checked.url),
                body: Set(checked.body),
                language: Set(checked.language.to_owned()),
                general: Set(checked.general),
                status: Set(ACTIVE.to_owned()),
                created_by: Set(user),
                updated_by: Set(user),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?
        }
        Some(id) => {
            let mut change: education_resource::ActiveModel = find(tx, id).await?.into();
            change.title = Set(checked.title);
            change.summary = Set(checked.summary);
            change.kind = Set(checked.kind.to_owned());
            change.url = Set(checked.url);
            change.body = Set(checked.body);
            change.language = Set(checked.language.to_owned());
            change.general = Set(checked.general);
            change.updated_by = Set(user);
            change.updated_at = Set(now);
            let model = change.update(tx.conn()).await?;
            tx.delete::<education_resource_code::Entity>()
                .filter(education_resource_code::Column::ResourceId.eq(id))
                .exec(tx.conn())
                .await?;
            model
        }
    };
    let rows: Vec<education_resource_code::ActiveModel> = checked
        .codes
        .iter()
        .map(|(system, code)| education_resource_code::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            resource_id: Set(model.id),
            system: Set(system.as_str().to_owned()),
            code: Set(code.clone()),
        })
        .collect();
    if !rows.is_empty() {
        tx.insert_many(rows).exec(tx.conn()).await?;
    }
    let action = if id.is_some() {
        "education.update"
    } else {
        "education.create"
    };
    record(tx, actor, action, model.id).await?;
    Ok(Resource {
        codes: checked
            .codes
            .into_iter()
            .map(|(s, c)| (s.as_str().to_owned(), c))
            .collect(),
        model,
    })
}

/// Archives a resource: no longer shown beside records nor sent; messages that sent it keep
/// it. Archiving an archived one changes nothing.
pub async fn archive(
    tx: &TenantTx,
    actor: &Actor,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<Resource> {
    audit::lock(tx).await?;
    let found = find(tx, id).await?;
    let model = if found.status == ARCHIVED {
        found
    } else {
        let mut change: education_resource::ActiveModel = found.into();
        change.status = Set(ARCHIVED.to_owned());
        change.updated_by = Set(user);
        change.updated_at = Set(now);
        let model = change.update(tx.conn()).await?;
        record(tx, actor, "education.archive", model.id).await?;
        model
    };
    with_codes(tx, model).await
}

/// One resource of the practice, archived or not.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<education_resource::Model> {
    tx.find::<education_resource::Entity>()
        .filter(education_resource::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// One active resource, as it may still be sent or read in the portal.
pub async fn find_active(tx: &TenantTx, id: Uuid) -> CoreResult<education_resource::Model> {
    let found = find(tx, id).await?;
    if found.status != ACTIVE {
        return Err(CoreError::NotFound);
    }
    Ok(found)
}

/// The resource with its codes.
pub async fn with_codes(tx: &TenantTx, model: education_resource::Model) -> CoreResult<Resource> {
    let mut all = codes_of(tx, &[model.id]).await?;
    Ok(Resource {
        codes: all.remove(&model.id).unwrap_or_default(),
        model,
    })
}

/// The codes of each of `ids`, sorted.
pub async fn codes_of(
    tx: &TenantTx,
    ids: &[Uuid],
) -> CoreResult<std::collections::HashMap<Uuid, Vec<(String, String)>>> {
    let rows = tx
        .find::<education_resource_code::Entity>()
        .filter(education_resource_code::Column::ResourceId.is_in(ids.iter().copied()))
        .order_by_asc(education_resource_code::Column::System)
        .order_by_asc(education_resource_code::Column::Code)
        .all(tx.conn())
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for row in rows {
        out.entry(row.resource_id)
            .or_default()
            .push((row.system, row.code));
    }
    Ok(out)
}

/// A page of the library by title (then id), active only unless `archived_too`.
pub async fn list(tx: &TenantTx, archived_too: bool, page: Page) -> CoreResult<Vec<Resource>> {
    let mut query = tx.find::<education_resource::Entity>();
    if !archived_too {
        query = query.filter(education_resource::Column::Status.eq(ACTIVE));
    }
    let models = query
        .order_by_asc(education_resource::Column::Title)
        .order_by_asc(education_resource::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(tx.conn())
        .await?;
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut codes = codes_of(tx, &ids).await?;
    Ok(models
        .into_iter()
        .map(|model| Resource {
            codes: codes.remove(&model.id).unwrap_or_default(),
            model,
        })
        .collect())
}

async fn record(tx: &TenantTx, actor: &Actor, action: &str, id: Uuid) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type: "EducationResource",
            resource_id: Some(id),
            patient_id: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            title: " Living with diabetes ".into(),
            summary: "What type 2 diabetes is.".into(),
            kind: LINK.into(),
            url: Some("https://example.org/diabetes".into()),
            body: None,
            language: "EN".into(),
            general: false,
            codes: vec![
                ("icd10".into(), "e119".into()),
                ("loinc".into(), "4548-4".into()),
                ("icd10".into(), "E11.9".into()),
            ],
        }
    }

    fn code_of(d: &Draft) -> (&'static str, &'static str) {
        match d.checked() {
            Err(CoreError::Invalid { field, code, .. }) => (field, code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_good_draft_is_trimmed_and_its_codes_made_canonical() {
        let checked = draft().checked().unwrap();
        assert_eq!(checked.title, "Living with diabetes");
        assert_eq!(checked.language, "en");
        assert_eq!(
            checked.codes,
            vec![
                (System::Icd10, "E11.9".to_owned()),
                (System::Loinc, "4548-4".to_owned())
            ]
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        type Change = Box<dyn Fn(&mut Draft)>;
        let cases: Vec<(Change, (&str, &str))> = vec![
            (
                Box::new(|d| d.title = " ".into()),
                ("title", "TITLE_REQUIRED"),
            ),
            (
                Box::new(|d| d.title = "x".repeat(201)),
                ("title", "TITLE_TOO_LONG"),
            ),
            (
                Box::new(|d| d.summary = String::new()),
                ("summary", "SUMMARY_REQUIRED"),
            ),
            (
                Box::new(|d| d.url = Some("http://example.org".into())),
                ("url", "URL_NOT_HTTPS"),
            ),
            (
                Box::new(|d| d.url = Some("https://a@b.org".into())),
                ("url", "URL_NOT_HTTPS"),
            ),
            (
                Box::new(|d| d.url = Some("https://b.org/\"x".into())),
                ("url", "URL_NOT_HTTPS"),
            ),
            (
                Box::new(|d| d.url = Some("javascript:alert(1)".into())),
                ("url", "URL_NOT_HTTPS"),
            ),
            (
                Box::new(|d| d.kind = ARTICLE.into()),
                ("body", "BODY_REQUIRED"),
            ),
            (
                Box::new(|d| d.kind = "video".into()),
                ("kind", "INVALID_KIND"),
            ),
            (
                Box::new(|d| d.language = "fr".into()),
                ("language", "LANGUAGE_UNSUPPORTED"),
            ),
            (Box::new(|d| d.codes.clear()), ("codes", "CODES_REQUIRED")),
            (
                Box::new(|d| d.general = true),
                ("codes", "GENERAL_WITH_CODES"),
            ),
            (
                Box::new(|d| d.codes.push(("cpt".into(), "99213".into()))),
                ("codes", "INVALID_CODE_SYSTEM"),
            ),
            (
                Box::new(|d| d.codes.push(("loinc".into(), "4548-5".into()))),
                ("codes", "INVALID_CODE"),
            ),
        ];
        for (change, expected) in cases {
            let mut d = draft();
            change(&mut d);
            assert_eq!(code_of(&d), expected);
        }
    }

    #[test]
    fn a_general_resource_needs_no_code() {
        let mut d = draft();
        d.codes.clear();
        d.general = true;
        assert!(d.checked().is_ok());
    }
}
