//! `nhi-emu dev`: the whole stack in one process — DC, emulated cards, the reference
//! middleware on https://127.0.0.1:5066 over the in-process transport (the HC and HPC readers
//! with their PIN pads), and the console — with no pcscd and no pty.

use crate::Usage;
use nhi_cli::say;
use nhi_emulator::devstack::{DevOptions, DevStack, WEB_API};
use nhi_emulator::fixtures::{rfc3339, CardFactory, Fixtures};
use nhi_emulator::world::WorldConfig;
use std::process::ExitCode;
use std::sync::Arc;

/// What the command line gives `dev`.
pub struct DevArgs {
    pub config: Option<std::path::PathBuf>,
    pub frozen_at: Option<String>,
    pub port: u16,
}

pub async fn run(fixtures: Fixtures, args: DevArgs) -> Result<ExitCode, Usage> {
    let mut world = WorldConfig::load(args.config.as_deref()).map_err(Usage)?;
    if let Some(t) = args.frozen_at {
        world.frozen_at = Some(rfc3339(&t).map_err(|e| Usage(format!("frozen_at: {e}")))?);
    }
    let middleware_state = Some(world.db.with_extension("middleware"));
    let opts = DevOptions {
        world,
        web_api: std::net::SocketAddr::new(WEB_API.ip(), args.port),
        middleware_state,
    };
    let factory = Arc::new(CardFactory::test()?);
    let dev = DevStack::start(opts, Arc::new(fixtures), factory)
        .await
        .map_err(Usage)?;
    say!("nhi-emu dev");
    say!(
        "  Web API     {} (reference middleware, self-signed certificate)",
        dev.middleware.url
    );
    say!("  console     {}", dev.console_url());
    for s in &dev.world.readers {
        let card = s
            .slot
            .describe()
            .map(|(k, l)| format!("{k:?} {l}"))
            .unwrap_or_else(|| "empty".into());
        say!("  reader      {:24} {card}", format!("{:?}", s.name));
    }
    for (reader, _) in &dev.pads {
        say!(
            "  PIN pad     {:24} the console pops it up when the middleware asks (or `nhi-emu ctl --url {} pad`)",
            format!("{reader:?}"),
            dev.console.url()
        );
    }
    if dev.com_skipped > 0 {
        say!("  COM reader  left out: dev has no pty (use `nhi-emu up` for the COM-port reader)");
    }
    say!(
        "  DC          {} (CA: {})",
        dev.world.dc.server.url(),
        dev.world.ca_file.display()
    );
    say!("  control API {}", dev.console.url());
    say!("Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    drop(dev);
    Ok(ExitCode::SUCCESS)
}
