// RouteServer::memory(): the sum of the structures' own accounting (each computed from its
// capacities with glibc's block overhead, rib/memory.hpp), for `show memory` and the metrics.
#include <malloc.h>

#include "rib/memory.hpp"
#include "rs/route_server.hpp"

namespace rs {

namespace {
constexpr std::size_t kTrimAfter = 50000;  // journal entries exported since the last trim
constexpr std::chrono::milliseconds kTrimDelay{100};
}  // namespace

void RouteServer::after_export(std::size_t entries) {
  if (entries) last_export_ = std::chrono::steady_clock::now();
  since_trim_ += entries;
  if (since_trim_ < kTrimAfter || journal_.pending(export_cursor_) != 0) return;
  if (!trim_timer_)
    trim_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  else if (trim_armed_)
    return;
  trim_when_idle();
}

void RouteServer::trim_when_idle() {
  trim_armed_ = true;
  trim_timer_->expires_after(kTrimDelay);
  trim_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // Only in a quiet period: a trim walks the whole heap (milliseconds at a million paths), so it
    // must not land between the changes of a steady churn.
    if (!idle() || std::chrono::steady_clock::now() - last_export_ < kTrimDelay) {
      trim_when_idle();
      return;
    }
    trim_armed_ = false;
    since_trim_ = 0;
    ::malloc_trim(0);
  });
}

RouteServer::MemoryReport RouteServer::memory() const {
  MemoryReport m;
  m.rib = rib_.memory();
  m.attrs = table_.memory();
  m.journal = journal_.memory_bytes();
  for (const auto& kv : protocols_)
    for (const Channel& ch : kv.second->channels) {
      const ExportMember& em = ch.member;
      const rib::AdjRibOut::Memory out = em.out.memory();
      m.adj_rib_out += out.sent + out.pending;
      m.export_buckets += out.buckets;
      const auto& ids = em.path_ids;
      m.add_path_ids += rib::heap_block(ids.bucket_count() * sizeof(void*));
      for (const auto& e : ids) {
        // A node: next pointer, the pair, the cached hash.
        m.add_path_ids += rib::heap_block(sizeof(void*) + sizeof(e) + sizeof(std::size_t)) +
                          rib::heap_block(e.second.capacity() * sizeof(uint32_t));
      }
    }
  for (const auto& g : groups_) m.export_buckets += g->memory_bytes();
  return m;
}

}  // namespace rs
