/*
 * check_report.c -- sockbin check's reports: JSON (docs/check-json.md),
 * JUnit XML (one testsuite, a testcase per case) and one self-contained
 * HTML page (the verdict grid, then the bytes each case exchanged).
 * Every text in them went through check_escape() first, so it holds no
 * control byte; each format then quotes its own special characters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "client/sockbin.h"
#include "shared/escape.h"

const char *
check_verdict_str(enum check_verdict v)
{
	switch (v) {
	case CHECK_PASSED:
		return "passed";
	case CHECK_FAILED:
		return "failed";
	case CHECK_SKIPPED:
		break;
	}
	return "skipped";
}

/* What a writer gets. */
struct report {
	const struct check_run		*r;
	const struct check_result	*res;
	size_t				 n;
	uint64_t			 ms;
	size_t				 count[3];	/* by verdict */
};

static void
check_count(const struct check_result *res, size_t n, size_t count[3])
{
	size_t i;

	count[0] = count[1] = count[2] = 0;
	for (i = 0; i < n; i++)
		count[res[i].verdict]++;
}

/* Escaped text (check_escape()'s output) quoted for JSON. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* NULL as null, else a JSON string. */
static void
json_opt(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		json_str(f, s);
}

static void
json_event(FILE *f, const struct check_event *ev)
{
	char *text = check_escape(ev->bytes, ev->kept);

	fprintf(f, "{\"conn\": %d, \"dir\": \"%s\", \"at_ms\": %llu, "
	    "\"bytes\": %zu, \"pieces\": %zu, \"text\": ", ev->conn,
	    ev->dir == '>' ? "sent" : ev->dir == '<' ? "received" : "note",
	    (unsigned long long)ev->at_ms, ev->dir == '#' ? 0 : ev->len,
	    ev->pieces);
	json_str(f, text);
	fputc('}', f);
	free(text);
}

