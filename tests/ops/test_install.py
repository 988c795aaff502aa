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

from opslib import (BUILD, ROOT, SOCKBIND, TempDir, config_defaults,
                    files_under, make, unit_values)

MANPAGES = sorted(f for f in os.listdir(os.path.join(ROOT, "docs"))
                  if re.search(r"\.[1-8]$", f))
# The client's message catalogues (po/LANG.po).
LANGUAGES = sorted(f[:-len(".po")]
                   for f in os.listdir(os.path.join(ROOT, "po"))
                   if f.endswith(".po"))
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
     "usr/local/share/doc/sockbind/PROTOCOL.md",
     "usr/local/share/doc/sockbind/check-json.md"]
    + ["usr/local/share/doc/sockbind/examples/" + f
       for f in ["sockbind.ini", "sockbin.ini"] + INSTANCES]
    + ["usr/local/share/man/man%s/%s" % (f.rsplit(".", 1)[1], f)
       for f in MANPAGES]
    + ["usr/local/share/locale/%s/LC_MESSAGES/sockbin.mo" % lang
       for lang in LANGUAGES]
    + CONFIGS)
# The keys whose files sockbind.service's directories hold.
PATH_KEYS = [("server", "port_file"), ("server", "pidfile"),
             ("pingpong", "file"), ("upload", "dir"), ("store", "path"),
             ("log", "path")]
# The sample's lab example, neutral (the daemon's defaults) once installed;
# the sockbind@mirror instance keeps the lab's values.
NEUTRAL_KEYS = [("mirror", "delay_ms"), ("mirror", "signature"),
                ("mirror", "keep_case")]


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
            # The catalogues are the ones the build compiled from po/.
            self.assertEqual(LANGUAGES, ["ru", "uk"])
            for lang in LANGUAGES:
                mo = "%s/LC_MESSAGES/sockbin.mo" % lang
                with open(os.path.join(dest, "usr/local/share/locale",
                                       mo), "rb") as got, \
                        open(os.path.join(ROOT, BUILD, "locale", mo),
                             "rb") as built:
                    self.assertEqual(got.read(), built.read(), mo)

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
                    if key in PATH_KEYS or key in NEUTRAL_KEYS:
                        # The system paths are the daemon's own defaults,
                        # where sockbind.service's directories are; the
                        # mirror does no more than reverse.
                        self.assertEqual(got[key], defaults[key])
                    else:
                        self.assertEqual(got[key], tree[key])
            self.assertEqual(defaults[("mirror", "delay_ms")], "0")
            self.assertEqual(defaults[("mirror", "signature")], "")
            # The lab's example lives on in mirror.ini.
            mirror = ini(os.path.join(ROOT, "etc", "instances", "mirror.ini"))
            for key in NEUTRAL_KEYS:
                with self.subTest(key=key):
                    self.assertEqual(mirror[key], tree[key])
                    self.assertNotEqual(mirror[key], defaults[key])

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

    def test_instance_ports(self):
        """A fixed port per instance, each its own, inside the default
        range that the client scans, and not the first port of it, which
        sockbind.service (session) takes."""
        defaults = config_defaults()
        low = int(defaults[("server", "port_min")])
        high = int(defaults[("server", "port_max")])
        ports = {}
        for name in INSTANCES:
            conf = ini(os.path.join(ROOT, "etc", "instances", name))
            inst = name[:-len(".ini")]
            with self.subTest(instance=inst):
                self.assertEqual(conf[("server", "service")], inst)
                port = conf[("server", "port_min")]
                self.assertEqual(conf[("server", "port_max")], port)
                self.assertTrue(low < int(port) <= high, port)
                self.assertNotIn(port, ports.values())
                ports[inst] = port
        for service in ("echo", "mirror", "upload", "ident", "auth"):
            self.assertIn(service, ports)
        # The table in sockbind(8) and in the README says the same.
        with open(os.path.join(ROOT, "docs", "sockbind.8"),
                  encoding="utf-8") as f:
            page = f.read()
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for inst, port in ports.items():
            with self.subTest(instance=inst):
                self.assertRegex(page, r"(?m)^%s +%s +sockbind@%s"
                                 % (inst, port, inst))
                self.assertRegex(readme, r"(?m)^\| %s \| %s \| `sockbind@%s`"
                                 % (inst, port, inst))

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

    def test_prefix_usr_configures_etc(self):
        # PREFIX=/usr alone puts the configuration in /etc.
        with TempDir() as dest:
            status, out = make("install-data", "DESTDIR=" + dest,
                               "PREFIX=/usr")
            self.assertEqual(status, 0, out)
            files = files_under(dest)
            self.assertIn("etc/sockbind/sockbind.ini", files)
            self.assertEqual([f for f in files if f.startswith("usr/etc")],
                             [])
            self.assertEqual(unit_values(os.path.join(
                dest, "usr/lib/systemd/system/sockbind.service"),
                "ExecStart"),
                ["/usr/sbin/sockbind -c /etc/sockbind/sockbind.ini"])

    def test_install_does_not_rebuild_for_other_paths(self):
        """The programs' configuration path (and the client's catalogues')
        is compiled in: make install
        for another one stops, names the build to run, and neither
        rebuilds nor installs anything."""
        paths = os.path.join(ROOT, BUILD, "paths")
        with open(paths) as f:
            built_for = f.read().strip()    # SYSCONFDIR LOCALEDIR
        other = "/etc" if built_for.split()[0] != "/etc" else "/usr/local/etc"
        prefix = "/usr" if other == "/etc" else "/usr/local"
        programs = [os.path.join(ROOT, BUILD, p)
                    for p in ("sockbind", "sockbin")]
        before = [os.stat(p).st_mtime_ns for p in programs]
        with TempDir() as dest:
            status, out = make("install", "DESTDIR=" + dest,
                               "PREFIX=" + prefix)
            self.assertNotEqual(status, 0, out)
            self.assertIn("built with its configuration and catalogues "
                          "in %s, not %s %s/share/locale"
                          % (built_for, other, prefix), out)
            self.assertIn("make PREFIX=%s, then make install" % prefix, out)
            self.assertEqual(files_under(dest), [])
        self.assertEqual([os.stat(p).st_mtime_ns for p in programs], before)
        with open(paths) as f:
            self.assertEqual(f.read().strip(), built_for)

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
            # Daily, and sooner past maxsize: every message is logged.
            self.assertIn("after 1 days", p.stdout)
            self.assertIn("rotated earlier", p.stdout)


if __name__ == "__main__":
    unittest.main()
