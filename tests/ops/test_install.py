"""make install into a temporary DESTDIR: the tree it leaves, the installed
configuration (system paths, accepted by sockbind -n, never overwritten once
edited), the paths rewritten for another PREFIX/SYSCONFDIR, and make
uninstall leaving nothing of ours."""
import os
import re
import shutil
import subprocess
import sys
import unittest

from opslib import (ROOT, SOCKBIND, TempDir, config_defaults, files_under,
                    make, unit_values)

MANPAGES = sorted(f for f in os.listdir(os.path.join(ROOT, "docs"))
                  if re.search(r"\.[1-8]$", f))
INSTANCES = sorted(os.listdir(os.path.join(ROOT, "etc", "instances")))
CONFIGS = ["usr/local/etc/sockbind/" + f
           for f in ["sockbind.ini", "sockbin.ini"] + INSTANCES] + \
    ["etc/firewalld/services/sockbind.xml", "etc/logrotate.d/sockbind"]
EXPECTED = sorted(
    ["usr/local/sbin/sockbind", "usr/local/bin/sockbin",
     "usr/local/sbin/sockbind-firewall",
     "usr/local/bin/sockbin-py", "usr/local/share/sockbin/sockbin.py",
     "usr/local/lib/systemd/system/sockbind.service",
     "usr/local/lib/systemd/system/sockbind@.service",
     "usr/local/share/doc/sockbind/README.md",
     "usr/local/share/doc/sockbind/PROTOCOL.md"]
    + ["usr/local/share/doc/sockbind/examples/" + f
       for f in ["sockbind.ini", "sockbin.ini"] + INSTANCES]
    + ["usr/local/share/man/man%s/%s" % (f.rsplit(".", 1)[1], f)
       for f in MANPAGES]
    + CONFIGS)
# The keys whose files sockbind.service's directories hold.
PATH_KEYS = [("server", "port_file"), ("server", "pidfile"),
             ("pingpong", "file"), ("upload", "dir"), ("store", "path"),
             ("log", "path")]


def ini(path):
    """{(section, key): value} of a simple INI file."""
    out, sec = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            sec = line.strip("[]").strip().lower()
            continue
        k, _, v = line.partition("=")
        out[(sec, k.strip().lower())] = v.strip()
    return out


