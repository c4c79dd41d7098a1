// bgpmask matching as a bit-parallel NFA simulation: state i means "the first i steps have matched".
// `X+` is expanded to `X X*` and `*` is `?*`, so every step is "one element" or "zero or more";
// one pass over the path elements, O(path length x steps), no allocation.
#include "filters/path_mask.hpp"

#include "filters/value.hpp"

namespace rs::filters {

bool operator==(const MaskItem& a, const MaskItem& b) {
  if (a.kind != b.kind || a.plus != b.plus || a.dynamic != b.dynamic || a.lo != b.lo || a.hi != b.hi) return false;
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
    case MaskItem::Kind::Asn: return asn == it.lo;
    case MaskItem::Kind::Range: return asn >= it.lo && asn <= it.hi;
    case MaskItem::Kind::Set: return it.set->contains(SetKey{0, 0, asn});
    case MaskItem::Kind::AnyOne:
    case MaskItem::Kind::AnyStar: return true;
  }
  return false;
}

bool PathMask::matches(const rib::AsPath& path) const {
  const std::size_t m = steps_.size();
  // states: bit i set = i steps matched (i in 0..m); m <= 64 so 65 bits -> use two words.
  auto closure = [&](uint64_t lo, bool& final_bit) {
    // Star steps may match nothing: state i with steps_[i].star implies state i+1.
    for (std::size_t i = 0; i < m; ++i) {
      if ((lo >> i) & 1 && steps_[i].star) {
        if (i + 1 < 64) lo |= uint64_t{1} << (i + 1);
        if (i + 1 == m) final_bit = true;
      }
    }
    return lo;
  };
  bool fin = (m == 0);
  uint64_t cur = m == 0 ? 0 : 1;
  cur = closure(cur, fin);
  auto step = [&](auto&& matches_elem) {
    uint64_t next = 0;
    bool nfin = false;
    for (std::size_t i = 0; i < m; ++i) {
      if (!((cur >> i) & 1)) continue;
      const Step& s = steps_[i];
      if (!matches_elem(s.item)) continue;
      if (s.star) next |= uint64_t{1} << i;
      else if (i + 1 == m) nfin = true;
      else next |= uint64_t{1} << (i + 1);
    }
    cur = closure(next, nfin);
    fin = nfin;
  };
  for (const auto& seg : path.segments) {
    if (seg.type == rib::AsSegmentType::Sequence || seg.type == rib::AsSegmentType::ConfedSequence) {
      for (uint32_t asn : seg.asns) {
        step([&](const MaskItem& it) { return item_matches(it, asn); });
        if (cur == 0 && !fin) return false;
      }
    } else {
      step([&](const MaskItem& it) {
        for (uint32_t asn : seg.asns)
          if (item_matches(it, asn)) return true;
        return false;
      });
      if (cur == 0 && !fin) return false;
    }
  }
  return fin;
}

std::string PathMask::to_string() const {
  std::string s = "[=";
  for (const auto& it : items_) {
    s += ' ';
    switch (it.kind) {
      case MaskItem::Kind::Asn: s += std::to_string(it.lo); break;
      case MaskItem::Kind::Range: s += std::to_string(it.lo) + ".." + std::to_string(it.hi); break;
      case MaskItem::Kind::Set: s += it.set->to_string(); break;
      case MaskItem::Kind::AnyOne: s += '?'; break;
      case MaskItem::Kind::AnyStar: s += '*'; break;
    }
    if (it.plus) s += '+';
  }
  return s + " =]";
}

}  // namespace rs::filters
