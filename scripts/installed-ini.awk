# installed-ini.awk -- turn the tree's etc/sockbind.ini into the installed one.
#
# The tree's sample keeps its files under var/ so that `make run` works from
# a clone. Installed, the same keys must name the system directories that
# sockbind.service provides (RuntimeDirectory=, StateDirectory=,
# LogsDirectory=), which are also the daemon's built-in defaults:
#
#   [server] port_file, pidfile        var/NAME -> /run/sockbind/NAME
#   [pingpong] file, [upload] dir,
#   [store] path                       var/NAME -> /var/lib/sockbind/NAME
#   [log] path                         var/NAME -> /var/log/sockbind/NAME
#
# The comment lines that explain var/ to the tree's user are dropped. A
# value under var/ for any other key is an error: nobody decided where it
# goes once installed.
#
# The sample's [mirror] keys carry the lab's example (a second of simulated
# work, a student's signature, keep_case); installed, they are neutral
# (the daemon's defaults), and the lab's values are in the sockbind@mirror
# instance's mirror.ini.

BEGIN {
	dir["server.port_file"] = "/run/sockbind"
	dir["server.pidfile"] = "/run/sockbind"
	dir["pingpong.file"] = "/var/lib/sockbind"
	dir["upload.dir"] = "/var/lib/sockbind"
	dir["store.path"] = "/var/lib/sockbind"
	dir["log.path"] = "/var/log/sockbind"
	neutral["mirror.delay_ms"] = "0"
	neutral["mirror.signature"] = ""
	neutral["mirror.keep_case"] = "false"
	section = ""
	status = 0
}

NR == 1 {
	print
	print "; Installed by `make install`: the files live in the directories that"
	print "; sockbind.service gives the daemon (see sockbind(8), \"SYSTEMD\"),"
	print "; and [mirror] is neutral: the lab's example values are in mirror.ini."
	next
}

# The header's lines about the tree.
section == "" && /^[;#]/ && /(Relative paths|make run|var\/)/ { next }

/^[ \t]*\[[^]]*\][ \t]*$/ {
	section = $0
	gsub(/^[ \t]*\[[ \t]*|[ \t]*\][ \t]*$/, "", section)
	section = tolower(section)
	print
	next
}

/^[ \t]*[A-Za-z_]+[ \t]*=/ {
	key = $0
	sub(/[ \t]*=.*/, "", key)
	sub(/^[ \t]*/, "", key)
	key = tolower(key)
	if ((section "." key) in neutral) {
		value = neutral[section "." key]
		print key " =" (value == "" ? "" : " " value)
		next
	}
}

/^[ \t]*[A-Za-z_]+[ \t]*=[ \t]*"?var\// {
	key = $0
	sub(/[ \t]*=.*/, "", key)
	sub(/^[ \t]*/, "", key)
	key = tolower(key)
	value = $0
	sub(/^[^=]*=[ \t]*"?var\//, "", value)
	sub(/"?[ \t]*$/, "", value)
	if (!((section "." key) in dir)) {
		printf("installed-ini.awk: line %d: [%s] %s: no system "\
		    "directory for var/%s\n", NR, section, key, value) \
		    > "/dev/stderr"
		status = 1
		exit status
	}
	print key " = " dir[section "." key] "/" value
	next
}

{ print }

END {
	exit status
}