/* Open path for a report; "-" is stdout. */
static FILE *
check_open(const char *path, char *err, size_t errlen)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdout;
	if ((f = fopen(path, "w")) == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int
check_finish(FILE *f, const char *path, char *err, size_t errlen)
{
	int bad = ferror(f);

	if (f == stdout)
		return fflush(f) == 0 && !bad ? 0 : -1;
	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
json_write(FILE *f, const struct report *rp)
{
	const struct check_run *r = rp->r;
	const struct check_result *res = rp->res;
	const size_t *count = rp->count, n = rp->n;
	uint64_t ms = rp->ms;
	size_t i, j;

	fprintf(f, "{\n  \"tool\": \"sockbin check\",\n  \"version\": ");
	json_str(f, SOCKBIN_VERSION);
	fprintf(f, ",\n  \"service\": ");
	json_str(f, r->opt->service);
	fprintf(f, ",\n  \"server\": ");
	json_str(f, r->server);
	fprintf(f, ",\n  \"duration_ms\": %llu,\n  \"summary\": {\"passed\": "
	    "%zu, \"failed\": %zu, \"skipped\": %zu},\n  \"concurrency\": ",
	    (unsigned long long)ms, count[CHECK_PASSED], count[CHECK_FAILED],
	    count[CHECK_SKIPPED]);
	json_opt(f, r->concurrency[0] ? r->concurrency : NULL);
	fprintf(f, ",\n  \"timing\": ");
	json_opt(f, r->timing[0] ? r->timing : NULL);
	fprintf(f, ",\n  \"cases\": [");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n    {\"id\": ", i ? "," : "");
		json_str(f, res[i].tc->id);
		fprintf(f, ", \"title\": ");
		json_str(f, res[i].tc->title);
		fprintf(f, ", \"verdict\": \"%s\", \"duration_ms\": %llu,\n"
		    "     \"reason\": ", check_verdict_str(res[i].verdict),
		    (unsigned long long)res[i].ms);
		json_opt(f, res[i].reason);
		fprintf(f, ", \"expected\": ");
		json_opt(f, res[i].expected);
		fprintf(f, ", \"received\": ");
		json_opt(f, res[i].received);
		fprintf(f, ",\n     \"bytes_sent\": %zu, \"bytes_received\": "
		    "%zu, \"exchange\": [", res[i].sent, res[i].recvd);
		for (j = 0; j < res[i].nev; j++) {
			fprintf(f, "%s\n       ", j ? "," : "");
			json_event(f, &res[i].ev[j]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]\n}\n");
}

/* Escaped text quoted for XML and HTML. */
static void
xml_str(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* The reason, then what was expected and what came. */
static void
xml_detail(FILE *f, const struct check_result *res)
{
	xml_str(f, res->reason);
	if (res->expected != NULL) {
		fputs("\nexpected: ", f);
		xml_str(f, res->expected);
	}
	if (res->received != NULL) {
		fputs("\nreceived: ", f);
		xml_str(f, res->received);
	}
}

static void
junit_write(FILE *f, const struct report *rp)
{
	const struct check_run *r = rp->r;
	const struct check_result *res = rp->res;
	const size_t *count = rp->count, n = rp->n;
	uint64_t ms = rp->ms;
	size_t i;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", n, count[CHECK_FAILED],
	    count[CHECK_SKIPPED], ms / 1000.0);
	fprintf(f, "  <testsuite name=\"sockbin check %s ", r->opt->service);
	xml_str(f, r->server);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", n, count[CHECK_FAILED],
	    count[CHECK_SKIPPED], ms / 1000.0);
	for (i = 0; i < n; i++) {
		fprintf(f, "    <testcase classname=\"%s\" name=\"",
		    r->opt->service);
		xml_str(f, res[i].tc->id);
		fputs(" ", f);
		xml_str(f, res[i].tc->title);
		fprintf(f, "\" time=\"%.3f\"", res[i].ms / 1000.0);
		if (res[i].verdict == CHECK_PASSED) {
			fputs("/>\n", f);
			continue;
		}
		fprintf(f, ">\n      <%s message=\"",
		    res[i].verdict == CHECK_FAILED ? "failure" : "skipped");
		xml_str(f, res[i].reason);
		fputs("\">", f);
		if (res[i].verdict == CHECK_FAILED) {
			xml_detail(f, &res[i]);
			fputs("</failure>\n", f);
		} else
			fputs("</skipped>\n", f);
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
}

static const char html_head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<title>sockbin check %s</title>\n<style>\n"
"body{font-family:sans-serif;margin:2em;color:#222}\n"
"table{border-collapse:collapse}td,th{border:1px solid #ccc;"
"padding:.3em .6em;text-align:left;vertical-align:top}\n"
".passed{background:#d4f4d4}.failed{background:#f8d0d0}"
".skipped{background:#eee}\n"
"pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;"
"word-break:break-all}\n.sent{color:#05a}.received{color:#a50}"
".note{color:#777}\n</style>\n</head>\n<body>\n";

static void
html_events(FILE *f, const struct check_result *res)
{
	const struct check_event *ev;
	char *text;
	size_t j;

	fputs("<pre>", f);
	for (j = 0; j < res->nev; j++) {
		ev = &res->ev[j];
		text = check_escape(ev->bytes, ev->kept);
		if (ev->dir == '#')
			fprintf(f, "<span class=\"note\">%6llu ms  #%d  ",
			    (unsigned long long)ev->at_ms, ev->conn);
		else
			fprintf(f, "<span class=\"%s\">%6llu ms  #%d %s "
			    "%zu byte%s in %zu %s: ", ev->dir == '>' ? "sent" :
			    "received", (unsigned long long)ev->at_ms,
			    ev->conn, ev->dir == '>' ? "&gt;" : "&lt;",
			    ev->len, ev->len == 1 ? "" : "s", ev->pieces,
			    ev->dir == '>' ? "writes" : "reads");
		xml_str(f, text);
		if (ev->kept < ev->len && ev->dir != '#')
			fputs(" ...", f);
		fputs("</span>\n", f);
		free(text);
	}
	fputs("</pre>\n", f);
}

static void
html_write(FILE *f, const struct report *rp)
{
	const struct check_run *r = rp->r;
	const struct check_result *res = rp->res;
	const size_t *count = rp->count, n = rp->n;
	uint64_t ms = rp->ms;
	size_t i;

	fprintf(f, html_head, r->opt->service);
	fprintf(f, "<h1>sockbin check %s ", r->opt->service);
	xml_str(f, r->server);
	fprintf(f, "</h1>\n<p>%zu passed, %zu failed, %zu skipped in %llu ms"
	    "</p>\n", count[CHECK_PASSED], count[CHECK_FAILED],
	    count[CHECK_SKIPPED], (unsigned long long)ms);
	if (r->concurrency[0] != '\0') {
		fprintf(f, "<p>Concurrency: <b>%s</b>: ", r->concurrency);
		xml_str(f, r->timing);
		fputs("</p>\n", f);
	}
	fputs("<table>\n<tr><th>case</th><th>title</th><th>verdict</th>"
	    "<th>ms</th><th>reason</th></tr>\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr class=\"%s\"><td><a href=\"#c%zu\">",
		    check_verdict_str(res[i].verdict), i);
		xml_str(f, res[i].tc->id);
		fputs("</a></td><td>", f);
		xml_str(f, res[i].tc->title);
		fprintf(f, "</td><td>%s</td><td>%llu</td><td>",
		    check_verdict_str(res[i].verdict),
		    (unsigned long long)res[i].ms);
		xml_detail(f, &res[i]);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Bytes exchanged</h2>\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "<h3 id=\"c%zu\" class=\"%s\">", i,
		    check_verdict_str(res[i].verdict));
		xml_str(f, res[i].tc->id);
		fputs(" ", f);
		xml_str(f, res[i].tc->title);
		fprintf(f, ": %s</h3>\n<p>%zu bytes sent, %zu received</p>\n",
		    check_verdict_str(res[i].verdict), res[i].sent,
		    res[i].recvd);
		html_events(f, &res[i]);
	}
	fputs("</body>\n</html>\n", f);
}

int
check_report(enum check_format fmt, const char *path,
    const struct check_run *r, const struct check_result *res, size_t n,
    uint64_t ms, char *err, size_t errlen)
{
	static void (*const writers[])(FILE *, const struct report *) = {
		[CHECK_JSON] = json_write,
		[CHECK_JUNIT] = junit_write,
		[CHECK_HTML] = html_write,
	};
	struct report rp = { r, res, n, ms, { 0, 0, 0 } };
	FILE *f;

	if ((f = check_open(path, err, errlen)) == NULL)
		return -1;
	check_count(res, n, rp.count);
	writers[fmt](f, &rp);
	return check_finish(f, path, err, errlen);
}
