//! What a reconciliation asks the EHR when it offers no type-level history: the ids it has of
//! a type (a search for `id` only, `_elements=id`, paged as any search), and whether one
//! resource is still there (a read: 404 or 410 says it is gone).

use portico_core::ehr::gateway::{EhrError, IdPage};
use portico_core::ehr::model::ResourceKind;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Condition, FhirGateway, checked_id};
use crate::http::BAD_RESPONSE;
use crate::inbound::{self, fields};
use crate::smart::join;

impl FhirGateway {
    pub(super) async fn id_page(
        &self,
        kind: ResourceKind,
        next: Option<&str>,
    ) -> Result<IdPage, EhrError> {
        let url = match next {
            Some(link) => self.checked_next(link)?,
            None => {
                let mut url = join(&self.base, kind.as_str())?;
                {
                    let mut query = url.query_pairs_mut();
                    // Servers that ignore `_elements` send whole resources: only ids are read.
                    query
                        .append_pair("_elements", "id")
                        .append_pair("_count", &self.page_size.to_string());
                    if let Some((name, value)) = kind.search_filter() {
                        query.append_pair(name, value);
                    }
                }
                url
            }
        };
        let bundle: Value = self
            .authed(Method::GET, &url, kind.as_str(), None, Condition::None)
            .await?
            .success()?
            .json()?;
        if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            return Err(EhrError::new(
                BAD_RESPONSE,
                format!("{} ids: not a Bundle", kind.as_str()),
                false,
            ));
        }
        let ids = bundle
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| {
                !matches!(
                    e.pointer("/search/mode").and_then(Value::as_str),
                    Some("include" | "outcome")
                )
            })
            .filter_map(|e| e.get("resource"))
            .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some(kind.as_str()))
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .filter_map(|id| fields::id(id).ok())
            .collect();
        Ok(IdPage {
            ids,
            next: inbound::next_link(&bundle),
        })
    }

    pub(super) async fn still_there(
        &self,
        kind: ResourceKind,
        fhir_id: &str,
    ) -> Result<bool, EhrError> {
        let url = join(
            &self.base,
            &format!("{}/{}", kind.as_str(), checked_id(fhir_id)?),
        )?;
        let answer = self
            .authed(Method::GET, &url, kind.as_str(), None, Condition::None)
            .await?;
        match answer.status {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(false),
            _ => answer.success().map(|_| true),
        }
    }
}
