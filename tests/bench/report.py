#!/usr/bin/env python3
"""report.py -- turn scripts/bench.sh's raw lines into the benchmark's report.

usage: report.py RAW OUTDIR

RAW holds one line of key=value fields per load run (tests/bench/load.c -k,
plus gen_threads, rep, order), the memory samples ("mem ..."), the profile's
lines ("profile ..."), the log check, the machine and the versions. Writes OUTDIR/results.csv (every run),
OUTDIR/results.md (medians, ratios to sockbind, memory, targets, profile),
OUTDIR/throughput.png (gnuplot), prints the tables and one PASS/FAIL line per
target (listed in docs/bench/README.md). Exit status 3 when a target fails. Standard library only.
"""
import csv
import os
import shlex
import statistics
import subprocess
import sys

SERVERS = ["sockbind", "python", "xinetd", "socat", "redis"]
NAMES = {
    "sockbind": "sockbind echo (log on)",
    "python": "Python ForkingTCPServer",
    "xinetd": "xinetd internal echo",
    "socat": "socat fork PIPE",
    "redis": "redis-server PING",
}
WORKLOADS = ["persistent", "reconnect"]
MEM_LIMIT_KB = 10 * 1024  # "under 10 MB": 10 MiB of PSS


def parse(path):
    runs, profile, meta = [], {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = shlex.split(line)
            if not words:
                continue
            if "=" not in words[0]:
                kind, words = words[0], words[1:]
            else:
                kind = "run"
            kv = dict(w.split("=", 1) for w in words if "=" in w)
            if kind == "run" and "label" in kv:
                runs.append(kv)
            elif kind == "profile":
                profile[kv.get("scenario", "?")] = kv
            elif kind == "cost":
                meta.setdefault("cost", {})[(kv["server"], kv["mode"])] = kv
            elif kind == "proxy":
                meta.setdefault("proxy", []).append(kv)
            elif kind == "mem":
                meta.setdefault("mem", {}).setdefault(kv["server"], []).append(kv)
            elif kind == "run" and "log_lines" in kv:
                meta["log"] = kv
            else:
                meta[kind] = kv
    return runs, profile, meta


def num(v, default=0.0):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def summarize(runs):
    """Per (workload, conns, server): the medians of the repeats with the
    generator's thread count that gave the higher median round trips per
    second; errors and unserved connections over every run, whatever the
    thread count."""
    groups = {}
    for r in runs:
        key = (r["mode"], int(r["conns"]), r["label"])
        t = int(num(r.get("gen_threads"), 1))
        groups.setdefault(key, {}).setdefault(t, []).append(r)
    out = {}
    for key, by_t in groups.items():
        med_of = {t: statistics.median(num(r["rps"]) for r in rs)
                  for t, rs in by_t.items()}
        best = max(med_of, key=lambda t: med_of[t])
        rs = by_t[best]
        every = [r for t in by_t for r in by_t[t]]
        med = lambda k: statistics.median(num(r[k]) for r in rs)
        out[key] = {
            "n": len(every),
            "threads": best,
            "rps_by_threads": med_of,
            "reps_by_threads": {t: [num(r["rps"]) for r in rs_t]
                                for t, rs_t in by_t.items()},
            "rps": med("rps"),
            "rps_all": [num(r["rps"]) for r in rs],
            "p50": med("p50_us"),
            "p99": med("p99_us"),
            "max": max(num(r["max_us"]) for r in rs),
            "errors": sum(int(num(r["errors"])) for r in every),
            "never": max(int(num(r["never"])) for r in every),
            "unserved": max(int(num(r["unserved"])) for r in every),
            "ramp": max(num(r["ramp_ms"]) for r in every),
            "ramp_missing": any(num(r["ramp_ms"]) < 0 for r in every),
            "err_kinds": {k[4:]: sum(int(num(r[k])) for r in every)
                          for k in every[0] if k.startswith("err_")},
        }
    return out


def memory(meta):
    """Per server: median PSS (kB) and processes over the memory runs, and
    their ranges."""
    out = {}
    for srv, samples in meta.get("mem", {}).items():
        pss = [num(m["pss_kb"]) for m in samples if num(m["pss_kb"]) > 0]
        nproc = [num(m["nproc"]) for m in samples if num(m["pss_kb"]) > 0]
        if pss:
            out[srv] = {"pss": statistics.median(pss), "pss_range": (min(pss), max(pss)),
                        "nproc": statistics.median(nproc),
                        "nproc_range": (min(nproc), max(nproc)), "n": len(pss)}
    return out


def threads_table(summ, servers, concs):
    """Each server's median at each generator thread count tried."""
    rows = []
    for wl in WORKLOADS:
        for c in concs:
            cells, tried = [], False
            for s in servers:
                m = summ.get((wl, c, s))
                if m is None:
                    cells.append("-")
                    continue
                tried = tried or len(m["rps_by_threads"]) > 1
                cells.append(" / ".join(
                    ("**{}**" if t == m["threads"] and len(m["rps_by_threads"]) > 1
                     else "{}").format(fmt_rps(v))
                    for t, v in sorted(m["rps_by_threads"].items())))
            if tried:
                rows.append("| {} | {} | {} |".format(wl, c, " | ".join(cells)))
    if not rows:
        return []
    return (["### The load generator's threads",
             "",
             "From 50 clients on, every server was measured with the generator running one "
             "thread and two (median round trips per second, 1 thread / 2 threads); the tables "
             "above give each server's better one, in bold here. One thread saturates a CPU at "
             "50 reconnecting clients and then measures the generator; two take CPU time from a "
             "single-threaded server.",
             "",
             "| workload | clients | " + " | ".join(NAMES[s] for s in servers) + " |",
             "|---|---:|" + "---:|" * len(servers)] + rows + [""])


def repeats_table(summ, servers, concs):
    """Every repeat's round trips per second where the generator's thread
    count was tried both ways: how far apart the runs of one server are."""
    rows = []
    for wl in WORKLOADS:
        for c in concs:
            for s in servers:
                m = summ.get((wl, c, s))
                if m is None or len(m["reps_by_threads"]) < 2:
                    continue
                cells = [" ".join("{:.1f}k".format(v / 1000) for v in reps)
                         for t, reps in sorted(m["reps_by_threads"].items())]
                rows.append("| {} | {} | {} | {} |".format(
                    wl, c, NAMES[s], " | ".join(cells)))
    if not rows:
        return []
    return (["### Every repeat (round trips per second, in run order)",
             "",
             "The medians above hide how far apart the repeats of one server can be on this "
             "machine. xinetd with two generator threads, for one, has run at anything from "
             "about 125k to 250k round trips per second at 50 clients from one run to the "
             "next: faster the more of its children share a CPU with the generator thread "
             "that drives them, so that a wake-up does not cross CPUs.",
             "",
             "| workload | clients | server | 1 thread | 2 threads |",
             "|---|---:|---|---|---|"] + rows + [""])


def fmt_rps(v):
    return "{:,.0f}".format(v)


def write_csv(runs, path):
    keys = []
    for r in runs:
        for k in r:
            if k not in keys:
                keys.append(k)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in runs:
            w.writerow(r)


def throughput_tables(summ, servers, concs):
    lines = []
    for wl in WORKLOADS:
        if not any(k[0] == wl for k in summ):
            continue
        lines.append("### {}: round trips per second (ratio to sockbind)".format(wl))
        lines.append("")
        lines.append("| clients | " + " | ".join(NAMES[s] for s in servers) + " |")
        lines.append("|---:|" + "---:|" * len(servers))
        for c in concs:
            base = summ.get((wl, c, "sockbind"))
            cells = []
            for s in servers:
                m = summ.get((wl, c, s))
                if m is None:
                    cells.append("-")
                elif s == "sockbind" or base is None or base["rps"] == 0:
                    cells.append("**{}**".format(fmt_rps(m["rps"])))
                else:
                    cells.append("{} ({:.2f}x)".format(fmt_rps(m["rps"]),
                                                       m["rps"] / base["rps"]))
            lines.append("| {} | {} |".format(c, " | ".join(cells)))
        lines.append("")
        lines.append("Latency p50 / p99 (median of repeats) and the worst single round trip, in ms:")
        lines.append("")
        lines.append("| clients | " + " | ".join(s for s in servers) + " |")
        lines.append("|---:|" + "---:|" * len(servers))
        for c in concs:
            cells = []
            for s in servers:
                m = summ.get((wl, c, s))
                cells.append("-" if m is None else "{:.2f} / {:.2f} / {:.0f}".format(
                    m["p50"] / 1e3, m["p99"] / 1e3, m["max"] / 1e3))
            lines.append("| {} | {} |".format(c, " | ".join(cells)))
        lines.append("")
    return lines


def problems_table(summ, servers, concs):
    rows = []
    for wl in WORKLOADS:
        for c in concs:
            for s in servers:
                m = summ.get((wl, c, s))
                if m is None:
                    continue
                kinds = ", ".join("{} {}".format(k, v) for k, v in m["err_kinds"].items() if v)
                if m["errors"] or m["never"] or m["unserved"]:
                    rows.append("| {} | {} | {} | {} | {} | {} |".format(
                        wl, c, s, m["errors"], kinds or "-",
                        "{} / {}".format(m["never"], m["unserved"])))
    if not rows:
        return ["Every run: no error, every connection had replies while measured.", ""]
    return ["| workload | clients | server | errors (all repeats) | kinds | connections never served / not served while measured (worst repeat) |",
            "|---|---:|---|---:|---|---:|"] + rows + [""]


def plot(summ, servers, concs, outdir):
    """throughput.png: round trips/s against clients, one panel per workload."""
    data = os.path.join(outdir, "throughput.dat")
    with open(data, "w", encoding="utf-8") as f:
        for wl in WORKLOADS:
            f.write("# {}\n# clients {}\n".format(wl, " ".join(servers)))
            for c in concs:
                vals = []
                for s in servers:
                    m = summ.get((wl, c, s))
                    vals.append("{:.1f}".format(m["rps"]) if m else "NaN")
                f.write("{} {}\n".format(c, " ".join(vals)))
            f.write("\n\n")
    png = os.path.join(outdir, "throughput.png")
    styles = {"sockbind": "lw 3 lc rgb '#d62728' pt 7",
              "python": "lw 2 lc rgb '#1f77b4' pt 5",
              "xinetd": "lw 2 lc rgb '#2ca02c' pt 9",
              "socat": "lw 2 lc rgb '#9467bd' pt 11",
              "redis": "lw 2 lc rgb '#7f7f7f' pt 13 dt 2"}
    script = [
        "set terminal pngcairo size 1200,500 font 'sans,10'",
        "set output '{}'".format(png),
        "set multiplot layout 1,2 title 'Round trips per second on loopback (64-byte echo; redis: PING)'",
        "set logscale x",
        "set xtics ({})".format(", ".join(str(c) for c in concs)),
        "set xrange [{}:{}]".format(min(concs) * 0.8, max(concs) * 1.25),
        "set yrange [0:*]",
        "set format y '%.0s%c'",
        "set grid",
        "set key top left",
        "set xlabel 'concurrent clients'",
        "set ylabel 'round trips / s'",
    ]
    for i, wl in enumerate(WORKLOADS):
        title = {"persistent": "persistent connections",
                 "reconnect": "a connection per round trip (4 source addresses)"}[wl]
        script.append("set title '{}'".format(title))
        parts = []
        for j, s in enumerate(servers):
            parts.append("'{}' index {} using 1:{} with linespoints {} title '{}'".format(
                data, i, j + 2, styles.get(s, "lw 2"), NAMES[s]))
        script.append("plot " + ", \\\n     ".join(parts))
    script.append("unset multiplot")
    gp = os.path.join(outdir, "throughput.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write("\n".join(script) + "\n")
    try:
        subprocess.run(["gnuplot", gp], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("report: gnuplot failed: {}".format(e), file=sys.stderr)
        return None
    return png


def targets(summ, profile, meta):
    """The targets (docs/bench/README.md): (name, passed or None when not measured, detail)."""
    res = []
    mem = memory(meta).get("sockbind")

    def rps(wl, c, s):
        m = summ.get((wl, c, s))
        return m["rps"] if m else None

    def ratio_target(name, wl, c, peer, want):
        a, b = rps(wl, c, "sockbind"), rps(wl, c, peer)
        if a is None or b is None or b == 0:
            res.append((name, None, "not measured"))
            return
        r = a / b
        res.append((name, r >= want, "{:.2f}x {} ({} vs {} rt/s; target {:.1f}x: {})".format(
            r, peer, fmt_rps(a), fmt_rps(b), want,
            "met" if r >= want else "short by {:.0f}%".format((1 - r / want) * 100))))

    ratio_target("reconnect c=50 >= 0.9 x redis PING", "reconnect", 50, "redis", 0.9)
    ratio_target("reconnect c=50 >= 4 x xinetd echo", "reconnect", 50, "xinetd", 4.0)
    ratio_target("persistent c=50 >= 1.0 x xinetd echo", "persistent", 50, "xinetd", 1.0)
    ratio_target("persistent c=50 >= 0.6 x redis PING", "persistent", 50, "redis", 0.6)

    m200 = summ.get(("persistent", 200, "sockbind"))
    m50 = summ.get(("persistent", 50, "sockbind"))
    if m200:
        res.append(("c=200 persistent: no errors", m200["errors"] == 0,
                    "{} errors in {} runs".format(m200["errors"], m200["n"])))
        ok = m200["never"] == 0 and m200["unserved"] == 0
        res.append(("c=200 persistent: every connection served", ok,
                    "worst run: {} never served, {} not served while measured; "
                    "all 200 had a reply {}".format(
                        m200["never"], m200["unserved"],
                        "{:.1f} s after the start (pool ramp)".format(m200["ramp"] / 1e3)
                        if not m200["ramp_missing"] else "never in some run")))
    else:
        res.append(("c=200 persistent: no errors", None, "not measured"))
        res.append(("c=200 persistent: every connection served", None, "not measured"))
    if m200 and m50 and m50["rps"]:
        r = m200["rps"] / m50["rps"]
        res.append(("c=200 persistent >= 90% of c=50", r >= 0.9,
                    "{:.0f}% ({} vs {} rt/s)".format(r * 100, fmt_rps(m200["rps"]),
                                                     fmt_rps(m50["rps"]))))
    else:
        res.append(("c=200 persistent >= 90% of c=50", None, "not measured"))

    if mem:
        res.append(("memory at c=50 < 10 MB PSS", mem["pss"] < MEM_LIMIT_KB,
                    "{:.1f} MiB PSS in {:.0f} processes ({:.0f} kB each on average; "
                    "repeats {:.1f}-{:.1f} MiB with {:.0f}-{:.0f} processes; limit 10 MiB)".format(
                        mem["pss"] / 1024, mem["nproc"], mem["pss"] / mem["nproc"],
                        mem["pss_range"][0] / 1024, mem["pss_range"][1] / 1024,
                        mem["nproc_range"][0], mem["nproc_range"][1])))
    else:
        res.append(("memory at c=50 < 10 MB PSS", None, "not measured"))

    p1 = profile.get("persistent_c1")
    if p1:
        per = (num(p1["log_writes"]) + num(p1["futex"]) + num(p1.get("getpid"))) / max(num(p1["records"]), 1)
        res.append(("log: <= 1 system call per record, uncontended", per <= 1.0001,
                    "{:.2f} per record at c=1: write {:.2f}, getpid {:.2f}, futex {:.4f}".format(
                        per, num(p1["log_writes_per_record"]),
                        num(p1.get("getpid_per_record")), num(p1["futex_per_record"]))))
    else:
        res.append(("log: <= 1 system call per record, uncontended", None, "not profiled"))
    lg = meta.get("log")
    if lg:
        torn = int(num(lg["log_torn"]))
        same = int(num(lg["log_recv_bytes"])) == int(num(lg["client_sent_bytes"]))
        res.append(("log: no record torn or lost", torn == 0 and same,
                    "{} records, {} malformed; {} bytes logged as received, {} sent by the clients".format(
                        lg["log_lines"], torn, lg["log_recv_bytes"], lg["client_sent_bytes"])))
    return res


def profile_lines(profile):
    if not profile:
        return []
    out = ["## Where sockbind's time goes (scripts/bench-profile.sh)", "",
           "Counted by kernel tracepoints at full speed over the sockbind process tree; details,",
           "strace -c tables and perf profiles in [profile.md](profile.md).", "",
           "| load | rt/s while counted | syscalls / round trip | log records / round trip | "
           "log write(2) / record | getpid / record | futex / record | sockbind CPU us / round trip | "
           "per round trip |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name in ("persistent_c1", "persistent_c50", "reconnect_c50"):
        p = profile.get(name)
        if p:
            mix = ", ".join("{} {}".format(*kv.split(":"))
                            for kv in p.get("mix", "").split(",") if ":" in kv)
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                name, fmt_rps(num(p["rps"])), p["sys_per_rt"], p["records_per_rt"],
                p["log_writes_per_record"], p.get("getpid_per_record", "-"),
                p["futex_per_record"], p["cpu_us_per_rt"], mix or "-"))
    out.append("")
    g = profile.get("log_graph")
    if g:
        out.append("Persistent c=1, inclusive share of the worker's CPU time (DWARF call graphs): "
                   "log_text (formatting the two records of a round trip) {}%, of which the time "
                   "stamp (timefmt_now) {}% and escaping {}%; writing them (log_write_all) {}%; "
                   "conn_write {}%, conn_read {}%.".format(
                       g.get("log_text_pct"), g.get("timefmt_pct"), g.get("escape_pct"),
                       g.get("write_pct", g.get("log_emit_pct")), g.get("conn_write_pct"),
                       g.get("conn_read_pct")))
        out.append("")
    variants = (
        ("nolog_", "The same sockbind with its log on /dev/null (records formatted, not written), "
         "taking turns:", "log file rt/s", "/dev/null rt/s", "file / null"),
        ("nobatch_", "The same sockbind with `batch_scheduling = false` (the normal scheduling "
         "policy), taking turns:", "SCHED_BATCH rt/s", "SCHED_OTHER rt/s", "batch / other"),
    )
    for prefix, title, a, b, r in variants:
        rows = [(k, v) for k, v in profile.items() if k.startswith(prefix)]
        if not rows:
            continue
        out.append(title)
        out.append("")
        out.append("| load | {} | {} | {} |".format(a, b, r))
        out.append("|---|---:|---:|---:|")
        for k, v in rows:
            out.append("| {} | {} | {} | {} |".format(
                k[len(prefix):], fmt_rps(num(v.get("base_rps", v.get("file_rps")))),
                fmt_rps(num(v.get("variant_rps", v.get("null_rps")))), v["ratio"]))
        out.append("")
    return out


def proxy_lines(meta):
    """Through HAProxy to two instances against one instance direct: the
    median round trips per second of each, and their ratio."""
    runs = meta.get("proxy", [])
    if not runs:
        return []
    check = meta.get("proxy_check", {})
    lines = ["### Through HAProxy to two instances", "",
             "{} with `send-proxy-v2` in front of two more sockbind instances "
             "(`proxy_protocol = v2`, the same configuration otherwise), against the one instance "
             "direct, 50 clients, one generator thread, taking turns; medians of the repeats. "
             "The proxied instances logged {} connections under the client's own address from "
             "the header, and refused {}.".format(check.get("haproxy", "HAProxy"),
                                                   check.get("clients", "?"),
                                                   check.get("refused", "?")), "",
             "| workload | one instance direct | through HAProxy to two | ratio | errors |",
             "|---|---:|---:|---:|---:|"]
    for wl in WORKLOADS:
        med, errs = {}, 0
        for label in ("direct", "haproxy"):
            rs = [r for r in runs if r["mode"] == wl and r["label"] == label]
            errs += sum(int(num(r["errors"])) for r in rs)
            med[label] = statistics.median(num(r["rps"]) for r in rs) if rs else 0
        if med["direct"] and med["haproxy"]:
            lines.append("| {} | {} | {} | {:.2f}x | {} |".format(
                wl, fmt_rps(med["direct"]), fmt_rps(med["haproxy"]),
                med["haproxy"] / med["direct"], errs))
    lines.append("")
    return lines


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    raw, outdir = sys.argv[1], sys.argv[2]
    runs, profile, meta = parse(raw)
    if not runs:
        print("report: no runs in " + raw, file=sys.stderr)
        return 1
    summ = summarize(runs)
    servers = [s for s in SERVERS if any(k[2] == s for k in summ)]
    concs = sorted({k[1] for k in summ})
    write_csv(runs, os.path.join(outdir, "results.csv"))
    png = plot(summ, servers, concs, outdir)
    tg = targets(summ, profile, meta)

    mach, ver, run = meta.get("machine", {}), meta.get("versions", {}), meta.get("run", {})
    md = ["# sockbind benchmark", ""]
    md.append("Written by `make bench` (scripts/bench.sh) on {}: {} CPUs ({}), Linux {}, {} MB RAM; "
              "{} s measured per run, medians of {} repeats, servers taking turns; "
              "network namespace: {}; the whole bench took {} s. Load average before and after "
              "(other work on the machine makes numbers noisy): {} / {}.".format(
                  run.get("date", "?"), mach.get("cpus", "?"), mach.get("cpu", "?"),
                  mach.get("kernel", "?"), mach.get("mem_mb", "?"), run.get("secs", "?"),
                  run.get("repeats", "?"), run.get("namespace", "?"), run.get("elapsed_s", "?"),
                  run.get("loadavg_start", "?"), run.get("loadavg_end", "?")))
    md.append("")
    tree = meta.get("tree", {})
    md.append("Versions: {} (commit {}{}); {}; xinetd {}; socat {}; {}.".format(
        ver.get("sockbind", "?"), tree.get("commit", "?"),
        ", with uncommitted changes to " + tree["changed"] if tree.get("changed") else "",
        ver.get("python", "?"), ver.get("xinetd", "?"),
        ver.get("socat", "?"), ver.get("redis", "?")))
    md.append("")
    if mach.get("cpuidle") == "haltpoll" and mach.get("halt_poll_ns") == "0":
        md.append("Caveat: this is a VM whose idle vCPUs halt at once (cpuidle haltpoll, "
                  "guest_halt_poll_ns=0), and a halted vCPU takes tens of microseconds to wake. "
                  "At 1 and 5 clients, where a CPU idles between round trips, every server's "
                  "numbers swing by up to 8x with whatever else runs on the machine (socat at "
                  "c=1: about 12k round trips/s on an idle machine, 100k/s while other work "
                  "keeps the CPUs awake). Compare ratios within one run; the targets are at 50 "
                  "and 200 clients, where the CPUs stay busy.")
        md.append("")
    if png:
        md.append("![round trips per second against concurrency](throughput.png)")
        md.append("")
    md.extend(throughput_tables(summ, servers, concs))
    md.append("### Errors and connections not served")
    md.append("")
    md.extend(problems_table(summ, servers, concs))
    md.extend(threads_table(summ, servers, concs))
    md.extend(repeats_table(summ, servers, concs))
    md.append("### Memory at 50 persistent clients (PSS of the whole process tree, from /proc/*/smaps_rollup)")
    md.append("")
    md.append("Sampled every half second during runs of their own (reading smaps_rollup walks "
              "every process's page tables, which would slow a measured run); the last sample "
              "of each run, median and range over the repeats.")
    md.append("")
    md.append("| server | PSS | range | processes | range |")
    md.append("|---|---:|---:|---:|---:|")
    mem = memory(meta)
    for s in servers:
        m = mem.get(s)
        if m:
            md.append("| {} | {:.1f} MiB | {:.1f}-{:.1f} MiB | {:.0f} | {:.0f}-{:.0f} |".format(
                NAMES[s], m["pss"] / 1024, m["pss_range"][0] / 1024, m["pss_range"][1] / 1024,
                m["nproc"], m["nproc_range"][0], m["nproc_range"][1]))
    md.append("")
    m200 = summ.get(("persistent", 200, "sockbind"))
    if m200:
        md.append("sockbind's pool grows to one worker per persistent client; at 200 clients the slowest "
                  "repeat had every client answered {:.1f} s after it started (the persistent runs' warm-up "
                  "waits for that, up to 30 s, before measuring).".format(m200["ramp"] / 1e3))
        md.append("")
    cost = meta.get("cost", {})
    if cost:
        md.append("### What a round trip costs each server at 50 clients")
        md.append("")
        md.append("System calls, CPU time and context switches of the server's own processes "
                  "(a cgroup each), per round trip, counted by perf stat during one more run of each.")
        md.append("")
        md.append("| server | persistent: syscalls | CPU us | context switches | "
                  "reconnect: syscalls | CPU us | context switches |")
        md.append("|---|---:|---:|---:|---:|---:|---:|")
        for s in servers:
            cells = []
            for wl in WORKLOADS:
                c = cost.get((s, wl))
                cells += ([c["sys_per_rt"], c["cpu_us_per_rt"], c["cs_per_rt"]]
                          if c else ["-", "-", "-"])
            md.append("| {} | {} |".format(NAMES[s], " | ".join(cells)))
        md.append("")
    md.extend(proxy_lines(meta))
    md.append("## Targets (docs/bench/README.md)")
    md.append("")
    md.append("| target | result | measured |")
    md.append("|---|---|---|")
    for name, ok, detail in tg:
        md.append("| {} | {} | {} |".format(name, {True: "PASS", False: "**FAIL**", None: "n/a"}[ok], detail))
    md.append("")
    md.extend(profile_lines(profile))
    md.append("Raw numbers: [results.csv](results.csv) (every run), [raw.txt](raw.txt). "
              "Reproduce: `make bench` as root on Debian 12.")
    md.append("")
    with open(os.path.join(outdir, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    print("\n".join(throughput_tables(summ, servers, concs)))
    print("\n".join(proxy_lines(meta)))
    print("Targets:")
    failed = 0
    for name, ok, detail in tg:
        word = {True: "PASS", False: "FAIL", None: "N/A "}[ok]
        failed += ok is False
        print("  {}  {}: {}".format(word, name, detail))
    print("bench: wrote {}".format(", ".join(
        os.path.join(outdir, n) for n in ("results.md", "results.csv", "raw.txt",
                                           "throughput.png", "profile.md")
        if os.path.exists(os.path.join(outdir, n)))))
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
