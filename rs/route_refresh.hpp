// Enhanced route refresh (RFC 7313) state of one channel. Export side: a ROUTE-REFRESH request
// makes the channel's Adj-RIB-Out pending again; with the enhanced capability agreed, BoRR goes
// out before the re-advertisement and EoRR after its last UPDATE (both from the session's pull, so
// they are ordered with the UPDATEs). Import side: BoRR from the peer marks its routes of the
// family stale, EoRR (or kStaleTimeout) removes those the peer did not send again. The marking is a
// background walk; prefixes the peer re-sends while it runs are remembered so that the walk does
// not mark them stale after the fact.
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
  bool borr_due = false;  // a request arrived: BoRR before the next UPDATE
  bool eorr_due = false;  // BoRR sent: EoRR once the channel is drained
  // Import side.
  bool refreshing = false;  // between the peer's BoRR and its EoRR (or the timeout)
  uint64_t generation = 0;  // bumped by every BoRR and by the session going down
  bool marking = false;     // the stale-marking walk of the last BoRR is running
  std::unordered_set<rib::OutKey, rib::OutKeyHash> fresh;  // re-sent while marking
  std::unique_ptr<boost::asio::steady_timer> timer;        // EoRR wait

  // The peer sent (prefix, path id): not stale, whatever the walk says.
  void received(const rib::Prefix& prefix, uint32_t path_id) {
    if (marking) fresh.insert(rib::OutKey{prefix, path_id});
  }
  // The session went down: nothing is due, running walks stop, timers are cancelled.
  void reset() {
    borr_due = eorr_due = refreshing = marking = false;
    ++generation;
    fresh.clear();
    if (timer) timer->cancel();
  }
};

}  // namespace rs
