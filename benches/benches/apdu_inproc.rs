//! SELECT + GET DATA on an in-process HC (the emulator's own cost per APDU).

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nhi_emulator::card::Card;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let (Ok(f), Ok(k)) = (Fixtures::demo(), CardFactory::test()) else {
        return;
    };
    let Ok(mut hc) = k.hc(&f.people[0]) else {
        return;
    };
    let select = nhi_protocol::apdu::select_hc();
    let mut g = c.benchmark_group("apdu_inproc");
    g.throughput(Throughput::Elements(2));
    g.bench_function("select+get_basic", |b| {
        b.iter(|| {
            black_box(hc.handle(black_box(&select)));
            black_box(hc.handle(black_box(nhi_protocol::apdu::GET_BASIC)))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
