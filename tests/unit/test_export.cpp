// Export groups and packing: reflection and route-server rules, rewrites per peer type, never back
// to the source, withdrawals first, End-of-RIB after the initial export, and the packed UPDATEs
// decode to exactly the Adj-RIB-Out.
#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <map>

#include "conf/lexer.hpp"
#include "filters/parser.hpp"
#include "filters/vm.hpp"
#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/export.hpp"
#include "rs/export_pack.hpp"

using namespace rs;
using namespace rs::rib;
namespace wire = rs::bgp::wire;

namespace {
struct Lab {
  AttrTable table;
  Journal journal;
  LocRib rib{DecisionConfig{}, &journal};
  std::deque<RouteSource> sources;
  filters::Vm vm;

  const RouteSource* source(uint32_t id, SourceKind kind, bool rr_client = false) {
    RouteSource s;
    s.id = id;
    s.name = "n" + std::to_string(id);
    s.kind = kind;
    s.bgp_id = 0x0a000000 + id;
    s.neighbor_as = kind == SourceKind::Ebgp ? 65001 : 65000;
    s.neighbor_address = IpAddress::v4(0x7f000000 + id);
    s.rr_client = rr_client;
    sources.push_back(s);
    return &sources.back();
  }
  void announce(const Prefix& p, const RouteSource* s, uint32_t med) {
    AttrBuilder b;
    b.set_origin(Origin::Igp);
    b.set_present(AttrType::AsPath);
    if (s->kind == SourceKind::Ebgp)
      b.as_path.segments.push_back({AsSegmentType::Sequence, {65001}});
    b.set_next_hop(p.is_v4() ? IpAddress::v4(0xC0000200 + s->id)
                             : IpAddress::v6(0x20010db800000000ULL, s->id));
    b.set_med(med);
    auto a = table.intern(b);
    auto slot = rib.receive(p, s, 0, a);
    (void)rib.import(p, slot, a, 1);
  }
};

const Prefix kV4 = *Prefix::parse("203.0.113.10/32");
const Prefix kV6 = *Prefix::parse("2001:db8:30::1/128");

// Decodes every UPDATE in `bytes` and applies it to a prefix -> attributes view.
std::map<Prefix, AttrBuilder> receive_all(const std::vector<uint8_t>& bytes,
                                          const wire::Negotiated& n, int* eor = nullptr) {
  std::map<Prefix, AttrBuilder> held;
  wire::Framer f(bytes, wire::HeaderLimits::from(n));
  wire::UpdateMessage u;
  for (auto m = f.next(); m.status == wire::FrameStatus::Message; m = f.next()) {
    REQUIRE(wire::decode_update(m.body, n, u).ok());
    if (u.end_of_rib() && eor) ++*eor;
    for (auto& w : u.withdrawn) held.erase(w.prefix);
    if (u.mp_unreach)
      for (auto& w : u.mp_unreach->nlri) held.erase(w.prefix);
    for (auto& x : u.nlri) held[x.prefix] = u.attrs;
    if (u.mp_reach) {
      for (auto& x : u.mp_reach->nlri) {
        held[x.prefix] = u.attrs;
        held[x.prefix].set_next_hop(u.mp_reach->next_hop);
      }
    }
  }
  return held;
}

// A session's channels: one export member per family.
struct Member {
  ExportMember v4, v6;
  Member() {
    v4.family = Family::Ipv4;
    v6.family = Family::Ipv6;
    v4.active = v6.active = true;
  }
  void set_source(const RouteSource* s) { v4.source = v6.source = s; }
  void set_wake(std::function<void()> f) { v4.wake = v6.wake = std::move(f); }
  ExportMember& operator[](const Prefix& p) { return p.is_v4() ? v4 : v6; }
  std::size_t pending() const { return v4.out.pending() + v6.out.pending(); }
  std::size_t advertised() const { return v4.out.advertised() + v6.out.advertised(); }
  bool has_pending() const { return v4.out.has_pending() || v6.out.has_pending(); }
  bool pack(const wire::Negotiated& n, std::vector<uint8_t>& out, std::size_t budget,
            PackCounters& k) {
    ExportMember* m[] = {&v4, &v6};
    return pack_updates(m, n, out, budget, k);
  }
};

// The export groups of one policy: one per family.
struct Groups {
  ExportGroup v4, v6;
  explicit Groups(ExportRules r, ExportPolicy policy = {})
      : v4(with(r, Family::Ipv4), policy), v6(with(r, Family::Ipv6), policy) {}
  static ExportRules with(ExportRules r, Family f) {
    r.family = f;
    return r;
  }
  ExportGroup& operator[](const Prefix& p) { return p.is_v4() ? v4 : v6; }
  void add(Member& m) {
    v4.members().push_back(&m.v4);
    v6.members().push_back(&m.v6);
  }
  ExportGroup::Result compute(const Prefix& p, Lab& lab) {
    return (*this)[p].compute(p, lab.rib.find(p), lab.table, lab.vm);
  }
  void run(const Prefix& p, Lab& lab) { (*this)[p].apply_all(p, compute(p, lab)); }
};

wire::Negotiated session(bool ebgp) {
  wire::Negotiated n;
  n.local_as = 65000;
  n.peer_as = ebgp ? 65002 : 65000;
  n.ebgp = ebgp;
  n.ipv6_unicast = true;
  n.enforce_first_as = false;
  return n;
}
}  // namespace

