// Decision process: each RFC 4271 9.1.2.2 step decides with its reason, and every permutation of
// the candidates' arrival order yields the same best path in every MED mode (as OpenBGPD's
// rde_decide_test.c does for its decision process).
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "rib/decision.hpp"

using namespace rs::rib;

namespace {

struct Lab {
  AttrTable table;
  std::deque<RouteSource> sources;
  std::deque<Route> routes;

  const RouteSource* source(SourceKind kind, uint32_t id, const char* addr, uint32_t bgp_id) {
    RouteSource s;
    s.name = "p" + std::to_string(id);
    s.kind = kind;
    s.id = id;
    s.bgp_id = bgp_id;
    s.neighbor_address = *IpAddress::parse(addr);
    sources.push_back(s);
    return &sources.back();
  }
  Route* route(const RouteSource* src, std::vector<uint32_t> path, uint32_t med,
               uint32_t path_id = 0) {
    AttrBuilder b;
    b.set_origin(Origin::Igp);
    b.set_present(AttrType::AsPath);
    if (!path.empty()) b.as_path.segments.push_back({AsSegmentType::Sequence, path});
    b.set_next_hop(*IpAddress::parse("192.0.2.1"));
    b.set_med(med);
    Route r;
    r.source = src;
    r.path_id = path_id;
    r.attrs = table.intern(b);
    routes.push_back(r);
    return &routes.back();
  }
  Route* modified(const Route* base, void (*edit)(AttrBuilder&)) {
    AttrBuilder b(*base->attrs);
    edit(b);
    Route r = *base;
    r.attrs = table.intern(b);
    routes.push_back(r);
    return &routes.back();
  }
};

// Best route (pointer) for every permutation must be the same; returns it.
const Route* best_over_all_permutations(std::vector<const Route*> rs, const DecisionConfig& cfg) {
  std::sort(rs.begin(), rs.end());
  const Route* expected = nullptr;
  int perms = 0;
  do {
    auto sel = select_best(rs, cfg);
    REQUIRE(sel.best >= 0);
    const Route* got = rs[static_cast<std::size_t>(sel.best)];
    if (!expected) expected = got;
    CHECK(got == expected);
    ++perms;
  } while (std::next_permutation(rs.begin(), rs.end()));
  CHECK(perms > 1);
  // The Loc-RIB's form (canonical order given, no reason) agrees.
  std::sort(rs.begin(), rs.end(), [](const Route* a, const Route* b) {
    return a->source->id != b->source->id ? a->source->id < b->source->id : a->path_id < b->path_id;
  });
  const int i = select_best_canonical(rs, cfg);
  REQUIRE(i >= 0);
  CHECK(rs[static_cast<std::size_t>(i)] == expected);
  return expected;
}

}  // namespace

TEST_CASE("each step decides with its reason") {
  Lab lab;
  DecisionConfig cfg;
  auto* e1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.1", 0x0a000001);
  auto* e2 = lab.source(SourceKind::Ebgp, 2, "10.0.0.2", 0x0a000002);
  auto* i3 = lab.source(SourceKind::Ibgp, 3, "10.0.0.3", 0x0a000003);

  auto* a = lab.route(e1, {65001}, 100);
  auto* b = lab.route(e2, {65001}, 101);
  CHECK(compare(*a, *b, cfg).order < 0);
  CHECK(compare(*a, *b, cfg).reason == Reason::Med);
  CHECK(compare(*b, *a, cfg).order > 0);

  auto* lp = lab.modified(b, [](AttrBuilder& x) { x.set_local_pref(200); });
  CHECK(compare(*lp, *a, cfg).reason == Reason::LocalPref);
  CHECK(compare(*lp, *a, cfg).order < 0);

  auto* longer = lab.route(e2, {65001, 65001}, 0);
  CHECK(compare(*a, *longer, cfg).reason == Reason::AsPathLength);

  auto* egp = lab.modified(b, [](AttrBuilder& x) { x.set_origin(Origin::Egp), x.set_med(0); });
  CHECK(compare(*a, *egp, cfg).reason == Reason::Origin);

  // Different neighbour AS: MED is skipped, eBGP vs iBGP then router id decide.
  auto* other_as = lab.route(e2, {65002}, 0);
  CHECK(compare(*a, *other_as, cfg).reason == Reason::RouterId);
  CHECK(compare(*a, *other_as, cfg).order < 0);
  cfg.med_metric = true;
  CHECK(compare(*a, *other_as, cfg).reason == Reason::Med);
  CHECK(compare(*a, *other_as, cfg).order > 0);
  cfg.med_metric = false;

  auto* internal = lab.route(i3, {65001}, 100);
  CHECK(compare(*a, *internal, cfg).reason == Reason::ExternalOverInternal);

  // ORIGINATOR_ID replaces the BGP identifier (RFC 4456 9).
  auto* reflected = lab.modified(b, [](AttrBuilder& x) {
    x.set_med(100);
    x.originator_id = 1;
    x.set_present(AttrType::OriginatorId);
  });
  CHECK(compare(*reflected, *a, cfg).reason == Reason::RouterId);
  CHECK(compare(*reflected, *a, cfg).order < 0);

  // Same peer, two ADD-PATH paths, identical attributes.
  auto* p1 = lab.route(e1, {65001}, 100, 1);
  auto* p2 = lab.route(e1, {65001}, 100, 2);
  CHECK(compare(*p1, *p2, cfg).reason == Reason::PathId);
  CHECK(compare(*p1, *p2, cfg).order < 0);
}

