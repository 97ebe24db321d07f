//! Where a refill request goes. [`route_for`] is the practice's rules as a pure function over
//! the facts about the request; [`route`] is the routing job's body: it gathers the facts,
//! applies the rules and assigns the request with a conditional update, so a second run (a
//! duplicate delivery of the job) finds it routed and changes nothing.
//!
//! The rules, first match wins:
//! 1. a controlled substance needs a visit: `visit`, decided as `needs_appointment` at once,
//!    and the patient is asked to book;
//! 2. the prescriber is away (time off now): `covering`, to their covering provider with a
//!    staff account (and that provider's pool, else the prescriber's); with nobody covering,
//!    `pool`, the practice's refill pool, so it does not wait for their return;
//! 3. the prescriber is an active provider of the practice: `prescriber`, assigned to them
//!    in their pool (the pool tied to them, else the oldest active pool they are a member
//!    of, else the refill pool);
//! 4. otherwise (the prescriber is not one of the practice's active providers): `pool`,
//!    the practice's refill pool;
//! 5. whoever takes it, a medication with no refills left is a `renewal` for them.
//!
//! Each assignment carries the [`Reason`] the rules chose it for, which staff see.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, sea_query::Expr};
use uuid::Uuid;

use super::{NEEDS_APPOINTMENT, REQUESTED, ROUTED, record};
use crate::{
    CoreResult, TenantTx, audit,
    audit::Actor,
    entities::{
        care_team_pool, care_team_pool_member, medication_request, provider,
        refill_request::{self, Column, Model as Refill},
        schedule_block,
    },
    notify::{self, Notice, Portal},
    tenants,
};

/// How a request was routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Prescriber,
    Covering,
    Renewal,
    Visit,
    Pool,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Prescriber => "prescriber",
            Route::Covering => "covering",
            Route::Renewal => "renewal",
            Route::Visit => "visit",
            Route::Pool => "pool",
        }
    }
}

/// Which rule routed a request; stored with it and shown to staff (no PHI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    ControlledSubstance,
    Prescriber,
    CoveringProvider,
    PrescriberAwayUncovered,
    PrescriberInactive,
    PrescriberNotAProvider,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::ControlledSubstance,
        Reason::Prescriber,
        Reason::CoveringProvider,
        Reason::PrescriberAwayUncovered,
        Reason::PrescriberInactive,
        Reason::PrescriberNotAProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ControlledSubstance => "controlled_substance",
            Reason::Prescriber => "prescriber",
            Reason::CoveringProvider => "covering_provider",
            Reason::PrescriberAwayUncovered => "prescriber_away_uncovered",
            Reason::PrescriberInactive => "prescriber_inactive",
            Reason::PrescriberNotAProvider => "prescriber_not_a_provider",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// A sentence for staff: the rule, never anything about the patient or the drug.
    pub fn sentence(self) -> &'static str {
        match self {
            Reason::ControlledSubstance => {
                "A controlled substance needs a visit; the patient was asked to book one."
            }
            Reason::Prescriber => {
                "The prescriber is an active provider of the practice and takes it in their pool."
            }
            Reason::CoveringProvider => {
                "The prescriber has time off now; their covering provider takes it."
            }
            Reason::PrescriberAwayUncovered => {
                "The prescriber has time off now and nobody covers for them; the practice's refill pool takes it."
            }
            Reason::PrescriberInactive => {
                "The prescriber is no longer an active provider of the practice; the practice's refill pool takes it."
            }
            Reason::PrescriberNotAProvider => {
                "The prescriber is not a provider of the practice; the practice's refill pool takes it."
            }
        }
    }
}

/// A provider as routing sees them: their staff user and their own team's pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clinician {
    pub user_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
}

/// The prescriber, when they are a provider of the practice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prescriber {
    pub clinician: Clinician,
    /// Still an active provider of the practice.
    pub active: bool,
    /// On time off now.
    pub away: bool,
    /// Their covering provider, when one is set.
    pub covering: Option<Clinician>,
}

/// What routing depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub controlled: bool,
    pub refills_left: i32,
    pub prescriber: Option<Prescriber>,
    /// The practice's refill pool.
    pub fallback_pool: Option<Uuid>,
}

/// Where the rules send a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub route: Route,
    pub pool_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub reason: Reason,
}

impl Assignment {
    /// The status the request takes.
    pub fn status(self) -> &'static str {
        if self.route == Route::Visit {
            NEEDS_APPOINTMENT
        } else {
            ROUTED
        }
    }
}

