// bgp_blaster: N BGP speakers (feeders) on distinct loopback addresses, each connecting to one
// target (the route server under test). Every stream a step sends is encoded before the step's
// clock starts, packed into full-size UPDATEs with the project's wire::UpdateBuilder; a step then
// hands the bytes to TCP as fast as it takes them. Single thread (Boost.Asio).
//
// Control: one command per line on stdin; results are lines on stdout (times are CLOCK_MONOTONIC
// nanoseconds, comparable with bgp_sink's):
//   wait-established          -> "established FIRST_CONNECT_NS ALL_NS CONNECT_ERRORS RESETS"
//   announce [all|I]          -> "step announce T0_NS" ... "sent announce T1_NS" (all bytes in TCP)
//   withdraw-all I            -> "step withdraw T0_NS" ... "sent withdraw T1_NS"
//   flip-meds                 -> every feeder re-announces with phase 1-phase: "step flip T0_NS"
//   announce-probe            -> feeder 1 announces the probe prefix with MED 100, feeder 0 with
//                                MED 150 ("step probe-setup T0_NS")
//   probe INTERVAL_MS COUNT   -> feeder 0 flips the probe MED every INTERVAL_MS between a low one
//                                (best; flip K even gets MED (K/2) mod 50, so an edge can tell
//                                which flip it sees) and 150 (feeder 1's MED 100 wins); then
//                                "probe K T_NS NEXT_HOP MED" lines (the best path the flip makes)
//                                and "probe-done"
//   churn RATE SECONDS        -> RATE MED changes per second spread over all feeders (each toggles
//                                MED(i,j) by +med_mod on a random prefix), all encoded first:
//                                "step churn T0_NS" ... "churn-done SENT"
//   status                    -> sessions per state, connect errors
//   quit
// --announce-on-establish: each feeder sends its announcements the moment its session is up (the
// 1,000-node case: time from the first connect to convergence).
// Feeders are started in worst-first order (feeder N-1 first) and each sends its MED classes
// worst first, so the best path of a prefix moves as the feeders' streams arrive.
#include <boost/program_options.hpp>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>

#include "rib/attrs.hpp"
#include "rs/bgp/wire/update_builder.hpp"
#include "tests/tools/bgp_tool.hpp"

namespace po = boost::program_options;
using namespace rs::bench;
using rs::rib::AttrBuilder;
using rs::rib::IpAddress;

namespace {

struct Feeder {
  std::unique_ptr<Session> session;
  std::vector<uint8_t> announce[2];  // phase 0 and 1
  std::vector<uint8_t> withdraw;
};

class Blaster {
 public:
  Blaster(asio::io_context& io, Plan plan, tcp::endpoint target, uint32_t local_as, uint16_t hold)
      : io_(io),
        plan_(plan),
        target_(target),
        local_as_(local_as),
        hold_(hold),
        probe_timer_(io),
        churn_timer_(io) {
    n_.local_as = local_as;
    n_.peer_as = 0;
    n_.ebgp = true;
  }

  void encode() {
    int64_t t0 = now_ns();
    std::size_t bytes = 0, messages = 0;
    feeders_.resize(plan_.feeders);
    for (unsigned i = 0; i < plan_.feeders; ++i) {
      for (unsigned phase = 0; phase < 2; ++phase)
        encode_announce(i, phase, feeders_[i].announce[phase], messages);
      encode_withdraw(feeders_[i].withdraw, messages);
      bytes += feeders_[i].announce[0].size() + feeders_[i].announce[1].size() +
               feeders_[i].withdraw.size();
    }
    emit("encoded %zu messages %zu bytes in %.3f s\n", messages, bytes,
         static_cast<double>(now_ns() - t0) / 1e9);
  }

  void start() {
    for (unsigned i = 0; i < plan_.feeders; ++i) {
      SessionConfig c;
      c.local = feeder_address(i);
      c.target = target_;
      c.local_as = local_as_;
      c.bgp_id = c.local.v4_value();
      c.hold_time = hold_;
      Session::Handler h;
      h.on_established = [this](Session& s) {
        if (announce_on_establish_)
          feeders_[s.id()].session->send_view(feeders_[s.id()].announce[0]);
        if (in_flight_ > 0) --in_flight_;
        pump();
        check_established();
      };
      h.on_down = [](Session& s, const std::string& why) {
        emit("down feeder %u %s\n", s.id(), why.c_str());
      };
      feeders_[i].session = std::make_unique<Session>(io_, c, h, i);
      feeders_[i].session->on_tx_drained = [this](Session&) { check_drained(); };
    }
    // Connect in one burst (the 1,000-peer case measures how the daemon takes it), or at most
    // connect_batch_ at a time (so a small listen backlog does not stall the setup of a workload
    // that is timed only after every session is up).
    pump();
  }

