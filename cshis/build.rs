//! 32-bit Windows decorates stdcall exports (`csOpenCom@4`); HIS code asks GetProcAddress
//! for the bare names, so the linker strips the decoration (`--kill-at`).

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "windows" && arch == "x86" && env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--kill-at");
    }
}
