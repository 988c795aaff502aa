"""make deb: the Debian package, built once (and checked by lintian, which
fails the build on a warning): its files, conffiles and maintainer scripts
read with dpkg-deb, then, as root, installed with apt into a throwaway root
(an overlay of / in a mount namespace of its own, taken while holding the
host's dpkg lock), removed (the configuration stays) and purged (it
goes)."""
import fcntl
import os
import re
import shutil
import subprocess
import tarfile
import time
import unittest

from opslib import ROOT, TempDir, make

MANPAGES = sorted(f for f in os.listdir(os.path.join(ROOT, "docs"))
                  if re.search(r"\.[1-8]$", f))
INSTANCES = sorted(os.listdir(os.path.join(ROOT, "etc", "instances")))
CONFFILES = sorted(["/etc/sockbind/" + f
                    for f in ["sockbind.ini", "sockbin.ini"] + INSTANCES]
                   + ["/etc/logrotate.d/sockbind"])
# The package's own files (directories and the documentation aside).
FILES = sorted(
    ["/usr/sbin/sockbind", "/usr/bin/sockbin", "/usr/sbin/sockbind-firewall",
     "/usr/bin/sockbin-py",
     "/lib/systemd/system/sockbind.service",
     "/lib/systemd/system/sockbind@.service",
     "/usr/lib/firewalld/services/sockbind.xml",
     "/usr/lib/sysusers.d/sockbin.conf",
     "/usr/share/lintian/overrides/sockbin"]
    + ["/usr/share/man/man%s/%s.gz" % (f.rsplit(".", 1)[1], f)
       for f in MANPAGES]
    # The client's messages (po/LANG.po), compiled.
    + ["/usr/share/locale/%s/LC_MESSAGES/sockbin.mo" % f[:-len(".po")]
       for f in os.listdir(os.path.join(ROOT, "po")) if f.endswith(".po")]
    + CONFFILES)
# Programs `make install` may add under share/sockbin (a client in
# another language) are packaged as they come.
EXTRA = re.compile(r"^/usr/share/sockbin/")


def version():
    with open(os.path.join(ROOT, "debian", "changelog")) as f:
        return re.match(r"\S+ \(([^)]+)\)", f.readline()).group(1)


def hold_dpkg_lock(seconds):
    """Take the host's dpkg locks (fcntl, as apt and dpkg do), waiting at
    most this long for another apt to finish: an overlay of / shows the
    host's dpkg database as it changes, and one taken mid-install is
    "interrupted". Returns the open files (the locks go with them), or
    None when the time ran out."""
    held = []
    deadline = time.monotonic() + seconds
    for name in ("lock-frontend", "lock"):
        f = open(os.path.join("/var/lib/dpkg", name), "a")
        held.append(f)
        while True:
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    for g in held:
                        g.close()
                    return None
                time.sleep(0.2)
    return held


