//! 32-bit Windows decorates stdcall exports (`csOpenCom@4`); HIS code asks GetProcAddress
//! for the bare names, so the linker strips the decoration (`--kill-at`).

fn main() {
    // Only this file decides the link arguments (not every change in the package).
    println!("cargo:rerun-if-changed=build.rs");
    let is = |key: &str, value: &str| std::env::var(key).is_ok_and(|v| v == value);
    if is("CARGO_CFG_TARGET_OS", "windows")
        && is("CARGO_CFG_TARGET_ARCH", "x86")
        && is("CARGO_CFG_TARGET_ENV", "gnu")
    {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--kill-at");
    }
}
