// Test helpers: hex text to bytes (spaces, ':' and '…' ignored), bytes to hex, whole messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rs::test {

// `odd`, when given, is set when a digit was left over (a typo in the test's bytes).
inline std::vector<uint8_t> hex(std::string_view s, bool* odd = nullptr) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (odd) *odd = hi >= 0;
  return out;
}

inline std::string to_hex(const std::vector<uint8_t>& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

// 16 x ff, the 2-byte length (header included) and the type, then the body.
inline std::vector<uint8_t> message(uint8_t type, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> m(16, 0xff);
  std::size_t len = body.size() + 19;
  m.push_back(static_cast<uint8_t>(len >> 8));
  m.push_back(static_cast<uint8_t>(len));
  m.push_back(type);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

inline std::vector<uint8_t> message(uint8_t type, std::string_view body_hex) {
  return message(type, hex(body_hex));
}

inline std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace rs::test
