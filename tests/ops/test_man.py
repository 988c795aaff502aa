"""Man pages: every docs/*.[1-8] renders without a warning, and the daemon's
pages document every option, configuration key (with its default), signal
and exit status that the code has."""
import glob
import os
import re
import shutil
import subprocess
import unittest

from opslib import ROOT, config_defaults

PAGES = sorted(glob.glob(os.path.join(ROOT, "docs", "*.[1-8]")))


def rendered(page):
    """The page as plain text, hyphenation and adjustment off."""
    p = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-P-cbou", "-rHY=0",
                        "-dAD=l", "-rLL=200n", page],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    return p.stdout


class ManPages(unittest.TestCase):

    def test_pages_exist(self):
        names = [os.path.basename(p) for p in PAGES]
        for want in ("sockbind.8", "sockbind.ini.5", "sockbind-firewall.8"):
            self.assertIn(want, names)

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_groff_no_warnings(self):
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                p = subprocess.run(["groff", "-t", "-man", "-ww", "-z", page],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                self.assertEqual((p.returncode, p.stdout), (0, ""))

    @unittest.skipUnless(shutil.which("mandoc"), "mandoc not installed")
    def test_mandoc_lint(self):
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                                    page], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                self.assertEqual((p.returncode, p.stdout), (0, ""))

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_paths_render_whole(self):
        # A path written as two words (".I /var/lib/sockbind\\- name")
        # renders with a space in it, and may be broken across lines.
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                text = rendered(page)
                self.assertTrue(text.strip())
                self.assertEqual(re.findall(r"/[\w.@/-]*\w-\s+\w+", text),
                                 [])

    def test_section_matches_name(self):
        for page in PAGES:
            name, sec = os.path.basename(page).rsplit(".", 1)
            with self.subTest(page=os.path.basename(page)):
                th = re.search(r"^\.TH\s+(\S+)\s+(\S+)",
                               open(page, encoding="utf-8").read(), re.M)
                self.assertIsNotNone(th)
                self.assertEqual(th.group(1).replace("\\-", "-").upper(),
                                 name.upper())
                self.assertEqual(th.group(2), sec)

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_ini5_every_key_and_default(self):
        text = rendered(os.path.join(ROOT, "docs", "sockbind.ini.5"))
        # Each section's part of the page, from its heading to the next.
        parts = dict(re.findall(r"^\[(\w+)\]\n(.*?)(?=^\S)", text,
                                re.M | re.S))
        for (sec, key), default in config_defaults().items():
            with self.subTest(key=f"[{sec}] {key}"):
                self.assertIn(sec, parts, f"no [{sec}] section")
                part = parts[sec]
                m = re.search(r"^[ \t]+([^(\n]*?\b%s\b.*\(default .*\))[ \t]*$"
                              % re.escape(key), part, re.M)
                self.assertIsNotNone(m, f"[{sec}] {key} not documented")
                head = m.group(1)
                names = [n.strip() for n in head.split("(default")[0].split(",")]
                shown = [d.strip() for d in
                         head.split("(default", 1)[1].rstrip(")").split(",")]
                if default == "":
                    self.assertTrue(head.endswith("(default empty)"), head)
                    continue
                self.assertEqual(len(names), len(shown), head)
                self.assertEqual(shown[names.index(key)], default, head)

    def test_sockbind8_options_signals_status(self):
        main = open(os.path.join(ROOT, "daemon", "main.c"),
                    encoding="utf-8").read()
        master = open(os.path.join(ROOT, "daemon", "master.c"),
                      encoding="utf-8").read()
        text = rendered(os.path.join(ROOT, "docs", "sockbind.8"))
        opts = re.search(r'getopt\(argc, argv, "([^"]+)"\)', main).group(1)
        for opt in opts.replace(":", ""):
            with self.subTest(option="-" + opt):
                self.assertRegex(text, r"(?m)^\s+-%s\b" % opt)
        sigs = re.search(r"master_sigs\[\] = \{([^}]*)\}", master).group(1)
        for sig in re.findall(r"SIG(\w+)", sigs):
            if sig == "CHLD":
                continue
            with self.subTest(signal=sig):
                self.assertRegex(text, r"(?m)^\s+(SIG\w+, )*SIG%s\b" % sig)
        section = text[text.index("EXIT STATUS"):]
        for status in ("0", "1", "2"):
            with self.subTest(status=status):
                self.assertRegex(section, r"(?m)^\s+%s\s" % status)


if __name__ == "__main__":
    unittest.main()
