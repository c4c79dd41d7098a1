// Tests of the config parser: every statement, BGP options and channels, template inheritance,
// defaults, times with units, includes, and the later-issue blocks (control, cli, metrics, history,
// process, healthcheck).
#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "conf/parser.hpp"

using namespace rs::conf;
using rs::rib::Family;
using rs::rib::IpAddress;
using rs::rib::Prefix;

namespace {

LoadResult load_ok(std::string_view text) {
  LoadResult r = load_string(text, "t.conf");
  CHECK_MESSAGE(r.ok(), r.diagnostics.to_string());
  return r;
}

IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}
Prefix pfx(std::string_view s) {
  return *Prefix::parse(s);
}

}  // namespace

TEST_CASE("global statements") {
  auto r = load_ok(R"(
    router id 192.0.2.2;
    define rs_as = 999;
    define name_ = "x";
    define nh = 192.0.2.1;
    define net1 = 10.0.0.0/8;
    define yes_ = true;
    define set1 = [ 1, 2, 10..20 ];
    log "/var/log/rsd.log" all;
    log "/var/log/rsd2.log" size 1000000 "/var/log/rsd2.old" { warning, error };
    log syslog name rsd { info, remote, warning, error, auth, fatal, bug };
    log stderr all;
    debug protocols { states, routes, filters, interfaces, events };
    debug commands 2;
    timeformat base iso long;
    timeformat log iso long ms;
    timeformat protocol iso short;
    timeformat route "%F %T" 86400 "%F";
    ipv4 table master4 sorted;
    ipv6 table master6;
    ipv4 table t4 { sorted on; };
    attribute int my_attr;
    attribute quad my_q;
  )");
  const Config& c = r.config;
  REQUIRE(c.router_id);
  CHECK(*c.router_id == ip("192.0.2.2"));
  REQUIRE(c.defines.size() == 6);
  CHECK(std::get<uint64_t>(c.find_define("rs_as")->value.literal) == 999);
  CHECK(std::get<std::string>(c.find_define("name_")->value.literal) == "x");
  CHECK(std::get<IpAddress>(c.find_define("nh")->value.literal) == ip("192.0.2.1"));
  CHECK(std::get<Prefix>(c.find_define("net1")->value.literal) == pfx("10.0.0.0/8"));
  CHECK(std::get<bool>(c.find_define("yes_")->value.literal) == true);
  CHECK(std::holds_alternative<std::monostate>(c.find_define("set1")->value.literal));
  CHECK(c.find_define("set1")->value.source.text() == "[ 1 , 2 , 10 .. 20 ]");
  REQUIRE(c.logs.size() == 4);
  CHECK(c.logs[0].kind == LogTarget::Kind::File);
  CHECK(c.logs[0].path == "/var/log/rsd.log");
  CHECK(c.logs[0].classes == kLogAll);
  CHECK(c.logs[1].size == 1000000);
  CHECK(c.logs[1].backup == "/var/log/rsd2.old");
  CHECK(c.logs[1].classes == (kLogWarning | kLogError));
  CHECK(c.logs[2].kind == LogTarget::Kind::Syslog);
  CHECK(c.logs[2].syslog_name == "rsd");
  CHECK(c.logs[2].classes == (kLogAll & ~(kLogDebug | kLogTrace)));
  CHECK(c.logs[3].kind == LogTarget::Kind::Stderr);
  CHECK(c.debug_protocols == (kDebugAll & ~kDebugPackets));
  CHECK(c.debug_commands == 2);
  REQUIRE(c.timeformats.size() == 4);
  CHECK(c.timeformats[0].format == "%F %T");
  CHECK(c.timeformats[1].which == TimeFormat::Which::Log);
  CHECK(c.timeformats[1].format == "%F %T.%3f");
  CHECK(c.timeformats[2].format == "%T");  // iso short: the date alone after 20 hours
  CHECK(c.timeformats[2].format_old == "%F");
  CHECK(c.timeformats[2].limit == 72000);
  CHECK(c.timeformats[3].format_old == "%F");
  CHECK(c.timeformats[3].limit == 86400);
  REQUIRE(c.tables.size() == 3);
  CHECK(c.find_table("master4")->sorted);
  CHECK_FALSE(c.find_table("master6")->sorted);
  CHECK(c.find_table("master6")->family == Family::Ipv6);
  CHECK(c.find_table("t4")->sorted);
  REQUIRE(c.attributes.size() == 2);
  CHECK(c.attributes[1].type == AttributeDecl::Type::Quad);
  CHECK(c.attributes[1].name == "my_q");
}

