// Structural equality of compiled filters, for soft reconfiguration: a channel whose new filter is
// `same` as the old one keeps its routes without re-running the filter (BIRD's f_same).
// Source locations and symbol names do not matter; code, constants (sets and masks by content)
// and the called functions do.
#pragma once

#include "filters/vm.hpp"

namespace rs::filters {

bool same(const Program& a, const Program& b);
// Null filters (`all` / `none` channels) are the same only as each other.
bool same(const FilterRef& a, const FilterRef& b);

}  // namespace rs::filters