TEST_CASE("iBGP route server: reflection to rr clients, never back to the source") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ibgp, true);
  auto* n2 = lab.source(2, SourceKind::Ibgp, true);
  lab.announce(kV4, n1, 100);
  lab.announce(kV4, n2, 101);
  lab.announce(kV6, n2, 100);

  ExportRules rules;
  rules.local_as = 65000;
  rules.router_id = 0x0a0000fe;
  rules.rr_client = true;
  Groups g(rules);
  Member edge, node1;
  edge.set_source(lab.source(9, SourceKind::Ibgp));
  node1.set_source(n1);
  int wakes = 0;
  edge.set_wake([&] { ++wakes; });
  g.add(edge);
  g.add(node1);

  for (const Prefix& p : {kV4, kV6}) g.run(p, lab);
  CHECK(wakes == 2);
  CHECK(edge.pending() == 2);
  CHECK(node1.pending() == 1);  // only the v6 route: the v4 best is its own

  PackCounters k;
  std::vector<uint8_t> bytes;
  edge.v4.end_of_rib_due = edge.v6.end_of_rib_due = true;
  CHECK_FALSE(edge.pack(session(false), bytes, 1 << 20, k));
  int eor = 0;
  auto held = receive_all(bytes, session(false), &eor);
  CHECK(eor == 2);
  REQUIRE(held.count(kV4));
  REQUIRE(held.count(kV6));
  CHECK(held[kV4].med == 100);
  CHECK(held[kV4].next_hop == IpAddress::v4(0xC0000201));  // unchanged
  CHECK(held[kV4].local_pref == 100);                      // default added for iBGP
  CHECK(held[kV4].originator_id == n1->bgp_id);            // RFC 4456
  CHECK(held[kV4].cluster_list.values == std::vector<uint32_t>{0x0a0000fe});
  CHECK(held[kV6].next_hop == IpAddress::v6(0x20010db800000000ULL, 2));

  // n1 fails (withdraws): the edge moves to n2, withdrawals and announcements in one pull.
  CHECK(lab.rib.withdraw(kV4, n1, 0) == BestResult::Changed);
  g.run(kV4, lab);
  bytes.clear();
  CHECK_FALSE(edge.pack(session(false), bytes, 1 << 20, k));
  auto after = receive_all(bytes, session(false));
  CHECK(after[kV4].med == 101);
  CHECK(after[kV4].originator_id == n2->bgp_id);
  // node1 now gets n2's v4 route; n2 itself got nothing for v4 (its own route).
  CHECK(node1.pending() == 2);
}

