/* test_hashgate.c -- the server-wide bound on password hashes (hashgate.c). */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/hashgate.h"

static void
gate_init(void)
{
	char err[128];

	alarm(20);	/* a deadlock fails the test, not the suite */
	cr_assert_eq(hashgate_init(err, sizeof(err)), 0, "%s", err);
}

TestSuite(hashgate, .init = gate_init);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A child that takes a slot of max, says so on the pipe, and holds it
 * until it is killed. */
static pid_t
holder(int max)
{
	int fds[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = hashgate_enter(max, 1000) >= 0 ? 'y' : 'n';
		if (write(fds[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	cr_assert_eq(c, 'y', "the holder got no slot");
	return pid;
}

static void
kill_wait(pid_t pid)
{
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
}

Test(hashgate, limit_defaults_to_the_cpus)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	cr_assert_eq(hashgate_limit(0), cpus < HASHGATE_SLOTS ? cpus :
	    HASHGATE_SLOTS);
	cr_assert_eq(hashgate_limit(3), 3);
	cr_assert_eq(hashgate_limit(1000), HASHGATE_SLOTS);
}

/* With max slots held, the next waits its bounded time and is refused; a
 * slot freed by its holder, or by its holder's death, is taken. */
Test(hashgate, full_gate_refuses_after_the_wait)
{
	pid_t a, b;
	int64_t t0, waited;
	int slot;

	a = holder(2);
	b = holder(2);
	t0 = now_ms();
	cr_assert_eq(hashgate_enter(2, 200), -1);
	waited = now_ms() - t0;
	cr_assert(waited >= 190 && waited < 2000, "waited %lld ms",
	    (long long)waited);
	/* A third slot, under a limit of 3, is free. */
	cr_assert_geq(slot = hashgate_enter(3, 200), 0);
	hashgate_leave(slot);
	/* A holder killed holding its slot cannot keep it. */
	kill_wait(a);
	cr_assert_geq(slot = hashgate_enter(2, 200), 0);
	cr_assert_lt(slot, 2);
	hashgate_leave(slot);
	kill_wait(b);
}

/* A waiter gets the slot as soon as it frees, well before its deadline. */
Test(hashgate, waiter_takes_a_slot_that_frees)
{
	int64_t t0;
	pid_t a, killer;
	int slot;

	a = holder(1);
	t0 = now_ms();
	cr_assert_neq(killer = fork(), -1);
	if (killer == 0) {
		/* Dies a little after the parent started waiting. */
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		kill(a, SIGKILL);
		_exit(0);
	}
	cr_assert_geq(slot = hashgate_enter(1, 5000), 0);
	cr_assert_lt(now_ms() - t0, 2000, "waited %lld ms",
	    (long long)(now_ms() - t0));
	hashgate_leave(slot);
	cr_assert_eq(waitpid(a, NULL, 0), a);
	cr_assert_eq(waitpid(killer, NULL, 0), killer);
}
