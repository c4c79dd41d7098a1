// bgp_sink: E edge routers. Connects E BGP sessions to the route server (or, with --listen,
// accepts any number: the "blast straight into the sink" check), decodes every UPDATE with the
// project's codec, and keeps per edge and per prefix of the plan: the current next hop and MED,
// the number of NLRI received and the last arrival time. It knows the plan (tests/tools/
// bgp_tool.hpp) and so which feeder must be best for every prefix given the feeders still alive
// and the MED phase; it reports the moment the condition holds.
//
// Control (stdin lines; times CLOCK_MONOTONIC ns of the read that completed the condition):
//   wait-established        -> "established ALL_NS"
//   wait TAG                -> "converged TAG T_NS" once every edge holds every prefix with the
//                              expected next hop (the best feeder's address)
//   wait-count TAG          -> "converged TAG T_NS" once every session holds every prefix (any next
//                              hop; --listen mode, where each feeder is its own session)
//   dead I / alive I        -> feeder I withdrew / came back (changes the expectation)
//   phase P                 -> MED phase (bgp_blaster's flip-meds)
//   counters                -> "counters E UPDATES ANNOUNCED WITHDRAWN" per session, then
//   "counters-end" reset-counters status                  -> "status E PRESENT CORRECT" per
//   session, then "status-end"
//   probe-dump              -> "probe E T_NS NEXT_HOP MED" for every change of the probe prefix's
//                              next hop or MED, then "probe-end"
//   quit
#include <boost/program_options.hpp>
#include <cstdio>
#include <memory>
#include <sstream>

#include "rs/bgp/wire/update.hpp"
#include "tests/tools/bgp_tool.hpp"

namespace po = boost::program_options;
using namespace rs::bench;

namespace {

struct Edge {
  std::unique_ptr<Session> session;
  std::vector<uint32_t> next_hop;  // 0: absent
  std::vector<uint32_t> med;
  std::vector<uint32_t> nlri_count;
  std::vector<int64_t> arrival;
  uint32_t present = 0;
  uint32_t correct = 0;
  uint64_t updates = 0, announced = 0, withdrawn = 0;
  uint32_t probe_nh = 0, probe_med = 0;
  struct ProbeSeen {
    int64_t t;
    uint32_t nh, med;
  };
  std::vector<ProbeSeen> probe_log;
  wire::UpdateMessage msg;
};

class Sink {
 public:
  Sink(asio::io_context& io, Plan plan) : io_(io), plan_(plan), alive_(plan.feeders, true) {
    n_.local_as = 0;
    n_.ebgp = true;
    n_.enforce_first_as = false;  // a route server does not prepend its AS (RFC 7947 2.2.2.1)
    expected_.resize(plan_.prefixes);
    recompute_expected();
  }

  void connect(tcp::endpoint target, unsigned edges, uint32_t first_as) {
    for (unsigned e = 0; e < edges; ++e) {
      SessionConfig c;
      c.local = edge_address(e);
      c.target = target;
      c.local_as = first_as + e;
      c.bgp_id = c.local.v4_value();
      add(c)->start_active();
    }
  }

