#!/usr/bin/env python3
"""run.py -- run the operations tests (tests/ops/test_*.py) and sum them up.

Prints every test as it runs, then one closing line:
    ops: N passed, N failed, N skipped
and exits non-zero when any test failed.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py",
                                                top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    # A test with failing subtests counts once.
    def test_id(test):
        return getattr(test, "test_case", test).id()
    failed = len({test_id(t) for t, _ in result.failures + result.errors} |
                 {test_id(t) for t in result.unexpectedSuccesses})
    skipped = len({test_id(t) for t, _ in result.skipped})
    passed = result.testsRun - failed - skipped
    print(f"ops: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
