//! `GET /healthz`: is the server up, can it reach its database, and how far its read replica
//! (when `database_read_url` is set) lags behind.

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable, Text};
use serde::Serialize;

use crate::db::DbConn;
use crate::state::AppState;

/// Health of the server and its database.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable` (the primary database; a lagging or unreachable replica does not
    /// make the server unavailable: its reads go to the primary then).
    pub status: &'static str,
    pub database: &'static str,
    pub version: &'static str,
    /// The read replica, when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<Replica>,
}

/// How far the streaming replica is behind the primary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Replica {
    /// `streaming` (a standby replaying the primary's log), `not_a_standby` (the URL names a
    /// server that is not in recovery) or `unreachable`.
    pub status: &'static str,
    /// Bytes of the primary's write-ahead log not yet replayed on the replica.
    pub lag_bytes: Option<f64>,
    /// Seconds since the replica replayed its last transaction, while it has log to replay
    /// (0 when it has replayed everything the primary wrote).
    pub lag_seconds: Option<f64>,
}

/// Checks the database with a trivial query, and measures the replica's lag.
#[utoipa::path(tag = "health", responses((status = 200, description = "Success", body = Health), (status = 503, description = "Unavailable", body = Health)))]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let has_replica = state.read_pool.is_some();
    let primary = state
        .run(move |c| {
            // With a replica, reading the primary's log position is the reachability check too.
            if has_replica {
                return Ok(Some(current_lsn(c)?));
            }
            c.batch_execute("SELECT 1")?;
            Ok(None)
        })
        .await;
    let ok = primary.is_ok();
    let replica = match (&state.read_pool, primary) {
        (Some(pool), Ok(Some(lsn))) => Some(replica_lag(pool.clone(), lsn).await),
        (Some(_), _) => Some(Replica { status: "unreachable", lag_bytes: None, lag_seconds: None }),
        (None, _) => None,
    };
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: if ok { "reachable" } else { "unreachable" },
        version: env!("CARGO_PKG_VERSION"),
        replica,
    };
    if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

/// Where the primary's write-ahead log ends now: its insert position, which includes what an
/// asynchronous commit has not written out yet (the write position would call a replica caught
/// up that has not yet received such a commit).
fn current_lsn(conn: &mut DbConn) -> QueryResult<String> {
    diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn")
        .get_result::<Lsn>(conn)
        .map(|l| l.lsn)
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    standby: bool,
    #[diesel(sql_type = Nullable<Double>)]
    lag_bytes: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    lag_seconds: Option<f64>,
}

/// Compares the replica's replayed position with the primary's `lsn`, on the replica.
async fn replica_lag(pool: crate::db::Pool, lsn: String) -> Replica {
    let lag = web::block(move || -> anyhow::Result<Lag> {
        let mut conn = pool.get()?;
        let sql = "SELECT pg_is_in_recovery() AS standby, \
                   GREATEST(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::float8 AS lag_bytes, \
                   CASE WHEN pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) <= 0 THEN 0 \
                        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END::float8 AS lag_seconds";
        Ok(diesel::sql_query(sql).bind::<Text, _>(lsn).get_result::<Lag>(&mut *conn)?)
    })
    .await;
    match lag {
        Ok(Ok(lag)) if lag.standby => {
            Replica { status: "streaming", lag_bytes: lag.lag_bytes, lag_seconds: lag.lag_seconds }
        }
        Ok(Ok(_)) => Replica { status: "not_a_standby", lag_bytes: None, lag_seconds: None },
        _ => Replica { status: "unreachable", lag_bytes: None, lag_seconds: None },
    }
}
