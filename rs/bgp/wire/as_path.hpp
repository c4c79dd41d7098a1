// AS_PATH and AS4_PATH value codec (RFC 4271 4.3 b, RFC 6793 3/4.2): segments of 2- or 4-octet
// AS numbers, the RFC 6793 4.2.3 merge of AS_PATH with AS4_PATH, and the AS_TRANS mapping.
#pragma once

#include <cstdint>
#include <vector>

#include "rib/attrs.hpp"
#include "rs/bgp/wire/bytes.hpp"

namespace rs::bgp::wire {

enum class AsPathStatus : uint8_t {
  Ok,
  BadSegmentType,  // not 1..4 (RFC 7606 7.2)
  ZeroLength,      // a segment with no AS (RFC 7606 7.2)
  Overrun,         // a segment runs past the attribute, or a lone byte is left over
};

// Decodes an attribute value into `out` (cleared first, capacity reused).
[[nodiscard]] AsPathStatus decode_as_path(Bytes value, bool four_octet, rib::AsPath& out);

// Appends the value; 2-octet encoding maps AS numbers above 65535 to AS_TRANS. Segments longer
// than 255 ASes are split. With `skip_confed`, confederation segments are left out (AS4_PATH,
// RFC 6793 3).
void encode_as_path(const rib::AsPath& p, bool four_octet, std::vector<uint8_t>& out,
                    bool skip_confed = false);

// True when a 2-octet encoding loses information, i.e. AS4_PATH must accompany AS_PATH.
bool needs_as4_path(const rib::AsPath& p);

// RFC 6793 4.2.3: AS path length as the merge counts it (a set counts one, confed segments zero).
std::size_t as4_merge_length(const rib::AsPath& p);

// RFC 6793 4.2.3: keeps the leading (len(AS_PATH) - len(AS4_PATH)) ASes of `as_path` and appends
// AS4_PATH. When AS_PATH is the shorter, AS4_PATH is ignored (nothing changes). Returns whether
// AS4_PATH was used.
bool merge_as4_path(rib::AsPath& as_path, const rib::AsPath& as4_path);

}  // namespace rs::bgp::wire