TEST_CASE("master tables exist without declaration") {
  auto r = load_ok("router id 1.1.1.1;");
  CHECK(r.config.find_table("master4"));
  CHECK(r.config.find_table("master6"));
}

TEST_CASE("filters and functions are captured whole") {
  auto r = load_ok(R"(
    function f(int a; ip b) -> bool
    int x;
    { if a > 1 then { return true; } return false; }
    filter g
    prefix set p;
    { p = [ 10.0.0.0/8+ ]; if net ~ p then accept; reject; }
    filter h { accept; };
  )");
  const Config& c = r.config;
  REQUIRE(c.filters.size() == 3);
  CHECK(c.find_function("f"));
  CHECK(c.find_filter("g"));
  CHECK_FALSE(c.find_filter("f"));
  CHECK(c.find_function("f")->source.text() ==
        "function f ( int a ; ip b ) -> bool int x ; { if a > 1 then { return true ; } return "
        "false ; }");
  CHECK(c.find_filter("h")->source.text() == "filter h { accept ; }");
  CHECK(c.find_filter("g")->loc.line == 5);
}

TEST_CASE("protocol bgp: source address and local ADDRESS are one setting, the last one wins") {
  auto r = load_ok(R"(
    template bgp t { source address 192.0.2.9; }
    protocol bgp a { local 192.0.2.1 as 65000; source address 192.0.2.5; neighbor 192.0.2.2 as 65001; }
    protocol bgp b { source address 192.0.2.5; local 192.0.2.1 as 65000; neighbor 192.0.2.2 as 65001; }
    protocol bgp c from t { local 192.0.2.1 as 65000; neighbor 192.0.2.2 as 65001; }
    protocol bgp d from t { local as 65000; neighbor 192.0.2.2 as 65001; }
  )");
  REQUIRE(r.config.bgp.size() == 4);
  CHECK(*r.config.bgp[0].settings.local_address == ip("192.0.2.5"));
  CHECK(*r.config.bgp[1].settings.local_address == ip("192.0.2.1"));
  CHECK(*r.config.bgp[2].settings.local_address == ip("192.0.2.1"));
  CHECK(*r.config.bgp[3].settings.local_address == ip("192.0.2.9"));
}

TEST_CASE(
    "protocol bgp: enhanced route refresh is an option; no 4-octet AS limits the neighbour AS") {
  auto r = load_ok(R"(
    protocol bgp a { local as 65000; neighbor 192.0.2.2 as 65001; enable enhanced route refresh off; }
    protocol bgp b { local as 4200000000; neighbor 192.0.2.3 as 65001; enable as4 off; }
  )");
  CHECK_FALSE(r.config.bgp[0].settings.enable_enhanced_route_refresh);
  CHECK(r.config.bgp[1].settings.enable_enhanced_route_refresh);
  CHECK_FALSE(r.config.bgp[1].settings.enable_as4);
  for (const char* opt : {"enable as4 off;", "capabilities off;"}) {
    LoadResult bad = load_string(
        std::string("protocol bgp a { local as 65000; neighbor 192.0.2.2 as 4200000001; ") + opt +
            " }",
        "t.conf");
    CHECK_FALSE(bad.ok());
    CHECK(bad.diagnostics.to_string().find("neighbor AS number out of range") != std::string::npos);
  }
}

