// ExportSource: where an established session pulls its UPDATEs from. The route server hands each
// Peer the export state of its protocol's channels (rs::ProtocolExport); the session asks it
// directly whenever its socket has room, without going through the Peer or the route server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rs::bgp {

class ExportSource {
 public:
  virtual ~ExportSource() = default;
  // Appends whole messages (UPDATEs, and the ROUTE-REFRESH markers of RFC 7313 that must be
  // ordered with them) to `out`, about `budget` bytes; true when more remains. Only reads and
  // updates export state: it never calls back into the session, so a pull cannot re-enter one.
  virtual bool fill(std::vector<uint8_t>& out, std::size_t budget) = 0;
};

}  // namespace rs::bgp
