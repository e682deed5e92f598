//! What `nhi-emu` prints: the `up` banner (tests and scripts read the endpoints from it)
//! and control API replies.

use nhi_cli::say;
use nhi_emulator::reader::Slot;
use nhi_emulator::world::World;

/// What a slot holds, as the banner shows it.
fn card_in(slot: &Slot) -> String {
    match slot.describe() {
        Some((kind, label)) => format!("{kind:?} {label}"),
        None => "empty".into(),
    }
}

/// The `nhi-emu up` banner: every reader with its card, the COM port, the DC and the
/// control API; the last line is `Ctrl-C to stop`.
pub fn up_banner(w: &World) {
    say!("nhi-emu up");
    for s in &w.readers {
        let via = if w.endpoints.ifd.is_empty() {
            "vpcd"
        } else {
            "ifd"
        };
        say!(
            "  PC/SC reader {:24} ({via}) {}",
            format!("{:?}", s.name),
            card_in(&s.slot)
        );
    }
    if let Some(com) = w.endpoints.com_path() {
        for s in &w.com_slots {
            say!(
                "  COM reader  {:24} {} {}",
                format!("{:?}", s.name),
                com.display(),
                card_in(&s.slot)
            );
        }
        say!("  COM port    {} (protocol/docs/SERIAL.md)", com.display());
    } else if !w.com_slots.is_empty() {
        say!("  COM reader  not started: no pty on this system; name a port with --com-port (e.g. one end of a com0com pair)");
    }
    say!(
        "  DC          {} (CA: {})",
        w.dc.server.url(),
        w.ca_file.display()
    );
    if let Some(url) = w.control_url() {
        say!("  control API {url}");
        say!("  console     {url}/console/");
    }
    say!("Ctrl-C to stop");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}

/// A control API reply, pretty-printed; a refusal also goes to stderr as
/// `nhi-emu ctl: <status> <error>: <reason>`.
pub fn ctl_reply(status: u16, reply: &serde_json::Value) -> Result<(), serde_json::Error> {
    say!("{}", serde_json::to_string_pretty(reply)?);
    if !(200..300).contains(&status) {
        eprintln!(
            "nhi-emu ctl: {status} {}",
            nhi_emulator::control::client::refusal_text(reply)
        );
    }
    Ok(())
}