TEST_CASE("iBGP routes are not sent to iBGP non-clients; eBGP rewrites") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ibgp);  // not a client
  lab.announce(kV4, n1, 100);
  ExportRules plain;
  plain.local_as = 65000;
  ExportGroup ibgp(plain, {});
  CHECK_FALSE(ibgp.compute(kV4, lab.rib.find(kV4), lab.table, lab.vm).attrs);

  ExportRules ebgp = plain;
  ebgp.ebgp = true;
  ExportGroup eg(ebgp, {});
  auto r = eg.compute(kV4, lab.rib.find(kV4), lab.table, lab.vm);
  REQUIRE(r.attrs);
  CHECK(r.attrs->as_path->first_as() == 65000);    // prepended
  CHECK_FALSE(r.attrs->has(AttrType::LocalPref));  // not sent over eBGP
  CHECK(r.attrs->has(AttrType::Med));              // iBGP-learned MED may go out
  CHECK(ebgp.next_hop_self());

  ExportRules rs_client = ebgp;
  rs_client.rs_client = true;
  ExportGroup rsg(rs_client, {});
  auto rr = rsg.compute(kV4, lab.rib.find(kV4), lab.table, lab.vm);
  REQUIRE(rr.attrs);
  CHECK_FALSE(rr.attrs->as_path);  // RFC 7947: no prepend
  CHECK_FALSE(rs_client.next_hop_self());

  ExportGroup none(rs_client, {ExportPolicy::Kind::None, nullptr});
  CHECK_FALSE(none.compute(kV4, lab.rib.find(kV4), lab.table, lab.vm).attrs);
}

TEST_CASE("NO_EXPORT stays inside the AS, NO_ADVERTISE goes nowhere") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ibgp, true);
  AttrBuilder b;
  b.set_origin(Origin::Igp);
  b.set_present(AttrType::AsPath);
  b.set_next_hop(IpAddress::v4(0xC0000201));
  b.communities.values = {0xFFFFFF01};
  b.set_present(AttrType::Communities);
  auto a = lab.table.intern(b);
  (void)lab.rib.import(kV4, lab.rib.receive(kV4, n1, 0, a), a, 1);
  ExportRules rules;
  rules.local_as = 65000;
  rules.rr_client = true;
  CHECK(ExportGroup(rules, {}).compute(kV4, lab.rib.find(kV4), lab.table, lab.vm).attrs);
  rules.ebgp = true;
  CHECK_FALSE(ExportGroup(rules, {}).compute(kV4, lab.rib.find(kV4), lab.table, lab.vm).attrs);
}

