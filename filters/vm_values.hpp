// Value operations of the filter Vm that do not touch its state: `~`, the list edits
// (add/delete/filter/prepend), the members a `for` loop visits, `.min`/`.max`, and the bgppath
// members. Split from vm.cpp to keep the interpreter loop's file small.
#pragma once

#include <cstdint>
#include <optional>

#include "filters/value.hpp"
#include "filters/vm.hpp"

namespace rs::filters::detail {

// Bits of Vm::lists_dirty_: the lists of the input a run has replaced (finish() copies only those).
enum ListBit : uint8_t { kPath = 1, kClist = 2, kEclist = 4, kLclist = 8, kCluster = 16 };

// `a ~ b`; nullopt when the operator does not apply to these values (a run-time error).
std::optional<bool> match(const Value& a, const Value& b);
// add / delete / filter of `arg` (a member, a set or a list of the same kind) on `in`, into `out`.
void list_edit(const rib::CommunityList& in, rib::CommunityList& out, Op op, const Value& arg);
void list_edit(const rib::ExtCommunityList& in, rib::ExtCommunityList& out, Op op,
               const Value& arg);
void list_edit(const rib::LargeCommunityList& in, rib::LargeCommunityList& out, Op op,
               const Value& arg);
// prepend / delete / filter on a bgppath.
void path_edit(const rib::AsPath& in, rib::AsPath& out, Op op, const Value& arg);
bool list_member_at(const Value& l, uint32_t idx, Value& out);
std::optional<Value> list_min_max(const Value& l, bool max);
uint32_t last_nonaggregated(const rib::AsPath& p);
uint32_t first_asn(const rib::AsPath& p);

}  // namespace rs::filters::detail
