// ExaBGP text API parser. Design: the line is cut into words (brackets, parentheses and commas are
// words of their own, so `[1:2` and `[ 1:2 ]` read alike), then a recursive-descent reader walks
// selector -> verb -> family -> prefix -> attributes. Every failure is an ApiError with the column
// of the word that caused it; numbers are range-checked, so no text can crash or overflow.
// Community encodings: RFC 1997 (standard, well-known names), RFC 4360 (extended: two-octet AS,
// IPv4 and four-octet AS specific, route target 0x02 and route origin 0x03), RFC 5575 (flowspec
// redirect 0x8008), RFC 4761 (Layer2 info 0x800a), RFC 8092 (large).
#include "rs/health/exabgp_api.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace rs::health {

namespace {

struct Word {
  std::string_view text;
  std::size_t col = 0;
};

std::vector<Word> split_words(std::string_view line) {
  std::vector<Word> out;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '[' || c == ']' || c == '(' || c == ')' || c == ',') {
      out.push_back({line.substr(i, 1), i});
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < line.size() &&
           std::string_view(" \t\r\n[](),").find(line[j]) == std::string_view::npos)
      ++j;
    out.push_back({line.substr(i, j - i), i});
    i = j;
  }
  return out;
}

template <class T>
std::optional<T> to_uint(std::string_view s, T max = std::numeric_limits<T>::max()) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return static_cast<T>(v);
}

std::vector<std::string_view> split_colon(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ':') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

std::optional<uint32_t> ipv4_u32(std::string_view s) {
  auto ip = rib::IpAddress::parse(s);
  if (!ip || !ip->is_v4()) return std::nullopt;
  return ip->v4_value();
}

std::optional<rib::Community> parse_community(std::string_view s) {
  if (s == "no-export") return 0xFFFFFF01u;
  if (s == "no-advertise") return 0xFFFFFF02u;
  if (s == "no-export-subconfed") return 0xFFFFFF03u;
  if (s == "nopeer") return 0xFFFFFF04u;
  if (s == "blackhole") return 0xFFFF029Au;
  auto parts = split_colon(s);
  if (parts.size() == 1) return to_uint<uint32_t>(s);
  if (parts.size() != 2) return std::nullopt;
  auto hi = to_uint<uint32_t>(parts[0], 0xFFFF);
  auto lo = to_uint<uint32_t>(parts[1], 0xFFFF);
  if (!hi || !lo) return std::nullopt;
  return *hi << 16 | *lo;
}

std::optional<rib::LargeCommunity> parse_large(std::string_view s) {
  auto parts = split_colon(s);
  if (parts.size() != 3) return std::nullopt;
  auto a = to_uint<uint32_t>(parts[0]), b = to_uint<uint32_t>(parts[1]),
       c = to_uint<uint32_t>(parts[2]);
  if (!a || !b || !c) return std::nullopt;
  return rib::LargeCommunity{*a, *b, *c};
}

class Reader {
 public:
  explicit Reader(std::string_view line) : line_(line), words_(split_words(line)) {}