TEST_CASE("prefer older applies to external paths") {
  Lab lab;
  DecisionConfig cfg;
  auto* e1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.1", 9);
  auto* e2 = lab.source(SourceKind::Ebgp, 2, "10.0.0.2", 1);
  auto* a = lab.route(e1, {65001}, 100);
  auto* b = lab.route(e2, {65001}, 100);
  a->set_since(5);
  b->set_since(10);
  CHECK(compare(*a, *b, cfg).reason == Reason::RouterId);
  cfg.prefer_older = true;
  CHECK(compare(*a, *b, cfg).reason == Reason::Older);
  CHECK(compare(*a, *b, cfg).order < 0);
  // Ages are whole seconds: paths of the same second tie and the next step decides.
  b->set_since(5);
  CHECK(compare(*a, *b, cfg).reason == Reason::RouterId);
  CHECK(compare(*a, *b, cfg).order > 0);
}

TEST_CASE("a route's age and flags share one word without disturbing each other") {
  Route r;
  r.set_flag(kRouteStale, true);
  r.set_since(12345);
  r.set_flag(kRouteFiltered, true);
  CHECK(r.since() == 12345);
  CHECK(r.stale());
  CHECK(r.filtered());
  r.set_flag(kRouteStale, false);
  CHECK(!r.stale());
  CHECK(r.filtered());
  CHECK(r.since() == 12345);
  r.set_since(uint64_t{1} << 40);  // saturates instead of wrapping into the flags
  CHECK(r.since() == Route::kMaxSince);
  CHECK(r.filtered());
  CHECK(!r.stale());
}

TEST_CASE("missing MED and LOCAL_PREF take the configured defaults") {
  Lab lab;
  DecisionConfig cfg;
  auto* e1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.1", 1);
  auto* e2 = lab.source(SourceKind::Ebgp, 2, "10.0.0.2", 2);
  auto* with = lab.route(e1, {65001}, 50);
  auto* without =
      lab.modified(lab.route(e2, {65001}, 0), [](AttrBuilder& x) { x.clear(AttrType::Med); });
  CHECK(compare(*without, *with, cfg).order < 0);  // default MED 0 beats 50
  cfg.default_med = 1000;
  CHECK(compare(*with, *without, cfg).order < 0);
}

