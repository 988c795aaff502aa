/*
 * test_status_page.c -- the status listener's JSON and metrics, rendered
 * from a made-up server; the history ring and its rates; the [status]
 * listen check.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/status.h"
#include "daemon/status_page.h"

static struct sb_worker		workers[3];
static struct status_history	hist;
static struct status_view	view;

static void
make_view(void)
{
	struct status_sample s = { 0 };
	int i;

	memset(&view, 0, sizeof(view));
	memset(workers, 0, sizeof(workers));
	memset(&hist, 0, sizeof(hist));
	view.h.master = 100;
	view.h.port = 65430;
	view.h.started = 1000;
	view.h.max_workers = 8;
	strcpy(view.h.service, "echo");
	view.h.count[SB_SPAWNED] = 5;
	view.h.count[SB_EXIT_CRASHED] = 2;
	view.now = 1060;
	view.now_ms = 50000;
	view.version = "9.9";
	workers[0].slot = 0;
	workers[0].pid = 101;
	workers[0].state = SB_BUSY;
	workers[0].serving = 1;
	workers[0].busy_since_ms = 47500;
	workers[0].started_ms = 40000;
	strcpy(workers[0].client, "127.0.0.1:50122");
	workers[1].slot = 1;
	workers[1].pid = 102;
	workers[1].state = SB_IDLE;
	workers[2].slot = 4;
	workers[2].pid = 103;
	workers[2].state = SB_STOPPING;
	view.w = workers;
	view.n = 3;
	view.totals[SB_ACCEPTED] = 42;
	view.totals[SB_REFUSED_PER_SOURCE] = 3;
	view.totals[SB_BYTES_IN] = 1234;
	view.totals[SB_VERB_ECHO] = 7;
	view.have_log = 1;
	view.log_written = 99;
	view.log_dropped = 1;
	view.proc.cpu_seconds = 1.5;
	view.proc.start_time = 1000;
	view.proc.rss_bytes = 4096;
	view.proc.vm_bytes = -1;
	view.proc.open_fds = -1;
	view.proc.max_fds = 1024;
	/* 10 connections a second, then 30 in the last half second. */
	for (i = 0; i < 4; i++) {
		s.mono_ms = 46000 + i * 1000;
		s.accepted = i * 10;
		s.busy = i;
		status_history_add(&hist, &s);
	}
	s.mono_ms = 49500;
	s.accepted = 45;
	s.refused = 2;
	status_history_add(&hist, &s);
	view.hist = &hist;
}

