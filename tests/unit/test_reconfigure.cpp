// Tests of the reconfiguration diff: keep, soft reload (import / export), restart, add, remove,
// following BIRD's soft reconfiguration rules.
#include <doctest/doctest.h>

#include <string>

#include "conf/parser.hpp"
#include "conf/reconfigure.hpp"

using namespace rs::conf;

namespace {

Config load(const std::string& text) {
  LoadResult r = load_string(text, "t.conf");
  REQUIRE_MESSAGE(r.ok(), r.diagnostics.to_string());
  return std::move(r.config);
}

const std::string kBase = R"(
  router id 192.0.2.254;
  define lim = 24;
  function small() -> bool { return net.len <= lim; }
  filter in_a { if small() then accept; reject; }
  filter out_a { accept; }
  protocol device {}
  protocol static st { ipv4; route 10.0.0.0/8 blackhole; }
  protocol bgp a {
    local as 65000; neighbor 192.0.2.1 as 65001; hold time 90;
    ipv4 { import filter in_a; export filter out_a; import limit 100 action warn; };
  }
  protocol bgp b {
    local as 65000; neighbor 192.0.2.2 as 65002;
    ipv4 { import all; export where net.len < 24; };
  }
)";

ReconfigPlan plan_for(const std::string& old_text, const std::string& new_text) {
  Config a = load(old_text);
  Config b = load(new_text);
  return diff(a, b);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, from);
  s.replace(pos, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("identical configs keep everything") {
  ReconfigPlan p = plan_for(kBase, kBase);
  CHECK_FALSE(p.changes_anything());
  REQUIRE(p.protocols.size() == 4);
  for (const auto& c : p.protocols) CHECK(c.action == ReconfigAction::Keep);
}

TEST_CASE("whitespace and comments do not count as changes") {
  std::string edited =
      replace(kBase, "filter out_a { accept; }", "filter out_a {\n  # comment\n  accept;\n}");
  CHECK_FALSE(plan_for(kBase, edited).changes_anything());
}

TEST_CASE("a changed import filter body reloads imports only") {
  std::string edited =
      replace(kBase, "if small() then accept; reject;", "if small() then accept; accept;");
  ReconfigPlan p = plan_for(kBase, edited);
  const ProtocolChange* a = p.find("a");
  REQUIRE(a);
  CHECK(a->action == ReconfigAction::SoftReload);
  CHECK(a->reload_import);
  CHECK_FALSE(a->reload_export);
  CHECK(a->reasons == std::vector<std::string>{"ipv4 import filter changed"});
  CHECK(p.find("b")->action == ReconfigAction::Keep);
  CHECK(p.find("st")->action == ReconfigAction::Keep);
}

TEST_CASE("a changed where expression reloads exports") {
  std::string edited = replace(kBase, "export where net.len < 24", "export where net.len < 25");
  ReconfigPlan p = plan_for(kBase, edited);
  const ProtocolChange* b = p.find("b");
  CHECK(b->action == ReconfigAction::SoftReload);
  CHECK(b->reload_export);
  CHECK_FALSE(b->reload_import);
  CHECK(p.find("a")->action == ReconfigAction::Keep);
}

TEST_CASE("a changed function or define re-filters exactly the filters that use it") {
  std::string edited = replace(kBase, "define lim = 24;", "define lim = 23;");
  ReconfigPlan p = plan_for(kBase, edited);
  CHECK(p.find("a")->action == ReconfigAction::SoftReload);
  CHECK(p.find("a")->reload_import);        // in_a calls small(), which uses lim
  CHECK_FALSE(p.find("a")->reload_export);  // out_a does not
  CHECK(p.find("b")->action == ReconfigAction::Keep);
  std::string fn = replace(kBase, "return net.len <= lim;", "return net.len < lim;");
  ReconfigPlan p2 = plan_for(kBase, fn);
  CHECK(p2.find("a")->reload_import);
  CHECK(p2.find("b")->action == ReconfigAction::Keep);
}

TEST_CASE("session parameters restart only that protocol") {
  std::string edited = replace(kBase, "hold time 90;", "hold time 60;");
  ReconfigPlan p = plan_for(kBase, edited);
  const ProtocolChange* a = p.find("a");
  CHECK(a->action == ReconfigAction::Restart);
  CHECK(a->reasons == std::vector<std::string>{"hold time changed"});
  CHECK_FALSE(a->reload_import);
  CHECK(p.find("b")->action == ReconfigAction::Keep);

  CHECK(plan_for(kBase, replace(kBase, "192.0.2.2 as 65002", "192.0.2.2 as 65003"))
            .find("b")
            ->action == ReconfigAction::Restart);
  CHECK(plan_for(kBase, replace(kBase, "import all; export", "add paths tx; import all; export"))
            .find("b")
            ->action == ReconfigAction::Restart);
}

TEST_CASE("restart wins over soft reload") {
  std::string edited = replace(replace(kBase, "hold time 90;", "hold time 60;"),
                               "filter out_a { accept; }", "filter out_a { reject; }");
  ReconfigPlan plan_a = plan_for(kBase, edited);
  const ProtocolChange* a = plan_a.find("a");
  CHECK(a->action == ReconfigAction::Restart);
  CHECK(a->reasons.size() == 2);
  CHECK_FALSE(a->reload_export);
}

TEST_CASE("cosmetic changes and limits apply in place") {
  std::string edited = replace(replace(kBase, "hold time 90;", "hold time 90; description \"x\";"),
                               "import limit 100 action warn", "import limit 200 action warn");
  ReconfigPlan plan_a = plan_for(kBase, edited);
  const ProtocolChange* a = plan_a.find("a");
  CHECK(a->action == ReconfigAction::Keep);
  CHECK(a->reasons == std::vector<std::string>{"ipv4 limits changed"});
}

TEST_CASE("router id change restarts every BGP session") {
  ReconfigPlan p =
      plan_for(kBase, replace(kBase, "router id 192.0.2.254;", "router id 192.0.2.253;"));
  CHECK(p.find("a")->action == ReconfigAction::Restart);
  CHECK(p.find("b")->action == ReconfigAction::Restart);
  CHECK(p.find("st")->action == ReconfigAction::Keep);
}

TEST_CASE("added, removed, channel changes and static routes") {
  std::string added = kBase + "protocol bgp c { local as 65000; neighbor 192.0.2.3 as 65003; }";
  ReconfigPlan p = plan_for(kBase, added);
  CHECK(p.find("c")->action == ReconfigAction::Add);
  ReconfigPlan back = plan_for(added, kBase);
  CHECK(back.find("c")->action == ReconfigAction::Remove);

  std::string v6 =
      replace(kBase, "ipv4 { import all;", "ipv6 { import all; export none; }; ipv4 { import all;");
  ReconfigPlan plan_b = plan_for(kBase, v6);
  const ProtocolChange* b = plan_b.find("b");
  CHECK(b->action == ReconfigAction::Restart);
  CHECK(b->reasons == std::vector<std::string>{"ipv6 channel added"});

  std::string routes = replace(kBase, "route 10.0.0.0/8 blackhole;",
                               "route 10.0.0.0/8 blackhole; route 10.1.0.0/16 blackhole;");
  ReconfigPlan plan_st = plan_for(kBase, routes);
  const ProtocolChange* st = plan_st.find("st");
  CHECK(st->action == ReconfigAction::SoftReload);
  CHECK(st->reload_import);

  std::string disabled = replace(kBase, "hold time 90;", "hold time 90; disabled;");
  CHECK(plan_for(kBase, disabled).find("a")->action == ReconfigAction::Restart);
}

TEST_CASE("a protocol that changes type is restarted") {
  std::string a = "protocol static x { route 10.0.0.0/8 blackhole; }";
  std::string b = "protocol bgp x { local as 1; neighbor 192.0.2.1 as 2; }";
  ReconfigPlan p = plan_for(a, b);
  REQUIRE(p.protocols.size() == 1);
  CHECK(p.protocols[0].action == ReconfigAction::Restart);
  CHECK(to_string(p.protocols[0].action) == "restart");
}

TEST_CASE("health blocks: unchanged, changed (which settings), added, removed; router id") {
  const std::string base = R"(
    router id 192.0.2.254;
    healthcheck same { command "/bin/true"; route 203.0.113.1/32 med 100; }
    healthcheck edited { command "/bin/true"; route 203.0.113.2/32 med 100; interval 5 s; }
    healthcheck old { command "/bin/true"; route 203.0.113.3/32; }
    process p { run "/bin/cat"; }
  )";
  const std::string next = R"(
    router id 192.0.2.254;
    healthcheck same { command "/bin/true"; route 203.0.113.1/32 med 100; }
    healthcheck edited { command "/bin/true"; route 203.0.113.2/32 med 200; interval 2 s; rise 2; }
    healthcheck web { command "/bin/true"; route 203.0.113.4/32; }
    process p { run "/bin/cat -u"; next hop 192.0.2.9; }
  )";
  const Config a = load(base), b = load(next);
  const auto changes = diff_health(a, b);
  REQUIRE(changes.size() == 5);
  auto find = [&](const std::string& name) -> const HealthChange& {
    for (const auto& h : changes)
      if (h.name == name) return h;
    FAIL("no change for " << name);
    return changes.front();
  };
  CHECK(find("same").action == ReconfigAction::Keep);
  CHECK(find("same").changed.empty());
  CHECK(find("edited").action == ReconfigAction::Restart);
  CHECK(find("edited").changed == std::vector<std::string>{"route", "interval", "rise"});
  CHECK(find("edited").routes == std::vector<std::string>{"203.0.113.2/32 med 100 -> 200"});
  CHECK(find("web").action == ReconfigAction::Add);
  CHECK(find("old").action == ReconfigAction::Remove);
  CHECK(find("p").kind == HealthChange::Kind::Process);
  CHECK(find("p").changed == std::vector<std::string>{"run", "next hop"});
  // A new router id restarts every block (their routes carry it).
  const auto rid = diff_health(a, load(replace(base, "192.0.2.254", "192.0.2.253")));
  for (const auto& h : rid)
    if (h.action != ReconfigAction::Remove)
      CHECK(h.changed == std::vector<std::string>{"router id"});
}
