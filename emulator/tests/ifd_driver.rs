//! nhi-ifd's driver core against nhi-emu's ifd endpoint over real TCP, without pcscd:
//! presence, event waits, power, APDUs bound to the card they were powered for, the PIN
//! pad, and what happens when the emulator goes away.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::ifd::{IfdEndpoint, IfdReader};
use nhi_emulator::reader::ifd_pin::PinPad;
use nhi_emulator::reader::Slot;
use nhi_ifd::driver::{self, action, rc};
use std::time::{Duration, Instant};

fn hc() -> Box<dyn nhi_emulator::card::Card> {
    let f = Fixtures::demo().unwrap();
    Box::new(CardFactory::test().unwrap().hc(&f.people[0]).unwrap())
}

/// A reader index per test: the driver's registry is process-wide.
fn lun(reader: u64, slot: u64) -> u64 {
    (reader << 16) | slot
}

#[test]
fn presence_power_and_apdus() {
    let (card, sam) = (Slot::empty(), Slot::empty());
    card.insert(hc());
    let ep = IfdEndpoint::start(
        ([127, 0, 0, 1], 0).into(),
        IfdReader::new(vec![card.clone(), sam.clone()], None).unwrap(),
    )
    .unwrap();
    assert_eq!(driver::create(lun(1, 0), ep.addr()), rc::SUCCESS);
    assert_eq!(driver::presence(lun(1, 0)), rc::ICC_PRESENT);
    assert_eq!(driver::presence(lun(1, 1)), rc::ICC_NOT_PRESENT);
    assert_eq!(driver::presence(lun(1, 2)), rc::NO_SUCH_DEVICE);
    let atr = driver::power(lun(1, 0), action::POWER_UP).unwrap();
    assert_eq!(atr, nhi_protocol::apdu::ATR_HC);
    assert_eq!(
        driver::transmit(lun(1, 0), &nhi_protocol::apdu::select_hc()).unwrap(),
        vec![0x90, 0x00]
    );
    // Swapped under the powered card: its APDUs fail, the next presence reports the gap.
    card.insert(hc());
    assert_eq!(
        driver::transmit(lun(1, 0), &nhi_protocol::apdu::select_hc()),
        Err(rc::ICC_NOT_PRESENT)
    );
    assert_eq!(driver::presence(lun(1, 0)), rc::ICC_NOT_PRESENT);
    assert_eq!(driver::presence(lun(1, 0)), rc::ICC_PRESENT);
    // The emulator goes away: no card, no crash, IFD error codes.
    drop(ep);
    assert_eq!(driver::presence(lun(1, 0)), rc::ICC_NOT_PRESENT);
    assert!(driver::power(lun(1, 0), action::POWER_UP).is_err());
    assert_eq!(driver::close(lun(1, 0)), rc::SUCCESS);
    assert_eq!(driver::presence(lun(1, 0)), rc::NO_SUCH_DEVICE);
}

#[test]
fn the_polling_function_returns_at_an_insert() {
    let card = Slot::empty();
    let ep = IfdEndpoint::start(
        ([127, 0, 0, 1], 0).into(),
        IfdReader::new(vec![card.clone()], None).unwrap(),
    )
    .unwrap();
    assert_eq!(driver::create(lun(2, 0), ep.addr()), rc::SUCCESS);
    assert_eq!(driver::presence(lun(2, 0)), rc::ICC_NOT_PRESENT);
    let inserter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        card.insert(hc());
    });
    let started = Instant::now();
    assert_eq!(driver::poll(lun(2, 0), 5_000), rc::SUCCESS);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "woke only at the time-out"
    );
    inserter.join().unwrap();
    assert_eq!(driver::presence(lun(2, 0)), rc::ICC_PRESENT);
    driver::close(lun(2, 0));
}

#[test]
fn feature_request_lists_the_pad_only_where_there_is_one() {
    let (a, b) = (Slot::empty(), Slot::empty());
    let with = IfdEndpoint::start(
        ([127, 0, 0, 1], 0).into(),
        IfdReader::new(vec![a], Some(PinPad::new())).unwrap(),
    )
    .unwrap();
    let without = IfdEndpoint::start(
        ([127, 0, 0, 1], 0).into(),
        IfdReader::new(vec![b], None).unwrap(),
    )
    .unwrap();
    driver::create(lun(3, 0), with.addr());
    driver::create(lun(4, 0), without.addr());
    let code = u64::from(nhi_ifd::pinpad::CM_IOCTL_GET_FEATURE_REQUEST);
    assert_eq!(driver::control(lun(3, 0), code, &[]).unwrap().len(), 18);
    assert!(driver::control(lun(4, 0), code, &[]).unwrap().is_empty());
    assert_eq!(
        driver::control(lun(4, 0), 0x4200_1234, &[]),
        Err(rc::ERROR_NOT_SUPPORTED)
    );
    driver::close(lun(3, 0));
    driver::close(lun(4, 0));
}