TEST_CASE("non-transitive extended communities stay inside the AS; LLGR_STALE goes nowhere") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ebgp);
  AttrBuilder b;
  b.set_origin(Origin::Igp);
  b.set_present(AttrType::AsPath);
  b.as_path.segments.push_back({AsSegmentType::Sequence, {65001}});
  b.set_next_hop(IpAddress::v4(0xC0000201));
  // RFC 4360 2: route target 2-octet AS (0x0002, transitive), the 0x40 generic form, RFC 8097's
  // origin validation state (0x4300, non-transitive).
  const ExtCommunity rt = 0x0002FDE900000064ULL, nt = 0x4002FDE900000001ULL,
                     ov = 0x4300000000000002ULL;
  b.ext_communities.values = {rt, nt, ov};
  b.set_present(AttrType::ExtCommunities);
  auto a = lab.table.intern(b);
  (void)lab.rib.import(kV4, lab.rib.receive(kV4, n1, 0, a), a, 1);
  ExportRules rules;
  rules.local_as = 65000;
  auto to_ibgp = ExportGroup(rules, {}).compute(kV4, lab.rib.find(kV4), lab.table, lab.vm);
  REQUIRE(to_ibgp.attrs);
  CHECK(to_ibgp.attrs->ext_communities->values == std::vector<ExtCommunity>{rt, nt, ov});
  rules.ebgp = true;
  rules.rs_client = true;
  auto to_client = ExportGroup(rules, {}).compute(kV4, lab.rib.find(kV4), lab.table, lab.vm);
  REQUIRE(to_client.attrs);
  CHECK(to_client.attrs->ext_communities->values == std::vector<ExtCommunity>{rt});

  // Only non-transitive ones: the attribute goes away altogether.
  const Prefix other = *Prefix::parse("203.0.113.20/32");
  b.ext_communities.values = {nt};
  a = lab.table.intern(b);
  (void)lab.rib.import(other, lab.rib.receive(other, n1, 0, a), a, 1);
  auto only_nt = ExportGroup(rules, {}).compute(other, lab.rib.find(other), lab.table, lab.vm);
  REQUIRE(only_nt.attrs);
  CHECK_FALSE(only_nt.attrs->has(AttrType::ExtCommunities));

  // RFC 9494 4.6: LLGR_STALE (65535:6) is never exported (rsd does not offer LLGR).
  const Prefix stale = *Prefix::parse("203.0.113.30/32");
  b.ext_communities.values.clear();
  b.clear(AttrType::ExtCommunities);
  b.communities.values = {0xFFFF0006};
  b.set_present(AttrType::Communities);
  a = lab.table.intern(b);
  (void)lab.rib.import(stale, lab.rib.receive(stale, n1, 0, a), a, 1);
  CHECK_FALSE(ExportGroup(rules, {}).compute(stale, lab.rib.find(stale), lab.table, lab.vm).attrs);
  rules.ebgp = rules.rs_client = false;
  CHECK_FALSE(ExportGroup(rules, {}).compute(stale, lab.rib.find(stale), lab.table, lab.vm).attrs);
}

TEST_CASE("packing many prefixes respects the budget and the message size") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ibgp, true);
  ExportRules rules;
  rules.local_as = 65000;
  rules.rr_client = true;
  Groups g(rules);
  Member edge;
  edge.set_source(lab.source(9, SourceKind::Ibgp));
  g.add(edge);
  for (uint32_t i = 0; i < 20000; ++i) {
    Prefix p(IpAddress::v4(0x0a000000 + (i << 8)), 24);
    lab.announce(p, n1, 100 + i % 3);
    g.run(p, lab);
  }
  PackCounters k;
  std::vector<uint8_t> all;
  int pulls = 0;
  while (true) {
    std::vector<uint8_t> chunk;
    bool more = edge.pack(session(false), chunk, 16 * 1024, k);
    CHECK(chunk.size() <= 16 * 1024 + 4096);
    all.insert(all.end(), chunk.begin(), chunk.end());
    ++pulls;
    if (!more) break;
  }
  CHECK(pulls > 4);
  auto held = receive_all(all, session(false));
  CHECK(held.size() == 20000);
  CHECK(k.prefixes_announced == 20000);
  CHECK(edge.advertised() == 20000);
}

namespace {
// Decodes every UPDATE with ADD-PATH receive: (prefix, path id) -> attributes; counts withdrawals.
using PathKey = std::pair<Prefix, uint32_t>;
std::map<PathKey, AttrBuilder> receive_paths(const std::vector<uint8_t>& bytes,
                                             const wire::Negotiated& n,
                                             std::vector<PathKey>* withdrawn = nullptr) {
  std::map<PathKey, AttrBuilder> held;
  wire::Framer f(bytes, wire::HeaderLimits::from(n));
  wire::UpdateMessage u;
  for (auto m = f.next(); m.status == wire::FrameStatus::Message; m = f.next()) {
    REQUIRE(wire::decode_update(m.body, n, u).ok());
    auto gone = [&](const wire::Nlri& w) {
      held.erase({w.prefix, w.path_id});
      if (withdrawn) withdrawn->push_back({w.prefix, w.path_id});
    };
    for (auto& w : u.withdrawn) gone(w);
    if (u.mp_unreach)
      for (auto& w : u.mp_unreach->nlri) gone(w);
    for (auto& x : u.nlri) held[{x.prefix, x.path_id}] = u.attrs;
    if (u.mp_reach)
      for (auto& x : u.mp_reach->nlri) held[{x.prefix, x.path_id}] = u.attrs;
  }
  return held;
}
}  // namespace