TEST_CASE("protocol bgp: every option") {
  auto r = load_ok(R"(
    filter in_f { accept; }
    filter out_f { accept; }
    protocol bgp peer1 {
      description "peer one";
      disabled off;
      debug { states, events };
      router id 10.0.0.1;
      local 192.0.2.1 port 1179 as 65000;
      neighbor 192.0.2.2 port 2179 as 65001 external;
      source address 192.0.2.1;
      multihop 2;
      passive on;
      strict bind yes;
      hold time 90;
      min hold time 10 s;
      startup hold time 30;
      keepalive time 30 s;
      connect delay time 500 ms;
      connect retry time 2 min;
      error wait time 10, 20;
      error forget time 1 h;
      password "secret";
      ttl security off;
      rs client;
      med metric on;
      deterministic med;
      prefer older;
      default bgp_med 10;
      default bgp_local_pref 200;
      allow local as 2;
      enable route refresh off;
      graceful restart aware;
      graceful restart time 60;
      enable extended messages;
      enable as4 on;
      capabilities on;
      advertise hostname on;
      local role rs_server;
      require roles;
      interpret communities off;
      enforce first as on;
      forward unknown attributes on;
      max as path length 64;
      ipv4 {
        table master4;
        import filter in_f;
        export filter out_f;
        import keep filtered on;
        mandatory;
        next hop keep;
        extended next hop off;
        add paths rx;
        import table on;
        export table on;
        preference 150;
        import limit 100 action restart;
        receive limit 200 action warn;
        export limit 300;
      };
      ipv6 {
        import where net.len <= 48;
        export filter { if net ~ [ 2001:db8::/32+ ] then accept; reject; };
        next hop address 2001:db8::1;
        import limit off;
        add paths tx;
      };
    }
  )");
  REQUIRE(r.config.bgp.size() == 1);
  const BgpProtocol& p = r.config.bgp[0];
  const BgpSettings& s = p.settings;
  CHECK(p.name == "peer1");
  CHECK(s.description == "peer one");
  CHECK_FALSE(s.disabled);
  CHECK(s.debug == (kDebugStates | kDebugEvents));
  CHECK(*s.router_id == ip("10.0.0.1"));
  CHECK(*s.local_address == ip("192.0.2.1"));
  CHECK(s.local_port == 1179);
  CHECK(*s.local_as == 65000);
  CHECK(*s.neighbor_address == ip("192.0.2.2"));
  CHECK(s.neighbor_port == 2179);
  CHECK(*s.neighbor_as == 65001);
  CHECK(*s.peer_type == PeerType::External);
  CHECK(*s.multihop == 2);
  CHECK(s.passive);
  CHECK(s.strict_bind);
  CHECK(s.hold_time == Duration::seconds(90));
  CHECK(s.min_hold_time == Duration::seconds(10));
  CHECK(s.startup_hold_time == Duration::seconds(30));
  CHECK(p.keepalive_time() == Duration::seconds(30));
  CHECK(s.connect_delay_time == Duration::millis(500));
  CHECK(s.connect_retry_time == Duration::seconds(120));
  CHECK(s.error_wait_min == Duration::seconds(10));
  CHECK(s.error_wait_max == Duration::seconds(20));
  CHECK(s.error_forget_time == Duration::seconds(3600));
  CHECK(*s.password == "secret");
  CHECK_FALSE(s.ttl_security);
  CHECK(s.rs_client);
  CHECK_FALSE(s.rr_client);
  CHECK(s.med_metric);
  CHECK(s.deterministic_med);
  CHECK(s.prefer_older);
  CHECK(s.default_bgp_med == 10);
  CHECK(s.default_bgp_local_pref == 200);
  CHECK(s.allow_local_as == 2);
  CHECK_FALSE(s.enable_route_refresh);
  CHECK(s.graceful_restart == GracefulRestart::Aware);
  CHECK(s.graceful_restart_time == Duration::seconds(60));
  CHECK(s.enable_extended_messages);
  CHECK(s.enable_as4);
  CHECK(s.capabilities);
  CHECK(s.advertise_hostname);
  CHECK(*s.local_role == Role::RsServer);
  CHECK(s.require_roles);
  CHECK_FALSE(s.interpret_communities);
  CHECK(s.enforce_first_as);
  CHECK(s.forward_unknown_attributes);
  CHECK(s.max_as_path_length == 64);
  CHECK_FALSE(p.is_internal());

  REQUIRE(p.channels.size() == 2);
  const ChannelSettings& c4 = p.channel(Family::Ipv4)->settings;
  CHECK(c4.table == "master4");
  CHECK(c4.import_filter.kind == FilterSpec::Kind::Named);
  CHECK(c4.import_filter.name == "in_f");
  CHECK(c4.export_filter.name == "out_f");
  CHECK(c4.import_keep_filtered);
  CHECK(c4.mandatory);
  CHECK(c4.next_hop.mode == NextHop::Mode::Keep);
  CHECK_FALSE(c4.extended_next_hop);
  CHECK(c4.add_paths == AddPaths::Rx);
  CHECK(c4.import_table);
  CHECK(c4.export_table);
  CHECK(c4.preference == 150);
  REQUIRE(c4.import_limit);
  CHECK(c4.import_limit->max == 100);
  CHECK(c4.import_limit->action == LimitAction::Restart);
  CHECK(c4.receive_limit->action == LimitAction::Warn);
  CHECK(c4.export_limit->max == 300);
  CHECK(c4.export_limit->action == LimitAction::Disable);
  const ChannelSettings& c6 = p.channel(Family::Ipv6)->settings;
  CHECK(c6.table == "master6");
  CHECK(c6.import_filter.kind == FilterSpec::Kind::Where);
  CHECK(c6.import_filter.source.text() == "net . len <= 48");
  CHECK(c6.export_filter.kind == FilterSpec::Kind::Inline);
  CHECK(c6.export_filter.source.text() ==
        "{ if net ~ [ 2001:db8::/32 + ] then accept ; reject ; }");
  CHECK(c6.next_hop.mode == NextHop::Mode::Address);
  CHECK(c6.next_hop.address == ip("2001:db8::1"));
  CHECK_FALSE(c6.import_limit);
  CHECK(c6.add_paths == AddPaths::Tx);
}

