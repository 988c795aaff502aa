/*
 * echo.c -- RFC 862 echo: every byte back, unchanged, until the client
 * closes. Each read is logged as a message received and sent.
 */
#include "daemon/conn.h"
#include "daemon/service.h"

void
echo_serve(struct conn *c, const struct config *cfg)
{
	char buf[16384];
	ssize_t n;

	(void)cfg;
	while ((n = conn_read(c, buf, sizeof(buf))) > 0) {
		conn_log_recv(c, buf, n);
		if (conn_write(c, buf, n) == -1)
			return;
		conn_log_sent(c, buf, n);
	}
}
