// PathMask: BIRD's bgpmask `[= * 65001 ? 100..200 [1,2] 7+ =]`, matched against an AS path.
// ASNs, ranges and int sets match one path element; `?` matches any one element, `*` any (possibly
// empty) sequence; a trailing `+` repeats the previous element one or more times. An AS_SET
// segment counts as one element that matches when any of its ASNs does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rib/attrs.hpp"

namespace rs::filters {

class ValueSet;

struct MaskItem {
  enum class Kind : uint8_t { Asn, Range, Set, AnyOne, AnyStar };
  Kind kind = Kind::Asn;
  bool plus = false;     // `X+`
  bool dynamic = false;  // Asn filled in when the mask is built at run time (a variable)
  uint32_t lo = 0, hi = 0;
  const ValueSet* set = nullptr;  // Kind::Set; owned by the program
  friend bool operator==(const MaskItem& a, const MaskItem& b);
};

class PathMask {
 public:
  static constexpr std::size_t kMaxSteps = 64;
  // False when the mask would exceed kMaxSteps matcher states.
  [[nodiscard]] bool add(const MaskItem& item);
  bool matches(const rib::AsPath& path) const;
  const std::vector<MaskItem>& items() const { return items_; }
  void clear() { items_.clear(), steps_.clear(); }
  std::string to_string() const;
  friend bool operator==(const PathMask& a, const PathMask& b) { return a.items_ == b.items_; }

 private:
  struct Step {
    bool star;  // zero or more elements matching `item`
    MaskItem item;
  };
  static bool item_matches(const MaskItem& it, uint32_t asn);
  std::vector<MaskItem> items_;
  std::vector<Step> steps_;
};

}  // namespace rs::filters
