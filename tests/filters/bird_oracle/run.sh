#!/bin/bash
# run.sh FILTERFILE ROUTES: starts a real bird (2.0.12) whose BGP session p1 imports with `filter t`
# from FILTERFILE, feeds it ROUTES with speaker.py, prints bird's log (the filter's print output).
# Listens on 127.0.0.1:20179; the speaker connects from 127.0.0.2 (AS 65001). STAY: seconds the
# speaker stays up (default 2). CONFED=1: a confederation member session.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d /tmp/bird_oracle.XXXX)
F=$1; R=$2; STAY=${STAY:-2}
CONF_EXTRA=""; [ -n "${CONFED:-}" ] && CONF_EXTRA="confederation 65100; confederation member yes;"
cat > $D/bird.conf <<CONF
log "$D/bird.log" all;
router id 10.255.0.1;
protocol device {}
protocol static nhs4 { ipv4; route 0.0.0.0/0 blackhole; }
protocol static nhs6 { ipv6; route ::/0 blackhole; }
$(cat $F)
protocol bgp p1 {
  local 127.0.0.1 port 20179 as 65000;
  neighbor 127.0.0.2 as 65001;
  passive;
  multihop;
  $CONF_EXTRA
  ipv4 { import filter t; export none; };
  ipv6 { import filter t; export none; };
}
CONF
bird -p -c $D/bird.conf || { echo "PARSE FAIL"; exit 1; }
bird -f -c $D/bird.conf -s $D/sock -P $D/pid 2>$D/stderr &
BP=$!
python3 "$HERE/speaker.py" 127.0.0.1 20179 127.0.0.2 65001 "$R" "$STAY"
kill $BP; wait $BP 2>/dev/null
sed -e 's/^[0-9-]* [0-9:.]* //' $D/bird.log | grep -v "<TRACE>\|Started\|Initializing\|Reconfig\|Shutting\|Chosen router\|bogus route\|Missing next hop"
cat $D/stderr
rm -rf "$D"
