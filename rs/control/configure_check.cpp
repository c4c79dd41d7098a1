// `configure check`: BIRD only parses; rsd also says what applying the file would do, without
// applying it. Per protocol: the action of conf::diff (keep, soft reload, restart, add, remove,
// with reasons), and for each protocol whose import filter changed the routes that would change,
// found by running the new import filter over the Adj-RIB-In kept in the table - the same
// computation the soft reload does (RouteServer::reimport), so the report lists exactly the
// routes that change when the configuration is applied. Streamed like `show route`.
#include <algorithm>
#include <map>
#include <set>

#include "conf/reconfigure.hpp"
#include "filters/vm.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/json.hpp"
#include "rs/route_server.hpp"

namespace rs::control {

namespace code = cli::code;

namespace {

#ifdef NDEBUG
constexpr std::size_t kPrefixesPerSlice = 256;
#else
constexpr std::size_t kPrefixesPerSlice = 4;
#endif

class CheckOutput final : public Output {
 public:
  CheckOutput(const ControlContext& ctx, std::shared_ptr<const conf::Config> next, std::string path,
              bool json)
      : server_(ctx.server), next_(std::move(next)), path_(std::move(path)), json_(json) {
    plan_ = conf::diff(server_.config(), *next_);
    for (const auto& ch : plan_.protocols)
      if (ch.kind == conf::ProtocolKind::Bgp && ch.action == conf::ReconfigAction::SoftReload &&
          ch.reload_import)
        reimport_.insert(ch.name);
    if (!reimport_.empty()) {
      prefixes_ = server_.rib().snapshot();
      std::sort(prefixes_.begin(), prefixes_.end());
    }
  }

  bool json() const override { return json_; }

  bool next(cli::ReplyWriter& w, std::size_t budget) override {
    if (!started_ && json_) {
      // The head, the protocols' changes, then each route on a line of its own (streamed).
      started_ = true;
      Json head = json_head("configure check");
      head["code"] = code::kConfigOk;
      head["file"] = path_;
      head["changes"] = plan_.changes_anything();
      Json protocols = Json::array();
      for (const auto& ch : plan_.protocols) {
        if (ch.action == conf::ReconfigAction::Keep) continue;
        Json p;
        p["name"] = ch.name;
        p["action"] = std::string(conf::to_string(ch.action));
        p["import"] = ch.action == conf::ReconfigAction::SoftReload && ch.reload_import;
        p["export"] = ch.action == conf::ReconfigAction::SoftReload && ch.reload_export;
        p["reasons"] = ch.reasons;
        protocols.push_back(std::move(p));
      }
      head["protocols"] = std::move(protocols);
      std::string s = dump(head);
      s.pop_back();
      w.line(code::kJson, s + ",\"routes\":[");
    }
    if (!started_) {
      started_ = true;
      w.line(code::kReadingConfig, "Reading configuration from " + path_);
      for (const auto& ch : plan_.protocols) {
        if (ch.action == conf::ReconfigAction::Keep) continue;
        std::string s = ch.name + ": " + std::string(conf::to_string(ch.action));
        if (ch.action == conf::ReconfigAction::SoftReload)
          s += std::string(" (") + (ch.reload_import ? "import" : "") +
               (ch.reload_import && ch.reload_export ? " and " : "") +
               (ch.reload_export ? "export" : "") + ")";
        for (std::size_t i = 0; i < ch.reasons.size(); ++i) s += (i ? ", " : ": ") + ch.reasons[i];
        if (ch.action == conf::ReconfigAction::Restart) s += "; the session would restart";
        w.line(code::kConfigChanges, s);
      }
    }
    std::size_t n = 0;
    while (pos_ < prefixes_.size() && n < kPrefixesPerSlice && w.size() < budget) {
      const rib::Prefix& p = prefixes_[pos_++];
      ++n;
      if (const rib::Destination* d = server_.rib().find(p)) check(w, p, *d);
    }
    if (pos_ < prefixes_.size()) return true;
    if (json_) {
      Json totals = Json::array();
      for (const auto& name : reimport_) {
        const Tally& t = tally_[name];
        totals.push_back({{"protocol", name},
                          {"accepted", t.accepted},
                          {"rejected", t.rejected},
                          {"changed", t.changed}});
      }
      w.line(code::kJson, "],\"totals\":" + dump(totals) + ",\"message\":\"Configuration OK\"}");
      w.end();
      return false;
    }
    for (const auto& name : reimport_) {
      const Tally& t = tally_[name];
      w.line(code::kConfigChanges, name + ": " + std::to_string(t.accepted) +
                                       " routes would be accepted, " + std::to_string(t.rejected) +
                                       " rejected, " + std::to_string(t.changed) + " changed");
    }
    if (!plan_.changes_anything()) w.line(code::kConfigChanges, "No changes");
    w.end(code::kConfigOk, "Configuration OK");
    return false;
  }