TEST_CASE("export_path_id: stable, and distinct for distinct small sources and ids") {
  RouteSource a, b;
  a.id = 1;
  b.id = 2;
  CHECK(export_path_id(a, 0) == 0x10000);
  CHECK(export_path_id(a, 7) == 0x10007);
  CHECK(export_path_id(b, 0) != export_path_id(a, 0));
  b.id = 0x123456;  // beyond the exact encoding: still a pure function of the path
  CHECK(export_path_id(b, 0x98765) == export_path_id(b, 0x98765));
  CHECK(export_path_id(b, 0x98765) != export_path_id(b, 0x98766));
}

TEST_CASE("ADD-PATH send (RFC 7911): every eligible path to add-path members, the best to others") {
  Lab lab;
  lab.rib.set_journal_all(true);
  auto* n1 = lab.source(1, SourceKind::Ibgp, true);
  auto* n2 = lab.source(2, SourceKind::Ibgp, true);
  auto* n3 = lab.source(3, SourceKind::Ibgp, true);
  auto* n4 = lab.source(4, SourceKind::Ibgp, true);
  lab.announce(kV4, n1, 100);
  lab.announce(kV4, n2, 101);
  lab.announce(kV4, n3, 102);
  lab.announce(kV6, n2, 100);
  {  // n4's path is rejected by the import filter: never exported, not even with ADD-PATH
    AttrBuilder b;
    b.set_origin(Origin::Igp);
    b.set_present(AttrType::AsPath);
    b.set_next_hop(IpAddress::v4(0xC0000204));
    auto a = lab.table.intern(b);
    auto slot = lab.rib.receive(kV4, n4, 0, a);
    (void)lab.rib.import(kV4, slot, AttrRef(), 1);
  }

  ExportRules rules;
  rules.local_as = 65000;
  rules.router_id = 0x0a0000fe;
  rules.rr_client = true;
  ExportRules ap_rules = rules;
  ap_rules.add_path = true;
  CHECK_FALSE(ap_rules == rules);  // separate groups
  Groups plain(rules), ap(ap_rules);
  Member edge_plain, edge_ap, node1;
  edge_plain.set_source(lab.source(9, SourceKind::Ibgp));
  edge_ap.set_source(lab.source(10, SourceKind::Ibgp));
  node1.set_source(n1);
  plain.add(edge_plain);
  ap.add(edge_ap);
  ap.add(node1);

  auto run = [&](const Prefix& p) {
    plain.run(p, lab);
    ap.run(p, lab);
  };
  auto r = ap.compute(kV4, lab);
  REQUIRE(r.add_path);
  CHECK(r.paths.size() == 3);
  for (const Prefix& p : {kV4, kV6}) run(p);
  CHECK(edge_plain.pending() == 2);
  CHECK(edge_ap.pending() == 4);
  CHECK(node1.pending() == 3);  // n2 and n3 for v4 (never its own path), n2 for v6

  wire::Negotiated tx = session(false), rx = session(false);
  tx.add_path_tx_ipv4 = tx.add_path_tx_ipv6 = true;
  rx.add_path_rx_ipv4 = rx.add_path_rx_ipv6 = true;
  PackCounters k;
  std::vector<uint8_t> bytes;
  CHECK_FALSE(edge_ap.pack(tx, bytes, 1 << 20, k));
  auto held = receive_paths(bytes, rx);
  REQUIRE(held.size() == 4);
  const uint32_t id1 = export_path_id(*n1, 0), id2 = export_path_id(*n2, 0),
                 id3 = export_path_id(*n3, 0);
  REQUIRE(held.count({kV4, id1}));
  REQUIRE(held.count({kV4, id2}));
  REQUIRE(held.count({kV4, id3}));
  REQUIRE(held.count({kV6, id2}));
  CHECK(held[{kV4, id1}].med == 100);
  CHECK(held[{kV4, id2}].med == 101);
  CHECK(held[{kV4, id3}].med == 102);
  CHECK(held[{kV4, id3}].originator_id == n3->bgp_id);  // rewritten per path

  bytes.clear();
  CHECK_FALSE(node1.pack(tx, bytes, 1 << 20, k));
  auto node_held = receive_paths(bytes, rx);
  CHECK(node_held.size() == 3);
  CHECK_FALSE(node_held.count({kV4, id1}));

  // The non-add-path member: the best only, with path id 0.
  bytes.clear();
  CHECK_FALSE(edge_plain.pack(session(false), bytes, 1 << 20, k));
  auto plain_held = receive_all(bytes, session(false));
  CHECK(plain_held.size() == 2);
  CHECK(plain_held[kV4].med == 100);

  // n2 withdraws: the best (n1) is unchanged, but the journal still records the prefix, and the
  // add-path member gets exactly one withdrawal: n2's path id.
  // (A consumer that has read everything so far: the journal coalesces a prefix whose entry no
  // consumer has read yet.)
  const auto reader = lab.journal.open_cursor();
  CHECK(lab.rib.withdraw(kV4, n2, 0) == BestResult::Unchanged);
  CHECK(lab.journal.pending(reader) == 1);
  lab.journal.close_cursor(reader);
  run(kV4);
  CHECK_FALSE(edge_plain.has_pending());
  CHECK(edge_ap.pending() == 1);
  bytes.clear();
  CHECK_FALSE(edge_ap.pack(tx, bytes, 1 << 20, k));
  std::vector<PathKey> gone;
  auto delta = receive_paths(bytes, rx, &gone);
  CHECK(delta.empty());
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == PathKey{kV4, id2});
  CHECK(edge_ap.advertised() == 3);
  CHECK(edge_ap.v4.out.sent({kV4, id1}));
  CHECK_FALSE(edge_ap.v4.out.sent({kV4, id2}));

  // The last paths go: every remaining id is withdrawn and the member forgets the prefix.
  CHECK(lab.rib.withdraw(kV4, n1, 0) == BestResult::Changed);
  CHECK(lab.rib.withdraw(kV4, n3, 0) != BestResult::Unchanged);
  run(kV4);
  bytes.clear();
  CHECK_FALSE(edge_ap.pack(tx, bytes, 1 << 20, k));
  gone.clear();
  (void)receive_paths(bytes, rx, &gone);
  CHECK(gone.size() == 2);
  CHECK(edge_ap.v4.path_ids.count(kV4) == 0);
  CHECK(edge_ap.advertised() == 1);  // the v6 path
}

