"""make run: SERVICE= and PORT= reach sockbind as -s and -p (make -n: the
commands are printed, nothing is built or started)."""
import unittest

from opslib import BUILD, make


class MakeRun(unittest.TestCase):

    def command(self, *args):
        status, out = make("-n", "run", *args)
        self.assertEqual(status, 0, out)
        lines = [l for l in out.splitlines() if "sockbind -c " in l]
        self.assertEqual(len(lines), 1, out)
        return lines[0]

    def test_sample_configuration_as_it_is(self):
        self.assertEqual(self.command(),
                         "./%s/sockbind -c etc/sockbind.ini" % BUILD)

    def test_service_and_port(self):
        self.assertEqual(self.command("SERVICE=echo"),
                         "./%s/sockbind -c etc/sockbind.ini -s echo" % BUILD)
        self.assertEqual(self.command("SERVICE=mirror", "PORT=7000-7010"),
                         "./%s/sockbind -c etc/sockbind.ini -s mirror "
                         "-p 7000-7010" % BUILD)


if __name__ == "__main__":
    unittest.main()