/// The practice's rules (see the module's documentation).
pub fn route_for(facts: &Facts) -> Assignment {
    let fallback = facts.fallback_pool;
    let own = facts.prescriber.map(|p| p.clinician).unwrap_or_default();
    if facts.controlled {
        return Assignment {
            route: Route::Visit,
            pool_id: own.pool_id.or(fallback),
            user_id: None,
            reason: Reason::ControlledSubstance,
        };
    }
    let refill_pool = |reason| Assignment {
        route: Route::Pool,
        pool_id: fallback,
        user_id: None,
        reason,
    };
    // Who takes it: the covering provider while the prescriber is away (the refill pool when
    // nobody covers), else the prescriber (an active provider) in their pool, else the
    // refill pool.
    let taker = match facts.prescriber {
        None => refill_pool(Reason::PrescriberNotAProvider),
        Some(Prescriber { active: false, .. }) => refill_pool(Reason::PrescriberInactive),
        Some(Prescriber {
            away: true,
            covering,
            ..
        }) => match covering {
            Some(c) if c.user_id.is_some() => Assignment {
                route: Route::Covering,
                pool_id: c.pool_id.or(own.pool_id).or(fallback),
                user_id: c.user_id,
                reason: Reason::CoveringProvider,
            },
            _ => refill_pool(Reason::PrescriberAwayUncovered),
        },
        Some(_) => Assignment {
            route: Route::Prescriber,
            pool_id: own.pool_id.or(fallback),
            user_id: own.user_id,
            reason: Reason::Prescriber,
        },
    };
    if facts.refills_left <= 0 {
        return Assignment {
            route: Route::Renewal,
            ..taker
        };
    }
    taker
}