TEST_CASE("bgp defaults: eBGP vs iBGP, keepalive, multihop, RFC 8212 filters") {
  auto r = load_ok(R"(
    protocol bgp e { local as 65000; neighbor 192.0.2.2 as 65001; }
    protocol bgp i { local as 65000; neighbor 2001:db8::2 as 65000; rr client; }
    protocol bgp d { local as 65000; neighbor range 192.0.2.0/24 external; ipv4 { import all; export all; }; }
  )");
  const BgpProtocol& e = *r.config.find_bgp("e");
  CHECK_FALSE(e.is_internal());
  CHECK(e.settings.hold_time == Duration::seconds(240));
  CHECK(e.keepalive_time() == Duration::seconds(80));
  CHECK(*e.settings.multihop == 0);
  CHECK(e.settings.connect_retry_time == Duration::seconds(120));
  CHECK(e.settings.graceful_restart == GracefulRestart::Aware);
  CHECK(e.settings.enable_route_refresh);
  CHECK(e.settings.default_bgp_local_pref == 100);
  CHECK_FALSE(e.settings.forward_unknown_attributes);  // rsd's own options (docs/config.md)
  CHECK(e.settings.max_as_path_length == 255);
  CHECK(e.channel(Family::Ipv4)->settings.import_filter.kind == FilterSpec::Kind::None);
  CHECK(e.channel(Family::Ipv4)->settings.export_filter.kind == FilterSpec::Kind::None);
  const BgpProtocol& i = *r.config.find_bgp("i");
  CHECK(i.is_internal());
  CHECK(*i.settings.multihop == 64);
  REQUIRE(i.channels.size() == 1);  // implicit channel of the neighbor's family
  CHECK(i.channels[0].family == Family::Ipv6);
  CHECK(i.channels[0].settings.import_filter.kind == FilterSpec::Kind::All);
  CHECK(i.channels[0].settings.export_filter.kind == FilterSpec::Kind::None);
  const BgpProtocol& d = *r.config.find_bgp("d");
  CHECK(d.is_dynamic());
  CHECK(*d.settings.neighbor_range == pfx("192.0.2.0/24"));
  CHECK(d.channel(Family::Ipv4)->settings.export_filter.kind == FilterSpec::Kind::All);
}

