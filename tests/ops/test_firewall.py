"""sockbind-firewall: the firewall-cmd commands and the nftables ruleset it
prints in dry-run mode (the ruleset checked by nft -c), the range it reads
from the daemon's configuration, --from networks and the systemd drop-in
they need, its choice of firewall, its refusals (no firewall-cmd or nft,
firewalld not running, not root), the commands it really runs (against a
stand-in firewall-cmd and nft, and the real nft in a network namespace of
its own), and the firewalld service file."""
import os
import shutil
import subprocess
import unittest
import xml.etree.ElementTree as ET

from opslib import ROOT, TempDir, config_defaults, copy_for

SCRIPT = os.path.join(ROOT, "systemd", "sockbind-firewall")
SAMPLE = os.path.join(ROOT, "etc", "sockbind.ini")
XML = os.path.join(ROOT, "etc", "firewalld", "sockbind.xml")
DEFAULTS = config_defaults()
RANGE = "%s-%s/tcp" % (DEFAULTS[("server", "port_min")],
                       DEFAULTS[("server", "port_max")])

# A firewall-cmd stand-in: --state answers as $FAKE_STATE says; every other
# call is appended to $FAKE_LOG and exits $FAKE_STATUS.
FAKE = """#!/bin/sh
if [ "$1" = --state ]; then
	if [ "$FAKE_STATE" = running ]; then echo running; exit 0; fi
	echo "not running"; exit 252
fi
echo "firewall-cmd $*" >> "$FAKE_LOG"
exit "${FAKE_STATUS:-0}"
"""


def run(args, env=None, user=None, script=SCRIPT):
    cmd = [script] + args
    if user is not None:
        cmd = ["setpriv", "--reuid=" + user, "--regid=" + user,
               "--clear-groups"] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def nobody_ids():
    import pwd
    pw = pwd.getpwnam("nobody")
    return str(pw.pw_uid), str(pw.pw_gid)