/// Requests made before `before` and still waiting for routing, oldest first.
pub async fn waiting_since(
    tx: &TenantTx,
    before: DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<Uuid>> {
    use sea_orm::QuerySelect;
    Ok(tx
        .find::<refill_request::Entity>()
        .filter(Column::Status.eq(REQUESTED))
        .filter(Column::CreatedAt.lt(before))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// A provider's pool: the active pool tied to them, else the oldest active pool their staff
/// account is a member of.
async fn pool_of(tx: &TenantTx, found: &provider::Model) -> CoreResult<Option<Uuid>> {
    let oldest_active = |pools: sea_orm::Select<care_team_pool::Entity>| {
        pools
            .filter(care_team_pool::Column::Active.eq(true))
            .order_by_asc(care_team_pool::Column::CreatedAt)
            .order_by_asc(care_team_pool::Column::Id)
    };
    let own = oldest_active(
        tx.find::<care_team_pool::Entity>()
            .filter(care_team_pool::Column::ProviderId.eq(found.id)),
    )
    .one(tx.conn())
    .await?;
    if let Some(own) = own {
        return Ok(Some(own.id));
    }
    let Some(user) = found.user_id else {
        return Ok(None);
    };
    let member_of: Vec<Uuid> = tx
        .find::<care_team_pool_member::Entity>()
        .filter(care_team_pool_member::Column::UserId.eq(user))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| m.pool_id)
        .collect();
    if member_of.is_empty() {
        return Ok(None);
    }
    Ok(oldest_active(
        tx.find::<care_team_pool::Entity>()
            .filter(care_team_pool::Column::Id.is_in(member_of)),
    )
    .one(tx.conn())
    .await?
    .map(|p| p.id))
}

async fn clinician(tx: &TenantTx, found: &provider::Model) -> CoreResult<Clinician> {
    Ok(Clinician {
        user_id: found.user_id,
        pool_id: pool_of(tx, found).await?,
    })
}

/// Whether `provider_id` has time off covering `now`.
async fn away(tx: &TenantTx, provider_id: Uuid, now: DateTime<Utc>) -> CoreResult<bool> {
    Ok(tx
        .find::<schedule_block::Entity>()
        .filter(schedule_block::Column::ProviderId.eq(provider_id))
        .filter(schedule_block::Column::Kind.eq("time_off"))
        .filter(schedule_block::Column::StartsAt.lte(now))
        .filter(schedule_block::Column::EndsAt.gt(now))
        .one(tx.conn())
        .await?
        .is_some())
}

/// The facts about `medication` at `now`.
pub async fn facts(
    tx: &TenantTx,
    medication: &medication_request::Model,
    now: DateTime<Utc>,
) -> CoreResult<Facts> {
    let practice = tenants::own_row(tx).await?.tenant;
    let fallback_pool = match practice.refill_pool_id {
        Some(pool) => tx
            .find::<care_team_pool::Entity>()
            .filter(care_team_pool::Column::Id.eq(pool))
            .filter(care_team_pool::Column::Active.eq(true))
            .one(tx.conn())
            .await?
            .map(|p| p.id),
        None => None,
    };
    let prescriber_provider = match medication.prescriber_id {
        Some(user) => {
            tx.find::<provider::Entity>()
                .filter(provider::Column::UserId.eq(user))
                .order_by_desc(provider::Column::Active)
                .order_by_asc(provider::Column::CreatedAt)
                .one(tx.conn())
                .await?
        }
        None => None,
    };
    let prescriber = match prescriber_provider {
        Some(found) => {
            let covering = match found.covering_provider_id {
                Some(id) => match tx
                    .find::<provider::Entity>()
                    .filter(provider::Column::Id.eq(id))
                    .filter(provider::Column::Active.eq(true))
                    .one(tx.conn())
                    .await?
                {
                    Some(covering) => Some(clinician(tx, &covering).await?),
                    None => None,
                },
                None => None,
            };
            Some(Prescriber {
                clinician: clinician(tx, &found).await?,
                active: found.active,
                away: away(tx, found.id, now).await?,
                covering,
            })
        }
        None => None,
    };
    Ok(Facts {
        controlled: medication.controlled,
        refills_left: medication.refills_left,
        prescriber,
        fallback_pool,
    })
}

/// The routing job's body: assigns request `id` at `now` by the rules, in `tx`. `None` when
/// it is not waiting for routing (already routed, decided, or gone): nothing is changed.
pub async fn route(
    tx: &TenantTx,
    portal: &Portal,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<Option<Refill>> {
    audit::lock(tx).await?;
    let found = match super::find(tx, id).await {
        Ok(found) if found.status == REQUESTED => found,
        Ok(_) | Err(crate::CoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(medication) = tx
        .find::<medication_request::Entity>()
        .filter(medication_request::Column::Id.eq(found.medication_request_id))
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let assignment = route_for(&facts(tx, &medication, now).await?);
    let practice = tenants::own_row(tx).await?.tenant;
    let hours = practice
        .refill_turnaround_hours
        .unwrap_or(super::DEFAULT_TURNAROUND_HOURS);
    let visit = assignment.route == Route::Visit;
    let mut update = tx
        .update::<refill_request::Entity>()
        .col_expr(Column::Status, Expr::value(assignment.status()))
        .col_expr(Column::Route, Expr::value(Some(assignment.route.as_str())))
        .col_expr(
            Column::RouteReason,
            Expr::value(Some(assignment.reason.as_str())),
        )
        .col_expr(Column::AssignedPoolId, Expr::value(assignment.pool_id))
        .col_expr(Column::AssignedUserId, Expr::value(assignment.user_id))
        .col_expr(
            Column::DueAt,
            Expr::value(Some(now + Duration::hours(i64::from(hours)))),
        )
        .col_expr(Column::RoutedAt, Expr::value(Some(now)))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if visit {
        // Decided by the rules: the medication is free for a new request after the visit.
        update = update
            .col_expr(Column::DecidedAt, Expr::value(Some(now)))
            .col_expr(Column::OpenMedicationId, Expr::value(Option::<Uuid>::None));
    }
    let changed = update
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(REQUESTED))
        .exec(tx.conn())
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(None);
    }
    let routed = super::find(tx, id).await?;
    record(tx, &Actor::system(), "refill.route", &routed).await?;
    if visit {
        notify::to_patient(
            tx,
            portal,
            routed.patient_id,
            &notify::Send {
                notice: Notice::RefillNeedsVisit,
                key: &format!("refill:{id}:visit"),
                topic: Some(&format!("refill:{id}")),
                link: &portal.booking(),
                deadline: None,
            },
            now,
        )
        .await?;
    }
    Ok(Some(routed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Option<Uuid> {
        Some(Uuid::from_u128(n))
    }

    const DR_USER: u128 = 1;
    const DR_POOL: u128 = 2;
    const COVER_USER: u128 = 3;
    const COVER_POOL: u128 = 4;
    const NURSES: u128 = 5;

    fn prescriber(pool: bool, away: bool, covering: bool) -> Option<Prescriber> {
        Some(Prescriber {
            clinician: Clinician {
                user_id: id(DR_USER),
                pool_id: if pool { id(DR_POOL) } else { None },
            },
            active: true,
            away,
            covering: covering.then_some(Clinician {
                user_id: id(COVER_USER),
                pool_id: id(COVER_POOL),
            }),
        })
    }

    #[test]
    fn each_rule_routes_its_cases() {
        struct Case {
            name: &'static str,
            controlled: bool,
            refills_left: i32,
            prescriber: Option<Prescriber>,
            fallback: Option<Uuid>,
            route: Route,
            pool: Option<Uuid>,
            user: Option<Uuid>,
            reason: Reason,
        }
        let nurses = id(NURSES);
        let cases = [
            Case {
                name: "controlled substance: a visit, whatever else holds",
                controlled: true,
                refills_left: 3,
                prescriber: prescriber(true, true, true),
                fallback: nurses,
                route: Route::Visit,
                pool: id(DR_POOL),
                user: None,
                reason: Reason::ControlledSubstance,
            },
            Case {
                name: "controlled with no refills left is still a visit",
                controlled: true,
                refills_left: 0,
                prescriber: None,
                fallback: nurses,
                route: Route::Visit,
                pool: nurses,
                user: None,
                reason: Reason::ControlledSubstance,
            },
            Case {
                name: "no refills left: renewal to the prescriber's pool",
                controlled: false,
                refills_left: 0,
                prescriber: prescriber(true, false, false),
                fallback: nurses,
                route: Route::Renewal,
                pool: id(DR_POOL),
                user: id(DR_USER),
                reason: Reason::Prescriber,
            },
            Case {
                name: "no refills left while the prescriber is away: renewal by the covering provider",
                controlled: false,
                refills_left: 0,
                prescriber: prescriber(true, true, true),
                fallback: nurses,
                route: Route::Renewal,
                pool: id(COVER_POOL),
                user: id(COVER_USER),
                reason: Reason::CoveringProvider,
            },
            Case {
                name: "no refills left and no prescriber pool: renewal for the prescriber in the refill pool",
                controlled: false,
                refills_left: 0,
                prescriber: prescriber(false, false, false),
                fallback: nurses,
                route: Route::Renewal,
                pool: nurses,
                user: id(DR_USER),
                reason: Reason::Prescriber,
            },
            Case {
                name: "prescriber away with a covering provider: covering",
                controlled: false,
                refills_left: 2,
                prescriber: prescriber(true, true, true),
                fallback: nurses,
                route: Route::Covering,
                pool: id(COVER_POOL),
                user: id(COVER_USER),
                reason: Reason::CoveringProvider,
            },
            Case {
                name: "prescriber away without a covering provider: the refill pool",
                controlled: false,
                refills_left: 2,
                prescriber: prescriber(true, true, false),
                fallback: nurses,
                route: Route::Pool,
                pool: nurses,
                user: None,
                reason: Reason::PrescriberAwayUncovered,
            },
            Case {
                name: "covering provider set but the prescriber is in: prescriber",
                controlled: false,
                refills_left: 2,
                prescriber: prescriber(true, false, true),
                fallback: nurses,
                route: Route::Prescriber,
                pool: id(DR_POOL),
                user: id(DR_USER),
                reason: Reason::Prescriber,
            },
            Case {
                name: "prescriber without a pool: still the prescriber, in the refill pool",
                controlled: false,
                refills_left: 2,
                prescriber: prescriber(false, false, false),
                fallback: nurses,
                route: Route::Prescriber,
                pool: nurses,
                user: id(DR_USER),
                reason: Reason::Prescriber,
            },
            Case {
                name: "prescriber no longer active: the refill pool",
                controlled: false,
                refills_left: 2,
                prescriber: prescriber(true, false, true)
                    .map(|p| Prescriber { active: false, ..p }),
                fallback: nurses,
                route: Route::Pool,
                pool: nurses,
                user: None,
                reason: Reason::PrescriberInactive,
            },
            Case {
                name: "prescriber unknown: the refill pool",
                controlled: false,
                refills_left: 5,
                prescriber: None,
                fallback: nurses,
                route: Route::Pool,
                pool: nurses,
                user: None,
                reason: Reason::PrescriberNotAProvider,
            },
            Case {
                name: "prescriber unknown and no refill pool: unassigned pool route",
                controlled: false,
                refills_left: 5,
                prescriber: None,
                fallback: None,
                route: Route::Pool,
                pool: None,
                user: None,
                reason: Reason::PrescriberNotAProvider,
            },
        ];
        for case in cases {
            let got = route_for(&Facts {
                controlled: case.controlled,
                refills_left: case.refills_left,
                prescriber: case.prescriber,
                fallback_pool: case.fallback,
            });
            assert_eq!(
                got,
                Assignment {
                    route: case.route,
                    pool_id: case.pool,
                    user_id: case.user,
                    reason: case.reason,
                },
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn only_a_visit_is_decided_by_routing() {
        for route in [
            Route::Prescriber,
            Route::Covering,
            Route::Renewal,
            Route::Pool,
        ] {
            let a = Assignment {
                route,
                pool_id: None,
                user_id: None,
                reason: Reason::Prescriber,
            };
            assert_eq!(a.status(), ROUTED, "{route:?}");
        }
        let visit = Assignment {
            route: Route::Visit,
            pool_id: None,
            user_id: None,
            reason: Reason::ControlledSubstance,
        };
        assert_eq!(visit.status(), NEEDS_APPOINTMENT);
    }

    #[test]
    fn reasons_round_trip_through_their_codes() {
        for reason in Reason::ALL {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(Reason::parse("elsewhere"), None);
    }
}
