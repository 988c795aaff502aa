#!/bin/sh
# deps.sh -- make sure the Debian packages the build needs are installed.
# As root, installs what is missing; otherwise names the command to run.
# Arguments name more packages a target needs (make fuzz: clang ...).
set -eu

packages="gcc make pkg-config libbsd-dev libiniparser-dev libcriterion-dev
libsodium-dev libsqlite3-dev libpq-dev libsystemd-dev python3 netcat-openbsd
systemd groff-base mandoc strace libmicrohttpd-dev gettext"
# gettext: xgettext, msgfmt and msgmerge for the client's catalogues (po/).
# tests/integration/test_haproxy.c: a load balancer in front of two daemons.
packages="$packages haproxy"
# The store's tests on PostgreSQL start a throwaway cluster (tests/pg/).
packages="$packages postgresql"
# tests/ops: the nftables ruleset (nft -c) and the logrotate file.
packages="$packages nftables logrotate"
packages="$packages $*"
# Tests use these when they are there, and say so when they skip: promtool
# (prometheus) checks the metrics' format, chromium renders the status page.
optional="prometheus chromium"

# The packages of the arguments that are not installed.
not_installed() {
	for p in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) printf ' %s' "$p" ;;
		esac
	done
}
# shellcheck disable=SC2086
missing=$(not_installed $packages)
# shellcheck disable=SC2086
optional_missing=$(not_installed $optional)
[ -z "$missing" ] && [ -z "$optional_missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if [ -z "$missing" ]; then
		echo "deps: not installed:$optional_missing (the tests that" \
		    "need them are skipped)" >&2
		exit 0
	fi
	echo "deps: missing packages; run: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing$optional_missing"
export DEBIAN_FRONTEND=noninteractive
# Another apt (a parallel make, unattended-upgrades) may hold the lock.
apt="apt-get -o DPkg::Lock::Timeout=600"
$apt update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	$apt install -y -qq --no-install-recommends $missing >/dev/null
fi
# shellcheck disable=SC2086
[ -z "$optional_missing" ] || $apt install -y -qq --no-install-recommends \
    $optional_missing >/dev/null || echo "deps: could not install" \
    "$optional_missing; the tests that need them are skipped" >&2