  void listen(tcp::endpoint ep, uint32_t local_as) {
    acceptor_ = std::make_unique<tcp::acceptor>(io_);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(tcp::acceptor::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen(4096);
    listen_as_ = local_as;
    accept();
  }

  void command(const std::string& line) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd.empty()) return;
    if (cmd == "quit") {
      io_.stop();
    } else if (cmd == "wait-established") {
      want_established_ = true;
      check_established();
    } else if (cmd == "wait" || cmd == "wait-count") {
      in >> wait_tag_;
      wait_any_nh_ = cmd == "wait-count";
      waiting_ = true;
      check(now_ns());
    } else if (cmd == "dead" || cmd == "alive") {
      unsigned i = 0;
      in >> i;
      if (i < alive_.size()) alive_[i] = cmd == "alive";
      recompute_expected();
    } else if (cmd == "phase") {
      in >> phase_;
      recompute_expected();
    } else if (cmd == "counters") {
      for (std::size_t e = 0; e < edges_.size(); ++e)
        emit("counters %zu %llu %llu %llu\n", e, (unsigned long long)edges_[e]->updates,
             (unsigned long long)edges_[e]->announced, (unsigned long long)edges_[e]->withdrawn);
      emit("counters-end\n");
    } else if (cmd == "reset-counters") {
      for (auto& e : edges_) e->updates = e->announced = e->withdrawn = 0;
    } else if (cmd == "status") {
      for (std::size_t e = 0; e < edges_.size(); ++e)
        emit("status %zu %u %u\n", e, edges_[e]->present, edges_[e]->correct);
      emit("status-end\n");
    } else if (cmd == "probe-dump") {
      for (std::size_t e = 0; e < edges_.size(); ++e)
        for (const auto& r : edges_[e]->probe_log)
          emit("probe %zu %lld %s %u\n", e, static_cast<long long>(r.t), format_v4(r.nh).c_str(),
               r.med);
      for (auto& e : edges_) e->probe_log.clear();
      emit("probe-end\n");
    } else {
      emit("error unknown command %s\n", cmd.c_str());
    }
  }

 private:
  Session* add(const SessionConfig& c) {
    auto e = std::make_unique<Edge>();
    e->next_hop.assign(plan_.prefixes, 0);
    e->med.assign(plan_.prefixes, 0);
    e->nlri_count.assign(plan_.prefixes, 0);
    e->arrival.assign(plan_.prefixes, 0);
    Edge* ep = e.get();
    Session::Handler h;
    h.on_established = [this](Session&) { check_established(); };
    h.on_update = [this, ep](Session&, Bytes body, int64_t t) { on_update(*ep, body, t); };
    h.on_down = [](Session& s, const std::string& why) {
      emit("down edge %u %s\n", s.id(), why.c_str());
    };
    e->session = std::make_unique<Session>(io_, c, h, static_cast<unsigned>(edges_.size()));
    edges_.push_back(std::move(e));
    return ep->session.get();
  }

