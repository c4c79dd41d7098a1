// AS_PATH / AS4_PATH segments (RFC 4271 4.3 b, RFC 6793 4.2). The decoder validates the structure
// the way RFC 7606 7.2 defines "malformed" (segment type, zero-length segment, overrun, a lone
// trailing byte); semantic checks (AS 0, first AS, confederations) belong to the UPDATE decoder.
#include "rs/bgp/wire/as_path.hpp"

#include <algorithm>

namespace rs::bgp::wire {

namespace {
constexpr uint32_t kAsTransValue = 23456;  // RFC 6793 9
bool is_confed(rib::AsSegmentType t) {
  return t == rib::AsSegmentType::ConfedSequence || t == rib::AsSegmentType::ConfedSet;
}
}  // namespace

AsPathStatus decode_as_path(Bytes value, bool four_octet, rib::AsPath& out) {
  out.segments.clear();
  const std::size_t as_size = four_octet ? 4 : 2;
  const uint8_t* p = value.data();
  const uint8_t* end = p + value.size();
  while (p < end) {
    if (end - p < 2) return AsPathStatus::Overrun;
    const uint8_t type = p[0];
    const std::size_t count = p[1];
    p += 2;
    if (type < 1 || type > 4) return AsPathStatus::BadSegmentType;
    if (count == 0) return AsPathStatus::ZeroLength;
    if (static_cast<std::size_t>(end - p) < count * as_size) return AsPathStatus::Overrun;
    auto& seg = out.segments.emplace_back();
    seg.type = static_cast<rib::AsSegmentType>(type);
    seg.asns.resize(count);
    if (four_octet) {
      for (std::size_t i = 0; i < count; ++i, p += 4)
        seg.asns[i] = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    } else {
      for (std::size_t i = 0; i < count; ++i, p += 2) seg.asns[i] = uint32_t{p[0]} << 8 | p[1];
    }
  }
  return AsPathStatus::Ok;
}

void encode_as_path(const rib::AsPath& path, bool four_octet, std::vector<uint8_t>& out,
                    bool skip_confed) {
  for (const auto& seg : path.segments) {
    if (skip_confed && is_confed(seg.type)) continue;
    std::size_t i = 0;
    do {
      const std::size_t n = std::min<std::size_t>(255, seg.asns.size() - i);
      out.push_back(static_cast<uint8_t>(seg.type));
      out.push_back(static_cast<uint8_t>(n));
      for (std::size_t k = 0; k < n; ++k) {
        uint32_t as = seg.asns[i + k];
        if (four_octet) {
          out.push_back(static_cast<uint8_t>(as >> 24));
          out.push_back(static_cast<uint8_t>(as >> 16));
        } else if (as > 0xFFFF) {
          as = kAsTransValue;
        }
        out.push_back(static_cast<uint8_t>(as >> 8));
        out.push_back(static_cast<uint8_t>(as));
      }
      i += n;
    } while (i < seg.asns.size());
  }
}

bool needs_as4_path(const rib::AsPath& p) {
  for (const auto& seg : p.segments)
    for (uint32_t as : seg.asns)
      if (as > 0xFFFF) return true;
  return false;
}

std::size_t as4_merge_length(const rib::AsPath& p) {
  return p.length();
}

bool merge_as4_path(rib::AsPath& as_path, const rib::AsPath& as4_path) {
  const std::size_t len = as4_merge_length(as_path);
  const std::size_t len4 = as4_merge_length(as4_path);
  if (len < len4) return false;  // RFC 6793 4.2.3: ignore AS4_PATH
  std::size_t keep = len - len4;
  // Walk the leading part of AS_PATH: sequences give up to `keep` ASes, a set counts as one,
  // confederation segments (which count zero) stay while we are still in the leading part.
  std::size_t out_segments = 0;
  bool cut = false;
  for (auto& seg : as_path.segments) {
    if (cut) break;
    if (is_confed(seg.type)) {
      ++out_segments;
      continue;
    }
    if (keep == 0) {
      cut = true;
      break;
    }
    if (seg.type == rib::AsSegmentType::Set) {
      --keep;
      ++out_segments;
      continue;
    }
    if (seg.asns.size() > keep) {
      seg.asns.resize(keep);
      keep = 0;
      ++out_segments;
      cut = true;
      break;
    }
    keep -= seg.asns.size();
    ++out_segments;
  }
  as_path.segments.resize(out_segments);
  bool first = true;  // only the junction of the two parts is joined into one sequence
  for (const auto& seg : as4_path.segments) {
    if (is_confed(seg.type)) continue;  // RFC 6793 3: not valid in AS4_PATH; dropped
    auto& segs = as_path.segments;
    const bool join = first && out_segments > 0;
    first = false;
    if (join && seg.type == rib::AsSegmentType::Sequence &&
        segs.back().type == rib::AsSegmentType::Sequence &&
        segs.back().asns.size() + seg.asns.size() <= 255) {
      segs.back().asns.insert(segs.back().asns.end(), seg.asns.begin(), seg.asns.end());
    } else {
      segs.push_back(seg);
    }
  }
  return true;
}

}  // namespace rs::bgp::wire
