//! `enrol-bridge`: command line entry point (serve the SBI, list devices, print the CA, run a
//! simulated R30x sensor on a pty).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use enrol_bridge::device::DeviceKind;
use enrol_bridge::http::{self, AppState};
use enrol_bridge::keys::KeyStore;
use enrol_bridge::r30x::{R30xDevice, SimulatedSensor};
use enrol_bridge::service::{Bridge, BridgeConfig};
use enrol_bridge::simulator::{Fault, SimControl, SimSettings};
use enrol_bridge::transport::serial::{SerialTransport, pty_pair};
use enrol_bridge::transport::usb::{self, Support};

#[derive(Parser)]
#[command(
    name = "enrol-bridge",
    version,
    about = "SBI 0.9.5 device bridge on 127.0.0.1:4501-4600"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the SBI service (the default).
    Serve(ServeArgs),
    /// List the devices the bridge would serve.
    Devices(ServeArgs),
    /// Print the device-provider CA certificate (PEM) to register as trusted on the server.
    CaCert(DataDirArg),
    /// Serve a simulated R30x fingerprint module on a new pseudo-terminal and print its path.
    SimSensor {
        /// Image quality of the simulated finger, 0-100.
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u8).range(0..=100))]
        quality: u8,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args, Clone)]
struct DataDirArg {
    /// Where keys and certificates live (default: $ENROL_BRIDGE_DATA or ~/.local/share/enrol-bridge).
    #[arg(long, env = "ENROL_BRIDGE_DATA")]
    data_dir: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Simulated devices: finger-slap, finger-single, iris, face (comma separated).
    #[arg(long, value_delimiter = ',')]
    simulate: Vec<String>,
    /// Seed of the simulator's synthetic images.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated image quality, 0-100.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u8).range(0..=100))]
    quality: u8,
    /// Simulated time per frame in milliseconds.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Simulated fault: none, unplug, timeout, low-quality.
    #[arg(long, default_value = "none")]
    fault: String,
    /// R30x / ZFM / AS608 fingerprint modules on these serial ports (repeatable).
    #[arg(long)]
    serial: Vec<String>,
    /// Baud rate of the serial modules.
    #[arg(long, default_value_t = enrol_bridge::r30x::DEFAULT_BAUD)]
    baud: u32,
    /// Port to bind on 127.0.0.1 (default: the first free one in 4501-4600).
    #[arg(long)]
    port: Option<u16>,
    /// The env the devices report (Staging, Developer, Pre-Production, Production).
    #[arg(long, default_value = "Developer")]
    env: String,
    #[command(flatten)]
    data: DataDirArg,
}

fn data_dir(arg: &DataDirArg) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &arg.data_dir {
        return Ok(dir.clone());
    }
    let home = std::env::var_os("HOME").context("HOME is not set; pass --data-dir")?;
    Ok(PathBuf::from(home).join(".local/share/enrol-bridge"))
}

fn build_bridge(args: &ServeArgs, port: u16) -> anyhow::Result<Bridge> {
    let dir = data_dir(&args.data)?;
    let keys = KeyStore::open(&dir)
        .with_context(|| format!("opening the key store in {}", dir.display()))?;
    let mut config = BridgeConfig::new(port);
    if !["Staging", "Developer", "Pre-Production", "Production"].contains(&args.env.as_str()) {
        bail!("unknown env {:?}", args.env);
    }
    config.env = args.env.clone();
    let mut bridge = Bridge::new(keys, config);
    let kinds = args
        .simulate
        .iter()
        .map(|name| {
            DeviceKind::from_cli_name(name)
                .with_context(|| format!("unknown simulated device {name:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !kinds.is_empty() {
        let fault =
            Fault::parse(&args.fault).with_context(|| format!("unknown fault {:?}", args.fault))?;
        let control = SimControl::new(SimSettings {
            quality: args.quality,
            latency_ms: args.latency_ms,
            fault,
            seed: args.seed,
        });
        bridge
            .attach_simulated(&kinds, control)
            .context("creating simulated device keys")?;
    }
    for path in &args.serial {
        let transport =
            SerialTransport::open(path, args.baud).with_context(|| format!("opening {path}"))?;
        let device = R30xDevice::connect(transport, path)
            .with_context(|| format!("no R30x module answering on {path}"))?;
        bridge
            .attach(Arc::new(device))
            .context("creating the serial device's key")?;
    }
    Ok(bridge)
}

fn print_usb() {
    let found = usb::survey(&usb::NusbLister);
    if let Some(problem) = &found.problem {
        println!("usb: {problem}");
    }
    for (device, name, support) in &found.devices {
        let label = name
            .or(device.product.as_deref())
            .unwrap_or("unknown device");
        match support {
            Support::Supported { driver, how } => {
                println!(
                    "usb {:04x}:{:04x} {label}: supported by {driver} ({how})",
                    device.vendor_id, device.product_id
                )
            }
            Support::Unsupported { reason } => {
                println!(
                    "usb {:04x}:{:04x} {label}: unsupported: {reason}",
                    device.vendor_id, device.product_id
                )
            }
            Support::NotBiometric => {}
        }
    }
}

fn print_devices(bridge: &Bridge) {
    for slot in bridge.registry.all() {
        let d = slot.driver.descriptor();
        println!(
            "{:>3}  {:<14} {:<10} {:<14} {:<16} {:?}",
            slot.device_id,
            d.kind.cli_name(),
            d.driver,
            d.serial_no,
            d.model,
            slot.status()
        );
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let listener = http::bind(args.port).await.context("binding 127.0.0.1")?;
    let port = listener.local_addr()?.port();
    let bridge = build_bridge(&args, port)?;
    if bridge.registry.all().is_empty() {
        eprintln!("note: no devices attached; use --simulate finger-slap,iris,face,finger-single");
    }
    println!("enrol-bridge listening on http://127.0.0.1:{port}/");
    print_devices(&bridge);
    print_usb();
    if let Err(problem) = usb::watch(|event| eprintln!("{event}")) {
        println!("usb hot-plug: {problem}");
    }
    let mut events = bridge.registry.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            eprintln!("device {event:?}");
        }
    });
    let state = AppState::new(Arc::new(bridge));
    http::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    match cli.command {
        None => runtime.block_on(serve(cli.serve)),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::Devices(args)) => {
            let bridge = build_bridge(&args, 0)?;
            print_devices(&bridge);
            print_usb();
            Ok(())
        }
        Some(Command::SimSensor { quality, seed }) => {
            let (mut sensor_end, _client_end, path) =
                pty_pair().context("creating a pseudo-terminal")?;
            println!("{path}");
            std::io::Write::flush(&mut std::io::stdout())?;
            SimulatedSensor::new(quality, seed)
                .serve(&mut sensor_end)
                .context("serving the simulated sensor")
        }
        Some(Command::CaCert(arg)) => {
            let dir = data_dir(&arg)?;
            let keys =
                KeyStore::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
            print!("{}", keys.ca_certificate_pem()?);
            Ok(())
        }
    }
}
