// `show route` in BIRD 2's layout, streamed. The command takes a sorted snapshot of the table's
// prefixes (the only O(table) memory, 32 bytes a prefix; no text is built ahead) and each slice
// formats up to kPrefixesPerSlice of them, looking each up again so that routes changed or gone
// since the snapshot are shown as they are now (or skipped). Lines:
//   1007 "PREFIX  unicast [PROTO TIME from ADDR] * (PREF) [ASn i]" and "\tvia NEXT-HOP"
//   1008 "\tType: BGP univ" and rsd's "\tDecision: ..." (why the path is best or not), with `all`
//   1012 "\tBGP.attr: value", with `all`
//   count / stats: "N of M routes for K networks in table T" and 0014 "Total: ...".
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <deque>
#include <functional>

#include "conf/lexer.hpp"
#include "filters/parser.hpp"
#include "filters/value.hpp"
#include "filters/vm.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/control/route_json.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;
using rib::Family;
using rib::Prefix;

namespace {

#ifdef NDEBUG
constexpr std::size_t kPrefixesPerSlice = 256;
#else
constexpr std::size_t kPrefixesPerSlice = 4;  // debug builds exercise the resume path
#endif

std::string origin_text(rib::Origin o) {
  switch (o) {
    case rib::Origin::Igp:
      return "IGP";
    case rib::Origin::Egp:
      return "EGP";
    case rib::Origin::Incomplete:
      return "Incomplete";
  }
  return "?";
}

char origin_char(rib::Origin o) {
  switch (o) {
    case rib::Origin::Igp:
      return 'i';
    case rib::Origin::Egp:
      return 'e';
    case rib::Origin::Incomplete:
      return '?';
  }
  return '?';
}

enum class Mode : uint8_t { Table, Export, PreExport, NoExport };

class RouteOutput final : public Output {
 public:
  RouteOutput(const ControlContext& ctx, bool json)
      : server_(ctx.server),
        json_(json),
        time_format_(time_format(&ctx.server.config(), conf::TimeFormat::Which::Route)) {}

  // Resolves the options; an error reply on failure.
  std::unique_ptr<Output> setup(const cli::Command& c) {
    all_ = c.has("all");
    count_ = c.has("count");
    stats_ = c.has("stats");
    primary_ = c.has("primary");
    filtered_ = c.has("filtered");
    if (count_ && stats_)
      return reply(code::kParseError, "syntax error, 'count' and 'stats' exclude each other");
    if (c.has("filter") && c.has("where"))
      return reply(code::kParseError, "syntax error, 'filter' and 'where' exclude each other");
    const conf::Config& cfg = server_.config();
    families_ = {Family::Ipv4, Family::Ipv6};
    if (auto t = c.get("table")) {
      const conf::TableDecl* td = cfg.find_table(*t);
      if (!td) return reply(code::kParseError, "syntax error, unknown table '" + *t + "'");
      families_ = {td->family};
      table_named_ = true;
    }
    auto known_protocol = [&](const std::string& n) {
      for (const auto& v : server_.protocols())
        if (v.name == n) return true;
      for (const auto& s : cfg.statics)
        if (s.name == n) return true;
      return false;
    };
    int modes = 0;
    for (auto [kw, m] : {std::pair{"export", Mode::Export},
                         {"preexport", Mode::PreExport},
                         {"noexport", Mode::NoExport}}) {
      if (auto p = c.get(kw)) {
        ++modes;
        mode_ = m;
        peer_ = *p;
        if (!server_.peer(peer_))
          return reply(code::kParseError, "syntax error, '" + peer_ + "' is not a BGP protocol");
      }
    }
    if (modes > 1)
      return reply(code::kParseError, "syntax error, only one of export, preexport, noexport");
    if (auto p = c.get("protocol")) {
      proto_ = *p;
      if (!known_protocol(proto_))
        return reply(code::kParseError, "syntax error, unknown protocol '" + proto_ + "'");
    }
    if (auto f = c.get("filter")) {
      filter_ = cfg.symbols ? cfg.symbols->filter(*f) : nullptr;
      if (!filter_) return reply(code::kParseError, "syntax error, unknown filter '" + *f + "'");
    }
    if (auto e = c.get("where")) {
      conf::Diagnostics diags;
      conf::TokenStream ts =
          conf::tokenize_string(*e, "where", diags, conf::LexOptions{.allow_include = false});
      if (!diags.has_errors() && cfg.symbols) {
        filter_ = filters::parse_where(ts, *cfg.symbols, diags);
        if (filter_ && !ts.at_end())
          diags.error(ts.peek().loc, "unexpected " + ts.peek().describe());
      }
      if (diags.has_errors() || !filter_) {
        const conf::Diagnostic* d = diags.first_error();
        return reply(code::kParseError,
                     "syntax error, " + (d ? d->message : std::string("bad expression")));
      }
    }
    if (filter_) vm_ = std::make_unique<filters::Vm>();

    const rib::LocRib& rib = server_.rib();
    std::optional<std::string> target = c.get("for");
    if (!target && c.positional) target = c.positional;
    if (target) {
      auto p = Prefix::parse(*target, true);
      if (!p)
        return reply(code::kParseError,
                     "syntax error, '" + *target + "' is not a prefix or an address");
      single_ = true;
      families_ = {p->family()};
      if (c.get("for")) {
        // Longest match covering the address or prefix.
        for (int len = p->length(); len >= 0; --len) {
          Prefix q(p->address(), static_cast<uint8_t>(len));
          if (rib.find(q)) {
            prefixes_.push_back(q);
            break;
          }
        }
      } else if (rib.find(*p)) {
        prefixes_.push_back(*p);
      }
      if (prefixes_.empty()) return reply(code::kRouteNotFound, "Network not found");
      sorted_until_ = prefixes_.size();  // one prefix: nothing to sort
    } else {
      snapshot_due_ = true;  // taken when a walk slot is free (next())
    }
    return nullptr;
  }

