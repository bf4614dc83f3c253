//! Micro-benchmarks of nut-proto: the network protocol's request parser and reply codec.

use criterion::{black_box, criterion_main, BenchmarkId, Criterion, Throughput};
use nut_benches::proto::names::{UpsName, Value, VarName};
use nut_benches::proto::net::{ListReply, Request, Response, ResponseAssembler, VarEntry};

/// Typical request lines, as upsc, upsrw, upscmd and upsmon send them.
const REQUESTS: &[(&str, &[u8])] = &[
    ("get_var", b"GET VAR myups ups.status\n"),
    ("list_var", b"LIST VAR myups\n"),
    (
        "set_var_quoted",
        b"SET VAR myups ups.id \"Rack 4, \\\"north\\\" row \\# 2\"\n",
    ),
    ("instcmd", b"INSTCMD myups load.off.delay 120\n"),
];

fn requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("net_request_decode");
    for (name, line) in REQUESTS {
        group.throughput(Throughput::Bytes(line.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), line, |b, line| {
            b.iter(|| Request::decode(black_box(line)).expect("valid request"));
        });
    }
    group.finish();
}

/// A LIST VAR reply of `n` variables, like a large UPS's.
fn list_var(n: usize) -> Response {
    let ups = UpsName::new("myups").expect("valid name");
    let vars = (0..n)
        .map(|i| VarEntry {
            name: VarName::new(format!("battery.sensor{i:03}.voltage")).expect("valid name"),
            value: Value::new(format!("{}.{} V \"nominal\"", 12 + i % 3, i % 10)).expect("valid"),
        })
        .collect();
    Response::List(ListReply::Var { ups, vars })
}

fn list_reply(c: &mut Criterion) {
    let reply = list_var(100);
    let wire = reply.encode();
    let mut group = c.benchmark_group("net_list_var_100");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("encode", |b| {
        let mut buf = String::with_capacity(wire.len());
        b.iter(|| {
            buf.clear();
            black_box(&reply)
                .write_to(&mut buf)
                .expect("write to String");
            black_box(buf.len())
        });
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut asm = ResponseAssembler::new();
            let mut whole = None;
            for line in black_box(wire.as_bytes()).split_inclusive(|&b| b == b'\n') {
                whole = asm.push_line(line).expect("valid reply");
            }
            whole.expect("complete list")
        });
    });
    group.finish();
}

/// The benchmark groups; criterion's macro generates undocumented public functions.
#[allow(missing_docs, unreachable_pub)]
mod groups {
    use super::{list_reply, requests};
    criterion::criterion_group!(net, requests, list_reply);
}

criterion_main!(groups::net);