TEST_CASE("template inheritance: options, chains and per-family channels") {
  auto r = load_ok(R"(
    filter f1 { accept; }
    filter f2 { accept; }
    template bgp tbase {
      local as 65000;
      hold time 60;
      passive on;
      ipv4 { import filter f1; export filter f1; import limit 10; };
    }
    template bgp clients from tbase {
      rs client;
      hold time 30;
      ipv6 { import all; export none; };
    }
    protocol bgp c1 from clients {
      neighbor 192.0.2.10 as 65010;
      passive off;
      ipv4 { export filter f2; };
    }
    protocol bgp c2 from tbase { neighbor 192.0.2.11 as 65011; }
  )");
  const Config& c = r.config;
  CHECK(c.templates.size() == 2);
  CHECK(c.bgp.size() == 2);
  const BgpProtocol& c1 = *c.find_bgp("c1");
  CHECK(c1.from == "clients");
  CHECK(*c1.settings.local_as == 65000);
  CHECK(c1.settings.hold_time == Duration::seconds(30));  // nearest template wins
  CHECK_FALSE(c1.settings.passive);                       // own option wins
  CHECK(c1.settings.rs_client);
  REQUIRE(c1.channels.size() == 2);
  const ChannelSettings& v4 = c1.channel(Family::Ipv4)->settings;
  CHECK(v4.import_filter.name == "f1");  // merged from the template's ipv4 channel
  CHECK(v4.export_filter.name == "f2");  // own
  CHECK(v4.import_limit->max == 10);
  CHECK(c1.channel(Family::Ipv6)->settings.import_filter.kind == FilterSpec::Kind::All);
  const BgpProtocol& c2 = *c.find_bgp("c2");
  CHECK(c2.settings.hold_time == Duration::seconds(60));
  CHECK_FALSE(c2.settings.rs_client);
  CHECK(c2.settings.passive);
  CHECK(c2.channels.size() == 1);
}

TEST_CASE("times with units") {
  auto r = load_ok(R"(
    protocol bgp p {
      local as 1; neighbor 192.0.2.1 as 2;
      hold time 3;
      keepalive time 1000 ms;
      connect delay time 2500000 us;
      connect retry time 1 min;
      error forget time 2 h;
      graceful restart time 1 d;
    }
  )");
  const BgpSettings& s = r.config.bgp[0].settings;
  CHECK(s.hold_time == Duration::seconds(3));
  CHECK(*s.keepalive_time == Duration::seconds(1));
  CHECK(s.connect_delay_time == Duration::millis(2500));
  CHECK(s.connect_retry_time == Duration::seconds(60));
  CHECK(s.error_forget_time == Duration::seconds(7200));
  CHECK(s.graceful_restart_time == Duration::seconds(86400));
}

TEST_CASE("defines stand for numbers and addresses") {
  auto r = load_ok(R"(
    define my_as = 65000;
    define peer_ip = 192.0.2.7;
    protocol bgp p { local as my_as; neighbor peer_ip as 65001; }
  )");
  CHECK(*r.config.bgp[0].settings.local_as == 65000);
  CHECK(*r.config.bgp[0].settings.neighbor_address == ip("192.0.2.7"));
}

TEST_CASE("protocol static and device") {
  auto r = load_ok(R"(
    protocol device {};
    protocol device dev2 { disabled; }
    protocol static {
      ipv4;
      route 10.0.0.0/8 via 192.0.2.1;
      route 10.1.0.0/16 blackhole;
      route 10.2.0.0/16 unreachable;
      route 10.3.0.0/16 prohibit;
      route 10.4.0.0/16 via 192.0.2.1 { bgp_med = 10; bgp_community.add((65000, 1)); };
    }
    protocol static s6 {
      ipv6 { table master6; import all; };
      route 2001:db8::/32 via 2001:db8::1;
      disabled;
    }
    protocol static s_inferred { route 2001:db8:1::/48 blackhole; }
  )");
  const Config& c = r.config;
  REQUIRE(c.devices.size() == 2);
  CHECK(c.devices[0].name == "device1");
  CHECK(c.devices[0].scan_time == Duration::seconds(60));
  CHECK(c.devices[1].disabled);
  REQUIRE(c.statics.size() == 3);
  const StaticProtocol& s = c.statics[0];
  CHECK(s.name == "static1");
  CHECK(s.family == Family::Ipv4);
  CHECK(s.channel.table == "master4");
  CHECK(s.channel.import_filter.kind == FilterSpec::Kind::All);
  REQUIRE(s.routes.size() == 5);
  CHECK(s.routes[0].prefix == pfx("10.0.0.0/8"));
  CHECK(s.routes[0].kind == StaticRoute::Kind::Via);
  CHECK(s.routes[0].via == ip("192.0.2.1"));
  CHECK(s.routes[1].kind == StaticRoute::Kind::Blackhole);
  CHECK(s.routes[2].kind == StaticRoute::Kind::Unreachable);
  CHECK(s.routes[3].kind == StaticRoute::Kind::Prohibit);
  REQUIRE(s.routes[4].attributes);
  CHECK(s.routes[4].attributes->text() ==
        "{ bgp_med = 10 ; bgp_community . add ( ( 65000 , 1 ) ) ; }");
  CHECK(c.statics[1].family == Family::Ipv6);
  CHECK(c.statics[1].disabled);
  CHECK(c.statics[2].family == Family::Ipv6);
  CHECK(c.statics[2].channel.table == "master6");
}

