// f_same for rsd: programs are flat and self-contained (each filter carries the functions it
// calls), so equality is a walk over the instruction table and the constant table; constants
// compare by value (filters::equal), which compares sets, prefix sets and path masks by content.
#include "filters/same.hpp"

namespace rs::filters {

bool same(const Program& a, const Program& b) {
  if (a.frame != b.frame || a.code != b.code || a.consts.size() != b.consts.size() ||
      a.functions.size() != b.functions.size())
    return false;
  for (std::size_t i = 0; i < a.functions.size(); ++i) {
    const auto& x = a.functions[i];
    const auto& y = b.functions[i];
    if (x.entry != y.entry || x.params != y.params || x.frame != y.frame) return false;
  }
  for (std::size_t i = 0; i < a.consts.size(); ++i)
    if (!equal(a.consts[i], b.consts[i])) return false;
  return true;
}

bool same(const FilterRef& a, const FilterRef& b) {
  if (!a || !b) return !a && !b;
  return a == b || same(a->program(), b->program());
}

}  // namespace rs::filters
