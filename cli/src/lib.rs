//! What the workspace's binaries (`nhi-emu`, `nhi-middleware`, `nhi-conform`) share.
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