  ~RouteOutput() override { release(); }

  bool json() const override { return json_; }

  bool next(cli::ReplyWriter& w, std::size_t budget) override {
    if (json_ && !json_started_) {
      // The document's head; each route follows on a line of its own, the counts at the end.
      json_started_ = true;
      std::string head = dump(json_head("show route"));
      head.pop_back();
      w.line(code::kJson, head + ",\"routes\":[");
    }
    if (snapshot_due_) {
      if (!holding_slot_) {
        if (slots().active >= kMaxWalks) return true;  // blocked: wait() queues us for a slot
        ++slots().active;
        holding_slot_ = true;
      }
      snapshot_due_ = false;
      unordered_ = server_.rib().snapshot();
      start_.assign(2 * 65536 + 1, 0);
      build_pos_ = 0;
      building_ = 1;
      return true;  // the snapshot copy was this turn's work
    }
    if (building_ && !build_step()) return true;
    std::size_t n = 0;
    while (pos_ < prefixes_.size() && n < kPrefixesPerSlice && w.size() < budget) {
      if (pos_ == sorted_until_) sort_next_bucket();
      const Prefix& p = prefixes_[pos_++];
      ++n;
      enter(w, p.family());
      if (const rib::Destination* d = server_.rib().find(p)) show_net(w, p, *d);
    }
    if (pos_ < prefixes_.size()) return true;
    release();
    finish(w);
    return false;
  }

 private:
  struct Counter {
    uint64_t shown = 0, routes = 0, nets = 0;
  };
  // Table walks in progress hold a snapshot of the prefixes (32 bytes each, twice that while it is
  // being ordered): at most kMaxWalks at once, so many clients dumping a large table cost
  // kMaxWalks snapshots, not one per client.
  // The others wait in FIFO order and a released slot is handed straight to the first of them
  // (no polling, and a newcomer cannot overtake a waiter).
  static constexpr int kMaxWalks = 4;
  struct Slots {
    int active = 0;
    std::deque<std::pair<RouteOutput*, std::function<void()>>> waiters;
  };
  static Slots& slots() {
    static Slots s;  // the event-loop thread only
    return s;
  }

