//! The storage trait: a minimal SQL interface (run a statement, fetch rows) with a SQLite
//! implementation (rusqlite, the same SQLite build as the client's, on blocking threads) and a
//! PostgreSQL one (sqlx), and embedded migrations for each. Every query in the server is written
//! once in the common dialect (`$n` placeholders, BIGINT and TEXT columns only).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

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
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(decode_error(i, "integer", other)),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, DbError> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(decode_error(i, "text", other)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
}

fn decode_error(i: usize, wanted: &str, got: Option<&Value>) -> DbError {
    DbError::Decode(format!("column {i}: expected {wanted}, found {got:?}"))
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("postgresql: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unexpected column value: {0}")]
    Decode(String),
    #[error("sqlite worker stopped")]
    Worker,
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
    ) -> BoxFuture<'a, Result<u64, DbError>>;
    /// Runs one query; returns all its rows.
    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, DbError>>;
    /// Runs `statements` in order in one transaction (all or none); returns each one's rows.
    fn transaction<'a>(
        &'a self,
        statements: &'a [(&'a str, Vec<Value>)],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, DbError>>;
    /// Applies the embedded migrations that have not run yet.
    fn migrate(&self) -> BoxFuture<'_, Result<(), DbError>>;
    /// Closes the connection pool.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// Migrations per backend, in order; each runs once, in a transaction.
const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_pipeline.sql")),
    (3, include_str!("../migrations/sqlite/0003_onboarding.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_pipeline.sql")),
    (
        3,
        include_str!("../migrations/postgres/0003_onboarding.sql"),
    ),
];

/// Connections kept open to the SQLite database for reading; writes go through one more, so
/// writers queue in order here instead of in SQLite's sleeping busy handler.
const SQLITE_READERS: usize = 3;

fn sqlite_connection(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Opens (creating if missing) the SQLite database at `path` in WAL mode.
pub async fn open_sqlite(path: &Path) -> Result<SqliteDb, DbError> {
    let path: PathBuf = path.to_owned();
    let mut conns = tokio::task::spawn_blocking(move || {
        (0..=SQLITE_READERS)
            .map(|_| sqlite_connection(&path))
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .await
    .map_err(|_| DbError::Worker)??;
    let writer = conns.split_off(SQLITE_READERS);
    Ok(SqliteDb {
        readers: Pool::new(conns),
        writer: Pool::new(writer),
    })
}

/// Idle connections and a permit per connection.
struct Pool {
    idle: Arc<Mutex<Vec<rusqlite::Connection>>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    fn new(conns: Vec<rusqlite::Connection>) -> Pool {
        Pool {
            permits: Arc::new(tokio::sync::Semaphore::new(conns.len())),
            idle: Arc::new(Mutex::new(conns)),
        }
    }

    /// Runs `work` on an idle connection on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, DbError> {
        let _permit = self.permits.acquire().await.map_err(|_| DbError::Worker)?;
        let idle = self.idle.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .ok_or(DbError::Worker)?;
            let result = work(&mut conn);
            idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            Ok(result?)
        })
        .await
        .map_err(|_| DbError::Worker)?
    }

    fn close(&self) {
        self.permits.close();
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// Connects to PostgreSQL at `url`.
pub async fn open_postgres(url: &str) -> Result<PgDb, DbError> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(PgDb(pool))
}

/// SQLite implementation of [`Sql`]: a few reading connections and one writing connection,
/// each used on a blocking thread.
pub struct SqliteDb {
    readers: Pool,
    writer: Pool,
}

impl SqliteDb {
    /// The pool a statement runs on: the writer unless it only reads.
    fn pool_for(&self, sql: &str) -> &Pool {
        let verb = sql.trim_start().get(..6).unwrap_or_default();
        if verb.eq_ignore_ascii_case("SELECT") {
            &self.readers
        } else {
            &self.writer
        }
    }
}

/// Prepares `sql` and binds `args` by the number in each `$n` placeholder.
fn sqlite_statement<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
    args: &[Value],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql)?;
    for index in 1..=stmt.parameter_count() {
        let arg = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, args.len()))?;
        match arg {
            Value::Int(v) => stmt.raw_bind_parameter(index, v)?,
            Value::Text(v) => stmt.raw_bind_parameter(index, v)?,
            Value::Null => stmt.raw_bind_parameter(index, rusqlite::types::Null)?,
        }
    }
    Ok(stmt)
}

/// Runs one statement and collects its rows (none for most writes).
fn sqlite_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[Value],
) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = sqlite_statement(conn, sql, args)?;
    let columns = stmt.column_count();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns)
            .map(|i| row.get_ref(i).map(sqlite_value))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(Row(values));
    }
    Ok(out)
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Null | ValueRef::Real(_) | ValueRef::Blob(_) => Value::Null,
    }
}

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

fn decode_row(row: &sqlx::postgres::PgRow) -> Row {
    use sqlx::Row as _;
    Row((0..row.len())
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
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        let (sql, args) = (sql.to_owned(), args.to_vec());
        Box::pin(self.pool_for(&sql).run(move |conn| {
            let mut stmt = sqlite_statement(conn, &sql, &args)?;
            Ok(stmt.raw_execute()? as u64)
        }))
    }

    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, DbError>> {
        let (sql, args) = (sql.to_owned(), args.to_vec());
        Box::pin(
            self.pool_for(&sql)
                .run(move |conn| sqlite_rows(conn, &sql, &args)),
        )
    }

    fn transaction<'a>(
        &'a self,
        statements: &'a [(&'a str, Vec<Value>)],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, DbError>> {
        let statements: Vec<(String, Vec<Value>)> = statements
            .iter()
            .map(|(sql, args)| ((*sql).to_owned(), args.clone()))
            .collect();
        Box::pin(self.writer.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(statements.len());
            for (sql, args) in &statements {
                out.push(sqlite_rows(&tx, sql, args)?);
            }
            tx.commit()?;
            Ok(out)
        }))
    }

    fn migrate(&self) -> BoxFuture<'_, Result<(), DbError>> {
        Box::pin(self.writer.run(|conn| {
            conn.execute_batch(MIGRATION_TABLE)?;
            for (version, script) in SQLITE_MIGRATIONS {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let done = tx.prepare(MIGRATION_DONE)?.exists([version])?;
                if !done {
                    tx.execute_batch(script)?;
                    tx.execute(MIGRATION_RECORD, [version])?;
                }
                tx.commit()?;
            }
            Ok(())
        }))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.readers.close();
            self.writer.close();
        })
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
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        Box::pin(async move {
            let query = bind_all!(sqlx::query(sql), args);
            Ok(query.execute(&self.0).await?.rows_affected())
        })
    }

    fn fetch<'a>(
        &'a self,
        sql: &'a str,
        args: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, DbError>> {
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

    fn transaction<'a>(
        &'a self,
        statements: &'a [(&'a str, Vec<Value>)],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, DbError>> {
        Box::pin(async move {
            let mut tx = self.0.begin().await?;
            let mut out = Vec::with_capacity(statements.len());
            for (sql, args) in statements {
                let query = bind_all!(sqlx::query(sql), args);
                out.push(
                    query
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(decode_row)
                        .collect(),
                );
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    fn migrate(&self) -> BoxFuture<'_, Result<(), DbError>> {
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
            Ok(tx.commit().await?)
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
