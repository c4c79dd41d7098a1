// RouteServer::memory(): the sum of the structures' own accounting (each computed from its
// capacities with glibc's block overhead, rib/memory.hpp), for `show memory` and the metrics.
#include "rib/memory.hpp"
#include "rs/route_server.hpp"

namespace rs {

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
  m.export_buckets += exporter_.groups_memory();
  return m;
}

}  // namespace rs