TEST_CASE("export limit: the action is asked once the peer would hold more than the limit") {
  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ibgp, true);
  ExportRules rules;
  rules.local_as = 65000;
  rules.rr_client = true;
  rules.family = Family::Ipv4;
  ExportGroup g(rules, {});
  ExportMember edge;
  edge.active = true;
  edge.source = lab.source(9, SourceKind::Ibgp);
  edge.export_limit = 3;
  int hits = 0;
  bool block = true;
  edge.limit_hit = [&] {
    ++hits;
    return block;
  };
  g.members() = {&edge};
  auto announce = [&](uint32_t i) {
    Prefix p(IpAddress::v4(0x0a000000 + (i << 8)), 24);
    lab.announce(p, n1, 100);
    g.apply_all(p, g.compute(p, lab.rib.find(p), lab.table, lab.vm));
  };
  for (uint32_t i = 0; i < 5; ++i) announce(i);
  CHECK(edge.out.pending() == 3);  // blocked beyond the limit
  CHECK(hits == 2);
  // A prefix the peer already holds may change without asking.
  PackCounters k;
  std::vector<uint8_t> bytes;
  ExportMember* one[] = {&edge};
  (void)pack_updates(one, session(false), bytes, 1 << 20, k);
  CHECK(edge.out.advertised() == 3);
  lab.announce(Prefix(IpAddress::v4(0x0a000000), 24), n1, 150);
  g.apply_all(Prefix(IpAddress::v4(0x0a000000), 24),
              g.compute(Prefix(IpAddress::v4(0x0a000000), 24),
                        lab.rib.find(Prefix(IpAddress::v4(0x0a000000), 24)), lab.table, lab.vm));
  CHECK(hits == 2);
  CHECK(edge.out.pending() == 1);
  // Warn: the action is told, the route goes out.
  block = false;
  announce(7);
  CHECK(hits == 3);
  CHECK(edge.out.pending() == 2);
}

