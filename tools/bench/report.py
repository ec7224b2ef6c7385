#!/usr/bin/env python3
"""Turns the rows of `bench --json FILE` into the Markdown tables of the
README's Performance section and docs/PERFORMANCE.md.

    python3 tools/bench/report.py FILE [--records N]

--records picks the catalog size of the main table (default: 10000)."""
import argparse
import json

BASELINE = "json-file-2.4.0"  # 2.4.0's stores; never fsyncs (durability "none")
ETCD = "a3s-etcd"  # a3s on a 3-member etcd cluster on loopback (durability "raft")

OPS = ["network.get", "network.create", "network.connect", "volume.attach", "volume.list",
       "snapshot.count", "snapshot.total_size", "image.get", "image.evict"]
GETS = {"network.get", "image.get"}
LISTS = {"volume.list"}
DURABILITIES = ["full", "normal"]


def duration(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            value = ns / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{ns:.0f} ns"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    if r >= 1000:
        return f"{r:,.0f}×"
    return f"{r:.3g}×" if r < 100 else f"{r:.0f}×"


class Rows:
    def __init__(self, rows):
        self.rows = rows

    def find(self, op, impl, records=None, durability=None, threads=1, mode=None):
        for r in self.rows:
            if (r["op"] == op and r["impl"] == impl
                    and (records is None or r["records"] == records)
                    and (durability is None or impl == BASELINE or r["durability"] == durability)
                    and r.get("threads", 1) == threads
                    and r.get("mode") == mode):
                return r
        return None

    def ns(self, *args, **kwargs):
        r = self.find(*args, **kwargs)
        return None if r is None else r.get("ns_per_op")

    def sizes(self, op):
        return sorted({r["records"] for r in self.rows if r["op"] == op and r["impl"] == "a3s"})


def main_table(rows, n):
    out = [f"ns per operation at {n:,} records; ratios for durability FULL / NORMAL "
           "(json-file 2.4.0 never fsyncs: durability none, compared with both).", "",
           "| op | json-file (2.4.0) | a3s FULL | a3s NORMAL | sqlite-raw FULL "
           "| sqlite-raw NORMAL | json ÷ a3s | a3s ÷ raw |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for op in OPS:
        json_ns = rows.ns(op, BASELINE, n)
        a3s = [rows.ns(op, "a3s", n, d) for d in DURABILITIES]
        raw = [rows.ns(op, "sqlite-raw", n, d) for d in DURABILITIES]
        out.append(f"| {op} | {duration(json_ns)} | {duration(a3s[0])} | {duration(a3s[1])} "
                   f"| {duration(raw[0])} | {duration(raw[1])} "
                   f"| {ratio(json_ns, a3s[0])} / {ratio(json_ns, a3s[1])} "
                   f"| {ratio(a3s[0], raw[0])} / {ratio(a3s[1], raw[1])} |")
    return out


def growth_table(rows):
    sizes = rows.sizes("network.get")
    if len(sizes) < 2:
        return []
    small = 1000 if 1000 in sizes else sizes[0]
    large = sizes[-1]
    out = [f"a3s per-operation cost from {small:,} to {large:,} records (FULL / NORMAL):", "",
           f"| op | {small:,} | {large:,} | growth |", "| --- | ---: | ---: | ---: |"]
    for op in OPS:
        a = [rows.ns(op, "a3s", small, d) for d in DURABILITIES]
        b = [rows.ns(op, "a3s", large, d) for d in DURABILITIES]
        note = " (a list)" if op in LISTS else ""
        out.append(f"| {op}{note} | {duration(a[0])} / {duration(a[1])} "
                   f"| {duration(b[0])} / {duration(b[1])} "
                   f"| {ratio(b[0], a[0])} / {ratio(b[1], a[1])} |")
    return out


def extras(rows, n):
    out = []
    for impl in ("a3s", "sqlite-raw"):
        for d in DURABILITIES:
            row = rows.find("network.get", impl, n, d, threads=2)
            one = row and row.get("one_thread_ns_per_op")
            two = row and row.get("ns_per_op")
            if one and two:
                out.append(f"- network.get, 2 threads, {impl} {d.upper()}: {ratio(one, two)} "
                           f"the 1-thread throughput ({duration(two)} vs {duration(one)} per op, "
                           "best of 3 alternating rounds)")
    for r in rows.rows:
        if r.get("mode") == "processes" and r.get("ops_per_s") is not None:
            verified = r.get("finding") or ("no lost update, no shared IP" if r.get("verified")
                                            else "NOT VERIFIED")
            out.append(f"- 4 processes connecting boxes to one network ({r['records']:,} records), "
                       f"{r['impl']} {r['durability'].upper()}: {r['ops_per_s']:,.0f} ops/s, "
                       f"p99 {duration(r.get('p99_ns'))}; {verified}")
    cli = rows.find("cli.network_ls", "a3s-store")
    shell = rows.find("cli.network_ls", "sqlite3-shell")
    if cli and shell:
        out.append(f"- cold `a3s-store network ls`, {cli['records']:,} networks: "
                   f"{duration(cli['ns_per_op'])} against {duration(shell['ns_per_op'])} for "
                   f"`sqlite3 box.db` with the equivalent query "
                   f"({ratio(cli['ns_per_op'], shell['ns_per_op'])})")
    for n, d in ((n, d) for n in rows.sizes("network.connect") for d in DURABILITIES):
        one = rows.find("network.connect", "a3s", n, d, 1, "threads")
        eight = rows.find("network.connect", "a3s", n, d, 8, "threads")
        if one and eight:
            out.append(f"- group commit, network.connect at {d.upper()}, {n:,} records: 8 threads of one "
                       f"process {ratio(one['ns_per_op'], eight['ns_per_op'])} the 1-thread "
                       f"throughput ({duration(eight['ns_per_op'])} vs {duration(one['ns_per_op'])} "
                       f"per op; p99 per op {duration(eight.get('p99_ns'))} vs "
                       f"{duration(one.get('p99_ns'))})")
    save = rows.find("snapshot.save_1gib", "a3s")
    cp = rows.find("snapshot.save_1gib", "cp-a+sync")
    if save and cp:
        out.append(f"- snapshot save of a {save['bytes'] / 2**20:,.0f} MiB tree ({save['files']:,} "
                   f"files): {duration(save['ns_per_op'])} ({save['bytes_per_s'] / 2**20:,.0f} "
                   f"MiB/s) against {duration(cp['ns_per_op'])} ({cp['bytes_per_s'] / 2**20:,.0f} "
                   f"MiB/s) for `cp -a` + `sync` "
                   f"({ratio(save['ns_per_op'], cp['ns_per_op'])} the time)")
    memory = [r for r in rows.rows if r["op"] == "memory.network_list"]
    if memory:
        parts = [f"{r['impl']} {r.get('peak_rss_kb', 0) / 1024:,.0f} MiB" for r in memory]
        out.append(f"- peak memory listing {memory[0]['records']:,} networks: " + ", ".join(parts))
    return out


def etcd_table(rows):
    """a3s-etcd beside a3s at FULL, every size and client count measured."""
    etcd = [r for r in rows.rows if r["impl"] == ETCD]
    if not etcd:
        return []
    out = ["a3s on a 3-member etcd cluster on loopback (durability raft: a write is acknowledged "
           "once a majority of the members fsynced it) beside a3s on SQLite at FULL. Loopback "
           "hides network latency: between hosts each write adds the client-to-leader and "
           "leader-to-follower round trips.", "",
           "| op | records | clients | a3s FULL | a3s-etcd | etcd ÷ a3s | a3s-etcd p99 |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def key(r):
        rank = OPS.index(r["op"]) if r["op"] in OPS else len(OPS)
        return (rank, r["records"], r.get("threads", 1))

    for r in sorted(etcd, key=key):
        threads = r.get("threads", 1)
        clients = f"{threads} processes" if r.get("mode") == "processes" else str(threads)
        if r.get("note"):
            out.append(f"| {r['op']} | {r['records']:,} | {clients} | — | {r['note']} | — | — |")
            continue
        a3s = rows.ns(r["op"], "a3s", r["records"], "full", threads, r.get("mode"))
        out.append(f"| {r['op']} | {r['records']:,} | {clients} | {duration(a3s)} "
                   f"| {duration(r.get('ns_per_op'))} | {ratio(r.get('ns_per_op'), a3s)} "
                   f"| {duration(r.get('p99_ns'))} |")
    return out


def boxes_table(rows):
    """The box-start workload: one line per (boxes, mode, impl, durability)."""
    runs = {}
    for r in rows.rows:
        if r["op"] in ("boxes.start", "boxes.stop"):
            key = (r["records"], r.get("mode", ""), r["impl"], r["durability"])
            runs.setdefault(key, {})[r["op"]] = r
    if not runs:
        return []
    out = ["N boxes starting at once, then stopping (each: image get, volume get_or_create + "
           "attach, network connect; stop: detach, disconnect); wall time of the whole phase, "
           "per-box p50 / p99; errors and lost updates start / stop.", "",
           "| boxes | mode | impl | durability | start wall | start p50 / p99 | stop wall "
           "| stop p50 / p99 | errors | lost |",
           "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def phase(r):
        if r is None:
            return ["—", "—"]
        if r.get("note"):
            return [r["note"], "—"]
        if not r.get("ops"):  # no box succeeded: no per-box figure
            return [duration(r.get("wall_ns")), "—"]
        return [duration(r.get("wall_ns")),
                f"{duration(r.get('p50_ns'))} / {duration(r.get('p99_ns'))}"]

    def count(r, field):
        return "—" if r is None or r.get(field) is None else str(r[field])

    for (n, mode, impl, durability), ops in sorted(runs.items()):
        start, stop = ops.get("boxes.start"), ops.get("boxes.stop")
        out.append(f"| {n} | {mode} | {impl} | {durability} | "
                   + " | ".join(phase(start) + phase(stop))
                   + f" | {count(start, 'errors')} / {count(stop, 'errors')} "
                   f"| {count(start, 'lost')} / {count(stop, 'lost')} |")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--records", type=int, default=10000)
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as f:
        rows = Rows(json.load(f))
    sections = [main_table(rows, args.records), growth_table(rows), extras(rows, args.records),
                etcd_table(rows), boxes_table(rows)]
    print("\n\n".join("\n".join(s) for s in sections if s))


if __name__ == "__main__":
    main()
