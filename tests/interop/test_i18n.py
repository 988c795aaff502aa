"""sockbin in Russian and Ukrainian, and sockbind's [server] language.

The client's prompts and errors through a pseudo-terminal with LANGUAGE=ru
and LANGUAGE=uk (in C.UTF-8, the one UTF-8 locale every machine has: glibc
honours LANGUAGE in any locale but C and POSIX); the three plural forms of
both languages for 1, 2, 5, 11 and 21, through the client and in the compiled
catalogues; catalogues that translate every message the sources mark, and a
template that is what `make pot` makes of the sources now; the ident
service's words in the language of the daemon's configuration, read back by
the client. Ports 27400-27439; only 127.0.0.1.
"""
import gettext
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_client_prompts import DAEMON_CONFIG as PROMPTS_CONFIG  # noqa: E402
from test_client_prompts import Terminal  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LANGS = ("ru", "uk")
# The plural form (0, 1, 2) Russian and Ukrainian take for each count.
FORMS = {1: 0, 2: 1, 5: 2, 11: 2, 21: 0}


def daemon_config(dir, lo, hi, service, language):
    """test_client_prompts' daemon configuration with another port range,
    service and [server] language, and an upload directory."""
    text = PROMPTS_CONFIG.format(dir=dir)
    for old, new in (("port_min = 22450", "port_min = %d" % lo),
                     ("port_max = 22459", "port_max = %d" % hi),
                     ("service = session", "service = %s\nlanguage = %s"
                      % (service, language))):
        assert old in text, old
        text = text.replace(old, new)
    return text + "[upload]\ndir = %s/uploads\n" % dir


def localedir():
    """Where the catalogues of the sockbin under test are: the build's."""
    return os.environ.get("SOCKBIN_LOCALEDIR") or os.path.join(
        os.path.dirname(os.environ["SOCKBIN_BIN"]), "locale")


def lang_env(lang):
    env = {"LC_ALL": "C.UTF-8", "SOCKBIN_LOCALEDIR": localedir()}
    if lang is not None:
        env["LANGUAGE"] = lang
    return env


def run_client(lang, *args, stdin=""):
    env = dict(os.environ, **lang_env(lang))
    if lang is None:
        env.pop("LANGUAGE", None)
    return subprocess.run([os.environ["SOCKBIN_BIN"]] + list(args),
                          input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env,
                          timeout=30)


