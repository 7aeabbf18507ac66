//! An export is read a page of participants at a time, on PostgreSQL by two connections side by
//! side: the pages are one snapshot of the trial, and the files do not depend on the paging.

use diesel::prelude::*;
use trialdesk::db::DbConn;
use trialdesk::db::schema::{allocations, assessments, participants, scores};
use trialdesk::exports::write::{Outputs, write_all};
use trialdesk::exports::{ExportOptions, Source, Spec, for_each_page};
use trialdesk::instruments::Library;
use trialdesk::service_error::ServiceError;
use trialdesk::sites::Scope;
use trialdesk_analysis::input;

use crate::helpers::{Backend, TestDb, backend};

fn export(source: Source<'_>, spec: &Spec) -> Outputs<Vec<u8>> {
    let mut out = Outputs::open(|_| Ok::<_, ()>(Vec::new())).expect("buffers");
    write_all(source, spec, &mut out).expect("export");
    out
}

/// Every file but the Parquet file, whose row groups follow the pages; and the Parquet file.
fn files(out: Outputs<Vec<u8>>) -> ([Vec<u8>; 5], Vec<u8>) {
    ([out.long_csv, out.wide_csv, out.codebook, out.r_script, out.stata_script], out.long_parquet)
}

/// Connections of this database in an open transaction, other than `conn`'s own.
fn readers_in_transaction(conn: &mut DbConn) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // Client connections only: autovacuum's workers are in transactions too.
    let sql = "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
               AND backend_type = 'client backend' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()";
    diesel::sql_query(sql).get_result::<Count>(conn).expect("activity").n
}

#[test]
fn an_export_read_three_participants_a_page_on_two_connections_is_one_snapshot_equal_to_one_page() {
    let db = TestDb::migrated();
    let out = db.cli(&["demo", "--screened", "70", "--seed", "5", "--out", "report"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let library = Library::bundled();
    let (mut first, mut second, mut other) = (db.conn(), db.conn(), db.conn());
    let mut spec = Spec::load(&mut first, &library, ExportOptions::default(), Scope::All).expect("spec");
    let whole = files(export(Source::from(&mut first), &spec));

    spec.page_size = 3;
    let paged = files(export(Source::pair(&mut first, Some(&mut second)), &spec));
    assert!(whole.0 == paged.0, "the files differ when the trial is read three participants a page");
    let rows = |parquet: &[u8]| {
        let file = tempfile::NamedTempFile::with_suffix(".parquet").expect("temp file");
        std::fs::write(file.path(), parquet).expect("write");
        input::read(file.path(), None).expect("polars reads it").0
    };
    let (whole_rows, paged_rows) = (rows(&whole.1), rows(&paged.1));
    assert!(
        whole_rows.height() > 20 && whole_rows.equals_missing(&paged_rows),
        "{whole_rows:?} {paged_rows:?}"
    );

    // After the first page, someone changes the last participant's scores: the export, reading in
    // one snapshot, still shows them as they were when it began.
    let randomised: Vec<(String, i32, Option<bool>)> = participants::table
        .inner_join(allocations::table)
        .order(participants::number.desc())
        .select((participants::id, participants::number, participants::withdrawal_keep_data))
        .load(&mut other)
        .expect("randomised");
    let scored = |id: &str| -> i64 {
        let visits = assessments::table.filter(assessments::participant_id.eq(id)).select(assessments::id);
        scores::table
            .filter(scores::assessment_id.eq_any(visits))
            .count()
            .get_result(&mut db.conn())
            .expect("count")
    };
    // The last participant whose scores an export shows.
    let last = randomised
        .into_iter()
        .find(|(id, _, keep)| *keep != Some(false) && scored(id) > 0)
        .expect("a randomised participant with scores");
    let visits = assessments::table.filter(assessments::participant_id.eq(&last.0)).select(assessments::id);
    let (mut pages, mut changed, mut seen) = (0, 0, Vec::new());
    for_each_page(Source::pair(&mut first, Some(&mut second)), &spec, |page| {
        pages += 1;
        if pages == 1 {
            if backend() == Backend::Postgres {
                assert_eq!(readers_in_transaction(&mut other), 2, "two connections read the export");
            }
            changed = diesel::update(scores::table.filter(scores::assessment_id.eq_any(visits)))
                .set(scores::total.eq(999))
                .execute(&mut other)
                .expect("change the scores");
        }
        let totals = page
            .iter()
            .filter(|r| r.participant.number == last.1)
            .flat_map(|r| r.visits.iter().flat_map(|v| v.scores.iter().map(|(_, s)| s.total)));
        seen.extend(totals);
        Ok(())
    })
    .expect("read the pages");
    assert!(pages > 3 && changed > 0, "{pages} pages, {changed} scores changed");
    assert!(!seen.is_empty() && !seen.contains(&Some(999)), "{seen:?}");

    // A handler that fails (a download cut off) stops both readers, which may be waiting to hand
    // over their next pages: the call returns its error instead of waiting for ever.
    spec.page_size = 1;
    let stopped = for_each_page(Source::pair(&mut first, Some(&mut second)), &spec, |_| {
        Err(ServiceError::NotFound("the rest of the download".into()))
    });
    assert!(matches!(stopped, Err(ServiceError::NotFound(_))), "{stopped:?}");
    // Both connections are usable again, out of their transactions: a new export sees the change.
    let again = export(Source::pair(&mut first, Some(&mut second)), &spec);
    assert!(String::from_utf8_lossy(&again.long_csv).contains(",999,"), "the changed scores are missing");
}