 public:
  bool wait(std::function<void()> wake) override {
    if (!snapshot_due_ || holding_slot_ || slots().active < kMaxWalks) return false;  // not blocked
    slots().waiters.emplace_back(this, std::move(wake));
    return true;
  }

 private:
  // The snapshot in BIRD's order without sorting it in one go (a million prefixes take seconds to
  // sort in a debug build, and no keepalive goes out meanwhile): a counting sort on (family, first
  // 16 address bits), run kBuildChunk prefixes a turn, puts the prefixes in buckets that are in
  // order among themselves; each bucket is sorted when the walk reaches it (sort_next_bucket()).
  // Only the copy of the table's keys (RIB::snapshot()) happens in one turn.
  static constexpr std::size_t kBuildChunk = 65536;
  static uint32_t bucket_of(const Prefix& p) {
    return (p.family() == Family::Ipv4 ? 0u : 65536u) |
           static_cast<uint32_t>(p.address().hi() >> 48);
  }
  // Counts (building_ 1), then scatters (2) kBuildChunk prefixes of unordered_ a turn; true when
  // done.
  bool build_step() {
    auto wanted = [this](const Prefix& p) {
      return std::find(families_.begin(), families_.end(), p.family()) != families_.end();
    };
    const std::size_t end = std::min(unordered_.size(), build_pos_ + kBuildChunk);
    if (building_ == 1) {
      for (; build_pos_ < end; ++build_pos_)
        if (wanted(unordered_[build_pos_])) ++start_[bucket_of(unordered_[build_pos_]) + 1];
      if (build_pos_ < unordered_.size()) return false;
      for (std::size_t i = 1; i < start_.size(); ++i) start_[i] += start_[i - 1];
      bounds_.clear();
      for (std::size_t i = 0; i + 1 < start_.size(); ++i)
        if (start_[i + 1] > start_[i]) bounds_.push_back(start_[i]);
      bounds_.push_back(start_.back());
      prefixes_.assign(start_.back(), Prefix());
      building_ = 2;
      build_pos_ = 0;
      return false;
    }
    for (; build_pos_ < end; ++build_pos_)
      if (wanted(unordered_[build_pos_]))
        prefixes_[start_[bucket_of(unordered_[build_pos_])]++] = unordered_[build_pos_];
    if (build_pos_ < unordered_.size()) return false;
    std::vector<Prefix>().swap(unordered_);
    std::vector<uint32_t>().swap(start_);
    building_ = 0;
    next_bucket_ = 0;
    sorted_until_ = 0;
    return true;
  }
  void sort_next_bucket() {
    assert(next_bucket_ + 1 < bounds_.size() && bounds_[next_bucket_] == pos_);
    sorted_until_ = bounds_[next_bucket_ + 1];
    std::sort(prefixes_.begin() + static_cast<std::ptrdiff_t>(pos_),
              prefixes_.begin() + static_cast<std::ptrdiff_t>(sorted_until_));
    ++next_bucket_;
  }

  void release() {
    Slots& s = slots();
    std::erase_if(s.waiters, [this](const auto& w) { return w.first == this; });
    if (holding_slot_) {
      holding_slot_ = false;
      if (!s.waiters.empty()) {
        auto [next, wake] = std::move(s.waiters.front());
        s.waiters.pop_front();
        next->holding_slot_ = true;  // the slot passes on; `active` is unchanged
        wake();
      } else {
        --s.active;
      }
    }
    std::vector<Prefix>().swap(prefixes_);
    std::vector<Prefix>().swap(unordered_);
    std::vector<uint32_t>().swap(start_);
    std::vector<std::size_t>().swap(bounds_);
    building_ = 0;
    pos_ = next_bucket_ = sorted_until_ = 0;
  }
  static int fi(Family f) { return f == Family::Ipv4 ? 0 : 1; }
  static const char* table_name(Family f) { return f == Family::Ipv4 ? "master4" : "master6"; }