def dpkg_deb(*args):
    p = subprocess.run(["dpkg-deb"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout
    return p.stdout


# Run in a mount namespace of its own: an overlay of / (changes go to
# $work/upper and vanish with it), /proc and /dev inside, then every step
# in a chroot. Each check prints "check NAME yes|no".
THROWAWAY = r"""
set -eu
work=$1 deb=$2
mkdir -p "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"
mount -t proc proc "$work/root/proc"
mount --rbind /dev "$work/root/dev"
mkdir -p "$work/root/tmp/deb"
cp "$deb" "$work/root/tmp/deb/"
in_root() { chroot "$work/root" "$@"; }
check() { if in_root sh -c "$2" >/dev/null 2>&1; then echo "check $1 yes";
	else echo "check $1 no"; fi; }
export DEBIAN_FRONTEND=noninteractive
in_root sh -c 'cd /tmp/deb && apt-get install -y -q \
    --no-install-recommends ./sockbin_*.deb' >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; exit 1; }
echo "step installed"
check user 'getent passwd sockbind'
check config_ok '/usr/sbin/sockbind -n | grep -qx "configuration OK"'
check firewall '/usr/sbin/sockbind-firewall -n -b nftables show |
    grep -qx "nft list table inet sockbind"'
check enabled 'test -L /etc/systemd/system/multi-user.target.wants/sockbind.service'
check status_installed 'dpkg-query -W -f="\${Status}" sockbin |
    grep -qx "install ok installed"'
in_root sh -c 'echo "; edited" >> /etc/sockbind/sockbind.ini
	mkdir -p /var/log/sockbind /var/lib/sockbind
	echo record > /var/log/sockbind/sockbind.log
	echo store > /var/lib/sockbind/sockbind.db'
in_root dpkg -r sockbin >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; exit 1; }
echo "step removed"
check removed_binary '! test -e /usr/sbin/sockbind'
check kept_config 'grep -qx "; edited" /etc/sockbind/sockbind.ini'
check kept_instances 'test -f /etc/sockbind/mirror.ini'
check kept_logrotate 'test -f /etc/logrotate.d/sockbind'
check kept_log 'test -f /var/log/sockbind/sockbind.log'
check status_config 'dpkg-query -W -f="\${Status}" sockbin |
    grep -qx "deinstall ok config-files"'
in_root dpkg -P sockbin >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
echo "step purged"
check purged_config '! test -e /etc/sockbind'
check purged_logrotate '! test -e /etc/logrotate.d/sockbind'
check purged_log '! test -e /var/log/sockbind'
check purged_state '! test -e /var/lib/sockbind'
check status_gone '! dpkg-query -W -f="\${Status}" sockbin 2>/dev/null |
    grep -q installed'
"""


class Package(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0 and not shutil.which("dpkg-buildpackage"):
            raise unittest.SkipTest("dpkg-dev not installed, and not root "
                                    "to install it")
        status, out = make("deb")
        assert status == 0, out
        arch = subprocess.run(["dpkg", "--print-architecture"],
                              stdout=subprocess.PIPE, text=True,
                              check=True).stdout.strip()
        cls.deb = os.path.join(ROOT, "build", "deb", "sockbin_%s_%s.deb"
                               % (version(), arch))
        assert os.path.exists(cls.deb), out

    def control(self, name):
        """A file of the control archive, as text."""
        with TempDir() as tmp:
            dpkg_deb("--control", self.deb, tmp)
            path = os.path.join(tmp, name)
            if not os.path.exists(path):
                return None
            with open(path) as f:
                return f.read()

    def test_files(self):
        listing = dpkg_deb("--fsys-tarfile", self.deb)
        with TempDir() as tmp:
            path = os.path.join(tmp, "data.tar")
            with open(path, "wb") as f:
                f.write(listing)
            with tarfile.open(path) as tar:
                members = {m.name[1:]: m for m in tar.getmembers()
                           if not m.isdir()}
        ours = sorted(n for n in members
                      if not n.startswith("/usr/share/doc/")
                      and not EXTRA.match(n))
        self.assertEqual(ours, FILES)
        self.assertIn("/usr/share/doc/sockbin/copyright", members)
        self.assertEqual([n for n in members if "/local/" in n], [])
        for prog in ("/usr/sbin/sockbind", "/usr/bin/sockbin",
                     "/usr/sbin/sockbind-firewall"):
            self.assertEqual(members[prog].mode & 0o777, 0o755, prog)
        for name in FILES:
            self.assertEqual((members[name].uname, members[name].gname),
                             ("root", "root"), name)

    def test_conffiles(self):
        self.assertEqual(sorted(self.control("conffiles").split()),
                         CONFFILES)

    def test_control(self):
        control = self.control("control")
        self.assertRegex(control, r"(?m)^Package: sockbin$")
        self.assertRegex(control, r"(?m)^Version: %s$" % re.escape(version()))
        depends = re.search(r"(?m)^Depends: (.*)$", control).group(1)
        for lib in ("libbsd0", "libiniparser1", "libsodium23",
                    "libsqlite3-0", "libsystemd0"):
            self.assertIn(lib, depends)

    def test_maintainer_scripts(self):
        postinst = self.control("postinst")
        # The system user, then the unit enabled and started.
        self.assertIn("systemd-sysusers", postinst)
        self.assertIn("deb-systemd-helper enable 'sockbind.service'",
                      postinst)
        postrm = self.control("postrm")
        self.assertRegex(postrm, r'"\$1" = purge')
        for top in ("/var/log", "/var/lib"):
            self.assertIn(top, postrm)

    def test_installed_paths(self):
        """The binaries read /etc/sockbind, and the units name it."""
        with TempDir() as tmp:
            dpkg_deb("--extract", self.deb, tmp)
            def read(path, mode="r"):
                with open(os.path.join(tmp, path), mode) as f:
                    return f.read()
            binary = read("usr/sbin/sockbind", "rb")
            self.assertIn(b"/etc/sockbind/sockbind.ini\0", binary)
            self.assertNotIn(b"/usr/local/etc", binary)
            self.assertIn("ExecStart=/usr/sbin/sockbind -c "
                          "/etc/sockbind/sockbind.ini\n",
                          read("lib/systemd/system/sockbind.service"))
            self.assertIn("config=/etc/sockbind/sockbind.ini\n",
                          read("usr/sbin/sockbind-firewall"))
            # Neutral: the lab's values are in mirror.ini.
            ini = read("etc/sockbind/sockbind.ini")
            self.assertRegex(ini, r"(?m)^delay_ms = 0$")
            self.assertRegex(ini, r"(?m)^signature =$")

    def test_install_remove_purge_in_a_throwaway_root(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (a mount namespace and chroot)")
        if not shutil.which("unshare"):
            self.skipTest("no unshare")
        with TempDir() as tmp:
            probe = subprocess.run(
                ["unshare", "-m", "sh", "-c",
                 "mkdir -p $0/u $0/w $0/m && mount -t overlay overlay "
                 "-o lowerdir=/,upperdir=$0/u,workdir=$0/w $0/m", tmp],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if probe.returncode != 0:
                self.skipTest("no overlay of / here: " + probe.stdout.strip())
        locks = hold_dpkg_lock(600)
        if locks is None:
            self.fail("another apt held the dpkg lock for 600 s")
        try:
            with TempDir() as tmp:
                p = subprocess.run(["unshare", "-m", "sh", "-c", THROWAWAY,
                                    "sh", tmp, self.deb],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   timeout=300)
        finally:
            for f in locks:
                f.close()
        self.assertEqual(p.returncode, 0, p.stdout)
        steps = re.findall(r"(?m)^step (\w+)$", p.stdout)
        self.assertEqual(steps, ["installed", "removed", "purged"], p.stdout)
        checks = dict(re.findall(r"(?m)^check (\w+) (yes|no)$", p.stdout))
        self.assertEqual(len(checks), 16, p.stdout)
        failed = sorted(k for k, v in checks.items() if v != "yes")
        self.assertEqual(failed, [], p.stdout)


if __name__ == "__main__":
    unittest.main()
