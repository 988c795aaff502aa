#!/bin/sh
# deps.sh -- make sure the Debian packages the build needs are installed.
# As root, installs what is missing; otherwise names the command to run.
# Arguments name more packages a target needs (make fuzz: clang ...).
set -eu

packages="gcc make pkg-config libbsd-dev libiniparser-dev libcriterion-dev
libsodium-dev libsqlite3-dev libpq-dev libsystemd-dev python3 netcat-openbsd
systemd groff-base mandoc strace"
# tests/integration/test_haproxy.c: a load balancer in front of two daemons.
packages="$packages haproxy"
# The store's tests on PostgreSQL start a throwaway cluster (tests/pg/).
packages="$packages postgresql"
# tests/ops: the nftables ruleset (nft -c) and the logrotate file.
packages="$packages nftables logrotate"
packages="$packages $*"

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Another apt (a parallel make, unattended-upgrades) may hold the lock.
apt="apt-get -o DPkg::Lock::Timeout=600"
$apt update -qq
# shellcheck disable=SC2086
$apt install -y -qq --no-install-recommends $missing >/dev/null
