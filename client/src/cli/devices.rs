//! `enrol devices`: scans 127.0.0.1 for SBI services and lists every device with its trust
//! verdict; `--trust-providers PEM` stores the device-provider CAs the desktop app trusts.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use clap::Args;
use enrol_client::sbi::{self, DiscoveryOptions, TrustedCas, Verdict};

use super::Context;

#[derive(Args)]
pub struct DevicesArgs {
    /// A device-provider CA certificate (PEM) to trust; repeatable
    #[arg(long = "trusted-ca", value_name = "PEM")]
    pub trusted_ca: Vec<PathBuf>,
    /// Ports to scan, FIRST-LAST
    #[arg(long, default_value = "4501-4600", value_parser = parse_ports)]
    pub ports: (u16, u16),
    /// Store these device-provider CA certificates (PEM) as the ones this machine trusts, in
    /// place of those stored before (supervisors; the desktop app captures with them)
    #[arg(
        long = "trust-providers",
        value_name = "PEM",
        conflicts_with = "trusted_ca"
    )]
    pub trust_providers: Option<PathBuf>,
}

pub(super) fn parse_ports(text: &str) -> Result<(u16, u16), String> {
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("bad port {p:?}"))
    };
    let (first, last) = (port(first)?, port(last)?);
    if first > last || first == 0 {
        return Err(format!("bad port range {text:?}"));
    }
    Ok((first, last))
}

/// Adds the device-provider CAs in `paths` (PEM files) to `trusted`.
pub(super) fn add_trusted_cas(trusted: &mut TrustedCas, paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        trusted
            .add_pem(&text)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Every device on the ports FIRST..=LAST, judged against `trusted`.
pub(super) fn discover((first, last): (u16, u16), trusted: &TrustedCas) -> sbi::Discovery {
    let options = DiscoveryOptions {
        ports: first..=last,
        ..DiscoveryOptions::default()
    };
    sbi::discover(&options, trusted)
}

pub fn run(context: &Context, args: DevicesArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.trust_providers {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let count = context.session()?.trust_device_providers(&pem)?;
        return context.print(
            &serde_json::json!({ "trusted_device_providers": count }),
            || format!("{count} device-provider CA certificate(s) trusted"),
        );
    }
    let mut trusted = TrustedCas::none();
    add_trusted_cas(&mut trusted, &args.trusted_ca)?;
    let found = discover(args.ports, &trusted);
    context.print(&found, || {
        let mut lines = Vec::new();
        for device in &found.devices {
            let (kind, subtype, serial) =
                device.digital_id.as_ref().map_or(("?", "?", "?"), |id| {
                    (
                        id.bio_type.as_str(),
                        id.device_sub_type.as_str(),
                        id.serial_no.as_str(),
                    )
                });
            let verdict = match &device.verdict {
                Verdict::Trusted => "trusted".to_owned(),
                Verdict::Rejected { code, reason } => format!("rejected [{code}] {reason}"),
            };
            let status = serde_json::to_value(device.info.device_status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            lines.push(format!(
                "{:<5} {:<6} {:<9} {:<14} {:<18} sub-ids {:<7} {verdict}",
                device.port,
                kind,
                subtype,
                status,
                serial,
                device.info.device_sub_id.join(","),
            ));
        }
        for problem in &found.problems {
            lines.push(format!(
                "{:<5} not an SBI service: {} [{}]",
                problem.port, problem.reason, problem.code
            ));
        }
        if lines.is_empty() {
            lines.push(format!(
                "no SBI devices on 127.0.0.1:{}-{}",
                args.ports.0, args.ports.1
            ));
        }
        lines.join("\n")
    })
}
