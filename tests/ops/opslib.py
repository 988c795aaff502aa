"""opslib.py -- what the operations tests share: paths, the daemon's
defaults read from daemon/config.c, a DESTDIR install, unit-file parsing."""
import os
import re
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("OPS_BUILD", "build")
SOCKBIND = os.environ.get("SOCKBIND_BIN", os.path.join(ROOT, BUILD, "sockbind"))
SOCKBIN = os.environ.get("SOCKBIN_BIN", os.path.join(ROOT, BUILD, "sockbin"))
UNITS = ("sockbind.service", "sockbind@.service")


def config_defaults():
    """{(section, key): default} from daemon/config.c's key table."""
    src = open(os.path.join(ROOT, "daemon", "config.c"), encoding="utf-8").read()
    table = src[src.index("config_keys[] = {"):src.index("};", src.index("config_keys[] = {"))]
    keys = {}
    # S("key", "def", ...) is a [server] string key.
    for m in re.finditer(r'\bS\(\s*"([^"]+)",\s*"([^"]*)"', table):
        keys[("server", m.group(1))] = m.group(2)
    # I("sec", "key", "def", ...), P("sec", "key", "def", ...).
    for m in re.finditer(r'\b[IP]\(\s*"([^"]+)",\s*"([^"]+)",\s*"([^"]*)"', table):
        keys[(m.group(1), m.group(2))] = m.group(3)
    # CONF_*_KEY("sec", "key", "def", ...).
    for m in re.finditer(r'CONF_\w+_KEY\(\s*"([^"]+)",\s*"([^"]+)",\s*"([^"]*)"', table):
        keys[(m.group(1), m.group(2))] = m.group(3)
    return keys


def make_env():
    """The environment for a sub-make: MAKEFLAGS keeps the command-line
    variables of `make sanitize` (BUILD, CFLAGS) but not the jobserver,
    whose descriptors a Python child does not inherit."""
    env = dict(os.environ)
    flags = env.get("MAKEFLAGS", "")
    flags = re.sub(r"(^|\s)(--jobserver-(auth|fds)=\S+|-j\d*)", " ", flags)
    env["MAKEFLAGS"] = flags.strip()
    env.pop("MFLAGS", None)
    env.pop("MAKELEVEL", None)
    return env


def make(*args):
    """Run make at the top of the tree; return (status, output)."""
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT,
                        "BUILD=" + BUILD] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=make_env(), text=True)
    return p.returncode, p.stdout


def read_unit(path):
    """[(section, key, value)] of a unit file, in order."""
    items, section = [], None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        items.append((section, key.strip(), value.strip()))
    return items


def unit_values(path, key, section="Service"):
    return [v for s, k, v in read_unit(path) if s == section and k == key]


def files_under(top):
    out = []
    for d, _, names in os.walk(top):
        out += [os.path.relpath(os.path.join(d, n), top) for n in names]
    return sorted(out)


def reachable_by(user, path):
    """Whether user can read path: a checkout under a 0700 directory (a
    home, a mktemp -d) is out of reach of nobody."""
    return subprocess.run(["setpriv", "--reuid=" + user, "--regid=" + user,
                           "--clear-groups", "test", "-r", path],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def copy_for(user, tmp, path):
    """path itself if user can reach it, else a copy in tmp (a TempDir),
    so that a test run as nobody runs the same file from anywhere."""
    if reachable_by(user, path):
        return path
    copy = os.path.join(tmp, os.path.basename(path))
    shutil.copy2(path, copy)
    os.chmod(copy, 0o755)
    return copy


class TempDir:
    """A temporary directory others can enter (for tests run as nobody)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="sockbind-ops-")
        os.chmod(self.path, 0o755)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
