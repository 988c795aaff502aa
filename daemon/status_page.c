/* status_page.c -- the status listener's page, JSON and metrics. */
#include <stdio.h>
#include <string.h>

#include "daemon/status_page.h"

/* The per-slot counters, as metrics: name, label, and help. */
struct status_metric {
	int		 counter;	/* enum sb_counter or sb_master_counter */
	const char	*name;
	const char	*label;		/* NULL: none */
	const char	*help;
};

static const struct status_metric status_counters[] = {
	{ SB_ACCEPTED, "sockbind_connections_accepted_total", NULL,
	    "Connections a worker took." },
	{ SB_REFUSED_PER_SOURCE, "sockbind_connections_refused_total",
	    "reason=\"per_source\"",
	    "Connections refused before they were served, by reason." },
	{ SB_REFUSED_PROXY, "sockbind_connections_refused_total",
	    "reason=\"proxy\"", NULL },
	{ SB_CUT_STRESS, "sockbind_connections_ended_total",
	    "reason=\"stress\"",
	    "Connections the server ended, by reason: let go under stress, "
	    "an idle or session limit, a client that read nothing." },
	{ SB_ENDED_IDLE, "sockbind_connections_ended_total",
	    "reason=\"limit\"", NULL },
	{ SB_ENDED_SEND, "sockbind_connections_ended_total",
	    "reason=\"send\"", NULL },
	{ SB_BYTES_IN, "sockbind_received_bytes_total", NULL,
	    "Bytes received from clients." },
	{ SB_BYTES_OUT, "sockbind_sent_bytes_total", NULL,
	    "Bytes sent to clients." },
	{ SB_STORE_ERRORS, "sockbind_store_errors_total", NULL,
	    "Requests the identity and account store failed." },
};

