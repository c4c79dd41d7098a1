// The VM allocates nothing for a filter that only tests and decides (the benchmark's filter),
// nor for one that calls functions, builds masks from variables and compares communities once its
// arena is warm. Counted with a replaced global operator new.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "conf/lexer.hpp"
#include "filters/parser.hpp"
#include "filters/vm.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace rs;
using namespace rs::filters;

TEST_CASE("filter runs without allocation") {
  SymbolTable syms;
  conf::Diagnostics d;
  auto ts = conf::tokenize_string(R"(
filter simple { if net ~ [ 2001:db8:30::/48+ ] then accept; reject; }
function g(int a) -> bool {
  return (65000, a) ~ bgp_community || bgp_path ~ [= * a =] || bgp_path ~ [ 64512..65534 ];
}
filter calls
int x;
{
  x = 2;
  case bgp_path.first { 65001: x = 3; else: x = 4; }
  if g(x) && bgp_path.len < 5 && net.len <= 64 then accept;
  reject;
}
filter edits {
  bgp_community.delete([(65000, *)]);
  if bgp_community.len = 0 then reject;
  accept;
}
)",
                                  "a.conf", d);
  REQUIRE(parse_filter_file(ts, syms, d));
  rib::AttrTable table;
  rib::AttrBuilder b;
  b.set_next_hop(*rib::IpAddress::parse("2001:db8::1"));
  b.as_path.segments.push_back({rib::AsSegmentType::Sequence, {65001, 65002}});
  b.set_present(rib::AttrType::AsPath);
  b.communities.values = {(65000u << 16) | 2, (65001u << 16) | 1};
  b.set_present(rib::AttrType::Communities);
  auto attrs = table.intern(b);
  RouteInfo r;
  r.net = *rib::Prefix::parse("2001:db8:30::/64");
  Vm vm;
  RunOutput out;
  for (const char* name : {"simple", "calls", "edits"}) {
    CAPTURE(name);
    auto f = syms.filter(name);
    REQUIRE(f);
    Verdict first = vm.run(*f, r, *attrs, out);  // warms the arena
    const long before = g_allocations.load();
    int accepted = 0;
    for (int i = 0; i < 1000; ++i) accepted += vm.run(*f, r, *attrs, out) == Verdict::Accept;
    const long used = g_allocations.load() - before;
    CHECK(accepted == (first == Verdict::Accept ? 1000 : 0));
    if (std::string(name) == "edits") {
      // Accepting a modified route copies the attributes into the caller's builder (copy-on-write);
      // the builder keeps its capacity, so even that settles to no allocation.
      CHECK(out.modified);
      CHECK(used == 0);
    } else {
      CHECK(accepted == 1000);
      CHECK(used == 0);
    }
  }
}