  void pump() {
    while (next_start_ < feeders_.size() && (connect_batch_ == 0 || in_flight_ < connect_batch_)) {
      ++in_flight_;
      feeders_[next_start_++].session->start_active();
    }
  }

  void command(const std::string& line) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd.empty()) return;
    if (cmd == "quit") {
      io_.stop();
    } else if (cmd == "status") {
      unsigned by_state[6] = {};
      unsigned errors = 0;
      for (auto& f : feeders_) {
        ++by_state[static_cast<int>(f.session->state())];
        errors += f.session->connect_errors();
      }
      emit(
          "status idle %u connecting %u opensent %u openconfirm %u established %u down %u "
          "connect-errors %u\n",
          by_state[0], by_state[1], by_state[2], by_state[3], by_state[4], by_state[5], errors);
    } else if (cmd == "wait-established") {
      want_established_ = true;
      check_established();
    } else if (cmd == "announce") {
      std::string who = "all";
      in >> who;
      begin_step("announce");
      for (unsigned k = 0; k < plan_.feeders; ++k) {
        unsigned i = plan_.feeders - 1 - k;  // worst first
        if (who == "all" || std::to_string(i) == who)
          feeders_[i].session->send_view(feeders_[i].announce[phase_]);
      }
    } else if (cmd == "withdraw-all") {
      unsigned i = 0;
      in >> i;
      if (i >= plan_.feeders) return emit("error bad feeder\n");
      begin_step("withdraw");
      feeders_[i].session->send_view(feeders_[i].withdraw);
    } else if (cmd == "flip-meds") {
      phase_ ^= 1;
      begin_step("flip");
      for (unsigned k = 0; k < plan_.feeders; ++k) {
        unsigned i = plan_.feeders - 1 - k;
        feeders_[i].session->send_view(feeders_[i].announce[phase_]);
      }
    } else if (cmd == "announce-probe") {
      if (plan_.feeders < 2) return emit("error probe needs 2 feeders\n");
      begin_step("probe-setup");
      feeders_[1].session->send_owned(probe_update(1, 100));
      feeders_[0].session->send_owned(probe_update(0, 150));
    } else if (cmd == "probe") {
      int interval = 10, count = 100;
      in >> interval >> count;
      probe_msgs_.clear();
      for (uint32_t med = 0; med < kProbeIds; ++med) probe_msgs_.push_back(probe_update(0, med));
      probe_msgs_.push_back(probe_update(0, 150));
      probe_log_.clear();
      probe_interval_ = std::chrono::milliseconds(interval);
      probe_left_ = count;
      probe_k_ = 0;
      probe_timer_.expires_after(probe_interval_);
      probe_timer_.async_wait([this](const boost::system::error_code& e) { probe_tick(e); });
    } else if (cmd == "churn") {
      double rate = 5000, seconds = 10;
      in >> rate >> seconds;
      start_churn(rate, seconds);
    } else {
      emit("error unknown command %s\n", cmd.c_str());
    }
  }

 private:
  AttrBuilder attrs(unsigned i, uint32_t med) const {
    AttrBuilder a;
    a.set_origin(rs::rib::Origin::Igp);
    a.as_path.segments.push_back({rs::rib::AsSegmentType::Sequence, {local_as_}});
    a.set_present(rs::rib::AttrType::AsPath);
    a.set_next_hop(feeder_address(i));
    a.set_med(med);
    return a;
  }

  // Groups the plan's prefixes by the MED feeder i gives them, worst MED first, and packs each
  // group into as few UPDATEs as 4,096 bytes allow.
  void encode_announce(unsigned i, unsigned phase, std::vector<uint8_t>& out,
                       std::size_t& messages) {
    std::vector<std::vector<wire::Nlri>> by_med(plan_.med_mod);
    for (uint32_t j = 0; j < plan_.prefixes; ++j)
      by_med[plan_.med(i, j, phase) - 100].push_back({plan_.prefix(j), 0});
    wire::UpdateBuilder b(n_);
    for (unsigned k = plan_.med_mod; k-- > 0;) {
      auto& v = by_med[k];
      if (v.empty()) continue;
      b.set_attributes(attrs(i, 100 + k));
      std::span<const wire::Nlri> rest(v);
      while (!rest.empty()) {
        std::size_t took = b.announce(rs::rib::Family::Ipv4, rest, out);
        if (took == 0) std::abort();
        rest = rest.subspan(took);
        ++messages;
      }
    }
  }

  void encode_withdraw(std::vector<uint8_t>& out, std::size_t& messages) {
    std::vector<wire::Nlri> all;
    for (uint32_t j = 0; j < plan_.prefixes; ++j) all.push_back({plan_.prefix(j), 0});
    wire::UpdateBuilder b(n_);
    std::span<const wire::Nlri> rest(all);
    while (!rest.empty()) {
      std::size_t took = b.withdraw(rs::rib::Family::Ipv4, rest, out);
      if (took == 0) std::abort();
      rest = rest.subspan(took);
      ++messages;
    }
  }

  std::vector<uint8_t> one_update(unsigned i, const rs::rib::Prefix& p, uint32_t med) const {
    std::vector<uint8_t> out;
    wire::UpdateBuilder b(n_);
    b.set_attributes(attrs(i, med));
    wire::Nlri nl{p, 0};
    (void)b.announce(rs::rib::Family::Ipv4, std::span<const wire::Nlri>(&nl, 1), out);
    return out;
  }
  std::vector<uint8_t> probe_update(unsigned i, uint32_t med) const {
    return one_update(i, plan_.probe_prefix(), med);
  }

  void begin_step(const char* name) {
    step_name_ = name;
    step_pending_ = true;
    emit("step %s %lld\n", name, static_cast<long long>(now_ns()));
  }

  void check_drained() {
    if (!step_pending_) return;
    for (auto& f : feeders_)
      if (!f.session->idle_tx()) return;
    step_pending_ = false;
    emit("sent %s %lld\n", step_name_.c_str(), static_cast<long long>(now_ns()));
  }

  void check_established() {
    if (!want_established_) return;
    int64_t first = INT64_MAX, last = 0;
    unsigned errors = 0, resets = 0;
    for (auto& f : feeders_) {
      if (!f.session->established()) return;
      first = std::min(first, f.session->connect_started_ns());
      last = std::max(last, f.session->established_ns());
      errors += f.session->connect_errors();
      resets += f.session->resets();
    }
    want_established_ = false;
    emit("established %lld %lld %u %u\n", static_cast<long long>(first),
         static_cast<long long>(last), errors, resets);
  }

  void probe_tick(const boost::system::error_code& e) {
    if (e) return;
    unsigned k = probe_k_++;
    int64_t t = now_ns();
    // Even flips make feeder 0 best (MED (k/2) mod 50), odd ones feeder 1 (feeder 0 at 150 > 100).
    const bool even = k % 2 == 0;
    const uint32_t med = even ? (k / 2) % kProbeIds : 100;
    feeders_[0].session->send_view(probe_msgs_[even ? med : kProbeIds]);
    probe_log_.push_back(
        {t, even ? feeder_address(0).v4_value() : feeder_address(1).v4_value(), med});
    if (--probe_left_ > 0) {
      probe_timer_.expires_at(probe_timer_.expiry() + probe_interval_);
      probe_timer_.async_wait([this](const boost::system::error_code& e2) { probe_tick(e2); });
      return;
    }
    // The log (thousands of lines, and the reader that wakes up for them) waits 100 ms, until the
    // last flip has reached the edges: it would compete with the route server for the CPU.
    probe_timer_.expires_after(std::chrono::milliseconds(100));
    probe_timer_.async_wait([this](const boost::system::error_code& e2) {
      if (e2) return;
      for (std::size_t q = 0; q < probe_log_.size(); ++q)
        emit("probe %zu %lld %s %u\n", q, static_cast<long long>(probe_log_[q].t),
             format_v4(probe_log_[q].nh).c_str(), probe_log_[q].med);
      emit("probe-done\n");
    });
  }

  void start_churn(double rate, double seconds) {
    std::size_t total = static_cast<std::size_t>(rate * seconds);
    churn_msgs_.clear();
    churn_msgs_.reserve(total);
    if (churn_state_.empty()) churn_state_.assign(std::size_t{plan_.feeders} * plan_.prefixes, 0);
    std::mt19937_64 rng(42 + churn_round_++);
    for (std::size_t q = 0; q < total; ++q) {
      unsigned i = static_cast<unsigned>(rng() % plan_.feeders);
      uint32_t j = static_cast<uint32_t>(rng() % plan_.prefixes);
      auto& st = churn_state_[std::size_t{i} * plan_.prefixes + j];
      st ^= 1;
      uint32_t med = plan_.med(i, j, phase_) + (st ? plan_.med_mod : 0);
      churn_msgs_.push_back({i, one_update(i, plan_.prefix(j), med)});
    }
    churn_sent_ = 0;
    churn_rate_ = rate;
    begin_step("churn");
    churn_start_ = std::chrono::steady_clock::now();
    churn_timer_.expires_after(std::chrono::milliseconds(1));
    churn_timer_.async_wait([this](const boost::system::error_code& e) { churn_tick(e); });
  }

  void churn_tick(const boost::system::error_code& e) {
    if (e) return;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - churn_start_).count();
    std::size_t due = std::min(churn_msgs_.size(), static_cast<std::size_t>(elapsed * churn_rate_));
    for (; churn_sent_ < due; ++churn_sent_) {
      auto& m = churn_msgs_[churn_sent_];
      feeders_[m.first].session->send_view(m.second);
    }
    if (churn_sent_ < churn_msgs_.size()) {
      churn_timer_.expires_at(churn_timer_.expiry() + std::chrono::milliseconds(1));
      churn_timer_.async_wait([this](const boost::system::error_code& e2) { churn_tick(e2); });
      return;
    }
    emit("churn-done %zu\n", churn_sent_);
  }

 public:
  bool announce_on_establish_ = false;
  unsigned connect_batch_ = 0;
  std::size_t next_start_ = 0;
  unsigned in_flight_ = 0;

 private:
  asio::io_context& io_;
  Plan plan_;
  tcp::endpoint target_;
  uint32_t local_as_;
  uint16_t hold_;
  wire::Negotiated n_;
  std::vector<Feeder> feeders_;
  unsigned phase_ = 0;
  bool want_established_ = false;
  bool step_pending_ = false;
  std::string step_name_;

  asio::steady_timer probe_timer_;
  std::chrono::milliseconds probe_interval_{10};
  int probe_left_ = 0;
  unsigned probe_k_ = 0;
  static constexpr uint32_t kProbeIds = 50;
  std::vector<std::vector<uint8_t>> probe_msgs_;  // MED 0..49, then 150
  struct ProbeSent {
    int64_t t;
    uint32_t nh, med;  // the best path the flip makes (feeder 1's is MED 100)
  };
  std::vector<ProbeSent> probe_log_;

  asio::steady_timer churn_timer_;
  std::vector<std::pair<unsigned, std::vector<uint8_t>>> churn_msgs_;
  std::vector<uint8_t> churn_state_;
  std::size_t churn_sent_ = 0;
  double churn_rate_ = 0;
  unsigned churn_round_ = 0;
  std::chrono::steady_clock::time_point churn_start_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.10:1790", base = "16.0.0.0", probe = "15.0.0.0";
  Plan plan;
  unsigned length = 24;
  uint32_t local_as = 65001;
  unsigned hold = 90;
  po::options_description d("bgp_blaster options");
  d.add_options()("help,h", "this help")("target", po::value(&target)->default_value(target),
                                         "ADDRESS:PORT of the route server")(
      "feeders", po::value(&plan.feeders)->default_value(plan.feeders), "speakers")(
      "prefixes", po::value(&plan.prefixes)->default_value(plan.prefixes), "prefixes per feeder")(
      "length", po::value(&length)->default_value(length), "prefix length")(
      "base", po::value(&base)->default_value(base), "first prefix")(
      "probe", po::value(&probe)->default_value(probe), "probe prefix (W4)")(
      "med-mod", po::value(&plan.med_mod)->default_value(plan.med_mod),
      "MED of feeder i for prefix j: 100 + ((i + j) mod this)")(
      "local-as", po::value(&local_as)->default_value(local_as), "AS of every feeder")(
      "hold", po::value(&hold)->default_value(hold), "hold time offered")(
      "announce-on-establish", "each feeder sends its announcements as soon as it is Established")(
      "connect-batch", po::value<unsigned>()->default_value(0),
      "at most this many connects in progress (0: all at once)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bgp_blaster: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::ostringstream o;
    o << d;
    std::printf("%s", o.str().c_str());
    return 0;
  }
  auto colon = target.rfind(':');
  if (colon == std::string::npos || length < 8 || length > 32 || plan.med_mod == 0) {
    std::fprintf(stderr, "bgp_blaster: bad --target/--length/--med-mod\n");
    return 2;
  }
  plan.length = static_cast<uint8_t>(length);
  plan.base = parse_v4(base);
  plan.probe = parse_v4(probe);
  tcp::endpoint ep(asio::ip::make_address(target.substr(0, colon)),
                   static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));

  asio::io_context io;
  Blaster b(io, plan, ep, local_as, static_cast<uint16_t>(hold));
  b.announce_on_establish_ = vm.count("announce-on-establish") > 0;
  b.connect_batch_ = vm["connect-batch"].as<unsigned>();
  b.encode();  // before any clock starts
  b.start();
  CommandReader cmds(io, [&](const std::string& l) { b.command(l); });
  cmds.start();
  io.run();
  return 0;
}