TEST_CASE("healthcheck http probe options: https, names, Host, body, source address") {
  auto r = load_ok(R"(
    healthcheck web {
      http "https://web.example:8443/health" address 192.0.2.11 expect 204 body "OK"
           host "web.example" server name "api.example" source address 192.0.2.1
           ca file "/etc/ssl/certs/ca-certificates.crt";
      http "https://[2001:db8::11]/" source address 2001:db8::1 insecure;
      http "http://192.0.2.12/";
      tcp 2001:db8::12 port 443 source address 2001:db8::2;
      route 203.0.113.10/32;
    }
  )");
  const HealthCheckConfig& h = r.config.healthchecks.at(0);
  REQUIRE(h.checks.size() == 4);
  const auto& a = h.checks[0];
  CHECK(a.target == "https://web.example:8443/health");
  CHECK(*a.connect_address == ip("192.0.2.11"));
  CHECK(a.expect == 204);
  CHECK(*a.body == "OK");
  CHECK(*a.host_header == "web.example");
  CHECK(*a.tls.server_name == "api.example");
  CHECK(*a.source_address == ip("192.0.2.1"));
  CHECK(*a.tls.ca_file == "/etc/ssl/certs/ca-certificates.crt");
  CHECK_FALSE(a.tls.insecure);
  const auto& b = h.checks[1];
  CHECK(b.tls.insecure);
  CHECK_FALSE(b.connect_address);
  CHECK(*b.source_address == ip("2001:db8::1"));
  CHECK(b.expect == 200);
  const auto& c = h.checks[2];
  CHECK_FALSE(c.body);
  CHECK_FALSE(c.host_header);
  CHECK_FALSE(c.source_address);
  CHECK(c.tls == HealthCheckConfig::Tls{});
  CHECK(*h.checks[3].source_address == ip("2001:db8::2"));
  // `insecure` is never silent.
  bool warned = false;
  for (const auto& d : r.diagnostics.items())
    if (d.severity == Severity::Warning &&
        d.message.find("without verifying its certificate (insecure)") != std::string::npos)
      warned = true;
  CHECK(warned);
}