  // Moves the section to family `f` (stats: every table in scope gets a header and a count).
  void enter(cli::ReplyWriter& w, Family f) {
    while (section_ < families_.size() && families_[section_] != f) close_section(w);
    if (section_ < families_.size() && !section_open_) {
      section_open_ = true;
      if (stats_ || (table_named_ && !count_)) header(w, f);
    }
  }

  void header(cli::ReplyWriter& w, Family f) {
    if (json_ || header_printed_[fi(f)]) return;
    if (any_header_ && !stats_) w.line(code::kRouteList, "");  // stats: close_section() did
    w.line(code::kRouteList, std::string("Table ") + table_name(f) + ":");
    header_printed_[fi(f)] = true;
    any_header_ = true;
  }

  void close_section(cli::ReplyWriter& w) {
    if (section_ >= families_.size()) return;
    const Family f = families_[section_];
    if (!section_open_ && (stats_ || (table_named_ && !count_))) header(w, f);
    if (stats_ && !json_) {
      w.line(code::kRouteList, count_line(f));
      w.line(code::kRouteList, "");
    }
    section_open_ = false;
    ++section_;
  }

  std::string count_line(Family f) const {
    const Counter& c = counters_[fi(f)];
    char buf[160];
    std::snprintf(buf, sizeof buf, "%llu of %llu routes for %llu networks in table %s",
                  (unsigned long long)c.shown, (unsigned long long)c.routes,
                  (unsigned long long)c.nets, table_name(f));
    return buf;
  }

  void finish(cli::ReplyWriter& w) {
    while (section_ < families_.size()) close_section(w);
    if (json_) {
      // Every table in scope is counted, with or without `count` / `stats`.
      Json counts = Json::array();
      Counter t;
      for (Family f : families_) {
        const Counter& c = counters_[fi(f)];
        counts.push_back({{"table", table_name(f)},
                          {"shown", c.shown},
                          {"routes", c.routes},
                          {"networks", c.nets}});
        t.shown += c.shown, t.routes += c.routes, t.nets += c.nets;
      }
      Json total = nullptr;
      if (families_.size() > 1 && !single_)
        total = {{"shown", t.shown},
                 {"routes", t.routes},
                 {"networks", t.nets},
                 {"tables", families_.size()}};
      w.line(code::kJson, "],\"counts\":" + dump(counts) + ",\"total\":" + dump(total) + "}");
      w.end();
      return;
    }
    if (count_) {
      for (Family f : families_) w.line(code::kRouteList, count_line(f));
    }
    if ((count_ || stats_) && families_.size() > 1 && !single_) {
      Counter t;
      for (const auto& c : counters_) t.shown += c.shown, t.routes += c.routes, t.nets += c.nets;
      char buf[160];
      std::snprintf(buf, sizeof buf, "Total: %llu of %llu routes for %llu networks in %zu tables",
                    (unsigned long long)t.shown, (unsigned long long)t.routes,
                    (unsigned long long)t.nets, families_.size());
      w.end(code::kRouteCount, buf);
      return;
    }
    w.end();
  }

  bool filter_accepts(const Prefix& p, const rib::Route& r, const rib::PathAttributes& a) {
    if (!filter_) return true;
    filters::RouteInfo info;
    info.net = p;
    info.from = r.source ? r.source->neighbor_address : rib::IpAddress();
    info.gw = a.next_hop;
    info.proto = r.source ? std::string_view(r.source->name) : std::string_view();
    info.source = r.source && r.source->kind == rib::SourceKind::Local ? filters::kRtsStatic
                                                                       : filters::kRtsBgp;
    info.preference = r.source ? r.preference() : 100;
    filters::RunOutput out;
    return vm_->run(*filter_, info, a, out) == filters::Verdict::Accept;
  }