TEST_CASE("a preference the import filter set (kept with the attributes) beats the source's") {
  Lab lab;
  DecisionConfig cfg;
  auto* e1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.1", 1);
  auto* e2 = lab.source(SourceKind::Ebgp, 2, "10.0.0.2", 2);
  auto* plain = lab.route(e1, {65001}, 0);  // wins on MED below
  auto* worse = lab.route(e2, {65001}, 50);
  CHECK(compare(*plain, *worse, cfg).order < 0);
  auto* raised = lab.modified(worse, [](AttrBuilder& x) {
    x.has_preference = true;
    x.preference = 120;  // `preference = 120;` in the import filter
  });
  CHECK(raised->preference() == 120);
  CHECK(plain->preference() == 100);  // the source's
  CHECK(compare(*raised, *plain, cfg).order < 0);
  CHECK(compare(*raised, *plain, cfg).reason == Reason::Preference);
  auto* lowered = lab.modified(worse, [](AttrBuilder& x) {
    x.has_preference = true;
    x.preference = 0;  // 0 is a preference too, not "unset"
  });
  CHECK(lowered->preference() == 0);
  CHECK(compare(*plain, *lowered, cfg).reason == Reason::Preference);
}

TEST_CASE("filtered routes are never best; no eligible route gives -1") {
  Lab lab;
  DecisionConfig cfg;
  auto* e1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.1", 1);
  auto* a = lab.route(e1, {65001}, 1);
  a->set_flag(kRouteFiltered, true);
  std::vector<const Route*> one{a};
  CHECK(select_best(one, cfg).best == -1);
  auto* b = lab.route(e1, {65001}, 500, 7);
  std::vector<const Route*> two{a, b};
  auto sel = select_best(two, cfg);
  CHECK(sel.best == 1);
  CHECK(sel.reason == Reason::OnlyPath);
}

TEST_CASE("every arrival order gives the same best path, in every MED mode") {
  // A cycle under pairwise comparison: r1 beats r3 (MED, same AS 65100), r3 beats r2 (router id),
  // r2 beats r1 (router id). Plus two more paths so that permutations are many.
  Lab lab;
  auto* s1 = lab.source(SourceKind::Ebgp, 1, "10.0.0.3", 3);
  auto* s2 = lab.source(SourceKind::Ebgp, 2, "10.0.0.2", 2);
  auto* s3 = lab.source(SourceKind::Ebgp, 3, "10.0.0.1", 1);
  auto* s4 = lab.source(SourceKind::Ibgp, 4, "10.0.0.4", 4);
  auto* s5 = lab.source(SourceKind::Ebgp, 5, "10.0.0.5", 5);
  auto* r1 = lab.route(s1, {65100}, 1);
  auto* r2 = lab.route(s2, {65200}, 0);
  auto* r3 = lab.route(s3, {65100}, 2);
  auto* r4 = lab.route(s4, {65100}, 0);
  auto* r5 = lab.route(s5, {65300, 65300}, 0);
  std::vector<const Route*> all{r1, r2, r3, r4, r5};

  DecisionConfig plain;
  best_over_all_permutations(all, plain);

  DecisionConfig det;
  det.deterministic_med = true;
  // Group 65100 {r1, r3, r4}: r4 wins on MED 0. Group winners r4, r2, r5 then compare without
  // MED: r5 has the longer path, and eBGP r2 beats iBGP r4.
  CHECK(best_over_all_permutations(all, det) == r2);

  DecisionConfig metric;
  metric.med_metric = true;
  // MED everywhere: r2, r4 and r5 have MED 0; r5 has the longer path, r4 is iBGP: r2.
  CHECK(best_over_all_permutations(all, metric) == r2);

  // The wiki's anycast table: three nodes, MED decides between them for each service IP.
  Lab wiki;
  DecisionConfig ibgp;
  auto* n1 = wiki.source(SourceKind::Ibgp, 1, "127.0.0.11", 0x7f00000b);
  auto* n2 = wiki.source(SourceKind::Ibgp, 2, "127.0.0.12", 0x7f00000c);
  auto* n3 = wiki.source(SourceKind::Ibgp, 3, "127.0.0.13", 0x7f00000d);
  const uint32_t meds[3][3] = {{100, 101, 102}, {101, 100, 102}, {102, 101, 100}};
  for (int ip = 0; ip < 3; ++ip) {
    std::vector<const Route*> paths{wiki.route(n1, {}, meds[0][ip]),
                                    wiki.route(n2, {}, meds[1][ip]),
                                    wiki.route(n3, {}, meds[2][ip])};
    const Route* best = best_over_all_permutations(paths, ibgp);
    CHECK(best->source->id == static_cast<uint32_t>(ip + 1));
    CHECK(select_best(paths, ibgp).reason == Reason::Med);
  }
}