  Result<ApiCommand, ApiError> run() {
    if (words_.empty()) return fail("empty command");
    if (!selector()) return Err(error_);
    if (at_end()) return fail("a command expected after the neighbor selector");
    const Word verb = next();
    if (verb.text == "announce")
      cmd_.kind = ApiCommand::Kind::Announce;
    else if (verb.text == "withdraw")
      cmd_.kind = ApiCommand::Kind::Withdraw;
    else if (verb.text == "version" || verb.text == "shutdown" || verb.text == "reload" ||
             verb.text == "restart" || verb.text == "flush" || verb.text == "clear" ||
             verb.text == "show" || verb.text == "help" || verb.text == "enable-ack" ||
             verb.text == "disable-ack" || verb.text == "silence-ack")
      return ignored();
    else
      return fail_at(
          verb, "unknown command '" + std::string(verb.text) + "' (expected announce or withdraw)");
    if (at_end()) return fail("'route', 'attributes', 'eor' or a family expected");
    const Word what = next();
    if (what.text == "route") {
      if (!one_route()) return Err(error_);
    } else if (what.text == "ipv4" || what.text == "ipv6") {
      if (at_end() || peek().text != "unicast")
        return fail_at(at_end() ? what : peek(), "only the unicast family is carried");
      next();
      if (!one_route(what.text == "ipv4" ? rib::Family::Ipv4 : rib::Family::Ipv6))
        return Err(error_);
    } else if (what.text == "attributes") {
      if (!attributes(true)) return Err(error_);
      if (cmd_.routes.empty()) return fail("'nlri' with at least one prefix expected");
    } else if (what.text == "eor") {
      if (cmd_.kind != ApiCommand::Kind::Announce)
        return fail_at(what, "'withdraw eor' is not a command");
      cmd_.kind = ApiCommand::Kind::EndOfRib;
      cmd_.eor_family = rib::Family::Ipv4;
      if (!at_end()) {
        const Word afi = next();
        if (afi.text != "ipv4" && afi.text != "ipv6")
          return fail_at(afi, "'ipv4' or 'ipv6' expected");
        if (at_end() || peek().text != "unicast")
          return fail_at(at_end() ? afi : peek(), "only the unicast family is carried");
        next();
        cmd_.eor_family = afi.text == "ipv4" ? rib::Family::Ipv4 : rib::Family::Ipv6;
      }
      if (!at_end()) return fail_at(peek(), "unexpected '" + std::string(peek().text) + "'");
      return std::move(cmd_);
    } else if (what.text == "route-refresh" || what.text == "operational" ||
               what.text == "watchdog") {
      return ignored();
    } else {
      return fail_at(what, "'route', 'attributes', 'eor' or 'ipv4|ipv6 unicast' expected, got '" +
                               std::string(what.text) + "'");
    }
    if (cmd_.kind == ApiCommand::Kind::Announce && !cmd_.next_hop_self &&
        !cmd_.attrs.has(rib::AttrType::NextHop))
      return fail("an announcement needs 'next-hop IP' or 'next-hop self'");
    return std::move(cmd_);
  }

  const ApiError& error() const { return error_; }

 private:
  bool at_end() const { return pos_ >= words_.size(); }
  const Word& peek() const { return words_[pos_]; }
  Word next() { return words_[pos_++]; }

  Result<ApiCommand, ApiError> ignored() {
    cmd_.kind = ApiCommand::Kind::Ignored;
    return std::move(cmd_);
  }
  bool set_error(std::size_t col, std::string msg) {
    error_ = ApiError{std::move(msg), col};
    return false;
  }
  Err<ApiError> fail(std::string msg) {
    set_error(line_.size(), std::move(msg));
    return Err(error_);
  }
  Err<ApiError> fail_at(const Word& w, std::string msg) {
    set_error(w.col, std::move(msg));
    return Err(error_);
  }
  bool bad(const Word& w, std::string msg) { return set_error(w.col, std::move(msg)); }
  bool missing(std::string what) {
    return set_error(line_.size(), what + " expected at the end of the line");
  }

  // neighbor IP [local-ip IP] [local-as N] [peer-as N] [router-id IP] [family-allowed X] [, ...]
  bool selector() {
    while (!at_end() && peek().text == "neighbor") {
      next();
      if (at_end()) return missing("a neighbor address");
      const Word a = next();
      auto ip = rib::IpAddress::parse(a.text);
      if (!ip) return bad(a, "'" + std::string(a.text) + "' is not a neighbor address");
      cmd_.neighbors.push_back(*ip);
      while (!at_end()) {
        const auto t = peek().text;
        if (t == "local-ip" || t == "local-as" || t == "peer-as" || t == "router-id" ||
            t == "family-allowed") {
          next();
          if (at_end()) return missing("a value for '" + std::string(t) + "'");
          next();
        } else {
          break;
        }
      }
      if (!at_end() && peek().text == ",") next();
    }
    return true;
  }

  std::optional<rib::Prefix> prefix(const Word& w) {
    std::string text(w.text);
    if (text.find('/') == std::string::npos) {
      auto ip = rib::IpAddress::parse(text);
      if (!ip) return std::nullopt;
      text += ip->is_v4() ? "/32" : "/128";
    }
    return rib::Prefix::parse(text, true);
  }

  bool one_route(std::optional<rib::Family> family = std::nullopt) {
    if (at_end()) return missing("a prefix");
    const Word w = next();
    auto p = prefix(w);
    if (!p) return bad(w, "'" + std::string(w.text) + "' is not a prefix");
    if (family && p->family() != *family) return bad(w, "prefix family does not match the command");
    cmd_.routes.push_back({*p, 0});
    if (!attributes(false)) return false;
    for (auto& r : cmd_.routes) r.path_id = path_id_;
    return true;
  }

