// libFuzzer target for the ExaBGP text API reader of `process` health sources (what a health
// program writes on its stdout). Input: text cut into lines as Process does (CR LF stripped).
// Properties besides "no crash": an error's column lies inside the line; an accepted
// announcement, completed as Process::apply_line completes it (ORIGIN, AS_PATH, next hop self),
// packs with the export path's UpdateBuilder into UPDATEs that a BGP speaker decodes without a
// session reset (a health program must never make rsd send a message that resets its peers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_builder.hpp"
#include "rs/health/exabgp_api.hpp"

namespace wire = rs::bgp::wire;
namespace rib = rs::rib;
using rs::health::ApiCommand;

namespace {

void check_encodes(const ApiCommand& c) {
  rib::AttrBuilder b = c.attrs;
  if (c.next_hop_self) b.set_next_hop(rib::IpAddress::v4(0xc0000201));
  if (!b.has(rib::AttrType::Origin)) b.set_origin(rib::Origin::Igp);
  if (!b.has(rib::AttrType::AsPath)) b.set_present(rib::AttrType::AsPath);
  // iBGP-like to a route server client: no first-AS or next-hop-is-us rules apply.
  wire::Negotiated n;
  n.ebgp = false;
  n.local_as = n.peer_as = 65000;
  n.ipv6_unicast = true;
  n.extended_next_hop_ipv4 = true;
  n.add_path_rx_ipv4 = n.add_path_tx_ipv4 = n.add_path_rx_ipv6 = n.add_path_tx_ipv6 = true;
  std::vector<wire::Nlri> v[2];
  for (const auto& r : c.routes) v[r.prefix.is_v4() ? 0 : 1].push_back({r.prefix, r.path_id});
  wire::UpdateBuilder builder(n);
  builder.set_attributes(b);
  std::vector<uint8_t> out;
  for (int f = 0; f < 2; ++f) {
    std::span<const wire::Nlri> rest(v[f]);
    while (!rest.empty()) {
      const std::size_t k = builder.announce(f ? rib::Family::Ipv6 : rib::Family::Ipv4, rest, out);
      if (k == 0) break;  // not sendable (no usable next hop, too large): never sent
      rest = rest.subspan(k);
    }
  }
  wire::Framer framer(wire::Bytes(out), wire::HeaderLimits::from(n));
  wire::UpdateMessage m;
  for (auto f = framer.next(); f.status != wire::FrameStatus::NeedMore; f = framer.next()) {
    if (f.status != wire::FrameStatus::Message) std::abort();
    if (!wire::decode_update(f.body, n, m).ok()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto r = rs::health::parse_api_command(line);
    if (!r.ok()) {
      if (r.error().column > line.size() || r.error().message.empty()) std::abort();
      continue;
    }
    if (r->kind == ApiCommand::Kind::Announce) check_encodes(*r);
  }
  return 0;
}
