//! A real card that answers one command wrongly, for negative tests of a client's checks:
//! a failure status word (a signature that does not come out, a PIN that will not change),
//! or a *malformed* successful answer — data cut short, extended, replaced, or sent with a
//! warning status word — that only a client checking the card's answer catches.

use super::{status, Card, CardKind, CardRng};
use nhi_protocol::apdu::{split_response, sw, Command};

/// The commands a [`Tampered`] card answers wrongly: one INS, narrowed by P1 and P2 when
/// given (GET DATA's tag is its P1, READ BINARY's offset its P1‖P2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    ins: u8,
    p1: Option<u8>,
    p2: Option<u8>,
}

impl Target {
    /// Every command with this INS.
    pub const fn ins(ins: u8) -> Target {
        Target {
            ins,
            p1: None,
            p2: None,
        }
    }
    /// Only those of them with this P1.
    pub const fn p1(self, p1: u8) -> Target {
        Target {
            p1: Some(p1),
            ..self
        }
    }
    /// Only those of them with this P2.
    pub const fn p2(self, p2: u8) -> Target {
        Target {
            p2: Some(p2),
            ..self
        }
    }
    fn matches(&self, c: &Command<'_>) -> bool {
        c.ins == self.ins && self.p1.is_none_or(|p| p == c.p1) && self.p2.is_none_or(|p| p == c.p2)
    }
}

/// How a [`Tampered`] card answers its [`Target`]. Every answer but [`Answer::Status`]
/// first lets the real card run the command (what it writes stays written) and changes
/// only a successful (90 00) answer — or, for [`Answer::FailureAs`], only a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// This status word alone, without running the command (nothing on the card changes).
    Status(u16),
    /// The real data, with this status word instead of 90 00.
    DataWith(u16),
    /// The real data cut to its first `n` bytes, with 90 00.
    Truncated(usize),
    /// The real data followed by these bytes, with 90 00.
    Extended(&'static [u8]),
    /// These bytes instead of the real data, with 90 00.
    Replaced(&'static [u8]),
    /// The real answer when it succeeds; a failure with this status word instead of the
    /// real one (another card's way of saying the same thing).
    FailureAs(u16),
}

impl Answer {
    /// The R-APDU for the real card's answer `real` (data ‖ SW).
    fn reshape(self, real: Vec<u8>) -> Vec<u8> {
        let data = match (split_response(&real), self) {
            (Some((_, sw::OK)), Answer::FailureAs(_)) => return real,
            (_, Answer::FailureAs(sw)) => return status(sw),
            (Some((data, sw::OK)), _) => data,
            _ => return real,
        };
        let (data, sw): (Vec<u8>, u16) = match self {
            Answer::Status(sw) | Answer::FailureAs(sw) => return status(sw),
            Answer::DataWith(sw) => (data.to_vec(), sw),
            Answer::Truncated(n) => (data.iter().take(n).copied().collect(), sw::OK),
            Answer::Extended(more) => ([data, more].concat(), sw::OK),
            Answer::Replaced(with) => (with.to_vec(), sw::OK),
        };
        [data, sw.to_be_bytes().to_vec()].concat()
    }
}

/// A real card that answers one kind of command wrongly (see [`Answer`]).
pub struct Tampered {
    inner: Box<dyn Card>,
    target: Target,
    answer: Answer,
    what: &'static str,
}

impl std::fmt::Debug for Tampered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tampered")
            .field("card", &self.inner.label())
            .field("what", &self.what)
            .finish()
    }
}

impl Tampered {
    /// `inner`, except that commands matching `target` get `answer`; `what` names the fault
    /// in the card's label.
    pub fn new(
        inner: Box<dyn Card>,
        target: Target,
        answer: Answer,
        what: &'static str,
    ) -> Tampered {
        Tampered {
            inner,
            target,
            answer,
            what,
        }
    }
}