  // A bracketed list, or a single value; calls f for each word.
  template <class F>
  bool list(const Word& kw, F&& f) {
    if (at_end()) return missing("a value for '" + std::string(kw.text) + "'");
    if (peek().text != "[") return f(next());
    next();
    while (true) {
      if (at_end()) return missing("']'");
      const Word w = next();
      if (w.text == "]") return true;
      if (!f(w)) return false;
    }
  }

  bool number_u32(const Word& kw, uint32_t& out) {
    if (at_end()) return missing("a number for '" + std::string(kw.text) + "'");
    const Word w = next();
    auto n = to_uint<uint32_t>(w.text);
    if (!n) return bad(w, "'" + std::string(w.text) + "' is not a number 0-4294967295");
    out = *n;
    return true;
  }

  bool as_path() {
    rib::AsPath path;
    rib::AsPathSegment seq{rib::AsSegmentType::Sequence, {}};
    bool in_set = false;
    rib::AsPathSegment set{rib::AsSegmentType::Set, {}};
    const Word kw = words_[pos_ - 1];
    auto flush_seq = [&] {
      if (!seq.asns.empty()) path.segments.push_back(std::move(seq));
      seq = {rib::AsSegmentType::Sequence, {}};
    };
    bool ok = list(kw, [&](const Word& w) {
      if (w.text == "(") {
        if (in_set) return bad(w, "nested '(' in as-path");
        flush_seq();
        in_set = true;
        return true;
      }
      if (w.text == ")") {
        if (!in_set) return bad(w, "')' without '('");
        in_set = false;
        if (!set.asns.empty()) path.segments.push_back(std::move(set));
        set = {rib::AsSegmentType::Set, {}};
        return true;
      }
      auto n = to_uint<uint32_t>(w.text);
      if (!n) return bad(w, "'" + std::string(w.text) + "' is not an AS number");
      (in_set ? set : seq).asns.push_back(*n);
      return true;
    });
    if (!ok) return false;
    if (in_set) return missing("')'");
    flush_seq();
    cmd_.attrs.as_path = std::move(path);
    cmd_.attrs.set_present(rib::AttrType::AsPath);
    return true;
  }

