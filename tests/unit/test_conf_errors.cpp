// At least 40 broken configurations, each with the exact `line:col: message` of its first error
// and the number of errors reported (no cascades from one mistake).
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "conf/parser.hpp"

using namespace rs::conf;

namespace {

struct Case {
  const char* text;
  const char* first_error;  // "line:col: message"
  std::size_t errors;
};

const Case kCases[] = {
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  import all;
})",
     R"(3:3: 'import' is a channel option: write it inside 'ipv4 { ... }' or 'ipv6 { ... }')", 1},
    {R"(protocol static { export none; route 10.0.0.0/8 blackhole; })",
     R"(1:19: 'export' is a channel option: write it inside 'ipv4 { ... }' or 'ipv6 { ... }')", 1},
    {R"(filter f { if net.len > 24 then accept; reject }
)",
     R"(1:48: expected an expression, got '}')", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { import where net.len >; export none; };
})",
     R"(3:32: expected an expression, got ';')", 1},
    {R"(router id 1.2.3.4)", R"(1:18: expected ';' after 'router id 1.2.3.4', got end of file)", 1},
    {R"(router id 2001:db8::1;)", R"(1:11: router id must be an IPv4 address, got '2001:db8::1')",
     1},
    {R"(router id foo;)", R"(1:11: expected an IPv4 address after 'router id', got 'foo')", 1},
    {R"(router id from "eth*";)", R"(1:11: 'router id from' is not supported by rsd)", 1},
    {R"(define = 5;)", R"(1:8: expected a constant name after 'define', got '=')", 1},
    {R"(define x 5;)", R"(1:10: expected '=' after 'define x', got '5')", 1},
    {R"(define x = 1;
define x = 2;)",
     R"(2:8: 'x' is already defined (as a constant at t.conf:1:8))", 1},
    {R"(log "/tmp/x" { info, bogus };)",
     R"(1:22: expected a log class (debug, trace, info, remote, warning, error, auth, fatal, bug) after 'log "/tmp/x" { info ,', got 'bogus')",
     1},
    {R"(log nowhere all;)",
     R"(1:5: expected a file name, 'syslog' or 'stderr' after 'log', got 'nowhere')", 1},
    {R"(log stderr all
protocol device {})",
     R"(2:1: expected ';' after 'log stderr all', got 'protocol')", 1},
    {R"(timeformat route iso medium;)",
     R"(1:22: expected 'short' or 'long' after 'timeformat route iso', got 'medium')", 1},
    {R"(debug protocols { states, everything };)",
     R"(1:27: expected a debug flag (states, routes, filters, interfaces, events, packets) after 'debug protocols { states ,', got 'everything')",
     1},
    {R"(debug commands 3;)", R"(1:16: value 3 is out of range after 'debug commands' (at most 2))",
     1},
    {R"(ipv4 table;)", R"(1:11: expected a table name after 'ipv4 table', got ';')", 1},
    {R"(roa4 table r4;)", R"(1:1: 'roa4 table' (RPKI/ROA) is not supported by rsd)", 1},
    {R"(attribute float x;)",
     R"(1:11: expected an attribute type (int, ip, quad, pair, string, bool, bgppath, clist, eclist, lclist) after 'attribute', got 'float')",
     1},
    {R"(filter f)", R"(1:9: expected '{' to start the body of filter 'f', got end of file)", 1},
    {R"(function f() { return 1;)", R"(1:14: unterminated block: this '{' has no matching '}')", 1},
    {R"(foo bar;)",
     R"(1:1: unknown statement 'foo' (expected router id, define, log, protocol, template, filter, function, table, attribute, ...))",
     1},
    {R"(protocol ospf o { })", R"(1:10: 'protocol ospf' is not supported by rsd)", 1},
    {R"(protocol kernel { ipv4; })", R"(1:10: 'protocol kernel' is not supported by rsd)", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001; hold time; })",
     R"(1:72: expected a time after 'hold time', got ';')", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 4294967296; })",
     R"(1:56: value 4294967296 is out of range after 'neighbor 192.0.2.1 as' (at most 4294967295))",
     1},
    {R"(protocol bgp p {
  local as 65000;
  neighbor 192.0.2.1 as 65001;
  passive maybe;
})",
     R"(4:11: expected 'on' or 'off' after 'passive', got 'maybe')", 1},
    {R"(protocol bgp p {
  local as 65000;
  neighbor 192.0.2.1 as 65001;
  bogus option;
})",
     R"(4:3: unknown BGP option 'bogus')", 1},
    {R"(protocol bgp p {
  local as 65000;
  neighbor 192.0.2.1 as 65001;
  bfd on;
})",
     R"(4:3: BGP option 'bfd' is not supported by rsd)", 1},
    {R"(protocol bgp p { neighbor 192.0.2.1 as 65001; })",
     R"(1:1: protocol 'p' needs 'local as NUMBER')", 1},
    {R"(protocol bgp p { local as 65000; })",
     R"(1:1: protocol 'p' needs 'neighbor ADDRESS' or 'neighbor range PREFIX')", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1; })",
     R"(1:1: protocol 'p' needs 'neighbor ... as NUMBER' (or 'internal' / 'external'))", 1},
    {R"(protocol bgp p from nosuch { local as 65000; neighbor 192.0.2.1 as 1; })",
     R"(1:21: unknown template 'nosuch' (templates must be defined before use))", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65000;
  rs client;
})",
     R"(1:1: protocol 'p': 'rs client' needs an external (eBGP) neighbor)", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  rr client;
})",
     R"(1:1: protocol 'p': 'rr client' needs an internal (iBGP) neighbor)", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001; hold time 2; })",
     R"(1:1: protocol 'p': hold time must be 0 or at least 3 seconds (RFC 4271 4.2))", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001; keepalive time 100; hold time 90; })",
     R"(1:1: protocol 'p': keepalive time must not exceed the hold time)", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { import filter nosuch; };
})",
     R"(3:24: unknown filter 'nosuch' (filters must be defined before use))", 1},
    {R"(function fn() { return 1; }
protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { export filter fn; };
})",
     R"(4:24: 'fn' is a function, not a filter)", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { import maybe; };
})",
     R"(3:17: expected 'all', 'none', 'filter' or 'where' after 'import', got 'maybe')", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { table master6; import all; export all; };
})",
     R"(3:3: table 'master6' is an ipv6 table, the channel needs an ipv4 table)", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { table nosuch; };
})",
     R"(3:16: unknown table 'nosuch' (tables must be declared before use))", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { import limit 10 action explode; };
})",
     R"(3:33: expected 'warn', 'block', 'restart' or 'disable' after 'import limit 10 action', got 'explode')",
     1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { };
  ipv4 { };
})",
     R"(4:3: channel 'ipv4' is already defined in this protocol)", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  ipv4 { import where net.len > 24 }
})",
     R"(3:36: expected ';' after 'import where net . len > 24', got '}')",
     2},  // the channel's '}' lacks its ';' too
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  local role boss;
})",
     R"(3:14: expected a role (provider, rs_server, rs_client, customer, peer) after 'local role', got 'boss')",
     1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  error wait time 10;
})",
     R"(3:21: expected ',' after 'error wait time 10', got ';')", 1},
    {R"(protocol bgp p {
  local as 65000; neighbor 192.0.2.1 as 65001;
  multihop 0;
})",
     R"(3:12: multihop TTL must be 1-255, got 0)", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001; }