def check_config(path):
    p = subprocess.run([SOCKBIND, "-n", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, cwd="/")
    return p.returncode, p.stdout.strip()


class Install(unittest.TestCase):

    def test_install_edit_reinstall_uninstall(self):
        with TempDir() as dest:
            status, out = make("install", "DESTDIR=" + dest)
            self.assertEqual(status, 0, out)
            self.assertEqual(files_under(dest), EXPECTED)
            for f in ("usr/local/sbin/sockbind", "usr/local/bin/sockbin",
                      "usr/local/sbin/sockbind-firewall",
                      "usr/local/bin/sockbin-py",
                      "usr/local/share/sockbin/sockbin.py"):
                self.assertTrue(os.access(os.path.join(dest, f), os.X_OK), f)
            for f in EXPECTED:
                mode = os.stat(os.path.join(dest, f)).st_mode & 0o7777
                self.assertIn(mode, (0o644, 0o755), f)

            # A second install keeps an edited configuration.
            conf = os.path.join(dest, "usr/local/etc/sockbind/sockbind.ini")
            with open(conf, "a") as f:
                f.write("; edited by the administrator\n")
            edited = open(conf).read()
            status, out = make("install", "DESTDIR=" + dest)
            self.assertEqual(status, 0, out)
            self.assertEqual(open(conf).read(), edited)
            self.assertIn("keeping " + conf, out)
            self.assertEqual(files_under(dest), EXPECTED)

            # Uninstall keeps only what the administrator changed...
            status, out = make("uninstall", "DESTDIR=" + dest)
            self.assertEqual(status, 0, out)
            self.assertEqual(files_under(dest),
                             ["usr/local/etc/sockbind/sockbind.ini"])
            self.assertIn("keeping " + conf, out)
            # ...and once it is as installed, nothing is left.
            status, out = make("install", "DESTDIR=" + dest)
            os.unlink(conf)
            status, out = make("install", "DESTDIR=" + dest)
            status, out = make("uninstall", "DESTDIR=" + dest)
            self.assertEqual(status, 0, out)
            self.assertEqual(files_under(dest), [])
            self.assertFalse(os.path.exists(os.path.dirname(conf)))
            self.assertFalse(os.path.exists(
                os.path.join(dest, "usr/local/share/doc/sockbind")))
            self.assertFalse(os.path.exists(
                os.path.join(dest, "usr/local/share/sockbin")))

    def test_python_client(self):
        """sockbin-py runs the installed sockbin.py, which reads the
        installed sockbin.ini by default, whatever PREFIX and SYSCONFDIR."""
        for prefix, sysconf in (("/usr/local", "/usr/local/etc"),
                                ("/usr", "/etc")):
            with self.subTest(prefix=prefix), TempDir() as dest:
                status, out = make("install-data", "DESTDIR=" + dest,
                                   "PREFIX=" + prefix, "SYSCONFDIR=" + sysconf)
                self.assertEqual(status, 0, out)
                launcher = open(os.path.join(dest, prefix[1:], "bin",
                                             "sockbin-py")).read()
                script = prefix + "/share/sockbin/sockbin.py"
                self.assertIn('\nexec python3 %s "$@"\n' % script, launcher)
                p = subprocess.run([sys.executable, dest + script, "--help"],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                self.assertEqual(p.returncode, 0, p.stdout)
                self.assertIn("(default %s/sockbind/sockbin.ini)" % sysconf,
                              p.stdout)
                # The launcher itself, with its path made the DESTDIR's.
                p = subprocess.run(["sh", "-c", launcher.replace(
                    script, dest + script), "sockbin-py", "-V"],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                self.assertEqual((p.returncode, p.stdout),
                                 (0, "sockbin.py 0.1.0\n"))

    def test_installed_config(self):
        with TempDir() as dest:
            status, out = make("install-data", "DESTDIR=" + dest)
            self.assertEqual(status, 0, out)
            conf = os.path.join(dest, "usr/local/etc/sockbind/sockbind.ini")
            text = open(conf, encoding="utf-8").read()
            self.assertNotRegex(text, r"(?m)^[^;#\n]*=\s*\"?var/")
            self.assertNotIn("make run", text)
            self.assertEqual(check_config(conf), (0, "configuration OK"))
            # The tree's sample, paths aside, is what gets installed.
            tree = ini(os.path.join(ROOT, "etc", "sockbind.ini"))
            got = ini(conf)
            self.assertEqual(sorted(tree), sorted(got))
            defaults = config_defaults()
            for key in tree:
                with self.subTest(key=key):
                    if key in PATH_KEYS:
                        # The system paths are the daemon's own defaults,
                        # where sockbind.service's directories are.
                        self.assertEqual(got[key], defaults[key])
                    else:
                        self.assertEqual(got[key], tree[key])

    def test_instance_configs(self):
        for name in INSTANCES:
            inst = name[:-len(".ini")]
            path = os.path.join(ROOT, "etc", "instances", name)
            with self.subTest(instance=inst):
                self.assertEqual(check_config(path), (0, "configuration OK"))
                conf = ini(path)
                for key in PATH_KEYS:
                    self.assertIn(key, conf, "%s must set [%s] %s" %
                                  ((name,) + key))
                    top = {"server": "/run"}.get(key[0], "/var/lib")
                    if key == ("log", "path"):
                        top = "/var/log"
                    self.assertTrue(conf[key].startswith(
                        "%s/sockbind-%s/" % (top, inst)), conf[key])

    def test_other_prefix(self):
        with TempDir() as dest:
            status, out = make("install-data", "DESTDIR=" + dest,
                               "PREFIX=/usr", "SYSCONFDIR=/etc")
            self.assertEqual(status, 0, out)
            files = files_under(dest)
            for f in ("usr/lib/systemd/system/sockbind.service",
                      "usr/lib/firewalld/services/sockbind.xml",
                      "etc/sockbind/sockbind.ini", "usr/sbin/sockbind-firewall",
                      "usr/share/man/man8/sockbind.8"):
                self.assertIn(f, files)
            self.assertEqual([f for f in files if "local" in f], [])
            unit = os.path.join(dest, "usr/lib/systemd/system/")
            self.assertEqual(unit_values(unit + "sockbind.service", "ExecStart"),
                             ["/usr/sbin/sockbind -c /etc/sockbind/sockbind.ini"])
            self.assertEqual(unit_values(unit + "sockbind@.service", "ExecStart"),
                             ["/usr/sbin/sockbind -c /etc/sockbind/%i.ini"])
            script = open(os.path.join(dest, "usr/sbin/sockbind-firewall")).read()
            self.assertIn("config=/etc/sockbind/sockbind.ini\n", script)
            page = open(os.path.join(dest, "usr/share/man/man8/sockbind.8")).read()
            self.assertIn("/etc/sockbind/sockbind.ini", page)
            self.assertNotIn("/usr/local", page)

    @unittest.skipUnless(shutil.which("logrotate"), "logrotate not installed")
    def test_logrotate_file_parses(self):
        with TempDir() as tmp:
            p = subprocess.run(["logrotate", "-d", "-s",
                                os.path.join(tmp, "state"),
                                os.path.join(ROOT, "etc", "logrotate",
                                             "sockbind")],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertNotIn("error", p.stdout.lower())


if __name__ == "__main__":
    unittest.main()
