//! SMART App Launch scopes: what an app may read through the API. Resource scopes in v2
//! form (`patient/Observation.rs`, `patient/*.rs`, granular `patient/Observation.rs?category=
//! laboratory`) and v1 form (`patient/Observation.read`, `patient/*.*`), plus `launch/patient`,
//! `offline_access`, `online_access`, `openid` and `fhirUser`. The API is read-only, so only
//! `r` (read) and `s` (search) are ever granted; a scope Portico cannot grant (`user/`,
//! `system/`, write-only, an unknown type or search) is left out of what is granted, as
//! OAuth lets a server grant less than was asked. A backend service's `system/` read scopes
//! ([`SystemScopes`]) are for Bulk Data export.

use super::{ResourceType, Search};

/// A read or a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    Read,
    Search,
}

/// One resource scope as granted.
#[derive(Clone, Debug)]
pub struct ResourceScope {
    /// `None` for `*`.
    ty: Option<ResourceType>,
    read: bool,
    search: bool,
    /// A granular scope's query, and the search it makes (of `ty`).
    query: Option<(String, String, Search)>,
    /// As granted.
    text: String,
}

/// A scope as the consent page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    pub scope: String,
    /// The resource type it reads, `*` for every type; `None` for a context scope.
    pub resource_type: Option<String>,
    /// A granular scope's search (`category=laboratory`).
    pub filter: Option<String>,
}

/// The scopes granted to an app.
#[derive(Clone, Debug, Default)]
pub struct Scopes {
    resources: Vec<ResourceScope>,
    /// Context scopes kept as asked (`launch/patient`, `offline_access`, `online_access`).
    context: Vec<String>,
}

/// The context scopes granted. `openid` and `fhirUser` are not: Portico issues no
/// id_token yet, so granting them would promise one.
const CONTEXT: [&str; 3] = ["launch/patient", "offline_access", "online_access"];

impl Scopes {
    /// What of `asked` (space-separated) can be granted.
    pub fn parse(asked: &str) -> Self {
        let mut scopes = Self::default();
        for one in asked.split_ascii_whitespace() {
            if CONTEXT.contains(&one) {
                if !scopes.context.iter().any(|c| c == one) {
                    scopes.context.push(one.to_owned());
                }
            } else if let Some(resource) = ResourceScope::parse(one)
                && !scopes.resources.iter().any(|r| r.text == resource.text)
            {
                scopes.resources.push(resource);
            }
        }
        scopes
    }

    /// Of these, the ones also in `chosen` (the patient unticks what they do not want).
    pub fn keep_only(&self, chosen: &[String]) -> Self {
        Self {
            resources: self
                .resources
                .iter()
                .filter(|r| chosen.contains(&r.text))
                .cloned()
                .collect(),
            context: self
                .context
                .iter()
                .filter(|c| chosen.contains(c))
                .cloned()
                .collect(),
        }
    }

    /// Whether any resource can be read at all.
    pub fn reads_anything(&self) -> bool {
        !self.resources.is_empty()
    }

    pub fn offline(&self) -> bool {
        self.context.iter().any(|c| c == "offline_access")
    }

    /// The resource scopes, as granted (for the consent page).
    pub fn resource_scopes(&self) -> Vec<&str> {
        self.resources.iter().map(|r| r.text.as_str()).collect()
    }

    /// The context scopes, as granted.
    pub fn context_scopes(&self) -> Vec<&str> {
        self.context.iter().map(String::as_str).collect()
    }

    /// Each scope as granted, with what it reads, for the consent page.
    pub fn described(&self) -> Vec<Described> {
        let resources = self.resources.iter().map(|r| Described {
            scope: r.text.clone(),
            resource_type: Some(r.ty.map_or("*", ResourceType::as_str).to_owned()),
            filter: r.query.as_ref().map(|(n, v, _)| format!("{n}={v}")),
        });
        let context = self.context.iter().map(|c| Described {
            scope: c.clone(),
            resource_type: None,
            filter: None,
        });
        resources.chain(context).collect()
    }

