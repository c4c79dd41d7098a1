// bgpmask matching over AS paths holding AS_SETs, against the results BIRD 2.0.12 gave for the
// same paths and masks (tests/filters/bird_path_masks.txt, recorded from a real bird that received
// the paths over BGP and printed `bgp_path ~ [= MASK =]`).
#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "filters/path_mask.hpp"
#include "filters/value.hpp"

using namespace rs;
using namespace rs::filters;

namespace {

// "65001 {65002 65003} 65004": numbers are AS_SEQUENCE members, braces an AS_SET.
rib::AsPath parse_path(const std::string& text) {
  rib::AsPath p;
  std::istringstream in(text);
  std::string tok;
  bool in_set = false;
  while (in >> tok) {
    bool open = tok.front() == '{', close = tok.back() == '}';
    if (open) tok.erase(0, 1), in_set = true;
    if (close) tok.pop_back();
    const auto type = in_set ? rib::AsSegmentType::Set : rib::AsSegmentType::Sequence;
    if (open || p.segments.empty() || p.segments.back().type != type)
      p.segments.push_back({type, {}});
    if (!tok.empty()) p.segments.back().asns.push_back(static_cast<uint32_t>(std::stoul(tok)));
    if (close) in_set = false;
  }
  return p;
}

// "* 3 ? [1, 2]+ 7+": the mask items of the data file.
PathMask parse_mask(const std::string& text, std::vector<std::unique_ptr<ValueSet>>& sets) {
  PathMask m;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    MaskItem it;
    if (text[i] == '*') {
      it.kind = MaskItem::Kind::AnyStar, ++i;
    } else if (text[i] == '?') {
      it.kind = MaskItem::Kind::AnyOne, ++i;
    } else if (text[i] == '[') {
      const std::size_t end = text.find(']', i);
      auto set = std::make_unique<ValueSet>(Type::Int);
      std::istringstream in(text.substr(i + 1, end - i - 1));
      std::string n;
      while (std::getline(in, n, ',')) {
        const uint64_t v = std::stoul(n);
        set->add_range(SetKey{0, 0, v}, SetKey{0, 0, v});
      }
      set->finish();
      it.kind = MaskItem::Kind::Set, it.set = set.get();
      sets.push_back(std::move(set));
      i = end + 1;
    } else {
      std::size_t used = 0;
      it.kind = MaskItem::Kind::Asn;
      it.lo = it.hi = static_cast<uint32_t>(std::stoul(text.substr(i), &used));
      i += used;
      if (text.compare(i, 2, "..") == 0) {
        it.kind = MaskItem::Kind::Range;
        it.hi = static_cast<uint32_t>(std::stoul(text.substr(i + 2), &used));
        i += 2 + used;
      }
    }
    if (i < text.size() && text[i] == '+') it.plus = true, ++i;
    REQUIRE(m.add(it));
  }
  return m;
}

}  // namespace

TEST_CASE("path masks over AS_SETs match as BIRD 2.0.12") {
  std::ifstream in(std::string(RSD_FILTER_TESTS_DIR) + "/bird_path_masks.txt");
  REQUIRE(in);
  std::vector<std::unique_ptr<ValueSet>> sets;
  std::vector<std::pair<std::string, PathMask>> masks;
  std::string line;
  int checked = 0, sets_seen = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line == "masks") {
      masks.clear();
    } else if (line.rfind("mask ", 0) == 0) {
      masks.emplace_back(line.substr(5), parse_mask(line.substr(5), sets));
    } else if (line.rfind("path ", 0) == 0) {
      const std::size_t colon = line.rfind(" : ");
      const std::string text = line.substr(5, colon - 5), bits = line.substr(colon + 3);
      const rib::AsPath path = parse_path(text);
      CHECK(path.to_string() == text);
      for (const auto& s : path.segments) sets_seen += s.type == rib::AsSegmentType::Set;
      REQUIRE(bits.size() == masks.size());
      for (std::size_t k = 0; k < masks.size(); ++k) {
        CAPTURE(text);
        CAPTURE(masks[k].first);
        CHECK(masks[k].second.matches(path) == (bits[k] == '1'));
        ++checked;
      }
    }
  }
  MESSAGE(checked << " path/mask pairs checked");
  CHECK(checked > 20000);
  CHECK(sets_seen > 100);
}