TEST_CASE("rsd blocks: control, cli, metrics, history, process, healthcheck") {
  auto r = load_ok(R"(
    control socket "/run/rsd/rsd.ctl";
    cli "/run/rsd/ro.ctl" { restrict; };
    cli "/run/rsd/rw.ctl";
    metrics { listen 127.0.0.1 port 9100; }
    history "/var/lib/rsd/history.db" { keep 30 d; max size 1 GB; routes where net ~ [ 203.0.113.0/24+ ]; }
    process hc { run "/usr/bin/healthcheck --name x"; encoder json; next hop 192.0.2.1; ack off; keep routes 30 s; }
    healthcheck web {
      http "http://127.0.0.1/health" expect 204;
      tcp 127.0.0.1 port 80;
      command "/bin/true";
      route 203.0.113.10/32 next hop 192.0.2.1 med 100;
      route 203.0.113.11/32;
      interval 5 s; fast interval 1 s; timeout 2 s; rise 3; fall 2;
      down med 1000; disabled med 500; withdraw on down;
      disable file "/etc/rsd/maintenance";
    }
  )");
  const Config& c = r.config;
  CHECK(*c.control_socket == "/run/rsd/rsd.ctl");
  REQUIRE(c.cli_sockets.size() == 2);
  CHECK(c.cli_sockets[0].restrict);
  CHECK_FALSE(c.cli_sockets[1].restrict);
  REQUIRE(c.metrics);
  CHECK(c.metrics->listen == ip("127.0.0.1"));
  CHECK(c.metrics->port == 9100);
  REQUIRE(c.history);
  CHECK(c.history->keep == Duration::seconds(30 * 86400));
  CHECK(c.history->max_size == (1ull << 30));
  CHECK(c.history->routes_where->text() == "net ~ [ 203.0.113.0/24 + ]");
  REQUIRE(c.processes.size() == 1);
  CHECK(c.processes[0].run == "/usr/bin/healthcheck --name x");
  CHECK(c.processes[0].encoder == ProcessConfig::Encoder::Json);
  CHECK(*c.processes[0].next_hop == ip("192.0.2.1"));
  CHECK_FALSE(c.processes[0].ack);
  CHECK(*c.processes[0].keep_routes == Duration::seconds(30));
  REQUIRE(c.healthchecks.size() == 1);
  const HealthCheckConfig& h = c.healthchecks[0];
  REQUIRE(h.checks.size() == 3);
  CHECK(h.checks[0].kind == HealthCheckConfig::Check::Kind::Http);
  CHECK(h.checks[0].expect == 204);
  CHECK(h.checks[1].port == 80);
  CHECK(h.checks[2].target == "/bin/true");
  REQUIRE(h.routes.size() == 2);
  CHECK(*h.routes[0].next_hop == ip("192.0.2.1"));
  CHECK(h.routes[1].med == 100);
  CHECK(h.timeout == Duration::seconds(2));
  CHECK(h.fall == 2);
  CHECK(h.withdraw_on_down);
  CHECK(*h.disable_file == "/etc/rsd/maintenance");
  CHECK(h.flap_count == 0);
  CHECK(h.increase == 1);
}

TEST_CASE("health: communities per state, flap hold-down, increase, startup hold, state file") {
  auto r = load_ok(R"CFG(
    health { startup hold 45 s; state file "/var/lib/rsd/state.db"; }
    process p { shell "exec /usr/bin/check; echo `id` $(id)"; }
    healthcheck dns {
      command "/usr/lib/check --arg 'a;b' $(reboot) `reboot`";
      route 203.0.113.53/32 med 200;
      community up (65000, 1), (65000, 2);
      community down (65000, 666);
      large community disabled (65000, 1, 2);
      flap hold-down 4 in 120 s hold 300 s;
      increase 10;
    }
    healthcheck web2 { tcp 127.0.0.1 port 80; flap hold down 3 in 30 s; }
  )CFG");
  const Config& c = r.config;
  CHECK(c.health.startup_hold == Duration::seconds(45));
  CHECK(*c.health.state_file == "/var/lib/rsd/state.db");
  CHECK(*c.processes[0].shell == "exec /usr/bin/check; echo `id` $(id)");
  const HealthCheckConfig& h = c.healthchecks[0];
  CHECK(h.checks[0].target == "/usr/lib/check --arg 'a;b' $(reboot) `reboot`");
  CHECK(h.communities[0].communities == std::vector<uint32_t>{65000u << 16 | 1, 65000u << 16 | 2});
  CHECK(h.communities[1].communities == std::vector<uint32_t>{65000u << 16 | 666});
  REQUIRE(h.communities[2].large.size() == 1);
  CHECK(h.communities[2].large[0] == std::array<uint32_t, 3>{65000, 1, 2});
  CHECK(h.flap_count == 4);
  CHECK(h.flap_window == Duration::seconds(120));
  CHECK(h.flap_hold == Duration::seconds(300));
  CHECK(h.increase == 10);
  CHECK(c.healthchecks[1].flap_count == 3);
  CHECK(c.healthchecks[1].flap_hold == Duration::seconds(30));
  CHECK(c.health.startup_hold == Duration::seconds(45));
}