  void show_net(cli::ReplyWriter& w, const Prefix& p, const rib::Destination& d) {
    Counter& cnt = counters_[fi(p.family())];
    ++cnt.nets;
    const rib::Route* best = d.best_route();
    bool first = true;
    if (mode_ != Mode::Table) {
      if (!best) return;
      ++cnt.routes;
      const rib::PathAttributes* attrs = best->attrs.get();
      if (mode_ == Mode::Export) {
        attrs = server_.exported(peer_, p);
        if (!attrs) return;
      } else {
        if (best->source && best->source->name == peer_) return;
        if (mode_ == Mode::NoExport && server_.exported(peer_, p)) return;
      }
      if (!proto_.empty() && (!best->source || best->source->name != proto_)) return;
      if (!filter_accepts(p, *best, *attrs)) return;
      ++cnt.shown;
      if (!count_) show_path(w, p, d, *best, *attrs, true, first);
      return;
    }
    // As BIRD: the best path first, then the others (in the Loc-RIB's canonical order; in
    // decision order when the table is declared `sorted`, as BIRD keeps a sorted table).
    std::vector<const rib::Path*> order;
    order.reserve(d.paths.size());
    for (const auto& path : d.paths)
      if (&path.route == best)
        order.insert(order.begin(), &path);
      else
        order.push_back(&path);
    if (order.size() > 2 && sorted_table(p.family())) {
      const rib::DecisionConfig& dc = server_.rib().config();
      auto eligible = [](const rib::Route& r) { return !r.filtered() && r.attrs; };
      std::stable_sort(order.begin() + 1, order.end(), [&](const rib::Path* a, const rib::Path* b) {
        if (eligible(a->route) != eligible(b->route)) return eligible(a->route);
        return eligible(a->route) && rib::compare(a->route, b->route, dc).order < 0;
      });
    }
    for (const rib::Path* path : order) {
      const rib::Route& r = path->route;
      if (r.filtered() != filtered_) continue;
      // Without `import keep filtered` BIRD drops rejected routes: rsd keeps them (to re-run
      // filters without a route refresh) but does not show them.
      if (r.filtered() && !(r.source && r.source->keep_filtered)) continue;
      ++cnt.routes;
      const bool is_best = &r == best;
      if (primary_ && !is_best) continue;
      if (!proto_.empty() && (!r.source || r.source->name != proto_)) continue;
      if (!r.attrs) continue;
      if (!filter_accepts(p, r, *r.attrs)) continue;
      ++cnt.shown;
      if (!count_) show_path(w, p, d, r, *r.attrs, is_best, first);
    }
  }

  // "blackhole", "unreachable" or "prohibited" (BIRD's words) for a static route of `proto`.
  const char* special_dest(const std::string& proto, const Prefix& p) const {
    for (const auto& st : server_.config().statics) {
      if (st.name != proto) continue;
      for (const auto& r : st.routes) {
        if (r.prefix != p) continue;
        switch (r.kind) {
          case conf::StaticRoute::Kind::Blackhole:
            return "blackhole";
          case conf::StaticRoute::Kind::Unreachable:
            return "unreachable";
          case conf::StaticRoute::Kind::Prohibit:
            return "prohibited";
          case conf::StaticRoute::Kind::Via:
            return "unicast";
        }
      }
    }
    return "unicast";
  }