static char *
render(int (*fn)(FILE *, const struct status_view *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(fp);
	cr_assert_eq(fn(fp, &view), 0);
	fclose(fp);
	return buf;
}

Test(status_page, json_fields)
{
	char *j;

	make_view();
	j = render(status_page_json);
	cr_assert(strstr(j, "{\"version\":\"9.9\",\"service\":\"echo\","
	    "\"port\":65430,\"pid\":100,\"started\":1000,"
	    "\"uptime_seconds\":60,\"stopping\":false,\"stress\":false,")
	    != NULL, "%s", j);
	cr_assert(strstr(j, "\"workers\":{\"total\":3,\"starting\":0,"
	    "\"idle\":1,\"busy\":1,\"stopping\":1}") != NULL, "%s", j);
	cr_assert(strstr(j, "\"rates\":{\"connections_per_second\":30.00,"
	    "\"refusals_per_second\":4.00}") != NULL, "%s", j);
	cr_assert(strstr(j, "\"accepted\":42,\"refused_per_source\":3,") !=
	    NULL);
	cr_assert(strstr(j, "\"requests\":{\"ECHO\":7,\"MIRROR\":0,") != NULL);
	cr_assert(strstr(j, "\"unknown\":0}") != NULL);
	cr_assert(strstr(j, "\"master\":{\"spawned\":5,") != NULL);
	cr_assert(strstr(j, "\"exit_crashed\":2,") != NULL);
	cr_assert(strstr(j, "\"log\":{\"written\":99,\"dropped\":1}") != NULL);
	cr_assert(strstr(j, "{\"slot\":0,\"pid\":101,\"state\":\"busy\","
	    "\"serving\":true,\"requests\":0,\"age_seconds\":10.000,"
	    "\"client\":null,\"served_seconds\":2.500,") != NULL, "%s", j);
	cr_assert(strstr(j, "{\"slot\":4,\"pid\":103,\"state\":\"stopping\","
	    "\"serving\":false,") != NULL, "%s", j);
	cr_assert(strstr(j, "\"history\":{\"interval_seconds\":1,"
	    "\"connections_per_second\":[10.00,10.00,10.00,30.00],"
	    "\"refusals_per_second\":[0.00,0.00,0.00,4.00],"
	    "\"busy\":[1,2,3,3]}}") != NULL, "%s", j);
	free(j);
}

Test(status_page, json_client_only_when_shown)
{
	char *j;

	make_view();
	view.show_clients = 1;
	j = render(status_page_json);
	cr_assert(strstr(j, "\"client\":\"127.0.0.1:50122\"") != NULL);
	cr_assert(strstr(j, "\"clients_shown\":true") != NULL);
	free(j);
	/* Not serving: the address a slot still holds is never shown. */
	workers[0].serving = 0;
	j = render(status_page_json);
	cr_assert(strstr(j, "50122") == NULL, "%s", j);
	free(j);
}

Test(status_page, json_escapes_text)
{
	char *j;

	make_view();
	strcpy(view.h.service, "a\"b\\c\n");
	j = render(status_page_json);
	cr_assert(strstr(j, "\"service\":\"a\\\"b\\\\c\\u000a\"") != NULL,
	    "%s", j);
	free(j);
}

Test(status_page, metrics)
{
	char *m;

	make_view();
	m = render(status_page_metrics);
	cr_assert(strstr(m, "sockbind_info{version=\"9.9\",service=\"echo\","
	    "port=\"65430\"} 1\n") != NULL, "%s", m);
	cr_assert(strstr(m, "# TYPE sockbind_connections_accepted_total "
	    "counter\nsockbind_connections_accepted_total 42\n") != NULL);
	cr_assert(strstr(m, "\nsockbind_connections_refused_total{reason="
	    "\"per_source\"} 3\nsockbind_connections_refused_total{reason="
	    "\"proxy\"} 0\n") != NULL, "%s", m);
	cr_assert(strstr(m, "\nsockbind_received_bytes_total 1234\n") != NULL);
	cr_assert(strstr(m, "\nsockbind_requests_total{verb=\"ECHO\"} 7\n") !=
	    NULL);
	cr_assert(strstr(m, "\nsockbind_workers{state=\"busy\"} 1\n") != NULL);
	cr_assert(strstr(m, "\nsockbind_workers{state=\"stopping\"} 1\n") !=
	    NULL);
	cr_assert(strstr(m, "\nsockbind_worker_exits_total{cause=\"crashed\"} "
	    "2\n") != NULL);
	cr_assert(strstr(m, "\nsockbind_log_records_dropped_total 1\n") !=
	    NULL);
	cr_assert(strstr(m, "\nprocess_cpu_seconds_total 1.50\n") != NULL);
	cr_assert(strstr(m, "\nprocess_resident_memory_bytes 4096\n") != NULL);
	cr_assert(strstr(m, "\nprocess_max_fds 1024\n") != NULL);
	/* A figure that could not be read is left out, not made up. */
	cr_assert(strstr(m, "process_open_fds") == NULL);
	cr_assert(strstr(m, "process_virtual_memory_bytes") == NULL);
	/* One HELP and TYPE per name. */
	cr_assert(strstr(strstr(m, "# TYPE sockbind_workers gauge") + 1,
	    "# TYPE sockbind_workers gauge") == NULL);
	free(m);
}

Test(status_page, health)
{
	const char *text;

	make_view();
	cr_assert_eq(status_page_health(&view, &text), 200);
	cr_assert_str_eq(text, "ok\n");
	/* Busy only: still serving. */
	workers[1].state = SB_BUSY;
	cr_assert_eq(status_page_health(&view, &text), 200);
	/* Nobody ready: workers starting or stopping only. */
	workers[0].state = workers[1].state = SB_STARTING;
	cr_assert_eq(status_page_health(&view, &text), 503);
	cr_assert_str_eq(text, "no worker ready\n");
	view.n = 0;
	cr_assert_eq(status_page_health(&view, &text), 503);
	make_view();
	view.h.stopping = 1;
	cr_assert_eq(status_page_health(&view, &text), 503);
	cr_assert_str_eq(text, "stopping\n");
}

Test(status_page, history_ring_keeps_the_last)
{
	struct status_sample s = { 0 };
	size_t i;

	memset(&hist, 0, sizeof(hist));
	for (i = 0; i < STATUS_HISTORY + 5; i++) {
		s.accepted = i;
		status_history_add(&hist, &s);
	}
	cr_assert_eq(hist.n, STATUS_HISTORY);
	cr_assert_eq(status_history_at(&hist, 0)->accepted, 5);
	cr_assert_eq(status_history_at(&hist, STATUS_HISTORY - 1)->accepted,
	    STATUS_HISTORY + 4);
}

Test(status_page, html_is_self_contained)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_eq(status_page_html(fp), 0);
	fclose(fp);
	cr_assert(strncmp(buf, "<!DOCTYPE html>", 15) == 0);
	cr_assert(strstr(buf, "fetch(\"status.json\"") != NULL);
	cr_assert(strstr(buf, "src=") == NULL && strstr(buf, "href=") ==
	    NULL && strstr(buf, "@import") == NULL);
	free(buf);
}

Test(status_page, listen_check)
{
	char why[128];

	cr_assert_eq(status_check_listen("", why, sizeof(why)), 0);
	cr_assert_eq(status_check_listen("127.0.0.1:65429", why, sizeof(why)),
	    0);
	cr_assert_eq(status_check_listen("[::1]:65429", why, sizeof(why)), 0);
	cr_assert_eq(status_check_listen("*:8080", why, sizeof(why)), 0);
	cr_assert_eq(status_check_listen("127.0.0.1", why, sizeof(why)), -1);
	cr_assert_str_eq(why, "'127.0.0.1' is not ADDRESS:PORT");
	cr_assert_eq(status_check_listen("127.0.0.1:0", why, sizeof(why)), -1);
	cr_assert_str_eq(why, "'127.0.0.1:0': the port is not 1 to 65535");
	cr_assert_eq(status_check_listen("127.0.0.1:+80", why, sizeof(why)),
	    -1);
	cr_assert_eq(status_check_listen("localhost:80", why, sizeof(why)),
	    -1);
	cr_assert_eq(status_check_listen(":80", why, sizeof(why)), -1);
}
