//! Server configuration: one typed struct, layered defaults < TOML file < environment < command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that set configuration fields (`ENROL_SYNC_LISTEN`, …).
pub const ENV_PREFIX: &str = "ENROL_SYNC_";

/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory holding the embedded database, the packet blobs and the in-flight uploads.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; when absent, SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Bearer token of the admin API; when absent, one is generated into `data_dir/admin-token`.
    pub admin_token: Option<String>,
    /// Largest accepted packet, in bytes.
    pub max_packet_size: u64,
    /// Seconds an unfinished upload is kept after its last change.
    pub upload_expiry_secs: u64,
    /// Seconds between sweeps of expired uploads and nonces.
    pub sweep_interval_secs: u64,
    /// Largest accepted JSON body, in bytes.
    pub max_json_size: usize,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Bearer token of the pipeline API (`/v1/pipeline`); `enrol-sync admin pipeline-token` makes
    /// another one that is kept as a digest in the database.
    pub pipeline_token: Option<String>,
    /// `nats://…` to publish the outbox to NATS JetStream as well (the pull feed stays).
    pub pipeline_nats_url: Option<String>,
    /// The JetStream stream (created when missing) receiving the outbox.
    pub pipeline_nats_stream: String,
    /// The subject each accepted packet is published on.
    pub pipeline_nats_subject: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8420)),
            data_dir: PathBuf::from("enrol-sync-data"),
            database_url: None,
            admin_token: None,
            max_packet_size: 5 * 1024 * 1024,
            upload_expiry_secs: 24 * 3600,
            sweep_interval_secs: 300,
            max_json_size: 2 * 1024 * 1024,
            log_json: false,
            pipeline_token: None,
            pipeline_nats_url: None,
            pipeline_nats_stream: "ENROL_PACKETS".into(),
            pipeline_nats_subject: "enrol.packets".into(),
        }
    }
}

impl Config {
    /// Layers the optional TOML file, then the environment, then `overrides` (`key = value`
    /// pairs from the command line) over the defaults.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[(String, String)],
    ) -> anyhow::Result<Config> {
        let mut table = toml::Table::try_from(Config::default()).context("encoding defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            let from_file: toml::Table = toml::from_str(&text)
                .with_context(|| format!("parsing config file {}", path.display()))?;
            table.extend(from_file);
        }
        for (key, value) in env {
            if let Some(field) = key.strip_prefix(ENV_PREFIX)
                && field != "CONFIG"
            {
                table.insert(field.to_ascii_lowercase(), scalar(&value));
            }
        }
        for (key, value) in overrides {
            table.insert(key.replace('-', "_"), scalar(value));
        }
        table
            .try_into()
            .context("invalid configuration (check names and types)")
    }

    /// Path of the SQLite database used when no database URL is set.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("enrol-sync.db")
    }
}

/// Reads a scalar the way TOML would (numbers, booleans), falling back to a plain string.
fn scalar(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table() && !v.is_array())
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sync.toml");
        std::fs::write(
            &file,
            "max_packet_size = 100\nlisten = \"0.0.0.0:9000\"\nlog_json = true\n",
        )
        .unwrap();
        let env = [
            ("ENROL_SYNC_MAX_PACKET_SIZE".to_string(), "200".to_string()),
            (
                "ENROL_SYNC_DATABASE_URL".to_string(),
                "postgres://x/y".to_string(),
            ),
            ("OTHER".to_string(), "ignored".to_string()),
        ];
        let cli = [("data-dir".to_string(), "/srv/enrol".to_string())];
        let config = Config::load(Some(&file), env, &cli).unwrap();
        assert_eq!(config.max_packet_size, 200);
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert!(config.log_json);
        assert_eq!(config.database_url.as_deref(), Some("postgres://x/y"));
        assert_eq!(config.data_dir, PathBuf::from("/srv/enrol"));
        assert_eq!(
            config.upload_expiry_secs,
            Config::default().upload_expiry_secs
        );
    }

    #[test]
    fn unknown_or_mistyped_settings_are_refused() {
        let env = [("ENROL_SYNC_MAX_PACKET_SIZE".to_string(), "big".to_string())];
        assert!(Config::load(None, env, &[]).is_err());
        let cli = [("no_such_setting".to_string(), "1".to_string())];
        assert!(Config::load(None, [], &cli).is_err());
    }
}
