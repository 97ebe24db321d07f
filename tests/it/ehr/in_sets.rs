//! A page applied in sets: every resource of many patients goes in, and the same pages read
//! again are found unchanged in memory, in as many statements for six patients as for two.

use portico_core::{ehr::runs, statements};
use portico_tests::fhir_server::synthea;
use sea_orm::ConnectionTrait;

use super::{app, fhir};
use crate::support::ehr::{connect, sync_now};

/// Pulls `patients` synthetic patients into a new practice at 1,000 resources a page, then
/// forgets the marks and pulls again. Returns the second run and its statement count.
async fn pull_twice(patients: usize, slug: &str) -> Option<(runs::Counts, u32)> {
    let server = fhir().await?;
    let seeded = server.seed(&synthea(patients, 11, "s")).await;
    let app = app(1000, 30).await;
    let admin = app.practice_admin(slug).await;
    connect(&app, slug, &admin.access, &server.base_url).await;
    let first = sync_now(&app, slug).await;
    assert_eq!(first.status, runs::SUCCEEDED, "{}", first.counts);
    let counts = runs::counts_of(&first);
    let fetched: u64 = counts.values().map(|c| c.fetched).sum();
    let applied: u64 = counts.values().map(|c| c.applied).sum();
    assert_eq!(fetched, seeded as u64, "{}", first.counts);
    assert_eq!(applied, fetched, "{}", first.counts);
    assert_eq!(counts["Patient"].applied, patients as u64);

    // The marks forgotten, every page is read and applied again.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    owner
        .execute_unprepared("DELETE FROM ehr_sync_marks")
        .await
        .unwrap();
    owner.close().await.unwrap();
    let (second, counted) = statements::counted(sync_now(&app, slug)).await;
    assert_eq!(second.status, runs::SUCCEEDED, "{}", second.counts);
    Some((runs::counts_of(&second), counted.statements))
}

#[tokio::test]
async fn pages_read_again_are_unchanged_in_statements_that_do_not_grow_with_the_page() {
    let Some((small, small_statements)) = pull_twice(2, "ehr-sets-small").await else {
        return;
    };
    let Some((large, large_statements)) = pull_twice(6, "ehr-sets-large").await else {
        return;
    };
    for counts in [&small, &large] {
        for (kind, c) in counts {
            assert!(c.fetched > 0, "{kind}");
            assert_eq!(c.unchanged, c.fetched, "{kind}: {c:?}");
            assert_eq!(c.applied + c.rejected + c.waiting + c.removed, 0, "{kind}");
        }
    }
    // One page a type either way: the same statements, whatever the page holds.
    assert_eq!(small_statements, large_statements);
}
