//! What the workspace's binaries and HTTP servers (`nhi-emu`, `nhi-middleware`, `nhi-conform`) share.
//!
//! A binary's stdout may be a pipe whose reader has left (`nhi-emu up | head`); `println!`
//! panics then. [`say!`] and [`say_raw!`] write and ignore the error instead.

/// Writes a line to stdout; a closed stdout (a pipe whose reader left) is not a panic.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Writes to stdout without a newline; a closed stdout is not a panic.
#[macro_export]
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

/// The text of a panic payload (what `panic!` was given), for the JSON reply an HTTP server
/// sends instead of dropping the connection when a handler panics.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        return (*s).to_string();
    }
    match payload.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => "a panic without a message".to_string(),
    }
}