TEST_CASE("eBGP export: a next hop and a MED the export filter set go out as set (as BIRD 2)") {
  rs::conf::Diagnostics diags;
  rs::filters::SymbolTable syms;
  auto ts = rs::conf::tokenize_string(R"(
filter set_nh_med { if net.len = 32 then { bgp_next_hop = 192.0.2.98; bgp_med = 7; } accept; }
filter touch { bgp_community.add((65000, 1)); accept; }
)",
                                      "t.conf", diags);
  REQUIRE(rs::filters::parse_filter_file(ts, syms, diags));
  REQUIRE_FALSE(diags.has_errors());

  Lab lab;
  auto* n1 = lab.source(1, SourceKind::Ebgp);
  lab.announce(kV4, n1, 100);
  lab.announce(kV6, n1, 100);
  ExportRules rules;
  rules.local_as = 65000;
  rules.ebgp = true;  // a plain eBGP peer: default next hop self, MED of another AS removed
  auto sent = [&](const char* filter) {
    Groups g(rules, {ExportPolicy::Kind::Filter, syms.filter(filter)});
    Member m;
    m.v4.self_next_hop = m.v6.self_next_hop = true;
    m.v4.self = IpAddress::v4(0x7f000001);
    m.v6.self = IpAddress::v6(0x20010db8ffff0000ULL, 1);
    m.set_source(lab.source(9, SourceKind::Ebgp));
    g.add(m);
    for (const Prefix& p : {kV4, kV6}) g.run(p, lab);
    PackCounters k;
    std::vector<uint8_t> bytes;
    CHECK_FALSE(m.pack(session(true), bytes, 1 << 20, k));
    return receive_all(bytes, session(true));
  };
  auto set = sent("set_nh_med");
  REQUIRE(set.count(kV4));
  CHECK(set[kV4].next_hop == IpAddress::v4(0xC0000262));  // 192.0.2.98, not self
  CHECK(set[kV4].has(AttrType::Med));
  CHECK(set[kV4].med == 7);
  REQUIRE(set.count(kV6));  // the filter set nothing on the /128: self, no MED
  CHECK(set[kV6].next_hop == IpAddress::v6(0x20010db8ffff0000ULL, 1));
  CHECK_FALSE(set[kV6].has(AttrType::Med));
  auto touched = sent("touch");  // modified, but neither next hop nor MED
  REQUIRE(touched.count(kV4));
  CHECK(touched[kV4].next_hop == IpAddress::v4(0x7f000001));
  CHECK_FALSE(touched[kV4].has(AttrType::Med));

  // `next hop self` configured explicitly wins over the filter, as in BIRD.
  rules.next_hop = NextHopMode::Self;
  auto forced = sent("set_nh_med");
  REQUIRE(forced.count(kV4));
  CHECK(forced[kV4].next_hop == IpAddress::v4(0x7f000001));
  CHECK(forced[kV4].med == 7);
}
