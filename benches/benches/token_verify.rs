//! Full token verification (parse, base64, signature, decryption, expiry, count), ES256 and
//! RS256, one thread and all cores; plus issue and the SAM-side payload decryption.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nhi_benches::{payload, token, AT};
use nhi_emulator::material::Secrets;
use nhi_emulator::token::decrypt_payload;
use nhi_protocol::token::TokenAlg;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("token_verify");
    g.throughput(Throughput::Elements(1));
    for (name, alg) in [("es256", TokenAlg::Es256), ("rs256", TokenAlg::Rs256)] {
        let Ok((issuer, tok)) = token(alg) else {
            return;
        };
        let Ok(v) = issuer.verifier() else { return };
        g.bench_function(format!("{name}/single"), |b| {
            b.iter(|| black_box(v.verify_counted(black_box(&tok), i64::from(AT) + 5, 0, 3)))
        });
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        g.throughput(Throughput::Elements(threads as u64 * 64));
        g.bench_function(format!("{name}/all-cores-x{threads}"), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            for _ in 0..64 {
                                black_box(v.verify_counted(&tok, i64::from(AT) + 5, 0, 3).is_ok());
                            }
                        });
                    }
                })
            })
        });
        g.throughput(Throughput::Elements(1));
        let Ok(p) = payload() else { return };
        g.bench_function(format!("{name}/issue"), |b| {
            b.iter(|| black_box(issuer.issue(black_box(&p), alg)))
        });
    }
    let Ok((_, tok)) = token(TokenAlg::Es256) else {
        return;
    };
    let Ok(parts) = nhi_protocol::token::split(&tok) else {
        return;
    };
    let key = Secrets::test().token_payload_key;
    g.bench_function("decrypt_payload", |b| {
        b.iter(|| black_box(decrypt_payload(&key, &parts.iv, &parts.ciphertext)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