  bool raw_attribute(const Word& kw) {
    std::vector<Word> parts;
    if (!list(kw, [&](const Word& w) {
          parts.push_back(w);
          return true;
        }))
      return false;
    if (parts.size() != 3) return bad(kw, "attribute needs [0xTYPE 0xFLAGS 0xVALUE]");
    auto type = to_uint<uint32_t>(parts[0].text, 255);
    auto flags = to_uint<uint32_t>(parts[1].text, 255);
    if (!type) return bad(parts[0], "bad attribute type");
    if (!flags) return bad(parts[1], "bad attribute flags");
    std::string_view hex = parts[2].text;
    if (hex.size() < 2 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') || hex.size() % 2)
      return bad(parts[2], "attribute value must be 0x followed by an even number of hex digits");
    rib::RawAttribute a;
    a.type = static_cast<uint8_t>(*type);
    a.flags = static_cast<uint8_t>(*flags);
    for (std::size_t i = 2; i < hex.size(); i += 2) {
      auto b = to_uint<uint32_t>(std::string("0x") + std::string(hex.substr(i, 2)), 255);
      if (!b) return bad(parts[2], "bad hex digit in attribute value");
      a.value.push_back(static_cast<uint8_t>(*b));
    }
    auto& v = cmd_.attrs.unknown.values;
    v.insert(std::upper_bound(v.begin(), v.end(), a,
                              [](const auto& x, const auto& y) { return x.type < y.type; }),
             a);
    return true;
  }

  bool attributes(bool allow_nlri) {
    using rib::AttrType;
    auto& a = cmd_.attrs;
    while (!at_end()) {
      const Word kw = next();
      const auto k = kw.text;
      if (k == "next-hop") {
        if (at_end()) return missing("an address or 'self' for 'next-hop'");
        const Word w = next();
        if (w.text == "self") {
          cmd_.next_hop_self = true;
          a.clear(AttrType::NextHop);
          continue;
        }
        auto ip = rib::IpAddress::parse(w.text);
        if (!ip) return bad(w, "'" + std::string(w.text) + "' is not a next-hop address");
        cmd_.next_hop_self = false;
        a.set_next_hop(*ip);
      } else if (k == "med" || k == "metric") {
        uint32_t v;
        if (!number_u32(kw, v)) return false;
        a.set_med(v);
      } else if (k == "local-preference") {
        uint32_t v;
        if (!number_u32(kw, v)) return false;
        a.set_local_pref(v);
      } else if (k == "origin") {
        if (at_end()) return missing("igp, egp or incomplete");
        const Word w = next();
        if (w.text == "igp" || w.text == "IGP")
          a.set_origin(rib::Origin::Igp);
        else if (w.text == "egp" || w.text == "EGP")
          a.set_origin(rib::Origin::Egp);
        else if (w.text == "incomplete" || w.text == "INCOMPLETE")
          a.set_origin(rib::Origin::Incomplete);
        else
          return bad(w, "origin must be igp, egp or incomplete, not '" + std::string(w.text) + "'");
      } else if (k == "as-path") {
        if (!as_path()) return false;
      } else if (k == "community" || k == "communities") {
        a.communities.values.clear();
        if (!list(kw, [&](const Word& w) {
              auto c = parse_community(w.text);
              if (!c) return bad(w, "'" + std::string(w.text) + "' is not a community (ASN:VALUE)");
              a.communities.values.push_back(*c);
              return true;
            }))
          return false;
        a.set_present(AttrType::Communities);
      } else if (k == "large-community" || k == "large-communities") {
        a.large_communities.values.clear();
        if (!list(kw, [&](const Word& w) {
              auto c = parse_large(w.text);
              if (!c)
                return bad(w, "'" + std::string(w.text) + "' is not a large community (A:B:C)");
              a.large_communities.values.push_back(*c);
              return true;
            }))
          return false;
        a.set_present(AttrType::LargeCommunities);
      } else if (k == "extended-community" || k == "extended-communities") {
        a.ext_communities.values.clear();
        if (!list(kw, [&](const Word& w) {
              auto c = parse_ext_community(w.text);
              if (!c) return bad(w, "'" + std::string(w.text) + "' is not an extended community");
              a.ext_communities.values.push_back(*c);
              return true;
            }))
          return false;
        a.set_present(AttrType::ExtCommunities);
      } else if (k == "path-information") {
        if (at_end()) return missing("a path identifier");
        const Word w = next();
        auto v = (w.text.find('.') != std::string_view::npos) ? ipv4_u32(w.text)
                                                              : to_uint<uint32_t>(w.text);
        if (!v) return bad(w, "'" + std::string(w.text) + "' is not a path identifier");
        path_id_ = *v;
      } else if (k == "atomic-aggregate") {
        a.set_present(AttrType::AtomicAggregate);
      } else if (k == "aggregator") {
        if (at_end()) return missing("ASN:IP for 'aggregator'");
        bool paren = peek().text == "(";
        if (paren) next();
        if (at_end()) return missing("ASN:IP for 'aggregator'");
        const Word w = next();
        auto parts = split_colon(w.text);
        std::optional<uint32_t> asn, ip;
        if (parts.size() == 2) asn = to_uint<uint32_t>(parts[0]), ip = ipv4_u32(parts[1]);
        if (!asn || !ip) return bad(w, "aggregator must be ASN:IPv4");
        if (paren) {
          if (at_end() || peek().text != ")") return missing("')'");
          next();
        }
        a.aggregator = rib::Aggregator{*asn, *ip};
        a.set_present(AttrType::Aggregator);
      } else if (k == "originator-id") {
        if (at_end()) return missing("an IPv4 address");
        const Word w = next();
        auto ip = ipv4_u32(w.text);
        if (!ip) return bad(w, "originator-id must be an IPv4 address");
        a.originator_id = *ip;
        a.set_present(AttrType::OriginatorId);
      } else if (k == "cluster-list") {
        a.cluster_list.values.clear();
        if (!list(kw, [&](const Word& w) {
              auto ip = (w.text.find('.') != std::string_view::npos) ? ipv4_u32(w.text)
                                                                     : to_uint<uint32_t>(w.text);
              if (!ip) return bad(w, "'" + std::string(w.text) + "' is not a cluster id");
              a.cluster_list.values.push_back(*ip);
              return true;
            }))
          return false;
        a.set_present(AttrType::ClusterList);
      } else if (k == "attribute") {
        if (!raw_attribute(kw)) return false;
      } else if (k == "split" || k == "watchdog" || k == "name") {
        if (at_end()) return missing("a value for '" + std::string(k) + "'");
        next();
      } else if (k == "withdraw") {
        // "withdraw" as an attribute keyword marks a route kept withdrawn under a watchdog.
      } else if (k == "nlri" && allow_nlri) {
        if (at_end()) return missing("a prefix after 'nlri'");
        while (!at_end()) {
          const Word w = next();
          auto p = prefix(w);
          if (!p) return bad(w, "'" + std::string(w.text) + "' is not a prefix");
          cmd_.routes.push_back({*p, 0});
        }
        for (auto& r : cmd_.routes) r.path_id = path_id_;
      } else if (k == "rd" || k == "route-distinguisher" || k == "label" || k == "bgp-prefix-sid" ||
                 k == "esi" || k == "mac") {
        return bad(
            kw, "'" + std::string(k) + "' belongs to a family rsd does not carry (unicast only)");
      } else {
        return bad(kw, "unknown attribute '" + std::string(k) + "'");
      }
    }
    return true;
  }

  std::string_view line_;
  std::vector<Word> words_;
  std::size_t pos_ = 0;
  ApiCommand cmd_;
  ApiError error_;
  uint32_t path_id_ = 0;
};

}  // namespace

