//! The world's side of real pcscd: a reader monitor that keeps pcscd polling (as a
//! desktop's smart-card service does) and the embedded middleware's PC/SC transport —
//! over nhi-ifd with its readers shown under the standard names the scenario files use.

use std::sync::Arc;

/// Per reader: card present, presence changes seen, pcscd's event counter.
#[cfg(feature = "pcsc")]
type Seen = Arc<std::sync::Mutex<std::collections::HashMap<String, (bool, u64, u32)>>>;

/// Watches the readers with SCardGetStatusChange, as a desktop's smart-card service does:
/// pcsc-lite polls card presence for clients that wait on status changes.
#[cfg(feature = "pcsc")]
pub struct ReaderMonitor {
    seen: Seen,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[cfg(feature = "pcsc")]
impl ReaderMonitor {
    pub(super) fn start(names: Vec<String>) -> Result<ReaderMonitor, String> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| format!("pcscd: {e} (start it with `bash ci/setup-pcsc`)"))?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let seen: Seen = Default::default();
        let seen2 = seen.clone();
        let thread = std::thread::spawn(move || {
            let fresh = || -> Vec<pcsc::ReaderState> {
                names
                    .iter()
                    .filter_map(|n| std::ffi::CString::new(n.as_str()).ok())
                    .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE))
                    .collect()
            };
            let mut states = fresh();
            let mut ctx = ctx;
            while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                match ctx.get_status_change(std::time::Duration::from_millis(100), &mut states) {
                    Ok(()) | Err(pcsc::Error::Timeout) => {}
                    Err(_) => {
                        // pcscd restarted (or went away): a new context, states from scratch.
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        if let Ok(c) = pcsc::Context::establish(pcsc::Scope::User) {
                            ctx = c;
                            states = fresh();
                        }
                        continue;
                    }
                }
                let mut seen = seen2.lock().unwrap_or_else(|p| p.into_inner());
                for st in &mut states {
                    let present = st.event_state().contains(pcsc::State::PRESENT);
                    let count = st.event_count();
                    let e = seen
                        .entry(st.name().to_string_lossy().into_owned())
                        .or_insert((false, 0, count));
                    // A swap can be a removal and an insertion between two looks: pcscd's
                    // event counter still moves.
                    if e.0 != present || e.2 != count {
                        *e = (present, e.1 + 1, count);
                    }
                    st.sync_current_state();
                }
            }
        });
        Ok(ReaderMonitor {
            seen,
            stop,
            thread: Some(thread),
        })
    }

    fn get(&self, reader: &str) -> (bool, u64) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(reader)
            .map(|&(present, changes, _)| (present, changes))
            // Not seen yet: no card, no change (`known` tells the two apart).
            .unwrap_or((false, 0))
    }
    /// The monitor has seen `reader`'s state at least once.
    pub fn known(&self, reader: &str) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(reader)
    }
    /// pcscd reports a card in `reader`.
    pub fn present(&self, reader: &str) -> bool {
        self.get(reader).0
    }
    /// Connects to the card in `reader` as any PC/SC client would (shared, leaving the card
    /// powered) and returns its ATR.
    pub fn connect_atr(&self, reader: &str) -> Result<Vec<u8>, String> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| format!("pcscd: {e}"))?;
        let name = std::ffi::CString::new(reader).map_err(|e| format!("{reader:?}: {e}"))?;
        let card = ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| format!("connect: {e}"))?;
        let mut names = [0u8; 2048];
        let mut atr = [0u8; pcsc::MAX_ATR_SIZE];
        let status = card
            .status2(&mut names, &mut atr)
            .map_err(|e| format!("status: {e}"))?;
        Ok(status.atr().to_vec())
    }
    /// How many presence changes pcscd reported for `reader`.
    pub fn changes(&self, reader: &str) -> u64 {
        self.get(reader).1
    }
}

#[cfg(feature = "pcsc")]
impl Drop for ReaderMonitor {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(feature = "pcsc")]
pub(super) fn pcsc_transport(
    names: &[String],
) -> Result<Arc<dyn nhi_middleware::transport::Transport>, String> {
    if !std::path::Path::new("/run/pcscd/pcscd.comm").exists() {
        return Err("pcscd is not running (start it with `bash ci/setup-pcsc`)".into());
    }
    Ok(Arc::new(nhi_middleware::transport::PcscTransport::new(
        Some(names.to_vec()),
    )))
}

/// Shows pcscd's readers under other names: the ifd transport presents nhi-ifd's readers
/// as the standard ones, so one set of scenario files serves every transport.
pub(super) struct Renamed {
    inner: Arc<dyn nhi_middleware::transport::Transport>,
    /// (pcscd's name, the name shown).
    names: Vec<(String, String)>,
}

impl Renamed {
    pub(super) fn new(
        inner: Arc<dyn nhi_middleware::transport::Transport>,
        pcscd: &[String],
        shown: &[&str],
    ) -> Renamed {
        let names = pcscd
            .iter()
            .zip(shown)
            .map(|(p, s)| (p.clone(), s.to_string()))
            .collect();
        Renamed { inner, names }
    }
}

impl nhi_middleware::transport::Transport for Renamed {
    fn readers(&self) -> Result<Vec<String>, nhi_middleware::transport::TransportError> {
        Ok(self
            .inner
            .readers()?
            .into_iter()
            .map(|r| match self.names.iter().find(|(p, _)| *p == r) {
                Some((_, shown)) => shown.clone(),
                None => r,
            })
            .collect())
    }
    fn connect(
        &self,
        reader: &str,
    ) -> Result<
        Box<dyn nhi_middleware::transport::Connection>,
        nhi_middleware::transport::TransportError,
    > {
        match self.names.iter().find(|(_, shown)| shown == reader) {
            Some((pcscd, _)) => self.inner.connect(pcscd),
            None => Err(nhi_middleware::transport::TransportError::UnknownReader(
                reader.to_string(),
            )),
        }
    }
}

#[cfg(not(feature = "pcsc"))]
pub(super) fn pcsc_transport(
    _names: &[String],
) -> Result<Arc<dyn nhi_middleware::transport::Transport>, String> {
    Err("--transport vpcd/ifd needs a build with the `pcsc` feature (cargo run -p nhi-harness --features pcsc …) and libpcsclite-dev".into())
}
