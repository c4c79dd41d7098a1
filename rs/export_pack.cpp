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

bool pack_updates(ExportMember& m, const wire::Negotiated& n, std::vector<uint8_t>& out,
                  std::size_t budget, PackCounters& counters) {
  const std::size_t start = out.size();
  auto room = [&] { return out.size() - start < budget; };
  wire::UpdateBuilder builder(n);
  std::vector<rib::OutKey> keys;
  std::vector<wire::Nlri> nlri;
  const rib::Family families[] = {rib::Family::Ipv4, rib::Family::Ipv6};

  for (rib::Family f : families) {
    while (room()) {
      keys.clear();
      if (m.out.take_withdrawals(f, kTakeMax, keys) == 0) break;
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
  for (rib::Family f : families) {
    while (room()) {
      keys.clear();
      rib::AttrRef attrs;
      if (!m.out.take_bucket(f, kTakeMax, attrs, keys)) break;
      if (m.self_next_hop) {
        const rib::IpAddress& self = f == rib::Family::Ipv4 ? m.self_v4 : m.self_v6;
        builder.set_attributes(*attrs, self);
      } else {
        builder.set_attributes(*attrs);
      }
      to_nlri(keys, nlri);
      std::span<const wire::Nlri> rest(nlri);
      while (!rest.empty()) {
        std::size_t used = builder.announce(f, rest, out);
        if (used == 0) {  // these attributes cannot be sent in one message
          counters.unsendable += rest.size();
          break;
        }
        rest = rest.subspan(used);
        ++counters.updates;
        counters.prefixes_announced += used;
      }
    }
  }
  if (!m.walking && m.end_of_rib_due && !m.out.has_pending() && room()) {
    if (m.ipv4) wire::encode_end_of_rib(wire::kIpv4Unicast, out);
    if (m.ipv6) wire::encode_end_of_rib(wire::kIpv6Unicast, out);
    m.end_of_rib_due = false;
  }
  return m.out.has_pending() || m.walking || m.end_of_rib_due;
}

}  // namespace rs
