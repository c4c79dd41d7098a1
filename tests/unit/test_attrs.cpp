// Attributes and interning: equal builders intern to one node, refcounts free nodes,
// AS path helpers follow RFC 4271 9.1.2.2.
#include <doctest/doctest.h>

#include "rib/attrs.hpp"

using namespace rs::rib;

namespace {
AttrBuilder sample(uint32_t med) {
  AttrBuilder b;
  b.set_origin(Origin::Igp);
  b.as_path.segments.push_back({AsSegmentType::Sequence, {65001, 65002}});
  b.set_present(AttrType::AsPath);
  b.set_next_hop(*IpAddress::parse("192.0.2.1"));
  b.set_med(med);
  b.communities.values = {0xFDE90001};
  b.set_present(AttrType::Communities);
  return b;
}
}  // namespace

TEST_CASE("equal attribute sets intern to the same node") {
  AttrTable t;
  AttrRef a = t.intern(sample(100));
  AttrRef b = t.intern(sample(100));
  AttrRef c = t.intern(sample(101));
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.use_count() == 2);
  // The AS path and communities are shared between a and c too.
  CHECK(a->as_path == c->as_path);
  CHECK(a->communities == c->communities);
  auto k = t.counters();
  CHECK(k.attrs.entries == 2);
  CHECK(k.attrs.hits == 1);
  CHECK(k.as_paths.entries == 1);
}

TEST_CASE("releasing the last reference frees the node") {
  AttrTable t;
  {
    AttrRef a = t.intern(sample(100));
    CHECK(t.counters().attrs.entries == 1);
  }
  CHECK(t.counters().attrs.entries == 0);
  CHECK(t.counters().as_paths.entries == 0);
  CHECK(t.counters().communities.entries == 0);
}

TEST_CASE("a ref may outlive its table") {
  AttrRef keep;
  {
    AttrTable t;
    keep = t.intern(sample(7));
  }
  CHECK(keep->med == 7);
}

TEST_CASE("builder round trip through the interned form") {
  AttrTable t;
  AttrBuilder b = sample(42);
  b.large_communities.values = {{65000, 1, 2}};
  b.set_present(AttrType::LargeCommunities);
  AttrRef r = t.intern(b);
  AttrBuilder back(*r);
  CHECK(back == b);
  back.reset();
  CHECK(back.present == 0);
  CHECK(back.as_path.empty());
}

TEST_CASE("AS path length, first and origin AS, prepend") {
  AsPath p;
  p.segments.push_back({AsSegmentType::ConfedSequence, {64512}});
  p.segments.push_back({AsSegmentType::Sequence, {65001, 65002}});
  p.segments.push_back({AsSegmentType::Set, {65003, 65004}});
  CHECK(p.length() == 3);
  CHECK(p.first_as() == 65001);
  CHECK(p.origin_as() == 0);  // ends in a set
  CHECK(p.contains(65004));
  CHECK(p.has_confed());
  CHECK(p.to_string() == "(64512) 65001 65002 {65003 65004}");
  AsPath q;
  q.prepend(65000, 2);
  CHECK(q.to_string() == "65000 65000");
  q.segments.front().asns.resize(255, 1);
  q.prepend(65009);
  CHECK(q.segments.size() == 2);
  CHECK(q.first_as() == 65009);
}