std::optional<rib::ExtCommunity> parse_ext_community(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    return to_uint<uint64_t>(text);
  auto parts = split_colon(text);
  if (parts.empty()) return std::nullopt;
  const auto kind = parts[0];
  if (kind == "l2info" && parts.size() == 5) {
    auto enc = to_uint<uint64_t>(parts[1], 255), ctl = to_uint<uint64_t>(parts[2], 255);
    auto mtu = to_uint<uint64_t>(parts[3], 0xFFFF), res = to_uint<uint64_t>(parts[4], 0xFFFF);
    if (!enc || !ctl || !mtu || !res) return std::nullopt;
    return 0x800Aull << 48 | *enc << 40 | *ctl << 32 | *mtu << 16 | *res;
  }
  if (parts.size() != 3) return std::nullopt;
  uint64_t subtype = 0;
  if (kind == "target")
    subtype = 0x02;
  else if (kind == "origin")
    subtype = 0x03;
  else if (kind == "redirect")
    subtype = 0x08;
  else
    return std::nullopt;
  const auto ga = parts[1], la = parts[2];
  if (kind == "redirect") {  // RFC 5575 7: 0x8008, two-octet AS + 4-octet value
    auto as = to_uint<uint64_t>(ga, 0xFFFF);
    auto v = to_uint<uint64_t>(la, 0xFFFFFFFF);
    if (!as || !v) return std::nullopt;
    return 0x8008ull << 48 | *as << 32 | *v;
  }
  if ((ga.find('.') != std::string_view::npos)) {  // RFC 4360 3.2: IPv4 address specific, type 0x01
    auto ip = ipv4_u32(ga);
    auto v = to_uint<uint64_t>(la, 0xFFFF);
    if (!ip || !v) return std::nullopt;
    return 0x01ull << 56 | subtype << 48 | uint64_t{*ip} << 16 | *v;
  }
  auto as = to_uint<uint64_t>(ga, 0xFFFFFFFF);
  if (!as) return std::nullopt;
  std::optional<uint64_t> v = (la.find('.') != std::string_view::npos)
                                  ? std::optional<uint64_t>(ipv4_u32(la))
                                  : to_uint<uint64_t>(la, 0xFFFFFFFF);
  if (!v) return std::nullopt;
  if (*as > 0xFFFF) {  // RFC 5668: four-octet AS specific, type 0x02, 2-octet value
    if (*v > 0xFFFF) return std::nullopt;
    return 0x02ull << 56 | subtype << 48 | *as << 16 | *v;
  }
  return subtype << 48 | *as << 32 | *v;  // RFC 4360 3.1: two-octet AS specific, type 0x00
}

Result<ApiCommand, ApiError> parse_api_command(std::string_view line) {
  Reader r(line);
  return r.run();
}

}  // namespace rs::health
