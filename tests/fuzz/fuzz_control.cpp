// libFuzzer target for the control socket's command reader: what a birdc / rsc client sends, one
// line. The grammar runs alone first (cli::tokenize, parse_command, complete, expand: the parser
// the daemon and rsc share), then the line runs as a restricted session's command against a
// RouteServer built once from a small configuration (static IPv4 and IPv6 routes, a filter, a
// disabled BGP peer, no socket opened): the `show` commands, `show route ... where EXPR` compiling
// the expression, `eval` refused. Restricted, because the other commands change the daemon (or
// read files) and would make runs depend on each other. Properties besides "no crash": every reply
// is framed (code lines, the last one ending the reply) and produced in a bounded number of slices;
// every other input runs in JSON mode (`json on`), where the 1040 lines must hold one JSON
// document.
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "cli/reply.hpp"
#include "conf/parser.hpp"
#include "rs/control/commands.hpp"
#include "rs/route_server.hpp"

namespace {

constexpr const char* kConfig = R"(
router id 192.0.2.1;
filter high_med { if bgp_med > 5 then accept; reject; }
protocol static st4 {
  ipv4;
  route 203.0.113.0/24 via 192.0.2.2 { bgp_med = 10; bgp_community.add((65000, 1)); accept; };
  route 198.51.100.0/24 via 192.0.2.3;
  route 10.1.0.0/16 via 192.0.2.3;
}
protocol static st6 { ipv6; route 2001:db8::/32 via 2001:db8::1; route 2001:db8:1::/48 via 2001:db8::2; }
protocol bgp peer1 {
  local 127.0.0.1 port 0 as 65000;
  neighbor 127.0.0.2 as 65001;
  passive;
  disabled;
  ipv4 { import all; export filter high_med; };
  ipv6 { import none; export all; };
}
)";

struct Daemon {
  boost::asio::io_context io;
  std::shared_ptr<const rs::conf::Config> config;
  std::unique_ptr<rs::RouteServer> server;
  std::unique_ptr<rs::control::Commands> commands;

  Daemon() {
    rs::conf::LoadResult r = rs::conf::load_string(kConfig, "fuzz.conf");
    if (!r.ok()) std::abort();
    config = std::make_shared<const rs::conf::Config>(std::move(r.config));
    server = std::make_unique<rs::RouteServer>(io, config);
    if (!server->start().empty()) std::abort();
    for (int i = 0; i < 1000 && !server->idle(); ++i) io.poll();
    commands = std::make_unique<rs::control::Commands>(
        rs::control::ControlContext{io, *server, "fuzz.conf", config});
  }
};

void check_reply(const std::string& text) {
  // BIRD's framing: "NNNN-text" / " text" continuation lines, and the last "NNNN text".
  if (text.empty() || text.back() != '\n') std::abort();
  const std::size_t last = text.rfind('\n', text.size() - 2);
  const std::string_view end(text.data() + (last == std::string::npos ? 0 : last + 1),
                             text.size() - (last == std::string::npos ? 0 : last + 1));
  if (end.size() < 5 || end[4] != ' ') std::abort();
  for (int i = 0; i < 4; ++i)
    if (end[i] < '0' || end[i] > '9') std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  line = line.substr(0, line.find('\n'));

  (void)rs::cli::tokenize(line);
  const rs::cli::ParseResult p = rs::cli::parse_command(line);
  if (!p.command && p.error.empty()) std::abort();
  (void)rs::cli::complete(line);
  const std::string expanded = rs::cli::expand(line);
  if (p.command) {
    // The expanded form (what the history and the command log record) is the same command.
    const rs::cli::ParseResult again = rs::cli::parse_command(expanded);
    if (!again.command || again.command->spec != p.command->spec ||
        again.command->options != p.command->options ||
        again.command->positional != p.command->positional)
      std::abort();
  }

  static Daemon d;
  rs::control::SessionState session;
  session.restricted = true;
  session.json = size % 2 == 1;
  auto out = d.commands->execute(line, session);
  std::string text;
  for (int slices = 0;; ++slices) {
    if (slices > 10000) std::abort();
    rs::cli::ReplyWriter w;
    const bool more = out->next(w, 512);
    const std::string slice = w.take();
    text += slice;
    if (!more) break;
    bool woken = false;
    if (slice.empty() && out->wait([&woken] { woken = true; }))
      for (int i = 0; i < 1000 && !woken; ++i) d.io.poll();
  }
  check_reply(text);
  if (session.json) {
    rs::cli::ReplyParser parser;
    parser.feed(text);
    std::string doc;
    while (auto l = parser.next()) {
      if (l->last) break;
      if (l->code != rs::cli::code::kJson) std::abort();
      doc += l->text + "\n";
    }
    if (!nlohmann::json::accept(doc)) std::abort();
  }
  d.io.poll();
  return 0;
}