    /// Space-separated, as the token response and the access token say them.
    pub fn text(&self) -> String {
        self.resources
            .iter()
            .map(|r| r.text.as_str())
            .chain(self.context.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `None` when no scope lets the app do `interaction` on `ty`; else the searches one of
    /// which a resource must match (empty: any resource of the type).
    pub fn permits(&self, ty: ResourceType, interaction: Interaction) -> Option<Vec<&Search>> {
        let permitting: Vec<&ResourceScope> = self
            .resources
            .iter()
            .filter(|r| r.ty.is_none_or(|t| t == ty))
            .filter(|r| match interaction {
                Interaction::Read => r.read,
                Interaction::Search => r.search,
            })
            // A granular scope names its own type; `*` with a query is not granted.
            .collect();
        if permitting.is_empty() {
            return None;
        }
        if permitting.iter().any(|r| r.query.is_none()) {
            return Some(Vec::new());
        }
        Some(
            permitting
                .iter()
                .filter_map(|r| r.query.as_ref().map(|(_, _, s)| s))
                .collect(),
        )
    }
}

impl ResourceScope {
    fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("patient/")?;
        let (resource, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (kind, permissions) = resource.split_once('.')?;
        let ty = match kind {
            "*" => None,
            name => Some(ResourceType::parse(name)?),
        };
        let (read, search) = match permissions {
            "read" | "*" => (true, true),
            v2 if is_v2(v2) => (v2.contains('r'), v2.contains('s')),
            _ => return None,
        };
        if !read && !search {
            return None;
        }
        let query = match query {
            None => None,
            Some(q) => {
                let ty = ty?;
                let (name, value) = q.split_once('=')?;
                // One filter of the type's own: not paging, a format, an include or the
                // chart, which would show as a limit and limit nothing.
                let filters = ty
                    .params()
                    .iter()
                    .any(|p| p.name == name && p.kind != super::ParamKind::Reference);
                if !filters || value.contains('&') {
                    return None;
                }
                let pairs = [(name.to_owned(), value.to_owned())];
                let search = Search::parse(ty, &pairs).ok()?;
                Some((name.to_owned(), value.to_owned(), search))
            }
        };
        // Granted as asked when Portico can do all of it; else as much as it can.
        let asked_more = is_v2(permissions) && permissions.chars().any(|c| "cud".contains(c));
        let text = if asked_more {
            let letters = match (read, search) {
                (true, true) => "rs",
                (true, false) => "r",
                _ => "s",
            };
            let query = query
                .as_ref()
                .map(|(n, v, _)| format!("?{n}={v}"))
                .unwrap_or_default();
            format!("patient/{kind}.{letters}{query}")
        } else {
            text.to_owned()
        };
        Some(Self {
            ty,
            read,
            search,
            query,
            text,
        })
    }
}

/// SMART v2 permissions: some of `cruds`, in that order, each once.
fn is_v2(permissions: &str) -> bool {
    !permissions.is_empty()
        && permissions
            .chars()
            .try_fold(0usize, |at, c| {
                let i = "cruds".find(c)?;
                (i >= at).then_some(i + 1)
            })
            .is_some()
}

/// `system/` read scopes: `system/*.rs`, `system/Observation.rs`, and v1's `.read`. Others
/// (`patient/`, `user/`, writes, granular filters) are not granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemScopes {
    /// As granted.
    granted: Vec<String>,
    /// `None`: every type.
    types: Option<Vec<ResourceType>>,
}

impl SystemScopes {
    pub fn parse(asked: &str) -> Self {
        let mut scopes = Self {
            granted: Vec::new(),
            types: Some(Vec::new()),
        };
        for one in asked.split_ascii_whitespace() {
            let Some((kind, permissions)) =
                one.strip_prefix("system/").and_then(|r| r.split_once('.'))
            else {
                continue;
            };
            let reads = matches!(permissions, "read" | "*" | "rs" | "r");
            if !reads || scopes.granted.iter().any(|g| g == one) {
                continue;
            }
            match kind {
                "*" => scopes.types = None,
                name => match ResourceType::parse(name) {
                    Some(ty) => {
                        if let Some(types) = &mut scopes.types
                            && !types.contains(&ty)
                        {
                            types.push(ty);
                        }
                    }
                    None => continue,
                },
            }
            scopes.granted.push(one.to_owned());
        }
        scopes
    }

