#!/bin/bash
# selftest.sh FILE.conf: runs one of rsd's filter self-test files (tests/filters/*.conf) through the
# real bird: each `bt_assert(X);` becomes `if !(X) then print "FAIL line N";`, each t_/e_ function
# runs on its own route carrying the driver's sample attributes (the path from `# sample bgp_path:`
# if present). A t_ function prints DONE and no FAIL; an e_ function stops with an error (or FAIL).
# The route's net, from and next hop differ from the driver's sample route (10.60.N.0/24, 127.0.0.2).
HERE=$(cd "$(dirname "$0")" && pwd)
F=$1; W=$(mktemp -d /tmp/bird_selftest.XXXX)
path=$(grep -m1 "^# sample bgp_path: " "$F" | sed 's/^# sample bgp_path: //')
[ -z "$path" ] && path="65001 65002 65003"
spath=$(echo "$path" | sed 's/ /_/g; s/(/</g; s/)/>/g')
python3 "$HERE/sanitize.py" "$F" | awk '{ if (match($0, /bt_assert\((.*)\);/)) { pre=substr($0,1,RSTART-1); inner=substr($0,RSTART+10,RLENGTH-12); post=substr($0,RSTART+RLENGTH); print pre "if !(" inner ") then print \"FAIL line " NR "\";" post } else print }' > $W/body
fns=$(grep -o "^function [te]_[a-z0-9_]*" "$F" | awk '{print $2}')
{ cat $W/body; echo "filter t {"; i=0; for f in $fns; do i=$((i+1)); echo "  if net = 10.60.$i.0/24 then { $f(); print \"DONE $f\"; accept; }"; done; echo "  accept; }"; } > $W/conf
i=0; : > $W/routes
for f in $fns; do i=$((i+1)); echo "10.60.$i.0/24 127.0.0.2 path=$spath med=10 lp=100 comm=65000:1,65000:2 raw=c010080002fde800000064,c0200c0000fde80000000100000002" >> $W/routes; done
CONFED=$(echo "$path" | grep -q "(" && echo 1) "$HERE/run.sh" $W/conf $W/routes 2>&1 | grep -v "Discarding LOCAL_PREF" | sed 's/^<INFO> //'
rm -rf "$W"