def po_entries(path):
    """The (msgid, msgid_plural) pairs of a PO file or template, without
    its header and obsolete entries."""
    text = subprocess.run(["msgcat", "--no-wrap", "--no-location", path],
                          stdout=subprocess.PIPE, check=True,
                          text=True).stdout
    out, cur, key = set(), {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
        if m:
            key = m.group(1)
            cur[key] = eval(m.group(2))  # a C string literal: Python's too
        elif line.startswith('"'):
            cur[key] += eval(line)
        elif cur:
            if cur.get("msgid"):
                out.add((cur["msgid"], cur.get("msgid_plural")))
            cur, key = {}, None
    return out


class Daemon:
    """sockbind on 127.0.0.1 with a configuration of its own."""

    def __init__(self, lo, hi, service="session", language="en"):
        self.dir = tempfile.mkdtemp(prefix="sockbin-i18n.")
        config = os.path.join(self.dir, "sockbind.ini")
        with open(config, "w", encoding="utf-8") as f:
            f.write(daemon_config(self.dir, lo, hi, service, language))
        os.mkdir(os.path.join(self.dir, "uploads"))
        self.proc = subprocess.Popen(
            [os.environ["SOCKBIND_BIN"], "-c", config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on 127.0.0.1:" not in line:
            self.stop()
            raise AssertionError("sockbind did not start: %r" % line)
        self.port = int(line.rsplit(":", 1)[1])

    def log(self):
        with open(os.path.join(self.dir, "sockbind.log"),
                  encoding="utf-8") as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir)
        return status


class ClientLanguage(unittest.TestCase):
    """Prompts and errors on a terminal, in the language LANGUAGE names."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(27400, 27409)
        cls.home = tempfile.mkdtemp(prefix="sockbin-i18n-home.")
        # No host, no port: the client asks for them.
        cls.config = os.path.join(cls.home, "sockbin.ini")
        with open(cls.config, "w") as f:
            f.write("[client]\nmessage = test\n")

    @classmethod
    def tearDownClass(cls):
        assert cls.daemon.stop() == 0
        shutil.rmtree(cls.home)

    def client(self, lang, *args):
        return Terminal(["-c", self.config] + list(args), self.home,
                        lang_env(lang))

    def test_prompts_in_russian(self):
        t = self.client("ru", "echo", "привет")
        t.expect("Хост сервера [127.0.0.1]: ")
        t.send("плохой\n")
        t.expect("«плохой» не подходит: в имени хоста бывают только "
                 "латинские буквы, цифры, «-» и «.».")
        t.expect("Хост сервера [127.0.0.1]: ")
        t.send("\n")
        t.expect("Порт сервера или диапазон [65430-65440]: ")
        t.send("99999\n")
        t.expect("«99999» не подходит: порт — это число 1-65535 или "
                 "диапазон MIN-MAX.")
        t.expect("Порт сервера или диапазон [65430-65440]: ")
        t.send("%d\n" % self.daemon.port)
        t.expect("привет")
        self.assertEqual(t.status(), 0)

    def test_prompts_in_ukrainian(self):
        t = self.client("uk", "echo", "вітаю")
        t.expect("Хост сервера [127.0.0.1]: ")
        t.send("-a.example\n")
        t.expect("«-a.example» не підходить: частина імені хоста не може "
                 "починатися з «-».")
        t.expect("Хост сервера [127.0.0.1]: ")
        t.send("127.0.0.1\n")
        t.expect("Порт сервера або діапазон [65430-65440]: ")
        t.send("27409-27400\n")
        t.expect("не підходить: порт — це число 1-65535 або діапазон")
        t.send("%d\n" % self.daemon.port)
        t.expect("вітаю")
        self.assertEqual(t.status(), 0)

    def test_passwords_in_both(self):
        port = str(self.daemon.port)
        for lang, again, differ in (
                ("ru", "Пароль ещё раз: ", "sockbin: пароли не совпадают"),
                ("uk", "Пароль ще раз: ", "sockbin: паролі не збігаються")):
            with self.subTest(lang=lang):
                t = self.client(lang, "-H", "127.0.0.1", "-p", port,
                                "register", "bob")
                t.expect("Пароль: ")
                t.send("first-secret\n")
                t.expect(again)
                t.send("second-secret\n")
                t.expect(differ)
                self.assertEqual(t.status(), 2)

    def test_errors_in_both(self):
        cases = {
            "ru": ["sockbin: неизвестная команда «frob» (список: sockbin -h)",
                   "sockbin: использование: sockbin status",
                   "sockbin: нет сервера на 127.0.0.1, порт 27409: "],
            "uk": ["sockbin: невідома команда «frob» (список: sockbin -h)",
                   "sockbin: використання: sockbin status",
                   "sockbin: немає сервера на 127.0.0.1, порт 27409: "],
        }
        for lang, (unknown, usage, noserver) in cases.items():
            with self.subTest(lang=lang):
                t = self.client(lang, "frob")
                t.expect(unknown)
                self.assertEqual(t.status(), 2)
                t = self.client(lang, "-p", "27400", "status", "extra")
                t.expect(usage)
                self.assertEqual(t.status(), 2)
                t = self.client(lang, "-H", "127.0.0.1", "-p", "27409",
                                "status")
                t.expect(noserver)
                self.assertEqual(t.status(), 3)

    def test_configuration_errors(self):
        # The shared configuration loader's words: translated for the
        # client, English for the daemon, whatever LANGUAGE says.
        bad = os.path.join(self.home, "bad.ini")
        with open(bad, "w") as f:
            f.write("[client]\ninterval = 0\n")
        p = run_client("ru", "-c", bad, "status")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "sockbin: %s: [client] interval: 0 вне "
                         "диапазона 1..3600\n" % bad)
        with open(bad, "w") as f:
            f.write("[pool]\nstart = 0\n")
        env = dict(os.environ, **lang_env("ru"))
        p = subprocess.run([os.environ["SOCKBIND_BIN"], "-n", "-c", bad],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("[pool] start: 0 is out of range 1..", p.stdout)

    def test_english_otherwise(self):
        # No LANGUAGE, or the C locale (where glibc ignores LANGUAGE).
        p = run_client(None, "frob")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "sockbin: unknown command 'frob' "
                         "(sockbin -h lists them)\n")
        env = dict(os.environ, LC_ALL="C", LANGUAGE="ru",
                   SOCKBIN_LOCALEDIR=localedir())
        p = subprocess.run([os.environ["SOCKBIN_BIN"], "frob"],
                           stderr=subprocess.PIPE, text=True, env=env)
        self.assertIn("unknown command 'frob'", p.stderr)


class PluralForms(unittest.TestCase):
    """1, 2, 5, 11, 21: the three forms of both languages."""

    def test_upload_sizes(self):
        words = {"ru": ["байт", "байта", "байт"],
                 "uk": ["байт", "байти", "байтів"]}
        daemon = Daemon(27410, 27419, service="upload")
        work = tempfile.mkdtemp(prefix="sockbin-i18n-files.")
        try:
            for n in FORMS:
                path = os.path.join(work, "f%d.txt" % n)
                with open(path, "w") as f:
                    f.write("x" * (n - 1) + "\n")
                for lang in LANGS:
                    with self.subTest(lang=lang, size=n):
                        p = run_client(lang, "-H", "127.0.0.1", "-p",
                                       str(daemon.port), "upload", path)
                        self.assertEqual(p.returncode, 0, p.stderr)
                        self.assertRegex(p.stdout, r": %d %s, SHA-256 [0-9a-f]"
                                         r"{64} " % (n, words[lang][FORMS[n]]))
        finally:
            shutil.rmtree(work)
            self.assertEqual(daemon.stop(), 0)

    def test_catalogues(self):
        # Every plural message, in each compiled catalogue: the form its
        # Plural-Forms header picks for each count is the one expected.
        for lang in LANGS:
            po = os.path.join(ROOT, "po", lang + ".po")
            plurals = [e for e in po_entries(po) if e[1]]
            self.assertGreater(len(plurals), 3)
            tr = gettext.translation("sockbin", localedir(), [lang])
            for msgid, plural in plurals:
                forms = [tr.ngettext(msgid, plural, n) for n in (1, 2, 5)]
                for n, form in FORMS.items():
                    with self.subTest(lang=lang, msgid=msgid, n=n):
                        self.assertEqual(tr.ngettext(msgid, plural, n),
                                         forms[form])
                        self.assertNotEqual(forms[form], msgid)


class Catalogues(unittest.TestCase):
    """po/: complete, and made from the sources as they are."""

    def test_every_message_translated(self):
        for lang in LANGS:
            with self.subTest(lang=lang):
                p = subprocess.run(
                    ["msgfmt", "-c", "--statistics", "-o", os.devnull,
                     os.path.join(ROOT, "po", lang + ".po")],
                    stderr=subprocess.PIPE, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stderr.strip(),
                                 r"^\d+ translated messages\.$")

    def test_template_matches_the_sources(self):
        work = tempfile.mkdtemp(prefix="sockbin-i18n-pot.")
        try:
            pot = os.path.join(work, "sockbin.pot")
            p = subprocess.run(["make", "--no-print-directory", "-s", "-C",
                                ROOT, "pot", "POT=" + pot],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, p.stdout)
            fresh = po_entries(pot)
        finally:
            shutil.rmtree(work)
        self.assertGreater(len(fresh), 50)
        committed = po_entries(os.path.join(ROOT, "po", "sockbin.pot"))
        self.assertEqual(sorted(fresh - committed), [],
                         "marked in the sources, not in po/sockbin.pot: "
                         "run make po and translate")
        self.assertEqual(sorted(committed - fresh), [],
                         "in po/sockbin.pot, no longer in the sources: "
                         "run make po")
        for lang in LANGS:
            with self.subTest(lang=lang):
                self.assertEqual(po_entries(os.path.join(
                    ROOT, "po", lang + ".po")), fresh)


class DaemonLanguage(unittest.TestCase):
    """[server] language: the ident service's words; the log stays English."""

    def talk(self, port, answers):
        """The lines the ident server says, answering each question."""
        said = []
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            f = s.makefile("rw", encoding="utf-8", newline="\n")
            said.append(f.readline())
            for a in answers:
                f.write(a + "\n")
                f.flush()
                said.append(f.readline())
        return said

    def test_ident_in_russian(self):
        d = Daemon(27420, 27429, service="ident", language="ru")
        try:
            self.assertEqual(self.talk(d.port, ["", "Иван"]), [
                "Здравствуйте, 127.0.0.1! Как вас зовут?\n",
                "Извините: имя пустое. Как вас зовут?\n",
                "Приятно познакомиться, Иван!\n"])
            self.assertEqual(self.talk(d.port, []),
                             ["Снова здравствуйте, Иван!\n"])
            self.assertIn("result=stored", d.log())
        finally:
            self.assertEqual(d.stop(), 0)

    def test_ident_in_ukrainian_through_the_client(self):
        d = Daemon(27430, 27439, service="ident", language="uk")
        try:
            # The client follows the dialogue in the server's language,
            # whatever its own.
            p = run_client(None, "-H", "127.0.0.1", "-p", str(d.port),
                           "ident", stdin="Олена\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "Вітаю, 127.0.0.1! Як вас звати?\n"
                             "Приємно познайомитися, Олена!\n")
            p = run_client("uk", "-H", "127.0.0.1", "-p", str(d.port),
                           "ident")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "Знову вітаю, Олена!\n")
        finally:
            self.assertEqual(d.stop(), 0)

    def test_unknown_language_refused(self):
        work = tempfile.mkdtemp(prefix="sockbin-i18n-conf.")
        try:
            conf = os.path.join(work, "sockbind.ini")
            with open(conf, "w") as f:
                f.write("[server]\nlanguage = de\n")
            p = subprocess.run([os.environ["SOCKBIND_BIN"], "-n", "-c", conf],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        finally:
            shutil.rmtree(work)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("[server] language: 'de' is none of en, ru, uk",
                      p.stdout)


if __name__ == "__main__":
    unittest.main()
