#![allow(clippy::unwrap_used, clippy::expect_used)]
// Loading the library and calling its C functions is `unsafe` by nature (see common/dll.rs).
#![allow(unsafe_code)]
//! The HIS-side PIN functions on the readers' PIN pads of `nhi-emu dev` (no pcscd): a
//! whole dev stack (DC over HTTPS and SQLite, the reference middleware over HTTPS on the
//! in-process transport, where the HC and the HPC reader each have a pad), a cloud SAM on
//! COM1, and the library called as HIS code calls it: `csInputHCPIN` (1.28) and
//! `csVerifyHCPIN` (1.27) on the HC reader's pad, `hpcVerifyHPCPIN` (4.2) and
//! `hpcUnlockHPC` (4.4) on the HPC reader's. The "person" arms the pad before each call
//! (what they will type when it asks), so no call waits on a clock.

mod common;

use common::dll::Dll;
use csHis::client::Client;
use csHis::config::Config;
use nhi_emulator::devstack::{DevOptions, DevStack};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::pin_pad::{PadAction, PinPad};
use nhi_emulator::world::standard_reader;
use nhi_protocol::api::{path, Method};
use serde_json::json;
use std::sync::Arc;

/// The dev stack with its runtime (its tasks run while HIS code calls in from this thread).
struct Dev {
    stack: DevStack,
    dir: std::path::PathBuf,
    _rt: tokio::runtime::Runtime,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Dev {
    /// The pad of the `role` reader (`hc`, `hpc`).
    fn pad(&self, role: &str) -> PinPad {
        let name = standard_reader(role).unwrap().name;
        let (_, pad) = self.stack.pads.iter().find(|(r, _)| r == name).unwrap();
        pad.clone()
    }
    /// The person at the `role` reader's pad does `action` when it next asks.
    fn arm(&self, role: &str, action: PadAction) {
        self.pad(role).arm(action).unwrap();
    }
    fn keys(&self, role: &str, keys: &str) {
        self.arm(role, PadAction::Keys(keys.to_string()));
    }
}

/// Starts `nhi-emu dev` on free ports and imports a cloud SAM of the demo institution
/// (Comport COM1) through the Web API.
fn start() -> Dev {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("nhi-cshis-dev-pad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stack = rt
        .block_on(DevStack::start(
            DevOptions::loopback(&dir),
            Arc::new(Fixtures::demo().unwrap()),
            Arc::new(CardFactory::test().unwrap()),
        ))
        .unwrap();
    let (file, content) = stack.world.dc.dc.issue_cloud_sam(common::HOSPITAL).unwrap();
    let web = Client::new(&Config {
        url: stack.middleware.url.clone(),
        ..Config::default()
    })
    .unwrap();
    let body = json!({ "fileName": file, "content": content });
    let (code, v) = web
        .call(Method::Post, path::CLOUD_SAM_ADD, Some(body))
        .unwrap();
    assert!(code.is_success(), "{v}");
    Dev {
        stack,
        dir,
        _rt: rt,
    }
}

#[test]
fn the_pin_functions_on_the_readers_pads() {
    let dev = start();
    std::env::set_var("NHI_CSHIS_URL", &dev.stack.middleware.url);
    let dll = Dll::load();
    assert_eq!(dll.open(0), 0);
    assert_eq!(dll.call0("csVerifySAMDC"), 0);
    let fixtures = Fixtures::demo().unwrap();
    assert!(
        fixtures.people[0].pin.is_none(),
        "the HC in the reader has no PIN"
    );

    // 1.28 csInputHCPIN: the new PIN twice on the HC reader's pad. A confirmation that
    // differs sets nothing (5102); then the PIN is set (csISSetPIN 1).
    dev.keys("hc", "135790#135791#");
    assert_eq!(dll.call0("csInputHCPIN"), 5102);
    assert_eq!(dll.call0("csISSetPIN"), 0);
    dev.keys("hc", "135790#135790#");
    assert_eq!(dll.call0("csInputHCPIN"), 0);
    assert_eq!(dll.call0("csISSetPIN"), 1);

    // 1.27 csVerifyHCPIN on an HC with a PIN, not verified yet: cancel and a wrong PIN are
    // 5102, the right PIN 0 — and then the HC signs (its PIN no longer missing).
    let person = fixtures.people.iter().find(|p| p.pin.is_some()).unwrap();
    let card = CardFactory::test().unwrap().hc(person).unwrap();
    let hc_reader = standard_reader("hc").unwrap().name;
    let slot = dev.stack.world.readers.iter().find(|r| r.name == hc_reader);
    slot.unwrap().slot.insert(Box::new(card));
    assert_eq!(dll.call0("csISSetPIN"), 1);
    dev.keys("hc", "12");
    dev.arm("hc", PadAction::Cancel);
    assert_eq!(dll.call0("csVerifyHCPIN"), 5102);
    dev.keys("hc", "999999#");
    assert_eq!(dll.call0("csVerifyHCPIN"), 5102, "wrong PIN");
    dev.keys("hc", &format!("{}#", person.pin.clone().unwrap()));
    assert_eq!(dll.call0("csVerifyHCPIN"), 0);

    // 4.4 hpcUnlockHPC after a lockout: three wrong PINs on the pad lock the HPC; then
    // the PUK and the new PIN twice. Cancel, a time-out and a wrong PUK are 5102.
    let doctor = &fixtures.hpcs[0];
    let wrong = if doctor.pin == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..3 {
        dev.keys("hpc", &format!("{wrong}#"));
        assert_eq!(dll.call0("hpcVerifyHPCPIN"), 5102);
    }
    dev.keys("hpc", &format!("{}#", doctor.pin));
    assert_eq!(dll.call0("hpcVerifyHPCPIN"), 5102, "locked");
    dev.arm("hpc", PadAction::Cancel);
    assert_eq!(dll.call0("hpcUnlockHPC"), 5102);
    dev.arm("hpc", PadAction::TimeOut);
    assert_eq!(dll.call0("hpcUnlockHPC"), 5102);
    let bad_puk = if doctor.puk == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    dev.keys("hpc", &format!("{bad_puk}#246810#246810#"));
    assert_eq!(dll.call0("hpcUnlockHPC"), 5102, "wrong PUK");
    dev.keys("hpc", &format!("{}#246810#246810#", doctor.puk));
    assert_eq!(dll.call0("hpcUnlockHPC"), 0);
    dev.keys("hpc", "246810#");
    assert_eq!(dll.call0("hpcVerifyHPCPIN"), 0, "the new PIN");
    assert_eq!(dll.f::<common::dll::FInt>("hisGetCardStatus")(3), 3);
    assert!(
        dev.stack.pads.iter().all(|(_, p)| !p.status().armed),
        "every armed action was used"
    );
    assert_eq!(dll.call0("csCloseCom"), 0);
    std::env::remove_var("NHI_CSHIS_URL");
}
