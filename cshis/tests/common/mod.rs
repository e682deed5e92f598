//! The stack HIS code runs against in these tests: the harness's emulated world (DC over
//! HTTPS, emulated readers, the reference middleware over HTTPS) with a cloud SAM of the
//! demo institution imported — so it has Comport COM1 — and an HC in the HC reader.

// Loading the library and calling its C functions is `unsafe` by nature (see dll.rs).
#[allow(unsafe_code)]
pub mod dll;

pub mod areas;

use nhi_emulator::fixtures::{CardFactory, Fixtures, HpcHolder, Person};
use nhi_emulator::reader::Slot;
use nhi_harness::world::{World, WorldOptions};
use nhi_protocol::api::path;
use serde_json::json;
use std::sync::Arc;

/// The demo institution the cloud SAM belongs to.
pub const HOSPITAL: &str = "7777777777";

/// `libcsHis.so`: cargo builds the cdylib into `deps/` beside the test.
#[allow(dead_code)]
pub fn so_path() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [deps, deps.parent().unwrap()]
        .iter()
        .map(|d| d.join("libcsHis.so"))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("libcsHis.so not built next to {}", exe.display()))
}

/// A running stack.
pub struct Stack {
    /// Keeps the world's tasks running while HIS code calls in from this thread.
    pub rt: tokio::runtime::Runtime,
    pub world: World,
    pub fixtures: Fixtures,
    pub factory: Arc<CardFactory>,
}

impl Stack {
    /// Starts the world and imports the cloud SAM (COM1).
    #[allow(dead_code)]
    pub fn start() -> Stack {
        Stack::start_with(&WorldOptions::default())
    }

    /// [`Stack::start`] with other world options (a transport).
    pub fn start_with(o: &WorldOptions) -> Stack {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fixtures = Fixtures::demo().unwrap();
        let factory = Arc::new(CardFactory::test().unwrap());
        let world = rt
            .block_on(World::start(&fixtures, factory.clone(), o))
            .unwrap();
        let (file, content) = world.dc.dc.issue_cloud_sam(HOSPITAL).unwrap();
        let add = rt.block_on(world.sut.call(
            "POST",
            path::CLOUD_SAM_ADD,
            Some(json!({ "fileName": file, "content": content })),
        ));
        assert_eq!(add.status.as_deref(), Some("0000"), "{:?}", add.reply);
        let list = rt.block_on(world.sut.call("GET", path::CLOUD_SAM_GET, None));
        assert_eq!(
            list.reply["cloudSams"][0]["comport"], "COM1",
            "{:?}",
            list.reply
        );
        assert!(world.sut.base().starts_with("https://"));
        Stack {
            rt,
            world,
            fixtures,
            factory,
        }
    }

    /// The demo person whose HC the visit reads.
    #[allow(dead_code)]
    pub fn patient(&self) -> &Person {
        self.fixtures
            .people
            .iter()
            .find(|p| p.name == "吳佳蓉")
            .unwrap()
    }

    /// Puts a SAM of the demo institution into the SAM reader, connects and verifies it,
    /// puts the first demo doctor's HPC into the HPC reader and verifies its PIN, all
    /// through the 6.0 API (a physical HC's data areas need a physical SAM, the medical
    /// area the HPC; the emulated readers have no PIN pad for `hpcVerifyHPCPIN`).
    #[allow(dead_code)]
    pub fn physical_sam_and_verified_hpc(&self) -> &HpcHolder {
        let hospital = self.fixtures.hospital(HOSPITAL).unwrap();
        let sam = self.factory.sam(hospital).unwrap();
        self.rt
            .block_on(self.world.insert(&self.world.slots.sam, Box::new(sam)))
            .unwrap();
        let call = |p: &str, body: serde_json::Value| {
            let r = self.rt.block_on(self.world.sut.call("POST", p, Some(body)));
            assert_eq!(r.status.as_deref(), Some("0000"), "{p}: {:?}", r.reply);
        };
        call(
            path::INITIAL,
            json!({ "deviceName": nhi_harness::world::READER_SAM }),
        );
        call(path::SAM_VERIFY, json!({}));
        let doctor = &self.fixtures.hpcs[0];
        self.insert_hpc(&self.world.slots.hpc, doctor);
        let pin = self.rt.block_on(self.world.sut.call(
            "POST",
            path::HPC_VERIFY,
            Some(json!({ "pin": doctor.pin })),
        ));
        assert_eq!(pin.status.as_deref(), Some("0000"), "{:?}", pin.reply);
        doctor
    }

    /// Puts `holder`'s HPC into `slot`.
    #[allow(dead_code)]
    pub fn insert_hpc(&self, slot: &Slot, holder: &HpcHolder) {
        let card = self
            .factory
            .hpc(holder, CardFactory::hpc_serial(holder))
            .unwrap();
        self.rt
            .block_on(self.world.insert(slot, Box::new(card)))
            .unwrap();
    }

    /// Puts a card into the HC reader.
    #[allow(dead_code)]
    pub fn insert_hc(&self, card: Box<dyn nhi_emulator::card::Card>) {
        self.rt
            .block_on(self.world.insert(&self.world.slots.hc, card))
            .unwrap();
    }
}