class DryRun(unittest.TestCase):

    def test_commands(self):
        cases = {
            ("open", ()): ["firewall-cmd --add-port=%s" % RANGE],
            ("open", ("--permanent",)): [
                "firewall-cmd --permanent --add-port=%s" % RANGE,
                "firewall-cmd --reload"],
            ("open", ("--zone=public",)): [
                "firewall-cmd --zone=public --add-port=%s" % RANGE],
            ("open", ("-p", "-z", "dmz")): [
                "firewall-cmd --permanent --zone=dmz --add-port=%s" % RANGE,
                "firewall-cmd --reload"],
            ("close", ()): ["firewall-cmd --remove-port=%s" % RANGE],
            ("close", ("-p",)): [
                "firewall-cmd --permanent --remove-port=%s" % RANGE,
                "firewall-cmd --reload"],
            ("close", ("--zone", "public")): [
                "firewall-cmd --zone=public --remove-port=%s" % RANGE],
            ("close", ("--permanent", "--zone=internal")): [
                "firewall-cmd --permanent --zone=internal --remove-port=%s"
                % RANGE,
                "firewall-cmd --reload"],
            ("show", ()): ["firewall-cmd --query-port=%s" % RANGE],
            ("show", ("-p",)): [
                "firewall-cmd --permanent --query-port=%s" % RANGE],
            ("show", ("-z", "public")): [
                "firewall-cmd --zone=public --query-port=%s" % RANGE],
            ("show", ("-p", "--zone=work")): [
                "firewall-cmd --permanent --zone=work --query-port=%s"
                % RANGE],
        }
        for (action, opts), want in cases.items():
            for dry in ("-n", "--dry-run"):
                with self.subTest(action=action, opts=opts, dry=dry):
                    status, out, err = run([dry, "-b", "firewalld", "-c",
                                            SAMPLE] + list(opts) + [action])
                    self.assertEqual((status, err), (0, ""))
                    self.assertEqual(out.splitlines(), want)

    def test_flags_together(self):
        # -np is -n -p, as the usage line [-hnp] says.
        for flags in (["-np"], ["-pn"], ["-n", "-p"]):
            with self.subTest(flags=flags):
                status, out, err = run(flags + ["-b", "firewalld", "-c",
                                                SAMPLE, "open"])
                self.assertEqual((status, err), (0, ""))
                self.assertEqual(out.splitlines(), [
                    "firewall-cmd --permanent --add-port=%s" % RANGE,
                    "firewall-cmd --reload"])
        status, out, err = run(["-nx", "-c", SAMPLE, "open"])
        self.assertEqual((status, out), (2, ""))
        self.assertIn("unknown option -x", err)

    def test_range_from_config(self):
        cases = [
            ("[server]\nport_min = 5000\nport_max = 5010\n", "5000-5010/tcp"),
            ("[pool]\nstart = 2\n", RANGE),
            ("[server]\nport_max = 65435\n",
             "%s-65435/tcp" % DEFAULTS[("server", "port_min")]),
            ('[Server]\n  PORT_MIN = "6000" ; comment\nport_max=6001 # x\n',
             "6000-6001/tcp"),
            ("; [server]\n[server]\n# port_min = 1\nport_min = 7000\n"
             "port_max = 7000\n[other]\nport_min = 1\n", "7000/tcp"),
            # A sign, as the daemon's strtoll takes it.
            ("[server]\nport_min = +9000\nport_max = 9001\n", "9000-9001/tcp"),
            ('[server]\nport_min = " 9100"\nport_max = 9101\n', "9100-9101/tcp"),
        ]
        with TempDir() as tmp:
            conf = os.path.join(tmp, "t.ini")
            for text, ports in cases:
                with self.subTest(config=text):
                    with open(conf, "w") as f:
                        f.write(text)
                    status, out, err = run(["-n", "-b", "firewalld", "-c",
                                            conf, "open"])
                    self.assertEqual((status, err), (0, ""))
                    self.assertEqual(out, "firewall-cmd --add-port=%s\n"
                                     % ports)

    def test_errors(self):
        with TempDir() as tmp:
            conf = os.path.join(tmp, "t.ini")
            cases = [
                ("[server]\nport_min = 70000\n", "out of range"),
                ("[server]\nport_min = 0\n", "out of range"),
                ("[server]\nport_min = abc\n", "not a whole number"),
                ("[server]\nport_min =\n", "not a whole number"),
                ("[server]\nport_min = 65439\nport_max = 65431\n",
                 "above port_max"),
                # The daemon refuses a key given twice; so does this.
                ("[server]\nport_min = 8000\nport_min = 8001\n",
                 "given twice"),
            ]
            for text, why in cases:
                with self.subTest(config=text):
                    with open(conf, "w") as f:
                        f.write(text)
                    status, out, err = run(["-n", "-c", conf, "open"])
                    self.assertEqual((status, out), (2, ""))
                    self.assertEqual(len(err.splitlines()), 1, err)
                    self.assertIn(why, err)
            for args, why in [
                    (["-n", "-c", os.path.join(tmp, "none.ini"), "open"],
                     "cannot read"),
                    (["-n", "-c", SAMPLE, "-z", "a;b", "open"], "zone"),
                    (["-n", "-c", SAMPLE, "reboot"], "unknown action"),
                    (["-n", "-c", SAMPLE, "--frobnicate", "open"],
                     "unknown option"),
                    (["-n", "-c", SAMPLE], "usage"),
                    (["-n", "-c", SAMPLE, "-z"], "needs an argument")]:
                with self.subTest(args=args):
                    status, out, err = run(args)
                    self.assertEqual(status, 2)
                    self.assertIn(why, err)

    def test_help(self):
        status, out, err = run(["-h"])
        self.assertEqual(status, 0)
        self.assertTrue(out.startswith("usage: sockbind-firewall"))