impl Card for Tampered {
    fn atr(&self) -> &'static [u8] {
        self.inner.atr()
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        match (Command::parse(apdu), self.answer) {
            (Ok(c), Answer::Status(sw)) if self.target.matches(&c) => status(sw),
            (Ok(c), answer) if self.target.matches(&c) => answer.reshape(self.inner.handle(apdu)),
            _ => self.inner.handle(apdu),
        }
    }
    fn kind(&self) -> CardKind {
        self.inner.kind()
    }
    fn label(&self) -> String {
        format!("{} ({})", self.inner.label(), self.what)
    }
    fn reseed(&mut self, source: CardRng) {
        self.inner.reseed(source);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nhi_protocol::apdu::ins;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A card that answers `0A 0B 0C` to GET DATA, `6A 82` to everything else, and counts
    /// the commands it ran.
    struct Echo(Arc<AtomicUsize>);

    impl Card for Echo {
        fn atr(&self) -> &'static [u8] {
            &[0x3B]
        }
        fn reset(&mut self) {}
        fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if apdu.get(1) == Some(&ins::GET_DATA) {
                vec![0x0A, 0x0B, 0x0C, 0x90, 0x00]
            } else {
                status(sw::NOT_FOUND)
            }
        }
        fn kind(&self) -> CardKind {
            CardKind::Hc
        }
        fn label(&self) -> String {
            "echo".into()
        }
    }

    /// The tampered card and the count of commands its real card ran.
    fn tampered(target: Target, answer: Answer) -> (Tampered, Arc<AtomicUsize>) {
        let ran = Arc::new(AtomicUsize::new(0));
        let card = Tampered::new(Box::new(Echo(ran.clone())), target, answer, "test");
        (card, ran)
    }

    #[test]
    fn each_answer_changes_only_the_targeted_commands_success() {
        let get_12 = [0, ins::GET_DATA, 0x12, 0, 0];
        let get_13 = [0, ins::GET_DATA, 0x13, 0, 0];
        let target = Target::ins(ins::GET_DATA).p1(0x12);
        let cases: [(Answer, &[u8]); 5] = [
            (Answer::Status(0x6F00), &[0x6F, 0x00]),
            (Answer::DataWith(0x6281), &[0x0A, 0x0B, 0x0C, 0x62, 0x81]),
            (Answer::Truncated(1), &[0x0A, 0x90, 0x00]),
            (
                Answer::Extended(b"x"),
                &[0x0A, 0x0B, 0x0C, b'x', 0x90, 0x00],
            ),
            (Answer::Replaced(b"yz"), &[b'y', b'z', 0x90, 0x00]),
        ];
        for (answer, want) in cases {
            let (mut card, _) = tampered(target, answer);
            assert_eq!(card.handle(&get_12), want, "{answer:?}");
            assert_eq!(card.handle(&get_13), [0x0A, 0x0B, 0x0C, 0x90, 0x00]);
        }
    }

    #[test]
    fn a_status_fault_never_reaches_the_card_a_reshaped_answer_does() {
        let target = Target::ins(ins::PSO).p2(0x9A);
        let pso = [0, ins::PSO, 0x9E, 0x9A, 1, 7];
        let (mut card, ran) = tampered(target, Answer::Status(0x6F00));
        assert_eq!(card.handle(&pso), [0x6F, 0x00]);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert_eq!(card.handle(&[0, ins::PSO, 0x9E, 0x9B, 1, 7]), [0x6A, 0x82]);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(card.label(), "echo (test)");
        let (mut card, ran) = tampered(target, Answer::Truncated(0));
        // The real card ran it, and its failure (6A 82) is passed on as it was.
        assert_eq!(card.handle(&pso), [0x6A, 0x82]);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        // Bytes that are no C-APDU go to the real card.
        assert_eq!(card.handle(&[1]), [0x6A, 0x82]);
        // A failure told another way; a success passes.
        let (mut card, _) = tampered(Target::ins(ins::PSO), Answer::FailureAs(0x6A86));
        assert_eq!(card.handle(&pso), [0x6A, 0x86]);
        let (mut card, _) = tampered(Target::ins(ins::GET_DATA), Answer::FailureAs(0x6A86));
        assert_eq!(
            card.handle(&[0, ins::GET_DATA, 1, 0, 0]),
            [0x0A, 0x0B, 0x0C, 0x90, 0]
        );
    }
}