    pub fn text(&self) -> String {
        self.granted.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.granted.is_empty()
    }

    /// Whether the service may export resources of `ty`.
    pub fn allows(&self, ty: ResourceType) -> bool {
        self.types.as_ref().is_none_or(|t| t.contains(&ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn system_scopes_grant_reads_of_known_types() {
        let s = SystemScopes::parse(
            "system/Observation.rs system/Patient.read patient/*.rs system/Foo.rs system/Condition.c",
        );
        assert_eq!(s.text(), "system/Observation.rs system/Patient.read");
        assert!(s.allows(ResourceType::Observation));
        assert!(!s.allows(ResourceType::Condition));
        let all = SystemScopes::parse("system/*.rs");
        assert!(all.allows(ResourceType::Immunization));
        assert!(SystemScopes::parse("user/*.rs").is_empty());
    }

    #[test]
    fn v1_and_v2_scopes_grant_reading_and_searching_only() {
        let s = Scopes::parse(
            "launch/patient openid patient/Observation.rs patient/Condition.read \
             patient/Immunization.cruds patient/Encounter.c user/Patient.read system/*.rs \
             patient/Medication.rs offline_access",
        );
        assert_eq!(
            s.text(),
            "patient/Observation.rs patient/Condition.read patient/Immunization.rs \
             launch/patient offline_access"
        );
        assert!(s.offline());
        assert!(
            s.permits(ResourceType::Observation, Interaction::Search)
                .is_some()
        );
        assert!(
            s.permits(ResourceType::Condition, Interaction::Read)
                .is_some()
        );
        assert!(
            s.permits(ResourceType::Encounter, Interaction::Read)
                .is_none()
        );
        assert!(
            s.permits(ResourceType::Patient, Interaction::Read)
                .is_none()
        );
        let read_only = Scopes::parse("patient/*.r");
        assert!(
            read_only
                .permits(ResourceType::Patient, Interaction::Read)
                .is_some()
        );
        assert!(
            read_only
                .permits(ResourceType::Patient, Interaction::Search)
                .is_none()
        );
        assert!(!Scopes::parse("patient/*.sr patient/Observation.x").reads_anything());
    }

    #[test]
    fn a_granular_scope_limits_the_type_to_what_its_search_matches() {
        let s = Scopes::parse("patient/Observation.rs?category=laboratory");
        let filters = s
            .permits(ResourceType::Observation, Interaction::Search)
            .unwrap();
        assert_eq!(filters.len(), 1);
        let lab = json!({ "category": [{ "coding": [{ "code": "laboratory" }] }] });
        let vital = json!({ "category": [{ "coding": [{ "code": "vital-signs" }] }] });
        assert!(filters[0].matches(&lab));
        assert!(!filters[0].matches(&vital));
        // With an unlimited scope of the type too, anything of it.
        let both = Scopes::parse("patient/Observation.rs?category=laboratory patient/*.rs");
        assert!(
            both.permits(ResourceType::Observation, Interaction::Read)
                .unwrap()
                .is_empty()
        );
        // A query the type does not take, or one that filters nothing, is not granted.
        for query in [
            "colour=red",
            "_count=1",
            "_revinclude=Provenance:target",
            "patient=x",
            "category=a&_count=1",
        ] {
            assert!(
                !Scopes::parse(&format!("patient/Observation.rs?{query}")).reads_anything(),
                "{query}"
            );
        }
        // Unticked on the consent page: left out.
        let chosen = both.keep_only(&["patient/*.rs".to_owned()]);
        assert_eq!(chosen.text(), "patient/*.rs");
    }
}
