// Enhanced route refresh (RFC 7313) state of one protocol, per family ([0] IPv4, [1] IPv6).
// Export side: a ROUTE-REFRESH request makes the family's Adj-RIB-Out pending again; with the
// enhanced capability agreed, BoRR goes out before the re-advertisement and EoRR after its last
// UPDATE (both from the session's pull, so they are ordered with the UPDATEs). Import side: BoRR
// from the peer marks its routes of the family stale, EoRR (or kStaleTimeout) removes those the
// peer did not send again. The marking is a background walk; prefixes the peer re-sends while it
// runs are remembered so that the walk does not mark them stale after the fact.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include <boost/asio/steady_timer.hpp>

#include "rib/adj_rib_out.hpp"

namespace rs {

struct RefreshState {
  // RFC 7313 4 leaves the wait for EoRR to the implementation; a peer that never sends it must
  // not keep stale routes forever.
  static constexpr std::chrono::minutes kStaleTimeout{5};

  // Export side.
  bool borr_due[2] = {false, false};  // a request arrived: BoRR before the next UPDATE
  bool eorr_due[2] = {false, false};  // BoRR sent: EoRR once the family is drained
  // Import side.
  bool refreshing[2] = {false, false};  // between the peer's BoRR and its EoRR (or the timeout)
  uint64_t generation[2] = {0, 0};      // bumped by every BoRR and by the session going down
  bool marking[2] = {false, false};     // the stale-marking walk of the last BoRR is running
  std::unordered_set<rib::OutKey, rib::OutKeyHash> fresh[2];  // re-sent while marking
  std::unique_ptr<boost::asio::steady_timer> timer[2];        // EoRR wait

  // The peer sent (prefix, path id) of family index f: not stale, whatever the walk says.
  void received(int f, const rib::Prefix& prefix, uint32_t path_id) {
    if (marking[f]) fresh[f].insert(rib::OutKey{prefix, path_id});
  }
  // The session went down: nothing is due, running walks stop, timers are cancelled.
  void reset() {
    for (int f = 0; f < 2; ++f) {
      borr_due[f] = eorr_due[f] = refreshing[f] = marking[f] = false;
      ++generation[f];
      fresh[f].clear();
      if (timer[f]) timer[f]->cancel();
    }
  }
};

}  // namespace rs