static const struct status_metric status_master[] = {
	{ SB_SPAWNED, "sockbind_worker_spawns_total", NULL,
	    "Workers forked." },
	{ SB_SPAWNED_ON_DEMAND, "sockbind_worker_spawns_on_demand_total",
	    NULL, "Workers forked at once for connections that waited." },
	{ SB_EXIT_CLEAN, "sockbind_worker_exits_total", "cause=\"clean\"",
	    "Workers that ended, by cause: retired or recycled (clean), "
	    "died (crashed), killed as stuck (killed), failed to start "
	    "(boot)." },
	{ SB_EXIT_CRASHED, "sockbind_worker_exits_total", "cause=\"crashed\"",
	    NULL },
	{ SB_EXIT_KILLED, "sockbind_worker_exits_total", "cause=\"killed\"",
	    NULL },
	{ SB_EXIT_BOOT, "sockbind_worker_exits_total", "cause=\"boot\"",
	    NULL },
	{ SB_STRESS_EPISODES, "sockbind_stress_episodes_total", NULL,
	    "Times the server went under stress." },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The page: no external asset; it fetches status.json once a second. */
static const char status_html[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>sockbind status</title>\n"
    "<style>\n"
    "body{font:20px/1.4 system-ui,sans-serif;margin:0;background:#fafafa;color:#111}\n"
    "header{background:#123;color:#fff;padding:12px 24px;display:flex;flex-wrap:wrap;gap:8px 32px;align-items:baseline}\n"
    "header h1{font-size:28px;margin:0}\n"
    "main{padding:16px 24px}\n"
    ".facts{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}\n"
    ".fact{background:#fff;border:1px solid #ccc;border-radius:6px;padding:8px 16px;min-width:150px}\n"
    ".fact b{display:block;font-size:32px}\n"
    "#stress.on{background:#c00;color:#fff}\n"
    "#grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px}\n"
    ".slot{border-radius:6px;padding:8px 10px;min-height:64px;border:2px solid #999;background:#fff}\n"
    ".slot .n{font-weight:bold}\n"
    ".key{border:2px solid;border-radius:4px;padding:0 8px}\n"
    ".idle{border-color:#2a2;background:#efe}\n"
    ".busy{border-color:#c60;background:#fd8}\n"
    ".starting{border-color:#26c;background:#def}\n"
    ".stopping{border-color:#888;background:#ddd}\n"
    ".legend span{margin-right:16px}\n"
    "#chart{width:100%;height:220px;background:#fff;border:1px solid #ccc;border-radius:6px}\n"
    "#err{color:#c00}\n"
    "</style></head><body>\n"
    "<header><h1>sockbind</h1><span id=\"what\">&hellip;</span><span id=\"err\"></span></header>\n"
    "<main>\n"
    "<div class=\"facts\">\n"
    "<div class=\"fact\">busy<b id=\"busy\">-</b></div>\n"
    "<div class=\"fact\">idle<b id=\"idle\">-</b></div>\n"
    "<div class=\"fact\">connections/s<b id=\"cps\">-</b></div>\n"
    "<div class=\"fact\">refusals/s<b id=\"rps\">-</b></div>\n"
    "<div class=\"fact\" id=\"stress\">stress<b id=\"stressv\">-</b></div>\n"
    "<div class=\"fact\">uptime<b id=\"uptime\">-</b></div>\n"
    "</div>\n"
    "<div class=\"legend\"><span class=\"key idle\">idle</span> <span class=\"key busy\">busy</span>\n"
    "<span class=\"key starting\">starting</span> <span class=\"key stopping\">stopping</span>\n"
    "<span id=\"workers\"></span></div>\n"
    "<div id=\"grid\"></div>\n"
    "<h2>Last minutes</h2>\n"
    "<canvas id=\"chart\" width=\"1200\" height=\"220\"></canvas>\n"
    "<div class=\"legend\"><span style=\"color:#26c\">&#9632; connections/s</span><span style=\"color:#c60\">&#9632; busy workers</span></div>\n"
    "</main>\n"
    "<script>\n"
    "\"use strict\";\n"
    "const $ = id => document.getElementById(id);\n"
    "function dur(s) {\n"
    "\ts = Math.floor(s);\n"
    "\tif (s < 60) return s + \" s\";\n"
    "\tif (s < 3600) return Math.floor(s / 60) + \" min \" + (s % 60) + \" s\";\n"
    "\treturn Math.floor(s / 3600) + \" h \" + Math.floor(s % 3600 / 60) + \" min\";\n"
    "}\n"
    "function grid(d) {\n"
    "\tconst g = $(\"grid\");\n"
    "\tg.textContent = \"\";\n"
    "\tfor (const w of d.slots) {\n"
    "\t\tconst e = document.createElement(\"div\");\n"
    "\t\te.className = \"slot \" + w.state;\n"
    "\t\te.dataset.state = w.state;\n"
    "\t\tconst n = document.createElement(\"div\");\n"
    "\t\tn.className = \"n\";\n"
    "\t\tn.textContent = \"#\" + w.slot + \" \" + w.state;\n"
    "\t\te.appendChild(n);\n"
    "\t\tconst t = document.createElement(\"div\");\n"
    "\t\tif (w.serving)\n"
    "\t\t\tt.textContent = (w.client || \"a client\") + \", \" + dur(w.served_seconds);\n"
    "\t\telse\n"
    "\t\t\tt.textContent = \"pid \" + w.pid + \", \" + w.requests + \" served\";\n"
    "\t\te.appendChild(t);\n"
    "\t\tg.appendChild(e);\n"
    "\t}\n"
    "}\n"
    "function line(c, data, max, color, h) {\n"
    "\tconst x0 = 40, w = c.width - x0 - 10;\n"
    "\tconst ctx = c.getContext(\"2d\");\n"
    "\tctx.strokeStyle = color;\n"
    "\tctx.lineWidth = 3;\n"
    "\tctx.beginPath();\n"
    "\tdata.forEach((v, i) => {\n"
    "\t\tconst x = x0 + (data.length < 2 ? 0 : i * w / (data.length - 1));\n"
    "\t\tconst y = h - 10 - v / max * (h - 30);\n"
    "\t\tif (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);\n"
    "\t});\n"
    "\tctx.stroke();\n"
    "}\n"
    "function chart(d) {\n"
    "\tconst c = $(\"chart\"), ctx = c.getContext(\"2d\"), h = c.height;\n"
    "\tconst cps = d.history.connections_per_second, busy = d.history.busy;\n"
    "\tconst max = Math.max(1, ...cps, ...busy);\n"
    "\tctx.clearRect(0, 0, c.width, h);\n"
    "\tctx.fillStyle = \"#555\";\n"
    "\tctx.font = \"14px sans-serif\";\n"
    "\tctx.fillText(max.toFixed(max < 10 ? 1 : 0), 2, 24);\n"
    "\tctx.fillText(\"0\", 2, h - 10);\n"
    "\tctx.fillText(cps.length + \" s\", c.width - 60, h - 12);\n"
    "\tline(c, cps, max, \"#26c\", h);\n"
    "\tline(c, busy, max, \"#c60\", h);\n"
    "}\n"
    "function render(d) {\n"
    "\t$(\"what\").textContent = d.service + \" on port \" + d.port + \", version \" +\n"
    "\t    d.version + (d.stopping ? \", stopping\" : \"\");\n"
    "\t$(\"busy\").textContent = d.workers.busy;\n"
    "\t$(\"idle\").textContent = d.workers.idle;\n"
    "\t$(\"cps\").textContent = d.rates.connections_per_second.toFixed(1);\n"
    "\t$(\"rps\").textContent = d.rates.refusals_per_second.toFixed(1);\n"
    "\t$(\"stressv\").textContent = d.stress ? \"on\" : \"off\";\n"
    "\t$(\"stress\").className = \"fact\" + (d.stress ? \" on\" : \"\");\n"
    "\t$(\"uptime\").textContent = dur(d.uptime_seconds);\n"
    "\t$(\"workers\").textContent = d.workers.total + \" workers of at most \" + d.max_workers +\n"
    "\t    (d.queued ? \", \" + d.queued + \" waiting\" : \"\");\n"
    "\tgrid(d);\n"
    "\tchart(d);\n"
    "}\n"
    "async function tick() {\n"
    "\ttry {\n"
    "\t\tconst r = await fetch(\"status.json\", { cache: \"no-store\" });\n"
    "\t\tif (!r.ok) throw new Error(\"HTTP \" + r.status);\n"
    "\t\trender(await r.json());\n"
    "\t\t$(\"err\").textContent = \"\";\n"
    "\t} catch (e) {\n"
    "\t\t$(\"err\").textContent = \"no answer from the server (\" + e.message + \")\";\n"
    "\t}\n"
    "\tsetTimeout(tick, 1000);\n"
    "}\n"
    "tick();\n"
    "</script></body></html>\n";

int
status_page_html(FILE *fp)
{
	fputs(status_html, fp);
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

void
status_page_counts(const struct status_view *v, int *counts)
{
	size_t i;

	memset(counts, 0, (SB_STOPPING + 1) * sizeof(*counts));
	for (i = 0; i < v->n; i++)
		if (v->w[i].state >= SB_STARTING && v->w[i].state <= SB_STOPPING)
			counts[v->w[i].state]++;
}

int
status_page_health(const struct status_view *v, const char **text)
{
	int counts[SB_STOPPING + 1];

	status_page_counts(v, counts);
	if (v->h.stopping) {
		*text = "stopping\n";
		return 503;
	}
	if (counts[SB_IDLE] + counts[SB_BUSY] == 0) {
		*text = "no worker ready\n";
		return 503;
	}
	*text = "ok\n";
	return 200;
}

void
status_history_add(struct status_history *h, const struct status_sample *s)
{
	h->s[h->next] = *s;
	h->next = (h->next + 1) % STATUS_HISTORY;
	if (h->n < STATUS_HISTORY)
		h->n++;
}

const struct status_sample *
status_history_at(const struct status_history *h, size_t i)
{
	return &h->s[(h->next + STATUS_HISTORY - h->n + i) % STATUS_HISTORY];
}

/* Per second, between samples i - 1 and i of the history. */
static double
status_rate(const struct status_history *h, size_t i, int refused)
{
	const struct status_sample *a = status_history_at(h, i - 1);
	const struct status_sample *b = status_history_at(h, i);
	uint64_t d;

	if (b->mono_ms <= a->mono_ms)
		return 0;
	d = refused ? b->refused - a->refused : b->accepted - a->accepted;
	return (double)d * 1000 / (double)(b->mono_ms - a->mono_ms);
}

static double
status_last_rate(const struct status_view *v, int refused)
{
	if (v->hist == NULL || v->hist->n < 2)
		return 0;
	return status_rate(v->hist, v->hist->n - 1, refused);
}

static double
status_seconds(uint64_t now_ms, uint64_t since_ms)
{
	return since_ms != 0 && now_ms > since_ms ?
	    (double)(now_ms - since_ms) / 1000 : 0;
}

/* A JSON string; the scoreboard's text is addresses, but escape anyway. */
static void
status_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
status_json_slots(FILE *fp, const struct status_view *v)
{
	const struct sb_worker *w;
	size_t i;

	fprintf(fp, "\"slots\":[");
	for (i = 0; i < v->n; i++) {
		w = &v->w[i];
		fprintf(fp, "%s\n{\"slot\":%zu,\"pid\":%d,\"state\":\"%s\","
		    "\"serving\":%s,\"requests\":%llu,\"age_seconds\":%.3f,"
		    "\"client\":", i ? "," : "", w->slot, (int)w->pid,
		    scoreboard_state_name(w->state),
		    w->serving ? "true" : "false",
		    (unsigned long long)w->requests,
		    status_seconds(v->now_ms, w->started_ms));
		if (w->serving && v->show_clients && w->client[0] != '\0')
			status_json_str(fp, w->client);
		else
			fputs("null", fp);
		if (w->serving)
			fprintf(fp, ",\"served_seconds\":%.3f,"
			    "\"quiet_seconds\":%.3f}",
			    status_seconds(v->now_ms, w->busy_since_ms),
			    status_seconds(v->now_ms, w->quiet_since_ms));
		else
			fputs(",\"served_seconds\":null,"
			    "\"quiet_seconds\":null}", fp);
	}
	fprintf(fp, "]");
}

static void
status_json_history(FILE *fp, const struct status_view *v)
{
	static const char *const series[] = { "connections_per_second",
	    "refusals_per_second", "busy" };
	size_t i, k, n = v->hist != NULL ? v->hist->n : 0;

	fprintf(fp, "\"history\":{\"interval_seconds\":1");
	for (k = 0; k < NELEM(series); k++) {
		fprintf(fp, ",\"%s\":[", series[k]);
		for (i = 1; i < n; i++) {
			if (k < 2)
				fprintf(fp, "%s%.2f", i > 1 ? "," : "",
				    status_rate(v->hist, i, (int)k));
			else
				fprintf(fp, "%s%d", i > 1 ? "," : "",
				    status_history_at(v->hist, i)->busy);
		}
		fputc(']', fp);
	}
	fputc('}', fp);
}

int
status_page_json(FILE *fp, const struct status_view *v)
{
	int counts[SB_STOPPING + 1], st;
	size_t c;

	status_page_counts(v, counts);
	fprintf(fp, "{\"version\":");
	status_json_str(fp, v->version);
	fprintf(fp, ",\"service\":");
	status_json_str(fp, v->h.service);
	fprintf(fp, ",\"port\":%d,\"pid\":%d,\"started\":%lld,"
	    "\"uptime_seconds\":%lld,\"stopping\":%s,\"stress\":%s,"
	    "\"stress_seconds\":%.3f,\"queued\":%d,\"max_workers\":%d,"
	    "\"clients_shown\":%s,\n", v->h.port, (int)v->h.master,
	    (long long)v->h.started, (long long)(v->now - v->h.started),
	    v->h.stopping ? "true" : "false", v->h.stress ? "true" : "false",
	    v->h.stress ? status_seconds(v->now_ms, v->h.stress_since_ms) : 0,
	    v->h.queued, v->h.max_workers, v->show_clients ? "true" : "false");
	fprintf(fp, "\"workers\":{\"total\":%zu", v->n);
	for (st = SB_STARTING; st <= SB_STOPPING; st++)
		fprintf(fp, ",\"%s\":%d", scoreboard_state_name(st),
		    counts[st]);
	fprintf(fp, "},\n\"rates\":{\"connections_per_second\":%.2f,"
	    "\"refusals_per_second\":%.2f},\n\"counters\":{",
	    status_last_rate(v, 0), status_last_rate(v, 1));
	for (c = 0; c < SB_VERB_FIRST; c++)
		fprintf(fp, "%s\"%s\":%llu", c ? "," : "",
		    scoreboard_counter_name(c),
		    (unsigned long long)v->totals[c]);
	fprintf(fp, "},\n\"requests\":{");
	for (c = SB_VERB_FIRST; c < SB_COUNTERS; c++)
		fprintf(fp, "%s\"%s\":%llu", c > SB_VERB_FIRST ? "," : "",
		    scoreboard_counter_name(c),
		    (unsigned long long)v->totals[c]);
	fprintf(fp, "},\n\"master\":{");
	for (c = 0; c < SB_MASTER_COUNTERS; c++)
		fprintf(fp, "%s\"%s\":%llu", c ? "," : "",
		    scoreboard_master_counter_name(c),
		    (unsigned long long)v->h.count[c]);
	fprintf(fp, "},\n\"log\":");
	if (v->have_log)
		fprintf(fp, "{\"written\":%llu,\"dropped\":%llu}",
		    (unsigned long long)v->log_written,
		    (unsigned long long)v->log_dropped);
	else
		fprintf(fp, "null");
	fprintf(fp, ",\n");
	status_json_slots(fp, v);
	fprintf(fp, ",\n");
	status_json_history(fp, v);
	fprintf(fp, "}\n");
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

/* One sample; HELP and TYPE before the first sample of a name. */
static void
status_metric(FILE *fp, const char *name, const char *type,
    const char *help, const char *label, const char *fmt, double value)
{
	if (help != NULL)
		fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		    type);
	fputs(name, fp);
	if (label != NULL)
		fprintf(fp, "{%s}", label);
	fputc(' ', fp);
	fprintf(fp, fmt, value);
	fputc('\n', fp);
}

static void
status_counter(FILE *fp, const struct status_metric *m, uint64_t value)
{
	if (m->help != NULL)
		fprintf(fp, "# HELP %s %s\n# TYPE %s counter\n", m->name,
		    m->help, m->name);
	fputs(m->name, fp);
	if (m->label != NULL)
		fprintf(fp, "{%s}", m->label);
	fprintf(fp, " %llu\n", (unsigned long long)value);
}

static void
status_metrics_process(FILE *fp, const struct status_proc *p)
{
	if (p->cpu_seconds >= 0)
		status_metric(fp, "process_cpu_seconds_total", "counter",
		    "The master's user and system CPU time in seconds.", NULL,
		    "%.2f", p->cpu_seconds);
	if (p->rss_bytes >= 0)
		status_metric(fp, "process_resident_memory_bytes", "gauge",
		    "The master's resident memory size in bytes.", NULL,
		    "%.0f", (double)p->rss_bytes);
	if (p->vm_bytes >= 0)
		status_metric(fp, "process_virtual_memory_bytes", "gauge",
		    "The master's virtual memory size in bytes.", NULL,
		    "%.0f", (double)p->vm_bytes);
	if (p->start_time >= 0)
		status_metric(fp, "process_start_time_seconds", "gauge",
		    "The master's start time since the epoch in seconds.",
		    NULL, "%.2f", p->start_time);
	if (p->open_fds >= 0)
		status_metric(fp, "process_open_fds", "gauge",
		    "The master's open file descriptors.", NULL, "%.0f",
		    (double)p->open_fds);
	if (p->max_fds >= 0)
		status_metric(fp, "process_max_fds", "gauge",
		    "The master's limit of open file descriptors.", NULL,
		    "%.0f", (double)p->max_fds);
}

int
status_page_metrics(FILE *fp, const struct status_view *v)
{
	int counts[SB_STOPPING + 1], st;
	char label[128];
	size_t i;

	status_page_counts(v, counts);
	snprintf(label, sizeof(label), "version=\"%s\",service=\"%s\","
	    "port=\"%d\"", v->version, v->h.service, v->h.port);
	status_metric(fp, "sockbind_info", "gauge",
	    "The server's version, service and port (always 1).", label,
	    "%.0f", 1);
	for (i = 0; i < NELEM(status_counters); i++)
		status_counter(fp, &status_counters[i],
		    v->totals[status_counters[i].counter]);
	for (i = SB_VERB_FIRST; i < SB_COUNTERS; i++) {
		snprintf(label, sizeof(label), "verb=\"%s\"",
		    scoreboard_counter_name(i));
		status_metric(fp, "sockbind_requests_total", "counter",
		    i == SB_VERB_FIRST ? "Requests of the session and auth "
		    "services, by verb." : NULL, label, "%.0f",
		    (double)v->totals[i]);
	}
	for (st = SB_STARTING; st <= SB_STOPPING; st++) {
		snprintf(label, sizeof(label), "state=\"%s\"",
		    scoreboard_state_name(st));
		status_metric(fp, "sockbind_workers", "gauge",
		    st == SB_STARTING ? "Workers, by state." : NULL, label,
		    "%.0f", counts[st]);
	}
	status_metric(fp, "sockbind_workers_max", "gauge",
	    "The most workers the pool may have ([pool] max_workers).", NULL,
	    "%.0f", v->h.max_workers);
	status_metric(fp, "sockbind_queued_connections", "gauge",
	    "Connections waiting in the accept queue, last seen.", NULL,
	    "%.0f", v->h.queued);
	for (i = 0; i < NELEM(status_master); i++)
		status_counter(fp, &status_master[i],
		    v->h.count[status_master[i].counter]);
	status_metric(fp, "sockbind_stress", "gauge",
	    "1 while the server is under stress.", NULL, "%.0f", v->h.stress);
	status_metric(fp, "sockbind_stopping", "gauge",
	    "1 once a stop began.", NULL, "%.0f", v->h.stopping);
	if (v->have_log) {
		status_metric(fp, "sockbind_log_records_written_total",
		    "counter", "Records written to the log.", NULL, "%.0f",
		    (double)v->log_written);
		status_metric(fp, "sockbind_log_records_dropped_total",
		    "counter", "Records that could not be written to the log.",
		    NULL, "%.0f", (double)v->log_dropped);
	}
	status_metric(fp, "sockbind_start_time_seconds", "gauge",
	    "The server's start time since the epoch in seconds.", NULL,
	    "%.0f", (double)v->h.started);
	status_metrics_process(fp, &v->proc);
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}
