// pack_updates: AdjRibOut's pull interface -> wire::UpdateBuilder messages.
#include "rs/export_pack.hpp"

#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_builder.hpp"

namespace rs {

namespace wire = bgp::wire;

namespace {
constexpr std::size_t kTakeMax = 2048;  // keys taken per step (more than one message holds)

void to_nlri(const std::vector<rib::OutKey>& keys, std::vector<wire::Nlri>& nlri) {
  nlri.clear();
  for (const auto& k : keys) nlri.push_back({k.prefix, k.path_id});
}
}  // namespace

bool pack_updates(std::span<ExportMember* const> members, const wire::Negotiated& n,
                  std::vector<uint8_t>& out, std::size_t budget, PackCounters& counters,
                  UnsendableFn on_unsendable, void* ctx) {
  const std::size_t start = out.size();
  auto room = [&] { return out.size() - start < budget; };
  wire::UpdateBuilder builder(n);
  std::vector<rib::OutKey> keys;
  std::vector<wire::Nlri> nlri;

  auto withdrawals = [&] {
    for (ExportMember* m : members) {
      const rib::Family f = m->family;
      while (room()) {
        keys.clear();
        if (m->out.take_withdrawals(f, kTakeMax, keys) == 0) break;
        to_nlri(keys, nlri);
        std::span<const wire::Nlri> rest(nlri);
        while (!rest.empty()) {
          std::size_t used = builder.withdraw(f, rest, out);
          if (used == 0) break;
          rest = rest.subspan(used);
          ++counters.updates;
          counters.prefixes_withdrawn += used;
        }
      }
    }
  };
  withdrawals();
  bool dropped = false;
  for (ExportMember* m : members) {
    const rib::Family f = m->family;
    while (room()) {
      keys.clear();
      rib::AttrRef attrs;
      if (!m->out.take_bucket(f, kTakeMax, attrs, keys)) break;
      // Next hop self, or a route without a next hop of its own (a blackhole or unreachable
      // static): the session's local address of the family (or `next hop address`).
      // A next hop set by the export filter stays (export.cpp).
      if ((m->self_next_hop && !attrs->next_hop_from_filter) ||
          (attrs->next_hop.is_zero() && attrs->next_hop_link_local.is_zero()))
        builder.set_attributes(*attrs, m->self);
      else
        builder.set_attributes(*attrs);
      to_nlri(keys, nlri);
      std::span<const wire::Nlri> rest(nlri);
      while (!rest.empty()) {
        std::size_t used = builder.announce(f, rest, out);
        if (used == 0) {
          // Not encodable for this peer: it must not keep an older path for these prefixes, so
          // they become withdrawals (sent on the next pull) and are never recorded as sent.
          for (const wire::Nlri& x : rest) {
            (void)m->out.update({x.prefix, x.path_id}, rib::AttrRef());
            if (on_unsendable) on_unsendable(ctx, *m, x.prefix);
          }
          counters.unsendable += rest.size();
          dropped = true;
          break;
        }
        rest = rest.subspan(used);
        ++counters.updates;
        counters.prefixes_announced += used;
      }
    }
  }
  // What could not be sent became withdrawals: they go in this pull (a pull that leaves work but
  // writes nothing would not be asked again).
  if (dropped) withdrawals();
  bool more = false;
  for (ExportMember* m : members) {
    if (!m->walking && m->end_of_rib_due && !m->out.has_pending() && room()) {
      wire::encode_end_of_rib(wire::unicast(m->family), out);
      m->end_of_rib_due = false;
    }
    more |= m->out.has_pending() || m->walking || m->end_of_rib_due;
  }
  return more;
}

}  // namespace rs
