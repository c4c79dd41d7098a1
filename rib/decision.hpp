// The BGP decision process (RFC 4271 9.1.2.2) with BIRD's knobs, as a pure function of the
// candidate paths of one prefix. Each step is named; the step that decided is returned as the
// reason, shown by `show route all`. The result never depends on the order paths arrived in.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rib/route.hpp"

namespace rs::rib {

struct DecisionConfig {
  bool med_metric = false;  // compare MED between any neighbour ASes (BIRD `med metric`)
  bool deterministic_med =
      false;                  // MED within neighbour-AS groups first (BIRD `deterministic med`)
  bool prefer_older = false;  // RFC 5004: keep the older of otherwise equal external paths
  uint32_t default_med = 0;   // MED assumed when absent (BIRD `default bgp_med`)
  uint32_t default_local_pref =
      100;  // LOCAL_PREF assumed when absent (BIRD `default bgp_local_pref`)
};

// The steps, in the order they are tried.
enum class Reason : uint8_t {
  OnlyPath,              // no other eligible path
  Preference,            // protocol preference (BIRD), higher wins
  LocalPref,             // 9.1.2.2 / 9.1.1: higher LOCAL_PREF
  AsPathLength,          // 9.1.2.2 a) shorter AS_PATH
  Origin,                // 9.1.2.2 b) lower ORIGIN
  Med,                   // 9.1.2.2 c) lower MED (same neighbour AS unless med metric)
  ExternalOverInternal,  // 9.1.2.2 d) eBGP over iBGP
  Older,                 // RFC 5004 (prefer older)
  RouterId,              // 9.1.2.2 f) lower BGP Identifier (ORIGINATOR_ID if present, RFC 4456 9)
  ClusterListLength,     // RFC 4456 9: shorter CLUSTER_LIST
  NeighborAddress,       // 9.1.2.2 g) lower peer address
  PathId,                // same peer, ADD-PATH: lower path identifier (total order)
};
std::string_view to_string(Reason r);

struct Comparison {
  int order = 0;  // < 0: a is better, > 0: b is better, 0: identical in every step
  Reason reason = Reason::OnlyPath;
};

// Compares two eligible paths step by step. `use_med` false skips step c) (deterministic MED's
// second level compares group winners of different neighbour ASes).
Comparison compare(const Route& a, const Route& b, const DecisionConfig& cfg, bool use_med = true);

// The neighbour AS used for the MED step: first AS of the AS_PATH, 0 when the path is empty.
uint32_t neighbor_as(const Route& r);

struct Selection {
  int best = -1;                     // index into the candidates, -1 when none is eligible
  Reason reason = Reason::OnlyPath;  // the step at which the best beat its closest rival
};

// Filtered routes are not eligible. Pure and order-independent.
Selection select_best(std::span<const Route* const> candidates, const DecisionConfig& cfg);
// The Loc-RIB's form, run on every change: the candidates are in canonical order (source id, path
// id) already, and the reason is not worked out (best_reason() does that when it is shown).
// Returns the index of the best, -1 when none is eligible; the same best as select_best().
int select_best_canonical(std::span<const Route* const> canonical, const DecisionConfig& cfg);
// The step at which candidates[best] beat its closest rival (select_best()'s reason).
Reason best_reason(std::span<const Route* const> candidates, int best, const DecisionConfig& cfg);

}  // namespace rs::rib