  void accept() {
    acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      SessionConfig c;
      c.local_as = listen_as_;
      c.bgp_id = 0x0A000000u + static_cast<uint32_t>(edges_.size()) + 1;
      add(c)->start_passive(std::move(s));
      accept();
    });
  }

  void recompute_expected() {
    for (uint32_t j = 0; j < plan_.prefixes; ++j) {
      uint32_t best = 0, best_med = UINT32_MAX;
      for (unsigned i = 0; i < plan_.feeders; ++i) {
        if (!alive_[i]) continue;
        uint32_t m = plan_.med(i, j, phase_);
        if (m < best_med) best_med = m, best = feeder_address(i).v4_value();
      }
      expected_[j] = best;  // 0 when no feeder is alive: the prefix must be absent
    }
    for (auto& e : edges_) {
      e->correct = 0;
      for (uint32_t j = 0; j < plan_.prefixes; ++j) e->correct += e->next_hop[j] == expected_[j];
    }
    if (waiting_) check(now_ns());
  }

  void set(Edge& e, uint32_t j, uint32_t nh, uint32_t med, int64_t t) {
    uint32_t old = e.next_hop[j];
    e.present += (nh != 0) - (old != 0);
    e.correct += (nh == expected_[j]) - (old == expected_[j]);
    e.next_hop[j] = nh;
    e.med[j] = med;
    ++e.nlri_count[j];
    e.arrival[j] = t;
  }

  void on_update(Edge& e, Bytes body, int64_t t) {
    ++e.updates;
    auto st = wire::decode_update(body, n_, e.msg);
    if (!st.ok()) {
      emit("error edge %u bad UPDATE: %s\n", e.session->id(), st.error().reason.c_str());
      return;
    }
    auto& m = e.msg;
    bool taw = m.treat_as_withdraw;
    for (auto& w : m.withdrawn) {
      ++e.withdrawn;
      handle(e, w.prefix, 0, 0, t);
    }
    uint32_t nh = m.attrs.next_hop.is_v4() ? m.attrs.next_hop.v4_value() : 0;
    uint32_t med = m.attrs.med;
    for (auto& a : m.nlri) {
      if (taw) {
        ++e.withdrawn;
        handle(e, a.prefix, 0, 0, t);
      } else {
        ++e.announced;
        handle(e, a.prefix, nh, med, t);
      }
    }
    if (waiting_) check(t);
  }

  void handle(Edge& e, const rs::rib::Prefix& p, uint32_t nh, uint32_t med, int64_t t) {
    int64_t j = plan_.index_of(p);
    if (j >= 0) {
      set(e, static_cast<uint32_t>(j), nh, med, t);
    } else if (p == plan_.probe_prefix()) {
      if (nh != e.probe_nh || med != e.probe_med) {
        e.probe_nh = nh;
        e.probe_med = med;
        e.probe_log.push_back({t, nh, med});
      }
    }
  }

  void check(int64_t t) {
    if (!waiting_ || edges_.empty()) return;
    for (auto& e : edges_) {
      if (wait_any_nh_ ? e->present != plan_.prefixes : e->correct != plan_.prefixes) return;
    }
    waiting_ = false;
    emit("converged %s %lld\n", wait_tag_.c_str(), static_cast<long long>(t));
  }

  void check_established() {
    if (!want_established_) return;
    int64_t last = 0;
    for (auto& e : edges_) {
      if (!e->session->established()) return;
      last = std::max(last, e->session->established_ns());
    }
    want_established_ = false;
    emit("established %lld\n", static_cast<long long>(last));
  }

  asio::io_context& io_;
  Plan plan_;
  wire::Negotiated n_;
  std::vector<bool> alive_;
  unsigned phase_ = 0;
  std::vector<uint32_t> expected_;
  std::vector<std::unique_ptr<Edge>> edges_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  uint32_t listen_as_ = 65000;
  bool want_established_ = false;
  bool waiting_ = false;
  bool wait_any_nh_ = false;
  std::string wait_tag_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.10:1790", base = "16.0.0.0", probe = "15.0.0.0", listen;
  Plan plan;
  unsigned length = 24, edges = 2;
  uint32_t first_as = 65101;
  po::options_description d("bgp_sink options");
  d.add_options()("help,h", "this help")("target", po::value(&target)->default_value(target),
                                         "ADDRESS:PORT of the route server")(
      "listen", po::value(&listen), "ADDRESS:PORT: accept sessions instead (each is an edge)")(
      "edges", po::value(&edges)->default_value(edges), "edge sessions to open")(
      "first-as", po::value(&first_as)->default_value(first_as), "AS of edge 0 (edge e: +e)")(
      "feeders", po::value(&plan.feeders)->default_value(plan.feeders), "feeders of the plan")(
      "prefixes", po::value(&plan.prefixes)->default_value(plan.prefixes), "prefixes")(
      "length", po::value(&length)->default_value(length), "prefix length")(
      "base", po::value(&base)->default_value(base), "first prefix")(
      "probe", po::value(&probe)->default_value(probe), "probe prefix (W4)")(
      "med-mod", po::value(&plan.med_mod)->default_value(plan.med_mod), "see bgp_blaster");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bgp_sink: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::ostringstream o;
    o << d;
    std::printf("%s", o.str().c_str());
    return 0;
  }
  plan.length = static_cast<uint8_t>(length);
  plan.base = parse_v4(base);
  plan.probe = parse_v4(probe);
  auto endpoint = [](const std::string& s) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "bgp_sink: expected ADDRESS:PORT, got %s\n", s.c_str());
      std::exit(2);
    }
    return tcp::endpoint(asio::ip::make_address(s.substr(0, colon)),
                         static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
  };
  asio::io_context io;
  Sink sink(io, plan);
  if (!listen.empty())
    sink.listen(endpoint(listen), 65000);
  else
    sink.connect(endpoint(target), edges, first_as);
  CommandReader cmds(io, [&](const std::string& l) { sink.command(l); });
  cmds.start();
  io.run();
  return 0;
}
