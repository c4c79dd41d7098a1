// bgpmask matching as a bit-parallel NFA simulation: state i means "the first i steps have
// matched". `X+` is expanded to `X X*` and `*` is `?*`, so every step is "one element" or "zero or
// more"; one pass over the path elements, O(path length x steps), no allocation. AS_SET segments
// follow BIRD 2.0.12's matcher, measured against it (docs/filters.md, "Path masks"): a set is
// consumed by one or more items in a row, each matching one of its ASNs, and after a matched set
// the sets that directly follow it may be skipped.
#include "filters/path_mask.hpp"

#include "filters/value.hpp"

namespace rs::filters {

bool operator==(const MaskItem& a, const MaskItem& b) {
  if (a.kind != b.kind || a.plus != b.plus || a.dynamic != b.dynamic || a.lo != b.lo ||
      a.hi != b.hi)
    return false;
  if (a.kind != MaskItem::Kind::Set) return true;
  return *a.set == *b.set;
}

bool PathMask::add(const MaskItem& item) {
  const std::size_t need = (item.plus ? 2 : 1);
  if (steps_.size() + need > kMaxSteps) return false;
  items_.push_back(item);
  MaskItem base = item;
  base.plus = false;
  if (item.kind == MaskItem::Kind::AnyStar) {
    base.kind = MaskItem::Kind::AnyOne;
    steps_.push_back({true, base});
    return true;
  }
  steps_.push_back({false, base});
  if (item.plus) steps_.push_back({true, base});
  return true;
}

bool PathMask::item_matches(const MaskItem& it, uint32_t asn) {
  switch (it.kind) {
    case MaskItem::Kind::Asn:
      return asn == it.lo;
    case MaskItem::Kind::Range:
      return asn >= it.lo && asn <= it.hi;
    case MaskItem::Kind::Set:
      return it.set->contains(SetKey{0, 0, asn});
    case MaskItem::Kind::AnyOne:
    case MaskItem::Kind::AnyStar:
      return true;
  }
  return false;
}

bool PathMask::matches(const rib::AsPath& path) const {
  // Bit i of a state vector: the first i steps have matched the path so far (bit m: all of them).
  using Bits = unsigned __int128;
  const std::size_t m = steps_.size();
  const Bits final_bit = Bits{1} << m;
  // A star step may match nothing: state i of a star step implies state i+1.
  auto closure = [&](Bits b) {
    for (std::size_t i = 0; i < m; ++i)
      if ((b >> i) & 1 && steps_[i].star) b |= Bits{1} << (i + 1);
    return b;
  };
  // The states after one path element, given which items the element matches.
  auto advance = [&](Bits cur, auto&& elem_matches) {
    Bits next = 0;
    for (std::size_t i = 0; i < m; ++i) {
      if (!((cur >> i) & 1) || !elem_matches(steps_[i].item)) continue;
      next |= Bits{1} << (steps_[i].star ? i : i + 1);
    }
    return closure(next);
  };
  Bits cur = closure(1);
  bool after_set = false;
  for (const auto& seg : path.segments) {
    if (seg.type == rib::AsSegmentType::Sequence ||
        seg.type == rib::AsSegmentType::ConfedSequence) {
      for (uint32_t asn : seg.asns) {
        cur = advance(cur, [&](const MaskItem& it) { return item_matches(it, asn); });
        if (cur == 0) return false;
      }
      after_set = false;
      continue;
    }
    // An AS_SET (as BIRD): one or more consecutive items may each match one of its ASNs, and
    // once it has been matched, the AS_SETs that directly follow it may be skipped.
    auto in_set = [&](const MaskItem& it) {
      for (uint32_t asn : seg.asns)
        if (item_matches(it, asn)) return true;
      return false;
    };
    Bits r = advance(cur, in_set);
    for (;;) {
      const Bits more = r | advance(r, in_set);
      if (more == r) break;
      r = more;
    }
    cur = after_set ? (r | cur) : r;
    after_set = true;
    if (cur == 0) return false;
  }
  return (cur & final_bit) != 0;
}

std::string PathMask::to_string() const {
  std::string s = "[=";
  for (const auto& it : items_) {
    s += ' ';
    switch (it.kind) {
      case MaskItem::Kind::Asn:
        s += std::to_string(it.lo);
        break;
      case MaskItem::Kind::Range:
        s += std::to_string(it.lo) + ".." + std::to_string(it.hi);
        break;
      case MaskItem::Kind::Set:
        s += it.set->to_string();
        break;
      case MaskItem::Kind::AnyOne:
        s += '?';
        break;
      case MaskItem::Kind::AnyStar:
        s += '*';
        break;
    }
    if (it.plus) s += " +";  // as BIRD prints it
  }
  return s + " =]";
}

}  // namespace rs::filters