class StandIn:
    """A test with a stand-in command first on PATH, logging its calls to
    $FAKE_LOG (self.log)."""

    def stand_in(self, name, text):
        """Install it; return the environment to run the script in."""
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.addCleanup(self.tmp.__exit__, None, None, None)
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        os.chmod(self.bin, 0o755)
        fake = os.path.join(self.bin, name)
        with open(fake, "w") as f:
            f.write(text)
        os.chmod(fake, 0o755)
        self.log = os.path.join(self.dir, "calls")
        return dict(os.environ, PATH=self.bin + ":/usr/bin:/bin",
                    FAKE_LOG=self.log)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()


class Refusals(StandIn, unittest.TestCase):

    def setUp(self):
        self.env = dict(self.stand_in("firewall-cmd", FAKE),
                        FAKE_STATE="running")

    def test_no_firewall_cmd(self):
        # A PATH with the shell's tools but no firewall-cmd and no nft.
        empty = os.path.join(self.dir, "empty")
        os.mkdir(empty)
        for tool in ("awk", "sed", "id", "cat"):
            os.symlink(shutil.which(tool), os.path.join(empty, tool))
        env = dict(os.environ, PATH=empty)
        # nft needs root first: a user's PATH may well lack /usr/sbin.
        nft_why = "install nftables" if os.geteuid() == 0 else "root"
        for backend, why in ((["-b", "firewalld"], "not installed"),
                             ([], nft_why)):
            with self.subTest(backend=backend):
                status, out, err = run(backend + ["-c", SAMPLE, "open"],
                                       env=env)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(why, err)

    def test_firewalld_not_running(self):
        self.env["FAKE_STATE"] = "stopped"
        for action in ("open", "close", "show"):
            with self.subTest(action=action):
                status, out, err = run(["-b", "firewalld", "-c", SAMPLE,
                                        action], env=self.env)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("firewalld is not running", err)
        self.assertEqual(self.calls(), [])

    def test_backend_chosen_by_firewalld_state(self):
        # firewalld running: its commands; not running: nftables's.
        for state, first in (("running", "firewall-cmd --add-port="),
                             ("stopped", "nft -f - <<'EOF'")):
            with self.subTest(state=state):
                env = dict(self.env, FAKE_STATE=state)
                status, out, err = run(["-n", "-c", SAMPLE, "open"], env=env)
                self.assertEqual((status, err), (0, ""))
                self.assertTrue(out.startswith(first), out)

    def test_not_root(self):
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("root, and no setpriv to become nobody")
            user = nobody_ids()[0]
        else:
            user = None
        with TempDir() as tmp:
            self.refused_not_root(user, tmp)

    def refused_not_root(self, user, tmp):
        script, sample = SCRIPT, SAMPLE
        if user is not None:
            script = copy_for(user, tmp, SCRIPT)
            sample = copy_for(user, tmp, SAMPLE)
        for backend in ("firewalld", "nftables"):
            for action in ("open", "close", "show"):
                with self.subTest(backend=backend, action=action):
                    status, out, err = run(["-b", backend, "-c", sample,
                                            action], env=self.env, user=user,
                                           script=script)
                    self.assertEqual((status, out), (1, ""))
                    self.assertEqual(len(err.splitlines()), 1, err)
                    self.assertIn("root", err)
        self.assertEqual(self.calls(), [])

    def test_runs_what_dry_run_prints(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        for opts in ([], ["-p"], ["-z", "public"], ["-p", "-z", "public"],
                     ["-f", "10.1.0.0/16", "--from=fd00:1::/64"],
                     ["-p", "-f", "192.168.7.0/24"]):
            for action in ("open", "close", "show"):
                with self.subTest(action=action, opts=opts):
                    if os.path.exists(self.log):
                        os.unlink(self.log)
                    _, dry, _ = run(["-n", "-b", "firewalld", "-c", SAMPLE]
                                    + opts + [action])
                    # firewalld runs: the default backend.
                    status, out, err = run(["-c", SAMPLE] + opts + [action],
                                           env=self.env)
                    self.assertEqual((status, err), (0, ""))
                    # The dry run quotes a rich rule for the shell.
                    self.assertEqual(self.calls(),
                                     [ln.replace("rule='", "rule=")[:-1]
                                      if ln.endswith("'") else ln
                                      for ln in dry.splitlines()])
                    self.assertIn(RANGE, out)

    def test_show_open_and_closed(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        for code, word in (("0", "open"), ("1", "closed")):
            env = dict(self.env, FAKE_STATUS=code)
            status, out, err = run(["-c", SAMPLE, "show"], env=env)
            self.assertEqual((status, err), (0, ""))
            self.assertEqual(out, "sockbind ports %s: %s (zone (default), "
                             "runtime)\n" % (RANGE, word))

    def test_show_with_from_needs_every_rule(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        # The fake answers 1 (no) to every query: closed.
        env = dict(self.env, FAKE_STATUS="1")
        status, out, err = run(["-c", SAMPLE, "-f", "10.1.0.0/16", "show"],
                               env=env)
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out, "sockbind ports %s: closed (zone (default), "
                         "runtime, from 10.1.0.0/16)\n" % RANGE)

    def test_firewall_cmd_failure(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        env = dict(self.env, FAKE_STATUS="101")
        for action in ("open", "show"):
            with self.subTest(action=action):
                status, out, err = run(["-c", SAMPLE, action], env=env)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)


# An nft stand-in: every call is appended to $FAKE_LOG, with what it reads
# for -f -; `list table` succeeds when $FAKE_TABLE is yes; `list ruleset`
# prints $FAKE_RULESET.
FAKE_NFT = """#!/bin/sh
echo "nft $*" >> "$FAKE_LOG"
[ "$*" = "-f -" ] && cat >> "$FAKE_LOG"
case "$*" in
"list table inet sockbind")
	[ "$FAKE_TABLE" = yes ] && exit 0
	echo "Error: No such file or directory" >&2; exit 1 ;;
"list ruleset") printf '%s' "$FAKE_RULESET"; exit 0 ;;
esac
exit "${FAKE_STATUS:-0}"
"""

PORTS = RANGE.split("/")[0]


def heredoc(out):
    """The ruleset between `nft -f - <<'EOF'` and EOF in a dry run."""
    lines = out.splitlines()
    start = lines.index("nft -f - <<'EOF'")
    return lines[start + 1:lines.index("EOF", start)]


class Nftables(unittest.TestCase):

    def dry(self, *args):
        status, out, err = run(["-n", "-b", "nftables", "-c", SAMPLE]
                               + list(args))
        self.assertEqual((status, err), (0, ""))
        return out

    def test_dry_run(self):
        ruleset = heredoc(self.dry("open"))
        self.assertEqual(ruleset[:3], ["table inet sockbind",
                                       "delete table inet sockbind",
                                       "table inet sockbind {"])
        self.assertIn("\t\ttcp dport %s accept" % PORTS, ruleset)
        self.assertFalse([r for r in ruleset if "reject" in r])
        # One table, removed in one command.
        self.assertEqual(self.dry("close"),
                         "nft delete table inet sockbind\n")
        self.assertEqual(self.dry("show"), "nft list table inet sockbind\n")

    def test_from(self):
        ruleset = heredoc(self.dry("-f", "10.1.0.0/16", "--from",
                                   "192.168.5.0/24", "--from=fd00:1::/64",
                                   "open"))
        rules = [r.strip() for r in ruleset]
        self.assertEqual(rules[rules.index("type filter hook input priority "
                                           "filter; policy accept;") + 1:-2],
                         ['iifname "lo" tcp dport %s accept' % PORTS,
                          "ip saddr { 10.1.0.0/16, 192.168.5.0/24 } "
                          "tcp dport %s accept" % PORTS,
                          "ip6 saddr { fd00:1::/64 } tcp dport %s accept"
                          % PORTS,
                          "tcp dport %s reject with tcp reset" % PORTS])
        # An address alone is one host.
        ruleset = heredoc(self.dry("-f", "10.1.2.3", "open"))
        self.assertIn("\t\tip saddr { 10.1.2.3/32 } tcp dport %s accept"
                      % PORTS, ruleset)
        self.assertFalse([r for r in ruleset if "ip6" in r])

    @unittest.skipUnless(shutil.which("nft"), "nft not installed")
    def test_ruleset_checked_by_nft(self):
        for args in ([], ["-f", "10.1.0.0/16"], ["-f", "fd00::/8"],
                     ["-f", "10.0.0.0/8", "-f", "2001:db8::/32",
                      "-f", "198.51.100.7"]):
            with self.subTest(args=args):
                with TempDir() as tmp:
                    path = os.path.join(tmp, "sockbind.nft")
                    with open(path, "w") as f:
                        f.write("\n".join(heredoc(self.dry(*(args + ["open"]))))
                                + "\n")
                    p = subprocess.run(["nft", "-c", "-f", path],
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
                    if p.returncode != 0 and "Operation not permitted" in \
                            p.stdout:
                        self.skipTest("nft -c needs CAP_NET_ADMIN")
                    self.assertEqual((p.returncode, p.stdout), (0, ""))

    def test_from_errors(self):
        cases = [("10.1.2.3/16", "host bits are set (the network is "
                  "10.1.0.0/16)"),
                 ("10.1.0.0/33", "0 to 32"), ("010.1.0.0/16", "not an IPv4"),
                 ("256.1.1.1", "not an IPv4"), ("10.1.1", "not an IPv4"),
                 ("1::2::3", "not an IPv4"), ("fd00::/129", "0 to 128"),
                 ("fd00:1:2:3:4:5:6:7:8", "not an IPv4"),
                 ("campus", "not an IPv4"), ("10.0.0.0/", "prefix length"),
                 ("10.0.0.0/x", "prefix length")]
        for cidr, why in cases:
            with self.subTest(cidr=cidr):
                status, out, err = run(["-n", "-c", SAMPLE, "-f", cidr,
                                        "open"])
                self.assertEqual((status, out), (2, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(why, err)

    def test_firewalld_only_options(self):
        for opt, why in ((["-p"], "--permanent is for firewalld"),
                         (["-z", "public"], "--zone is for firewalld")):
            with self.subTest(opt=opt):
                status, out, err = run(["-n", "-b", "nftables", "-c", SAMPLE]
                                       + opt + ["open"])
                self.assertEqual((status, out), (2, ""))
                self.assertIn(why, err)
        status, out, err = run(["-n", "-b", "iptables", "-c", SAMPLE, "open"])
        self.assertEqual(status, 2)
        self.assertIn("firewalld or nftables", err)

    def test_dropin_for_networks_the_unit_does_not_admit(self):
        # Private and loopback networks are admitted by the units'
        # IPAddressAllow=; others need the drop-in, printed as comments.
        for backend in ("nftables", "firewalld"):
            for args, outside in (
                    (["-f", "10.1.0.0/16", "-f", "172.31.0.0/16",
                      "-f", "fd00:1::/64", "-f", "127.0.0.1"], ""),
                    (["-f", "198.51.100.0/24"], "198.51.100.0/24"),
                    (["-f", "172.32.0.0/16", "-f", "10.0.0.0/8",
                      "-f", "2001:db8::/32"], "172.32.0.0/16 2001:db8::/32"),
                    (["-f", "0.0.0.0/0"], "0.0.0.0/0")):
                with self.subTest(backend=backend, args=args):
                    status, out, err = run(["-n", "-b", backend, "-c",
                                            SAMPLE] + args + ["open"])
                    self.assertEqual((status, err), (0, ""))
                    notes = [ln for ln in out.splitlines()
                             if ln.startswith("#")]
                    if not outside:
                        self.assertEqual(notes, [])
                        continue
                    self.assertIn("# [Service]", notes)
                    self.assertEqual(notes[-1],
                                     "# IPAddressAllow=" + outside)
                    self.assertTrue([n for n in notes
                                     if "systemctl edit sockbind" in n])
        # Closing needs no drop-in.
        status, out, err = run(["-n", "-c", SAMPLE, "-f", "198.51.100.0/24",
                                "close"])
        self.assertNotIn("#", out)


class NftablesRun(StandIn, unittest.TestCase):
    """The nft commands really run (against a stand-in nft), as root."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        # No firewall-cmd on this PATH: nftables is the default.
        if shutil.which("firewall-cmd", path="/usr/bin:/bin"):
            self.skipTest("firewall-cmd installed: firewalld would be tried")
        self.env = dict(self.stand_in("nft", FAKE_NFT), FAKE_TABLE="no",
                        FAKE_RULESET="")

    def test_open_runs_the_dry_run_ruleset(self):
        for args in ([], ["-f", "10.1.0.0/16", "-f", "fd00::/8"]):
            with self.subTest(args=args):
                if os.path.exists(self.log):
                    os.unlink(self.log)
                _, dry, _ = run(["-n", "-b", "nftables", "-c", SAMPLE] + args
                                + ["open"])
                status, out, err = run(["-c", SAMPLE] + args + ["open"],
                                       env=self.env)
                self.assertEqual((status, err), (0, ""))
                calls = self.calls()
                self.assertEqual(calls[0], "nft -f -")
                self.assertEqual(calls[1:calls.index("nft list ruleset")],
                                 heredoc(dry))
                self.assertTrue(out.startswith(
                    "sockbind ports %s: opened (nftables table inet "
                    "sockbind" % RANGE), out)

    def test_open_says_what_another_table_drops(self):
        ruleset = ("table inet filter {\n\tchain input {\n\t\ttype filter "
                   "hook input priority filter; policy drop;\n\t}\n}\n")
        env = dict(self.env, FAKE_RULESET=ruleset)
        status, out, err = run(["-c", SAMPLE, "open"], env=env)
        self.assertEqual(status, 0)
        self.assertIn("table inet filter, chain input, drops by default", err)
        self.assertIn("nft add rule inet filter input tcp dport %s accept"
                      % PORTS, err)

    def test_close_and_show(self):
        for table, close, show in (
                ("yes", "closed (nftables table inet sockbind deleted)",
                 "open (nftables table inet sockbind)"),
                ("no", "not open (no nftables table inet sockbind)",
                 "closed (no nftables table inet sockbind)")):
            with self.subTest(table=table):
                if os.path.exists(self.log):
                    os.unlink(self.log)
                env = dict(self.env, FAKE_TABLE=table)
                status, out, err = run(["-c", SAMPLE, "show"], env=env)
                self.assertEqual((status, err), (0, ""))
                self.assertEqual(out, "sockbind ports %s: %s\n"
                                 % (RANGE, show))
                status, out, err = run(["-c", SAMPLE, "close"], env=env)
                self.assertEqual((status, err), (0, ""))
                self.assertEqual(out, "sockbind ports %s: %s\n"
                                 % (RANGE, close))
                deleted = "nft delete table inet sockbind" in self.calls()
                self.assertEqual(deleted, table == "yes")

    def test_nft_failure(self):
        env = dict(self.env, FAKE_STATUS="1")
        status, out, err = run(["-c", SAMPLE, "open"], env=env)
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("nft -f", err)


def netns_nft():
    """Why the real nft cannot be tried in a network namespace of its own
    here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root"
    if not shutil.which("nft") or not shutil.which("unshare"):
        return "nft or unshare not installed"
    p = subprocess.run(["unshare", "-n", "nft", "list", "ruleset"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return None if p.returncode == 0 else "no network namespace here"


@unittest.skipIf(netns_nft(), netns_nft())
class NftablesReal(unittest.TestCase):
    """The real nft, in a network namespace of its own (no traffic): the
    table opened, opened again (replaced), shown, closed in one command."""

    def test_table_lifecycle(self):
        script = """
        S=$0 C=$1
        nft add table inet filter
        nft add chain inet filter input '{ type filter hook input priority 0; policy drop; }'
        "$S" -c "$C" open
        "$S" -c "$C" -f 10.2.0.0/16 -f fd00:2::/64 open
        echo "== tables"; nft list tables
        echo "== table"; nft list table inet sockbind
        "$S" -c "$C" show
        "$S" -c "$C" close
        "$S" -c "$C" show
        echo "== after"; nft list tables
        """
        p = subprocess.run(["unshare", "-n", "sh", "-c", script, SCRIPT,
                            SAMPLE], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = p.stdout
        self.assertIn("opened (nftables table inet sockbind)\n", out)
        self.assertIn("opened (nftables table inet sockbind, from "
                      "10.2.0.0/16, fd00:2::/64)\n", out)
        tables = out.split("== tables\n")[1].split("== table\n")[0]
        self.assertEqual(tables.splitlines(), ["table inet filter",
                                               "table inet sockbind"])
        table = out.split("== table\n")[1]
        self.assertEqual(table.count("chain input"), 1)
        for rule in ('iifname "lo" tcp dport %s accept' % PORTS,
                     "ip saddr 10.2.0.0/16 tcp dport %s accept" % PORTS,
                     "ip6 saddr fd00:2::/64 tcp dport %s accept" % PORTS,
                     "tcp dport %s reject with tcp reset" % PORTS):
            self.assertIn(rule, table)
        self.assertNotIn("\t\ttcp dport %s accept" % PORTS, table)
        self.assertIn("%s: open (nftables table inet sockbind)\n" % RANGE, out)
        self.assertIn("%s: closed (nftables table inet sockbind deleted)\n"
                      % RANGE, out)
        self.assertIn("%s: closed (no nftables table inet sockbind)\n"
                      % RANGE, out)
        self.assertEqual(out.split("== after\n")[1], "table inet filter\n")
        # The other table's input chain drops by default: said, each time.
        self.assertEqual(p.stderr.count("table inet filter, chain input, "
                                        "drops by default"), 2, p.stderr)


class ServiceFile(unittest.TestCase):

    def test_xml(self):
        root = ET.parse(XML).getroot()
        self.assertEqual(root.tag, "service")
        self.assertEqual(root.findtext("short"), "sockbind")
        self.assertTrue(root.findtext("description"))
        ports = [(p.get("protocol"), p.get("port")) for p in root.iter("port")]
        self.assertEqual(ports, [("tcp", RANGE.split("/")[0])])

    @unittest.skipUnless(shutil.which("firewall-offline-cmd"),
                         "firewall-offline-cmd not installed")
    def test_loaded_by_firewall_offline_cmd(self):
        with TempDir() as tmp:
            os.mkdir(os.path.join(tmp, "services"))
            shutil.copy(XML, os.path.join(tmp, "services"))
            if os.path.exists("/etc/firewalld/firewalld.conf"):
                shutil.copy("/etc/firewalld/firewalld.conf", tmp)
            base = ["firewall-offline-cmd", "--system-config=" + tmp]
            p = subprocess.run(base + ["--check-config"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, p.stdout)
            p = subprocess.run(base + ["--info-service=sockbind"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertIn("ports: %s" % RANGE, p.stdout)


if __name__ == "__main__":
    unittest.main()