TEST_CASE("includes: statements split across files") {
  char tmpl[] = "/tmp/rsd_parser_XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "main.conf") << "router id 1.2.3.4;\ninclude \"peers/*.conf\";\n";
  std::filesystem::create_directories(dir / "peers");
  std::ofstream(dir / "peers/a.conf")
      << "protocol bgp a { local as 1; neighbor 192.0.2.1 as 2; }\n";
  std::ofstream(dir / "peers/b.conf")
      << "protocol bgp b { local as 1; neighbor 192.0.2.2 as 3;\n hold time 1; }\n";
  LoadResult r = load_file((dir / "main.conf").string());
  REQUIRE(r.diagnostics.first_error());
  // Errors name the included file and its own line numbers.
  CHECK(r.diagnostics.first_error()->to_string() ==
        (dir / "peers/b.conf").string() +
            ":1:1: protocol 'b': hold time must be 0 or at least 3 seconds (RFC 4271 4.2)");
  CHECK(r.config.bgp.size() == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("quoted symbols and anonymous protocol names") {
  auto r = load_ok(R"(
    protocol bgp 'peer-1.a' { local as 1; neighbor 192.0.2.1 as 2; }
    protocol bgp { local as 1; neighbor 192.0.2.2 as 2; }
    protocol bgp { local as 1; neighbor 192.0.2.3 as 2; }
  )");
  CHECK(r.config.bgp[0].name == "peer-1.a");
  CHECK(r.config.bgp[1].name == "bgp1");
  CHECK(r.config.bgp[2].name == "bgp2");
}

TEST_CASE("includes may appear inside a block, as in BIRD") {
  char tmpl[] = "/tmp/rsd_parser_XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "main.conf")
      << "protocol bgp a {\n  include \"common.inc\";\n  neighbor 192.0.2.1 as 2;\n}\n";
  std::ofstream(dir / "common.inc") << "local as 65000;\nhold time 30;\n";
  LoadResult r = load_file((dir / "main.conf").string());
  CHECK_MESSAGE(r.ok(), r.diagnostics.to_string());
  REQUIRE(r.config.bgp.size() == 1);
  CHECK(*r.config.bgp[0].settings.local_as == 65000);
  CHECK(r.config.bgp[0].settings.hold_time == Duration::seconds(30));
  std::filesystem::remove_all(dir);
}

TEST_CASE("filters are compiled and attached; symbols shared") {
  auto r = load_ok(R"(
    define lim = 24;
    function ok_len() -> bool { return net.len <= lim; }
    filter f { if ok_len() then accept; reject; }
    protocol bgp p { local as 1; neighbor 192.0.2.1 as 2;
      ipv4 { import filter f; export where ok_len(); };
      ipv6 { import filter { accept; }; export none; };
    }
    protocol static { route 10.0.0.0/8 blackhole { bgp_med = 5; }; }
  )");
  const Config& c = r.config;
  REQUIRE(c.symbols);
  REQUIRE(c.find_filter("f")->compiled);
  const BgpProtocol& p = c.bgp[0];
  CHECK(p.channel(Family::Ipv4)->settings.import_filter.compiled == c.find_filter("f")->compiled);
  CHECK(p.channel(Family::Ipv4)->settings.export_filter.compiled);
  CHECK(p.channel(Family::Ipv6)->settings.import_filter.compiled);
  CHECK_FALSE(p.channel(Family::Ipv6)->settings.export_filter.compiled);  // none
  CHECK(c.statics[0].routes[0].compiled_attributes);
}

TEST_CASE("errors in filter bodies carry their file:line:col") {
  LoadResult r =
      load_string("filter f {\n  if net.len > \"x\" then accept;\n  reject;\n}\n", "t.conf");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.first_error());
  CHECK(r.diagnostics.first_error()->location.line == 2);
}

TEST_CASE("control and cli sockets: mode and group") {
  auto r = load_ok(R"(
    control socket "/run/rsd/rsd.ctl" { mode 0600; group "adm"; }
    cli "/run/rsd/ro.ctl" { restrict; mode 0666; };
  )");
  const Config& c = r.config;
  CHECK(*c.control_socket == "/run/rsd/rsd.ctl");
  CHECK(*c.control_options.mode == 0600);
  CHECK(c.control_options.group == "adm");
  REQUIRE(c.cli_sockets.size() == 1);
  CHECK(c.cli_sockets[0].restrict);
  CHECK(*c.cli_sockets[0].mode == 0666);
  CHECK(c.cli_sockets[0].group.empty());
  auto bad = load_string(R"(cli "/x" { mode 999; };)");
  CHECK_FALSE(bad.ok());
  auto bad2 = load_string(R"(control socket "/x" { restrict; })");
  CHECK_FALSE(bad2.ok());
}
