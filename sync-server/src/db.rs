//! The storage trait: a minimal SQL interface (run a statement, fetch rows) with a SQLite and a
//! PostgreSQL implementation and embedded migrations for each. Every query in the server is
//! written once in the common dialect (`$1` placeholders, BIGINT and TEXT columns only).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A statement parameter or a column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> Result<i64, sqlx::Error> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(decode_error(i, "integer", other)),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, sqlx::Error> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(decode_error(i, "text", other)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, sqlx::Error> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
}

fn decode_error(i: usize, wanted: &str, got: Option<&Value>) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: format!("expected {wanted}, found {got:?}").into(),
    }
}

/// Which database engine is behind a [`Sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage interface the server is written against.
pub trait Sql: Send + Sync {
    fn backend(&self) -> Backend;
    /// Runs one statement; returns the number of rows it changed.
    fn execute<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>>;
    /// Runs one query; returns all its rows.
    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, sqlx::Error>>;
    /// Applies the embedded migrations that have not run yet.
    fn migrate(&self) -> BoxFuture<'_, Result<(), sqlx::Error>>;
    /// Closes the connection pool.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// Migrations per backend, in order; each runs once, in a transaction.
const SQLITE_MIGRATIONS: &[(i64, &str)] =
    &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];
const POSTGRES_MIGRATIONS: &[(i64, &str)] =
    &[(1, include_str!("../migrations/postgres/0001_init.sql"))];

/// Opens (creating if missing) the SQLite database at `path` in WAL mode.
pub async fn open_sqlite(path: &Path) -> Result<SqliteDb, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    Ok(SqliteDb(pool))
}

/// Connects to PostgreSQL at `url`.
pub async fn open_postgres(url: &str) -> Result<PgDb, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(PgDb(pool))
}

/// SQLite implementation of [`Sql`].
pub struct SqliteDb(pub SqlitePool);

/// PostgreSQL implementation of [`Sql`].
pub struct PgDb(pub PgPool);

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
                Value::Null => query.bind(None::<String>),
            };
        }
        query
    }};
}

fn decode_row<R: sqlx::Row>(row: &R) -> Row
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Row((0..row.columns().len())
        .map(|i| {
            if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                v.map_or(Value::Null, Value::Int)
            } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                v.map_or(Value::Null, Value::Text)
            } else {
                Value::Null
            }
        })
        .collect())
}

impl Sql for SqliteDb {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn execute<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let query = bind_all!(sqlx::query(sql), args);
            Ok(query.execute(&self.0).await?.rows_affected())
        })
    }

    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, sqlx::Error>> {
        Box::pin(async move {
            let query = bind_all!(sqlx::query(sql), args);
            Ok(query
                .fetch_all(&self.0)
                .await?
                .iter()
                .map(decode_row)
                .collect())
        })
    }

    fn migrate(&self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            sqlx::query(MIGRATION_TABLE).execute(&self.0).await?;
            for (version, script) in SQLITE_MIGRATIONS {
                let mut tx = self.0.begin().await?;
                let done: Option<i64> = sqlx::query_scalar(MIGRATION_DONE)
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
                if done.is_none() {
                    for statement in statements(script) {
                        sqlx::query(statement).execute(&mut *tx).await?;
                    }
                    sqlx::query(MIGRATION_RECORD)
                        .bind(*version)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.close())
    }
}

impl Sql for PgDb {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn execute<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let query = bind_all!(sqlx::query(sql), args);
            Ok(query.execute(&self.0).await?.rows_affected())
        })
    }

    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, sqlx::Error>> {
        Box::pin(async move {
            let query = bind_all!(sqlx::query(sql), args);
            Ok(query
                .fetch_all(&self.0)
                .await?
                .iter()
                .map(decode_row)
                .collect())
        })
    }

    fn migrate(&self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let mut tx = self.0.begin().await?;
            // Serialises concurrent starts of several server instances on one database.
            sqlx::query("SELECT pg_advisory_xact_lock(7318046)")
                .execute(&mut *tx)
                .await?;
            sqlx::query(MIGRATION_TABLE).execute(&mut *tx).await?;
            for (version, script) in POSTGRES_MIGRATIONS {
                let done: Option<i64> = sqlx::query_scalar(MIGRATION_DONE)
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
                if done.is_none() {
                    for statement in statements(script) {
                        sqlx::query(statement).execute(&mut *tx).await?;
                    }
                    sqlx::query(MIGRATION_RECORD)
                        .bind(*version)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.close())
    }
}

/// The statements of a migration script (`;`-separated; the scripts keep `;` out of literals).
fn statements(script: &str) -> impl Iterator<Item = &str> {
    script.split(';').filter(|chunk| {
        chunk.lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with("--")
        })
    })
}

const MIGRATION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS enrol_migrations (version BIGINT PRIMARY KEY)";
const MIGRATION_DONE: &str = "SELECT version FROM enrol_migrations WHERE version = $1";
const MIGRATION_RECORD: &str = "INSERT INTO enrol_migrations (version) VALUES ($1)";
