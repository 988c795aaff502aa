#!/bin/sh
# deb.sh -- build the Debian package (debian/) into DIR and check it with
# lintian: DIR/sockbin_VERSION_ARCH.deb.
#
# The package is built from a copy of the tree's files (tracked, and new
# ones git does not ignore) in DIR/src, so that dpkg-buildpackage writes
# nothing next to the tree and a build in build/ is left alone. A package
# newer than every one of those files is not built again. Warnings and
# errors from lintian fail the build and leave no .deb behind.
set -eu

dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
arch=$(dpkg --print-architecture)
deb=$dir/sockbin_${version}_$arch.deb

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files -co --exclude-standard | while read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"; done)
else
	files=$(find . -path ./build -prune -o -path ./.git -prune -o \
	    -path ./var -prune -o -type f -print | sed 's|^\./||')
fi
# newer: the first of the files changed since the package was built.
newer()
{
	printf '%s\n' "$files" | while read -r f; do
		# shellcheck disable=SC3013 # dash, Debian's sh, has -nt
		if [ "$f" -nt "$deb" ]; then
			echo "$f"
			break
		fi
	done
}
if [ -f "$deb" ] && [ -z "$(newer)" ]; then
	echo "deb: $deb is up to date"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/src"
printf '%s\n' "$files" | tar -cf - -T - | tar -xf - -C "$dir/src"
echo "deb: building $deb (log in $dir/build.log)"
# The caller's make variables (a sanitizer build's CFLAGS) are not the
# package's: dpkg-buildflags gives those.
if ! (cd "$dir/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS \
    -u CPPFLAGS -u LDFLAGS dpkg-buildpackage -b -us -uc -j2 \
    >../build.log 2>&1); then
	tail -n 30 "$dir/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log in $dir/build.log)" >&2
	exit 1
fi
# dpkg-buildpackage writes next to its source directory, in DIR.
changes=$dir/sockbin_${version}_$arch.changes
echo "deb: lintian $changes"
if ! lintian --fail-on error,warning "$changes"; then
	rm -f "$deb"
	echo "deb: lintian found problems (above); no package kept" >&2
	exit 1
fi
echo "deb: $deb"