 private:
  struct Tally {
    uint64_t accepted = 0, rejected = 0, changed = 0;
  };

  void check(cli::ReplyWriter& w, const rib::Prefix& p, const rib::Destination& d) {
    for (const auto& path : d.paths) {
      const rib::RouteSource* src = path.route.source;
      if (!src || !reimport_.count(src->name) || !path.received) continue;
      const conf::BgpProtocol* pc = next_->find_bgp(src->name);
      const conf::BgpChannel* ch = pc ? pc->channel(p.family()) : nullptr;
      bool accept = false;
      rib::AttrBuilder after;
      if (ch) {
        const auto& spec = ch->settings.import_filter;
        if (spec.kind == conf::FilterSpec::Kind::All) {
          accept = true;
          after = rib::AttrBuilder(*path.received);
        } else if (spec.kind != conf::FilterSpec::Kind::None && spec.compiled) {
          filters::RouteInfo info;
          info.net = p;
          info.from = src->neighbor_address;
          info.gw = path.received->next_hop;
          info.proto = src->name;
          info.preference = ch->settings.preference;
          filters::RunOutput out;
          accept = vm_.run(*spec.compiled, info, *path.received, out) == filters::Verdict::Accept;
          if (accept)
            after = out.modified ? std::move(out.attrs) : rib::AttrBuilder(*path.received);
        }
      }
      const bool was = !path.route.filtered();
      Tally& t = tally_[src->name];
      const char* what = nullptr;
      if (accept && !was)
        what = "accepted", ++t.accepted;
      else if (!accept && was)
        what = "rejected", ++t.rejected;
      else if (accept && was && path.route.attrs && !(after == rib::AttrBuilder(*path.route.attrs)))
        what = "changed", ++t.changed;
      if (!what) continue;
      if (json_) {
        Json r = {{"protocol", src->name}, {"prefix", p.to_string()}, {"change", what}};
        w.line(code::kJson, (json_routes_++ ? "," : "") + dump(r));
      } else {
        w.line(code::kConfigChanges, src->name + ": " + p.to_string() + " would be " + what);
      }
    }
  }

  const RouteServer& server_;
  std::shared_ptr<const conf::Config> next_;  // owns the compiled filters used here
  std::string path_;
  conf::ReconfigPlan plan_;
  std::set<std::string> reimport_;
  std::map<std::string, Tally> tally_;
  std::vector<rib::Prefix> prefixes_;
  std::size_t pos_ = 0;
  bool started_ = false;
  const bool json_;
  std::size_t json_routes_ = 0;
  filters::Vm vm_;
};

}  // namespace

std::unique_ptr<Output> check_changes(const ControlContext& ctx,
                                      std::shared_ptr<const conf::Config> next, std::string path,
                                      bool json) {
  return std::make_unique<CheckOutput>(ctx, std::move(next), std::move(path), json);
}

}  // namespace rs::control
