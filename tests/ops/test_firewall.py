"""sockbind-firewall: the firewall-cmd commands it prints in dry-run mode,
the range it reads from the daemon's configuration, its refusals (no
firewall-cmd, firewalld not running, not root), the commands it really runs
(against a stand-in firewall-cmd), and the firewalld service file."""
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
                    status, out, err = run([dry, "-c", SAMPLE] + list(opts)
                                           + [action])
                    self.assertEqual((status, err), (0, ""))
                    self.assertEqual(out.splitlines(), want)

    def test_flags_together(self):
        # -np is -n -p, as the usage line [-hnp] says.
        for flags in (["-np"], ["-pn"], ["-n", "-p"]):
            with self.subTest(flags=flags):
                status, out, err = run(flags + ["-c", SAMPLE, "open"])
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
                    status, out, err = run(["-n", "-c", conf, "open"])
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


class Refusals(unittest.TestCase):

    def setUp(self):
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        os.chmod(self.bin, 0o755)
        fake = os.path.join(self.bin, "firewall-cmd")
        with open(fake, "w") as f:
            f.write(FAKE)
        os.chmod(fake, 0o755)
        self.log = os.path.join(self.dir, "calls")
        self.env = dict(os.environ, PATH=self.bin + ":/usr/bin:/bin",
                        FAKE_LOG=self.log, FAKE_STATE="running")

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return open(self.log).read().splitlines()

    def test_no_firewall_cmd(self):
        # A PATH with the shell's tools but no firewall-cmd.
        empty = os.path.join(self.dir, "empty")
        os.mkdir(empty)
        for tool in ("awk", "sed", "id", "cat"):
            os.symlink(shutil.which(tool), os.path.join(empty, tool))
        env = dict(os.environ, PATH=empty)
        status, out, err = run(["-c", SAMPLE, "open"], env=env)
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("not installed", err)

    def test_firewalld_not_running(self):
        self.env["FAKE_STATE"] = "stopped"
        for action in ("open", "close", "show"):
            with self.subTest(action=action):
                status, out, err = run(["-c", SAMPLE, action], env=self.env)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("firewalld is not running", err)
        self.assertEqual(self.calls(), [])

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
        for action in ("open", "close", "show"):
            with self.subTest(action=action):
                status, out, err = run(["-c", sample, action], env=self.env,
                                       user=user, script=script)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("root", err)
        self.assertEqual(self.calls(), [])

    def test_runs_what_dry_run_prints(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        for opts in ([], ["-p"], ["-z", "public"], ["-p", "-z", "public"]):
            for action in ("open", "close", "show"):
                with self.subTest(action=action, opts=opts):
                    if os.path.exists(self.log):
                        os.unlink(self.log)
                    _, dry, _ = run(["-n", "-c", SAMPLE] + opts + [action])
                    status, out, err = run(["-c", SAMPLE] + opts + [action],
                                           env=self.env)
                    self.assertEqual((status, err), (0, ""))
                    self.assertEqual(self.calls(), dry.splitlines())
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

    def test_firewall_cmd_failure(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        env = dict(self.env, FAKE_STATUS="101")
        for action in ("open", "show"):
            with self.subTest(action=action):
                status, out, err = run(["-c", SAMPLE, action], env=env)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(len(err.splitlines()), 1, err)


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