  void show_path(cli::ReplyWriter& w, const Prefix& p, const rib::Destination& d,
                 const rib::Route& r, const rib::PathAttributes& a, bool is_best, bool& first) {
    if (!stats_) header(w, p.family());
    const rib::RouteSource* src = r.source;
    const bool bgp = src && src->kind != rib::SourceKind::Local;
    std::string proto = src ? src->name : "?";
    const auto since = to_system(server_.started_at() + std::chrono::seconds(r.since()));
    uint32_t origin_as = 0;
    if (bgp && a.as_path) origin_as = a.as_path->origin_as();
    // A static route without a next hop is one of BIRD's special destinations.
    const char* dest = "unicast";
    if (!bgp && src && a.next_hop.is_zero()) dest = special_dest(src->name, p);
    const bool unicast = std::string_view(dest) == "unicast";
    const uint32_t preference = src ? (a.has_preference ? a.preference : src->preference) : 0;
    if (json_) {
      Json j;
      j["table"] = table_name(p.family());
      j["prefix"] = p.to_string();
      j["type"] = dest;
      j["protocol"] = proto;
      j["source"] = bgp ? "bgp" : "static";
      j["since"] = iso_time(since);
      j["from"] = bgp ? Json(src->neighbor_address.to_string()) : Json(nullptr);
      j["best"] = is_best;
      j["filtered"] = r.filtered();
      j["stale"] = r.stale();
      j["preference"] = preference;
      j["origin_as"] = origin_as ? Json(origin_as) : Json(nullptr);
      j["next_hop"] = unicast ? Json(a.next_hop.to_string()) : Json(nullptr);
      if (all_) {
        const Decision dec = decision(d, r, is_best);
        j["decision"] = {{"state", dec.state},
                         {"reason", dec.reason.empty() ? Json(nullptr) : Json(dec.reason)},
                         {"lost_to", dec.lost_to.empty() ? Json(nullptr) : Json(dec.lost_to)}};
        j["attributes"] = attributes_json(a);
      }
      w.line(code::kJson, (json_routes_ ? "," : "") + dump(j));
      ++json_routes_;
      return;
    }
    std::string when = format_time(since, time_format_);
    std::string from;
    if (bgp && src->neighbor_address != a.next_hop)
      from = " from " + src->neighbor_address.to_string();
    std::string info;
    if (bgp)
      info = origin_as ? " [AS" + std::to_string(origin_as) + origin_char(a.origin) + "]"
                       : std::string(" [") + origin_char(a.origin) + "]";
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-20s %s [%s %s%s]%s (%u)%s",
                  first ? p.to_string().c_str() : "", dest, proto.c_str(), when.c_str(),
                  from.c_str(), is_best ? " *" : "", preference, info.c_str());
    first = false;
    w.line(code::kRouteList, buf);
    if (unicast) w.line(code::kRouteList, "\tvia " + a.next_hop.to_string());
    if (!all_) return;
    w.line(code::kRouteDetails, bgp ? "\tType: BGP univ" : "\tType: static univ");
    w.line(code::kRouteDetails, "\tDecision: " + decision(d, r, is_best).text());
    attributes(w, a);
  }

  // Why a path is or is not the best: `state` is "best", "not best", "filtered" or
  // "not eligible"; `reason` the deciding step, `lost_to` the best path's protocol.
  struct Decision {
    std::string state, reason, lost_to;
    bool stale = false;
    std::string text() const {
      std::string s;
      if (state == "filtered")
        s = "filtered (rejected by the import filter)";
      else if (state == "best")
        s = "best (" + reason + ")";
      else if (state == "not best")
        s = "not best (lost to " + lost_to + " on " + reason + ")";
      else
        s = state;
      if (stale) s += ", stale";
      return s;
    }
  };

  Decision decision(const rib::Destination& d, const rib::Route& r, bool is_best) const {
    Decision s;
    if (r.filtered()) {
      s.state = "filtered";
    } else if (is_best) {
      s.state = "best";
      s.reason = rib::to_string(server_.rib().reason(d));
    } else if (const rib::Route* b = d.best_route()) {
      rib::Comparison cmp = rib::compare(*b, r, server_.rib().config());
      s.state = "not best";
      s.lost_to = b->source ? b->source->name : std::string("?");
      s.reason = rib::to_string(cmp.reason);
    } else {
      s.state = "not eligible";
    }
    s.stale = r.stale();
    return s;
  }