protocol bgp p { local as 65000; neighbor 192.0.2.2 as 65001; })",
     R"(2:14: 'p' is already defined (as a protocol at t.conf:1:14))", 1},
    {R"(protocol bgp p { local as 65000; neighbor range 10.0.0.1/8 as 65001; })",
     R"(1:49: prefix '10.0.0.1/8' has host bits set (did you mean '10.0.0.0/8'?))", 1},
    {R"(protocol static {
  route 10.0.0.0/8 via 2001:db8::1;
})",
     R"(2:24: a static route via a gateway of the other family (10.0.0.0/8 via 2001:db8::1) is not supported by rsd)",
     1},
    {R"(protocol static {
  ipv4;
  route 2001:db8::/32 blackhole;
})",
     R"(3:3: route 2001:db8::/32 is IPv6 but protocol static 'static1' has an ipv4 channel)", 1},
    {R"(protocol static {
  route 10.0.0.0/8 somewhere;
})",
     R"(2:20: expected 'via', 'blackhole', 'unreachable' or 'prohibit' after 'route 10.0.0.0/8', got 'somewhere')",
     1},
    {R"(protocol static {
  route 10.0.0.0/8 blackhole;
  route 10.0.0.0/8 unreachable;
})",
     R"(3:3: a second static route for 10.0.0.0/8 (first at t.conf:2:3) is not supported by rsd)",
     1},
    {R"(protocol static {
  roa4 { table r; };
  route 10.0.0.0/8 max 24 as 65000;
})",
     R"(2:3: 'roa4' channel (RPKI/ROA) is not supported by rsd)", 1},
    {R"(protocol static { route 10.0.0.0/33 blackhole; })",
     R"(1:25: invalid prefix length 33 in '10.0.0.0/33' (at most 32))", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001;)",
     R"(1:62: missing '}' to close the '{' at 1:16, got end of file)", 1},
    {R"(template static s { })", R"(1:10: 'template static' is not supported by rsd)", 1},
    {R"(router id 1.2.3.4; })", R"(1:20: expected a statement, got '}')", 1},
    {R"(include "x.conf")", R"(1:17: expected ';' after 'include "x.conf"')", 1},
    {R"(protocol bgp p { local as 65000; neighbor 192.0.2.1 as 65001; password secret; })",
     R"(1:72: expected a password string after 'password', got 'secret')", 1},
    {R"(process p { encoder text; })",
     R"(1:9: process 'p' needs 'run "COMMAND";' or 'shell "COMMAND";')", 1},
    {R"(healthcheck h { route 10.0.0.1/8; })",
     R"(1:23: prefix '10.0.0.1/8' has host bits set (did you mean '10.0.0.0/8'?))", 1},
    {R"(metrics { listen 127.0.0.1 port 70000; })",
     R"(1:33: value 70000 is out of range after 'listen 127.0.0.1 port' (at most 65535))", 1},
    {R"(metrics { listen 127.0.0.1 port 0; })",
     R"(1:33: metrics port 0: give the port Prometheus will scrape (1-65535))", 1},
    {R"(metrics { listen 127.0.0.1; }
metrics { listen ::1 port 9100; })",
     R"(2:1: a second 'metrics' block (the first is at 1:1); one endpoint per daemon)", 1},
    {R"(cli "/run/x" { unrestricted; };)",
     R"(1:16: unknown cli option 'unrestricted' (expected 'restrict', 'mode' or 'group'))", 1},
    {R"(log "/tmp/x" all; ipv6 table t6; protocol static { ipv4 { table t6; }; })",
     R"(1:65: a channel table other than master4 / master6 ('table t6') is not supported by rsd)",
     1},
    {R"(protocol bgp p { description "unterminated; })", R"(1:30: unterminated string)", 2},
    {R"(protocol bgp p { local as 65000; neighbor 300.1.1.1 as 1; })",
     R"(1:43: invalid IPv4 address '300.1.1.1')", 1},
    {R"(define x = 10.0.0.0/8 + ;
protocol bgp p { local as 65000 neighbor 192.0.2.1 as 1; })",
     R"(1:25: expected an expression, got ';')", 2},
    {R"(/* comment)", R"(1:1: unterminated comment '/*')", 1},
    // health: process, healthcheck, health
    {R"(healthcheck h { route 10.0.0.1/32; })",
     R"(1:13: healthcheck 'h' needs at least one check (command, http or tcp))", 1},
    {R"(healthcheck h { command "/bin/true"; rise 0; })",
     R"(1:13: healthcheck 'h': rise must be at least 1)", 1},
    // URLs the http probe cannot serve are refused by --check, not found at run time.
    {R"(healthcheck h { http "ftp://192.0.2.1/health"; route 10.0.0.1/32; })",
     R"(1:22: URL "ftp://192.0.2.1/health" cannot be probed: the scheme is not http:// or https://)",
     1},
    {R"(healthcheck h { http "https://web.example:8443/health"; route 10.0.0.1/32; })",
     R"(1:22: URL "https://web.example:8443/health": rsd resolves no host names on the health path; write 'address IP' (where to connect) after the URL)",
     1},
    {R"(healthcheck h { http "http://192.0.2.1:70000/"; route 10.0.0.1/32; })",
     R"(1:22: URL "http://192.0.2.1:70000/" cannot be probed: the port "70000" is not 1-65535)", 1},
    {R"(healthcheck h { http "https://192.0.2.1:0/"; route 10.0.0.1/32; })",
     R"(1:22: URL "https://192.0.2.1:0/" cannot be probed: the port "0" is not 1-65535)", 1},
    {R"(healthcheck h { http "https://web_1.example/" address 192.0.2.1; })",
     R"(1:22: URL "https://web_1.example/" cannot be probed: "web_1.example" is neither an address nor a host name)",
     1},
    {R"(healthcheck h { http "https://192.0.2.300/"; })",
     R"(1:22: URL "https://192.0.2.300/" cannot be probed: "192.0.2.300" is neither an address nor a host name)",
     1},
    {R"(healthcheck h { http "https://u:p@192.0.2.1/"; })",
     R"(1:22: URL "https://u:p@192.0.2.1/" cannot be probed: user information (user@) is not supported)",
     1},
    {R"(healthcheck h { http "http://192.0.2.1/" ca file "/etc/ssl/certs/ca-certificates.crt"; })",
     R"(1:50: TLS options (server name, ca file, certificate, key, insecure) need an https:// URL)",
     1},
    {R"(healthcheck h { http "http://192.0.2.1/" insecure; })",
     R"(1:42: TLS options (server name, ca file, certificate, key, insecure) need an https:// URL)",
     1},
    {R"(healthcheck h { http "https://192.0.2.1/" ca file "/nonexistent/ca.pem"; })",
     R"(1:51: ca file "/nonexistent/ca.pem" cannot be read: No such file or directory)", 1},
    {R"(healthcheck h { http "https://192.0.2.1/" ca file "/etc/hostname"; })",
     R"(1:51: ca file "/etc/hostname" holds no usable PEM certificate: no certificate or crl found)",
     1},
    {R"(healthcheck h { http "https://192.0.2.1/" certificate "/nonexistent/c.pem"; })",
     R"(1:55: certificate "/nonexistent/c.pem" cannot be read: No such file or directory)", 1},
    {R"(healthcheck h { http "https://192.0.2.1/" key "/etc/hostname"; })",
     R"(1:47: a 'key' needs its 'certificate')", 1},
    {R"(healthcheck h { http "https://192.0.2.1/" insecure ca file "/etc/hostname"; })",
     R"(1:60: a 'ca file' is not used by an 'insecure' check (nothing is verified): drop one of them)",
     1},
    {R"(healthcheck h { http "https://192.0.2.1/" server name "bad name"; })",
     R"(1:55: server name "bad name" is neither a host name nor an address)", 1},
    {R"(healthcheck h { http "http://192.0.2.1/" host "a
X: y"; })",
     R"(1:47: the Host header must be non-empty, without blanks or control characters)", 1},
    {R"(healthcheck h { http "http://192.0.2.1/" body ""; })",
     R"(1:47: the body to match must be 1 to 65536 bytes)", 1},
    {R"(healthcheck h { http "http://192.0.2.1/" expect 200 expect 204; })",
     R"(1:53: 'expect' is given twice)", 1},
    {R"(healthcheck h { http "http://192.0.2.1/" source address 2001:db8::1; })",
     R"(1:57: source address 2001:db8::1 is not of the family of 192.0.2.1)", 1},
    {R"(healthcheck h { http "https://web.example/" address 2001:db8::1 source address 192.0.2.9; })",
     R"(1:80: source address 192.0.2.9 is not of the family of 2001:db8::1)", 1},
    {R"(healthcheck h { tcp 2001:db8::1 port 80 source address 192.0.2.9; })",
     R"(1:56: source address 192.0.2.9 is not of the family of 2001:db8::1)", 1},
    {R"(healthcheck h { http "http://192.0.2.1/" expect 200 bodyy "x"; })",
     R"(1:53: expected ';' after 'http "http://192.0.2.1/" expect 200', got 'bodyy')", 1},
    {R"(healthcheck h { command "/bin/true"; community up (65536, 1); })",
     R"(1:52: community parts must be 0-65535 (use 'large community' for more))", 1},
    {R"(healthcheck h { command "/bin/true"; community sideways (1, 1); })",
     R"(1:48: expected 'up', 'down' or 'disabled' after 'community', got 'sideways')", 1},
    {R"(healthcheck h { command "/bin/true"; large community up (1, 2); })",
     R"(1:62: expected ',' after 'large community up ( 1 , 2', got ')')", 1},
    {R"(healthcheck h { command "/bin/true"; flap hold-down 0 in 10 s; })",
     R"(1:53: the transition count must be at least 1)", 1},
    {R"(healthcheck h { command "/bin/true"; interval fast; })",
     R"(1:47: expected a duration after 'interval', got 'fast')", 1},
    {R"(healthcheck h { tcp 127.0.0.1 port 65536; })",
     R"(1:36: value 65536 is out of range after 'tcp 127.0.0.1 port' (at most 65535))", 1},
    {R"(healthcheck h { http "http://127.0.0.1/" expect 1000; })",
     R"(1:49: value 1000 is out of range after 'http "http://127.0.0.1/" expect' (at most 999))",
     1},
    {R"(healthcheck h { command "/bin/true"; down med -1; })",
     R"(1:47: expected a number after 'down med', got '-')", 1},
    {R"(process p { run "/bin/true"; encoder xml; })",
     R"(1:38: expected 'text' or 'json' after 'encoder', got 'xml')", 1},
    {R"(process p { run "/bin/true"; ack maybe; })",
     R"(1:34: expected 'on' or 'off' after 'ack', got 'maybe')", 1},
    {R"(process p { run "/bin/true"; next hop 1.2.3; })",
     R"(1:39: expected an address after 'next hop', got '1')", 1},
    {R"(health { startup hold soon; })",
     R"(1:23: expected a duration after 'startup hold', got 'soon')", 1},
    {R"(health { state file ""; })", R"(1:21: the state file path is empty)", 1},
    {R"(healthcheck h { command "/bin/true"; route 2001:db8::10/128 med 5; })",
     R"(1:44: an IPv6 route needs 'next hop ADDRESS' (the default is the router id))", 1},
    {R"(health { stat file "x"; })",
     R"(1:10: unknown health option 'stat' (expected startup hold, state file, user, group))", 1},
};

}  // namespace

TEST_CASE("broken configurations report the exact location and message") {
  CHECK(std::size(kCases) >= 40);
  for (const Case& c : kCases) {
    std::string text = c.text;
    CAPTURE(text);
    LoadResult r = load_string(c.text, "t.conf");
    REQUIRE(r.diagnostics.first_error() != nullptr);
    CHECK(r.diagnostics.first_error()->short_string() == c.first_error);
    CHECK(r.diagnostics.first_error()->to_string() == std::string("t.conf:") + c.first_error);
    CHECK(r.diagnostics.error_count() == c.errors);
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("independent mistakes are all reported, sorted by line") {
  LoadResult r = load_string(
      "router id 1.2.3;\n"
      "protocol bgp a { local as 1; neighbor 192.0.2.1 as 2; hold time 1; }\n"
      "protocol ospf o { }\n"
      "protocol bgp b { local as 1; neighbor 192.0.2.2 as 3; bogus; }\n",
      "t.conf");
  std::string all;
  for (const auto& d : r.diagnostics.items()) all += d.short_string() + "\n";
  CHECK(all ==
        "1:11: expected an IPv4 address after 'router id', got '1'\n"
        "2:1: protocol 'a': hold time must be 0 or at least 3 seconds (RFC 4271 4.2)\n"
        "3:10: 'protocol ospf' is not supported by rsd\n"
        "4:55: unknown BGP option 'bogus'\n");
}

TEST_CASE("a link-local neighbor is refused, as BIRD does without an interface") {
  LoadResult r = load_string("protocol bgp p { local as 1; neighbor fe80::1 as 2; }", "t.conf");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.items().size() == 1);
  CHECK(r.diagnostics.items()[0].to_string() ==
        "t.conf:1:1: protocol 'p': a link-local neighbor address needs an interface ('interface' "
        "is not supported "
        "by rsd)");
}

TEST_CASE("garbage never crashes") {
  const char* inputs[] = {"{",
                          "}",
                          "{{{{",
                          "protocol",
                          "protocol bgp",
                          "protocol bgp p {",
                          "protocol bgp p { ipv4 {",
                          "filter",
                          "function f(",
                          "define x =",
                          "\"",
                          "'",
                          "[=",
                          "template bgp t from",
                          "protocol static { route",
                          "log {",
                          ";;;; x",
                          "ipv4 table t {",
                          "include",
                          "1.2.3.4/99"};
  for (const char* in : inputs) {
    std::string text = in;
    CAPTURE(text);
    LoadResult r = load_string(in, "t.conf");
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("lint: routes learned over iBGP that no peer can receive") {
  // The ExaBGP-wiki mistake: every node peers over iBGP, none is an rr client.
  const char* text =
      "protocol bgp n1 { local as 65000; neighbor 192.0.2.1 as 65000; ipv4 { import all; export "
      "all; }; }\n"
      "protocol bgp n2 { local as 65000; neighbor 192.0.2.2 as 65000; ipv4 { import all; export "
      "all; }; }\n";
  LoadResult r = load_string(text, "t.conf");
  CHECK(r.ok());
  std::string all;
  for (const auto& d : r.diagnostics.items()) all += d.to_string() + "\n";
  CHECK(all ==
        "t.conf:1:1: warning: routes learned over iBGP from 'n1' (ipv4) can reach no peer: iBGP "
        "routes are "
        "re-advertised only to eBGP peers and to 'rr client' iBGP peers\n"
        "t.conf:2:1: warning: routes learned over iBGP from 'n2' (ipv4) can reach no peer: iBGP "
        "routes are "
        "re-advertised only to eBGP peers and to 'rr client' iBGP peers\n");
  // With rr client on the receivers, no warning.
  const char* fixed =
      "protocol bgp n1 { local as 65000; neighbor 192.0.2.1 as 65000; rr client; ipv4 { import "
      "all; export all; }; }\n"
      "protocol bgp n2 { local as 65000; neighbor 192.0.2.2 as 65000; rr client; ipv4 { import "
      "all; export all; }; }\n";
  LoadResult r2 = load_string(fixed, "t.conf");
  CHECK(r2.ok());
  CHECK(r2.diagnostics.items().empty());
}

TEST_CASE("lint: a prefix set of the other family never matches") {
  const char* text =
      "filter only6 { if net ~ [ 2001:db8::/32+ ] then accept; reject; }\n"
      "protocol bgp p { local as 1; neighbor 192.0.2.1 as 2;\n"
      "  ipv4 { import filter only6; export none; };\n}\n";
  LoadResult r = load_string(text, "t.conf");
  CHECK(r.ok());
  REQUIRE(r.diagnostics.items().size() == 1);
  CHECK(r.diagnostics.items()[0].to_string() ==
        "t.conf:1:23: warning: this prefix set has only IPv6 prefixes, but filter 'only6' runs in "
        "the IPv4 "
        "channel of protocol 'p': the test never matches");
}

TEST_CASE("deep nesting is an error, not a stack overflow") {
  std::string parens =
      "define x = " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";";
  CHECK_FALSE(load_string(parens, "t.conf").ok());
  std::string blocks = "filter f " + std::string(100000, '{') + std::string(100000, '}');
  CHECK_FALSE(load_string(blocks, "t.conf").ok());
  std::string unclosed = "protocol bgp p { ipv4 { import filter " + std::string(50000, '{');
  CHECK_FALSE(load_string(unclosed, "t.conf").ok());
}

TEST_CASE("mutated real configs never crash the loader") {
  // A deterministic poor man's fuzzer over a real config (libFuzzer runs the same in tests/fuzz):
  // byte flips, truncations, deleted and duplicated spans. Every result must load or fail cleanly
  // with located errors.
  std::string path = std::string(RSD_TEST_DATA_DIR) + "/bird-configs/ixp-rs.conf";
  LoadResult base = load_file(path);
  REQUIRE_MESSAGE(base.ok(), base.diagnostics.to_string());
  std::string text;
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto rnd = [&](std::size_t bound) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<std::size_t>(seed % bound);
  };
  static const char kBytes[] = "{};()[]:,.=~!<>\"'#/*\n 0123456789abcdef";
  std::size_t failed = 0;
  for (int i = 0; i < 300; ++i) {
    std::string m = text;
    switch (i % 4) {
      case 0:
        for (int k = 0; k < 4; ++k) m[rnd(m.size())] = kBytes[rnd(sizeof kBytes - 1)];
        break;
      case 1:
        m.resize(rnd(m.size()));
        break;
      case 2: {
        std::size_t at = rnd(m.size());
        m.erase(at, rnd(200));
        break;
      }
      case 3: {
        std::size_t at = rnd(m.size());
        m.insert(rnd(m.size()), m.substr(at, rnd(300)));
        break;
      }
    }
    LoadResult r = load_string(m, "m.conf");
    if (!r.ok()) {
      ++failed;
      for (const auto& d : r.diagnostics.items()) {
        CHECK(d.location.line >= 1);
        CHECK(d.location.col >= 1);
      }
    }
  }
  CHECK(failed > 100);  // the mutations do break things
}

TEST_CASE("lint: explicit route MEDs with a non-zero increase") {
  // The wiki's MED table written per route: ExaBGP's increase (default 1) still adds to it.
  const char* text =
      "healthcheck web {\n"
      "  tcp 127.0.0.1 port 80;\n"
      "  route 203.0.113.10/32 med 101;\n"
      "  route 203.0.113.11/32 med 100;\n"
      "  route 203.0.113.12/32 med 102;\n"
      "}\n";
  LoadResult r = load_string(text, "t.conf");
  CHECK(r.ok());
  std::string all;
  for (const auto& d : r.diagnostics.items()) all += d.to_string() + "\n";
  CHECK(all ==
        "t.conf:4:25: warning: healthcheck 'web': route 203.0.113.11/32 has med 100, and "
        "'increase 1' adds 1 to it (announced with MED 101 when up); write 'increase 0;' to "
        "announce the meds as written\n"
        "t.conf:5:25: warning: healthcheck 'web': route 203.0.113.12/32 has med 102, and "
        "'increase 1' adds 2 to it (announced with MED 104 when up); write 'increase 0;' to "
        "announce the meds as written\n");
  // `increase 0;` announces them as written: no warning; nor for default MEDs.
  for (const char* ok : {"healthcheck web { tcp 127.0.0.1 port 80; increase 0;\n"
                         "  route 203.0.113.10/32 med 101; route 203.0.113.11/32 med 100; }\n",
                         "healthcheck web { tcp 127.0.0.1 port 80;\n"
                         "  route 203.0.113.10/32; route 203.0.113.11/32; }\n"}) {
    LoadResult r2 = load_string(ok, "t.conf");
    CHECK(r2.ok());
    CHECK(r2.diagnostics.warning_count() == 0);
  }
}
