/*
 * test_client.c -- sockbin against the real daemon. Ports 21900-21999.
 */
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

TestSuite(client, .fini = h_cleanup, .timeout = 30);

/* Run sockbin with args; its stdout and stderr into out; exit status. */
static int
run_client(const char *args, char *out, size_t outlen)
{
	const char *bin = getenv("SOCKBIN_BIN");
	char cmd[1024];
	FILE *fp;
	size_t n;
	int status;

	cr_assert_not_null(bin, "SOCKBIN_BIN is not set");
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	fp = popen(cmd, "r");
	cr_assert_not_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	status = pclose(fp);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(client, echo_through_a_port_range)
{
	struct h_daemon d;
	char out[256];

	h_start(&d, 21903, 21909, NULL);
	/* The range starts below the daemon's port: sockbin finds it. */
	cr_assert_eq(run_client("-H 127.0.0.1 -p 21900-21909 echo "
	    "'Титов Юрий'", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "Титов Юрий\n");
	cr_assert_eq(h_log_wait(d.log, "text=\"Титов Юрий\\n\"", 2,
	    H_WAIT_MS), 0);
}

Test(client, no_server_is_one_line_and_status_1)
{
	char out[256];

	cr_assert_eq(run_client("-p 21990-21992 echo hello", out,
	    sizeof(out)), 1);
	cr_assert_str_eq(out, "sockbin: no server on 127.0.0.1 ports "
	    "21990-21992: Connection refused\n");
}

Test(client, bad_port_is_usage_error)
{
	char out[256];

	cr_assert_eq(run_client("-p 0-70000 echo hello", out, sizeof(out)),
	    2);
	cr_assert(strstr(out, "not a port") != NULL, "%s", out);
}

Test(client, echo_speaks_session_to_a_session_server)
{
	const char *const over[] = { "server.service=session", NULL };
	struct h_daemon d;
	char out[256];

	h_start(&d, 21910, 21919, over);
	cr_assert_eq(run_client("-p 21910-21919 echo 'framed hello'", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "framed hello\n");
	cr_assert_eq(h_log_wait(d.log, "text=\"ECHO framed hello\"", 1,
	    H_WAIT_MS), 0);
}