  static void attributes(cli::ReplyWriter& w, const rib::PathAttributes& a) {
    using rib::AttrType;
    auto line = [&](const std::string& s) { w.line(code::kRouteAttributes, "\t" + s); };
    if (a.has(AttrType::Origin)) line("BGP.origin: " + origin_text(a.origin));
    line("BGP.as_path: " + (a.as_path ? a.as_path->to_string() : std::string()));
    if (a.has(AttrType::NextHop) || !a.next_hop.is_zero()) {
      std::string nh = a.next_hop.to_string();
      if (!a.next_hop_link_local.is_zero()) nh += " " + a.next_hop_link_local.to_string();
      line("BGP.next_hop: " + nh);
    }
    if (a.has(AttrType::Med)) line("BGP.med: " + std::to_string(a.med));
    if (a.has(AttrType::LocalPref)) line("BGP.local_pref: " + std::to_string(a.local_pref));
    if (a.has(AttrType::AtomicAggregate)) line("BGP.atomic_aggr:");
    if (a.has(AttrType::Aggregator))
      line("BGP.aggregator: " + rib::IpAddress::v4(a.aggregator.address).to_string() + " AS" +
           std::to_string(a.aggregator.asn));
    if (a.communities && !a.communities->empty()) {
      std::string s;
      for (uint32_t c : a.communities->values)
        s += (s.empty() ? "(" : " (") + std::to_string(c >> 16) + "," + std::to_string(c & 0xffff) +
             ")";
      line("BGP.community: " + s);
    }
    if (a.has(AttrType::OriginatorId))
      line("BGP.originator_id: " + rib::IpAddress::v4(a.originator_id).to_string());
    if (a.cluster_list && !a.cluster_list->empty()) {
      std::string s;
      for (uint32_t c : a.cluster_list->values)
        s += (s.empty() ? "" : " ") + rib::IpAddress::v4(c).to_string();
      line("BGP.cluster_list: " + s);
    }
    if (a.ext_communities && !a.ext_communities->empty()) {
      std::string s;
      for (uint64_t c : a.ext_communities->values)
        s += (s.empty() ? "" : " ") + filters::format_ec(c);
      line("BGP.ext_community: " + s);
    }
    if (a.large_communities && !a.large_communities->empty()) {
      std::string s;
      for (const auto& c : a.large_communities->values)
        s += (s.empty() ? "(" : " (") + std::to_string(c.global) + ", " + std::to_string(c.local1) +
             ", " + std::to_string(c.local2) + ")";
      line("BGP.large_community: " + s);
    }
    if (a.has(AttrType::Otc)) line("BGP.otc: " + std::to_string(a.otc));
  }

  const RouteServer& server_;
  const bool json_;  // `json on`: routes as JSON objects (json.hpp)
  bool json_started_ = false;
  std::size_t json_routes_ = 0;
  const TimeFormatSpec time_format_;  // `timeformat route`

  bool sorted_table(Family f) const {
    const conf::TableDecl* t =
        server_.config().find_table(f == Family::Ipv4 ? "master4" : "master6");
    return t && t->sorted;
  }
  bool all_ = false, count_ = false, stats_ = false, primary_ = false, filtered_ = false;
  bool single_ = false, table_named_ = false;
  Mode mode_ = Mode::Table;
  std::string peer_, proto_;
  filters::FilterRef filter_;
  std::unique_ptr<filters::Vm> vm_;
  std::vector<Family> families_;
  std::vector<Prefix> prefixes_;
  std::size_t pos_ = 0;
  std::vector<Prefix> unordered_;  // while building_: the unordered snapshot
  std::vector<uint32_t> start_;    // while building_: bucket counts, then write cursors
  std::size_t build_pos_ = 0;
  int building_ = 0;                 // 0 done, 1 counting, 2 scattering
  std::vector<std::size_t> bounds_;  // start of each non-empty bucket of prefixes_, then its size
  std::size_t next_bucket_ = 0;      // index in bounds_ of the first bucket not sorted yet
  std::size_t sorted_until_ = 0;     // prefixes_[0, sorted_until_) are in order
  bool snapshot_due_ = false;
  bool holding_slot_ = false;
  std::size_t section_ = 0;
  bool section_open_ = false;
  bool header_printed_[2] = {false, false};
  bool any_header_ = false;
  Counter counters_[2];
};

}  // namespace

std::unique_ptr<Output> show_route(const ControlContext& ctx, const cli::Command& c, bool json) {
  auto out = std::make_unique<RouteOutput>(ctx, json);
  if (auto err = out->setup(c)) return err;
  return out;
}

}  // namespace rs::control
