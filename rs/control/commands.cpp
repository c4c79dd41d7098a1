// Command dispatch for the control socket: parse (cli/command), enforce the restricted mode
// (BIRD's `restrict`: show commands only, 8007 otherwise), run. Replies follow BIRD 2's codes and
// layout (doc/reply_codes); rsd's own additions are documented in docs/cli.md.
#include "rs/control/commands.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>

#include "conf/parser.hpp"
#include "filters/glob.hpp"
#include "filters/parser.hpp"
#include "filters/value.hpp"
#include "rs/control/echo.hpp"
#include "rs/control/json.hpp"
#include "rs/events.hpp"
#include "rs/history/store.hpp"
#include "rs/route_server.hpp"
#include "rs/version.hpp"

namespace rs::control {

namespace code = cli::code;

bool pattern_match(std::string_view p, std::string_view s) {
  return filters::glob_match(s, p);
}

std::chrono::system_clock::time_point to_system(std::chrono::steady_clock::time_point t) {
  auto d = std::chrono::steady_clock::now() - t;
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

namespace {
// strftime plus BIRD's fraction conversion: `%Nf` is the first N (1-6) digits of the second's
// fraction, `%f` six of them.
std::string format_with_fraction(std::chrono::system_clock::time_point t, const std::string& fmt) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string expanded;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '%' && i + 1 < fmt.size()) {
      std::size_t j = i + 1;
      int digits = 6;
      if (fmt[j] >= '1' && fmt[j] <= '6' && j + 1 < fmt.size() && fmt[j + 1] == 'f')
        digits = fmt[j++] - '0';
      if (fmt[j] == 'f') {
        char b[8];
        std::snprintf(b, sizeof b, "%06d", static_cast<int>(us < 0 ? us + 1000000 : us));
        expanded.append(b, static_cast<std::size_t>(digits));
        i = j;
        continue;
      }
      expanded += fmt[i];
      expanded += fmt[++i];  // keep `%%` and every other conversion for strftime
      continue;
    }
    expanded += fmt[i];
  }
  if (expanded.empty()) return "";
  char buf[256];
  std::size_t n = std::strftime(buf, sizeof buf, expanded.c_str(), &tm);
  return std::string(buf, n);
}
}  // namespace

TimeFormatSpec default_time_format(conf::TimeFormat::Which which) {
  // BIRD 2.0.12: route and protocol times `iso short ms` (the date alone after 20 hours), base and
  // log times `iso long ms`.
  if (which == conf::TimeFormat::Which::Route || which == conf::TimeFormat::Which::Protocol)
    return {"%T.%3f", "%F", 72000};
  return {"%F %T.%3f", "", 0};
}

TimeFormatSpec time_format(const conf::Config* config, conf::TimeFormat::Which which) {
  TimeFormatSpec spec = default_time_format(which);
  if (!config) return spec;
  for (const auto& tf : config->timeformats)  // the last statement of a kind wins, as in BIRD
    if (tf.which == which) spec = {tf.format, tf.format_old, tf.limit};
  return spec;
}

std::string format_time(std::chrono::system_clock::time_point t, const TimeFormatSpec& spec) {
  auto now = std::chrono::system_clock::now();
  if (spec.limit && !spec.format_old.empty() && now - t >= std::chrono::seconds(spec.limit))
    return format_with_fraction(t, spec.format_old);
  return format_with_fraction(t, spec.format);
}

std::string format_time(std::chrono::system_clock::time_point t) {
  return format_time(t, default_time_format(conf::TimeFormat::Which::Protocol));
}

std::string format_datetime(std::chrono::system_clock::time_point t) {
  return format_time(t, default_time_format(conf::TimeFormat::Which::Base));
}

Commands::Commands(ControlContext ctx) : ctx_(std::move(ctx)), undo_timer_(ctx_.io) {}
Commands::~Commands() = default;

std::unique_ptr<Output> Commands::execute(std::string_view line, SessionState& session) {
  const bool json = session.json;  // the mode the command arrived in (`json off` answers in JSON)
  std::string path;
  std::unique_ptr<Output> out = dispatch(line, session, path);
  if (json && !out->json()) return json_envelope(std::move(path), std::move(out));
  return out;
}

std::unique_ptr<Output> Commands::dispatch(std::string_view line, SessionState& session,
                                           std::string& path) {
  std::string text(line);
  if (text.rfind("deb", 0) ==
      0)  // BIRD's `debug P { states, routes }`: the braces and commas are noise
    for (char& ch : text)
      if (ch == '{' || ch == '}' || ch == ',') ch = ' ';
  line = text;
  cli::ParseResult p = cli::parse_command(line);
  if (!p.command) return reply(code::kParseError, p.error);
  const cli::Command& c = *p.command;
  path = c.path();
  if (session.restricted && !c.spec->restricted_ok)
    return reply(code::kAccessDenied, "Access denied");
  if (ctx_.config && ctx_.config->debug_commands) spdlog::info("CLI: {}", cli::expand(line));
  if (ctx_.events && c.spec->changes_state)
    return report(cli::expand(line), run(c, session), session);
  return run(c, session);
}

std::unique_ptr<Output> Commands::report(std::string command, std::unique_ptr<Output> out,
                                         const SessionState& session) {
  // State-changing commands answer at once (TextOutput): take the whole reply for the event.
  cli::ReplyWriter w;
  (void)out->next(w, SIZE_MAX);
  events::OperatorEvent e;
  e.command = std::move(command);
  int final_code = 0;
  for (std::size_t pos = 0; pos < w.text().size();) {
    std::size_t nl = w.text().find('\n', pos);
    if (nl == std::string::npos) nl = w.text().size();
    std::string_view l(w.text().data() + pos, nl - pos);
    pos = nl + 1;
    if (l.size() >= 5 && l[4] == ' ') final_code = std::atoi(std::string(l.substr(0, 4)).c_str());
    if (l.size() >= 5 && std::isdigit(static_cast<unsigned char>(l[0])))
      l.remove_prefix(5);
    else if (!l.empty() && l[0] == ' ')
      l.remove_prefix(1);
    if (!l.empty()) e.result += (e.result.empty() ? "" : "; ") + std::string(l);
  }
  e.ok = !cli::is_error(final_code);
  e.user = session.user;
  e.uid = session.uid;
  e.pid = session.pid;
  e.socket = session.socket;
  ctx_.events->operator_command(e);
  return control::reply(std::move(w));
}

std::unique_ptr<Output> Commands::run(const cli::Command& c, SessionState& session) {
  const std::string_view path = c.path();
  const bool json = session.json;
  if (path == "show status") return show_status(json);
  if (path == "show protocols") return show_protocols(ctx_, c, json);
  if (path == "show route") return show_route(ctx_, c, json);
  if (path == "show symbols") return show_symbols(c, json);
  if (path == "show memory") return show_memory(json);
  if (path == "show health") return show_health(ctx_, c, json);
  if (path == "show services") return show_services(ctx_, json);
  if (path == "show history" || path == "show failovers") return show_history(ctx_, c, json);
  if (path == "json") {
    if (c.has("on") == c.has("off"))
      return reply(code::kParseError, "syntax error, expecting on or off");
    session.json = c.has("on");
    return reply(code::kOk, "");
  }
  if (path == "drain" || path == "undrain" || path == "maintenance" || path == "enable health" ||
      path == "disable health")
    return health_action(ctx_, c);
  if (path == "restrict") {
    session.restricted = true;
    return reply(code::kAccessRestricted, "Access restricted");
  }
  if (path == "enable" || path == "disable" || path == "restart" || path == "reload")
    return protocol_action(c);
  if (path == "configure") {
    std::optional<uint32_t> timeout;
    if (auto t = c.get("timeout"))
      timeout = t->empty() ? 300u : static_cast<uint32_t>(std::stoul(*t));
    return configure(c.positional.value_or(""), timeout);
  }
  if (path == "configure confirm") return configure_confirm();
  if (path == "configure undo") return configure_undo();
  if (path == "configure check") return configure_check(c, json);
  if (path == "eval") return eval(*c.positional);
  if (path == "echo") {
    uint32_t cls = 0;
    if (c.has("all")) cls = kEchoAll;
    static const std::pair<const char*, uint32_t> names[] = {
        {"debug", kEchoDebug},   {"trace", kEchoTrace},     {"info", kEchoInfo},
        {"remote", kEchoRemote}, {"warning", kEchoWarning}, {"error", kEchoError},
        {"auth", kEchoAuth}};
    for (const auto& [n, bit] : names)
      if (c.has(n)) cls |= bit;
    if (c.has("off")) cls = 0;
    session.echo_classes = cls;
    if (c.positional)
      session.echo_buffer = std::clamp<std::size_t>(std::stoul(*c.positional), 256, 1 << 20);
    session.echo_changed = true;
    return reply(code::kOk, "");
  }
  if (path == "debug") {
    uint32_t flags = 0;
    static const std::pair<const char*, uint32_t> names[] = {
        {"states", conf::kDebugStates},   {"routes", conf::kDebugRoutes},
        {"filters", conf::kDebugFilters}, {"interfaces", conf::kDebugInterfaces},
        {"events", conf::kDebugEvents},   {"packets", conf::kDebugPackets}};
    for (const auto& [n, bit] : names)
      if (c.has(n)) flags |= bit;
    if (c.has("all")) flags = conf::kDebugAll;
    if (c.has("off")) flags = 0;
    if (!c.positional) return reply(code::kParseError, "syntax error, expecting a protocol");
    bool any = false;
    for (const auto& p : ctx_.server.protocols()) {
      const bool match = c.positional_quoted ? pattern_match(*c.positional, p.name)
                                             : (*c.positional == "all" || *c.positional == p.name);
      if (match) any |= ctx_.server.set_debug(p.name, flags);
    }
    if (!any) return reply(code::kNoProtocolsMatch, "No protocols match");
    return reply(code::kOk, "");
  }
  if (path == "down" || path == "graceful restart") {
    const bool graceful = path != "down";
    session.close_after = true;
    if (ctx_.shutdown) {
      auto fn = ctx_.shutdown;
      boost::asio::post(ctx_.io, [fn, graceful] { fn(graceful); });
    }
    return graceful ? reply(code::kGracefulOrdered, "Graceful restart ordered")
                    : reply(code::kShutdownOrdered, "Shutdown ordered");
  }
  return reply(code::kParseError, "syntax error, unsupported command");
}

std::unique_ptr<Output> Commands::show_status(bool json) {
  const auto& cfg = ctx_.server.config();
  const std::string version = std::string("rsd ") + std::string(kVersion);
  const std::string router_id = cfg.router_id ? cfg.router_id->to_string() : "0.0.0.0";
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  const auto now = std::chrono::system_clock::now();
  const char* status = "Daemon is up and running";
  if (json) {
    Json j = json_head("show status");
    j["version"] = version;
    j["router_id"] = router_id;
    j["hostname"] = host;
    j["server_time"] = iso_time(now);
    j["last_reboot"] = iso_time(ctx_.started);
    j["last_reconfiguration"] = iso_time(ctx_.reconfigured);
    j["status"] = status;
    return json_reply(j);
  }
  cli::ReplyWriter w;
  w.line(code::kVersion, version);
  w.line(code::kUptime, "Router ID is " + router_id);
  w.line(code::kUptime, std::string("Hostname is ") + host);
  const TimeFormatSpec base = time_format(ctx_.config.get(), conf::TimeFormat::Which::Base);
  w.line(code::kUptime, "Current server time is " + format_time(now, base));
  w.line(code::kUptime, "Last reboot on " + format_time(ctx_.started, base));
  w.line(code::kUptime, "Last reconfiguration on " + format_time(ctx_.reconfigured, base));
  w.end(code::kStatus, status);
  return reply(std::move(w));
}

std::unique_ptr<Output> Commands::show_symbols(const cli::Command& c, bool json) {
  const conf::Config& cfg = ctx_.server.config();
  std::multimap<std::string, std::string> sym;  // sorted by name
  for (const auto& p : cfg.bgp) sym.emplace(p.name, "protocol");
  for (const auto& p : cfg.statics) sym.emplace(p.name, "protocol");
  for (const auto& p : cfg.devices) sym.emplace(p.name, "protocol");
  for (const auto& t : cfg.templates) sym.emplace(t.name, "template");
  for (const auto& t : cfg.tables) sym.emplace(t.name, "routing table");
  for (const auto& f : cfg.filters)
    sym.emplace(f.name, f.kind == conf::FilterDecl::Kind::Filter ? "filter" : "function");
  for (const auto& d : cfg.defines) sym.emplace(d.name, "constant");
  for (const auto& a : cfg.attributes) sym.emplace(a.name, "attribute");
  // As BIRD: protocols spawned at run time (dynamic BGP, `neighbor range`) are symbols too.
  for (const auto& v : ctx_.server.protocols())
    if (std::none_of(sym.begin(), sym.end(), [&v](const auto& e) { return e.first == v.name; }))
      sym.emplace(v.name, "protocol");
  for (const auto& h : cfg.healthchecks) sym.emplace(h.name, "healthcheck");  // rsd's own
  std::string kind_filter;
  if (c.has("roa"))
    kind_filter = "ROA table";  // rsd has no ROA tables: an empty list, as BIRD without any
  for (const char* k : {"table", "filter", "function", "protocol", "template", "constant",
                        "attribute", "healthcheck"})
    if (c.has(k)) kind_filter = std::string(k) == "table" ? "routing table" : k;
  std::vector<std::pair<std::string, std::string>> shown;
  for (const auto& [name, kind] : sym) {
    if (!kind_filter.empty() && kind != kind_filter) continue;
    if (c.positional && name != *c.positional) continue;
    shown.emplace_back(name, kind);
  }
  if (c.positional && shown.empty())
    return reply(code::kParseError, "syntax error, unknown symbol '" + *c.positional + "'");
  if (json) {
    Json j = json_head("show symbols");
    j["symbols"] = Json::array();
    for (const auto& [name, kind] : shown) j["symbols"].push_back({{"name", name}, {"kind", kind}});
    return json_reply(j);
  }
  cli::ReplyWriter w;
  for (const auto& [name, kind] : shown) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-8s\t%s", name.c_str(), kind.c_str());
    w.line(code::kSymbolList, buf);
  }
  w.end();
  return reply(std::move(w));
}

namespace {
std::string size_text(double b) {
  char buf[32];
  if (b < 1024)
    std::snprintf(buf, sizeof buf, "%6.1f  B", b);
  else if (b < 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%6.1f kB", b / 1024);
  else if (b < 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%6.1f MB", b / 1024 / 1024);
  else
    std::snprintf(buf, sizeof buf, "%6.1f GB", b / 1024 / 1024 / 1024);
  return buf;
}
}  // namespace

std::unique_ptr<Output> Commands::show_memory(bool json) {
  // Heap bytes per structure as the structures account for them (capacities plus the allocator's
  // block overhead), in BIRD's layout, then their sum and the process's resident set for
  // comparison (the difference is code, stacks, session buffers and allocator free lists).
  const RouteServer::MemoryReport m = ctx_.server.memory();
  std::size_t rss = 0;
  {
    std::ifstream f("/proc/self/statm");
    unsigned long size = 0, res = 0;
    if (f >> size >> res) rss = res * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  }
  struct Row {
    const char* key;    // the JSON member
    const char* label;  // the text line's label, padded to the value column
    std::size_t bytes;
  };
  std::vector<Row> rows = {
      {"routing_tables", "Routing tables:   ", m.rib.table + m.rib.paths},
      {"prefix_table", "  Prefix table:   ", m.rib.table},
      {"paths", "  Paths:          ", m.rib.paths},
      {"route_attributes", "Route attributes: ", m.attrs.total()},
      {"attribute_sets", "  Attribute sets: ", m.attrs.attrs},
      {"as_paths", "  AS paths:       ", m.attrs.as_paths},
      {"communities", "  Communities:    ",
       m.attrs.communities + m.attrs.ext_communities + m.attrs.large_communities},
      {"adj_rib_out", "Adj-RIB-Out:      ", m.adj_rib_out + m.add_path_ids},
      {"export_buckets", "Export buckets:   ", m.export_buckets},
      {"journal", "Journal:          ", m.journal}};
  std::size_t total = m.total();
  if (ctx_.history) {  // the history writer's queue (preallocated slots and queued text)
    const std::size_t q = ctx_.history->stats().queue_bytes;
    rows.push_back({"history_queue", "History queue:    ", q});
    total += q;
  }
  rows.push_back({"total", "Total:            ", total});
  rows.push_back({"resident", "Resident (RSS):   ", rss});
  if (json) {
    Json j = json_head("show memory");
    Json mem = Json::object();
    for (const Row& r : rows) mem[r.key] = r.bytes;
    j["memory"] = std::move(mem);
    return json_reply(j);
  }
  cli::ReplyWriter w;
  w.line(code::kMemory, "rsd memory usage");
  w.line(code::kMemory, "                  Effective");
  for (const Row& r : rows)
    w.line(code::kMemory, r.label + size_text(static_cast<double>(r.bytes)));
  w.end();
  return reply(std::move(w));
}

std::unique_ptr<Output> Commands::protocol_action(const cli::Command& c) {
  const std::string_view path = c.path();
  const std::string& arg = *c.positional;
  std::vector<std::string> names;
  std::vector<std::string> statics;
  auto wanted = [&](const std::string& name) {
    if (!c.positional_quoted) return arg == "all" || arg == name;
    return pattern_match(arg, name);
  };
  for (const auto& p : ctx_.server.protocols())
    if (wanted(p.name)) names.push_back(p.name);
  for (const auto& s : ctx_.server.config().statics)
    if (wanted(s.name)) statics.push_back(s.name);
  if (names.empty() && statics.empty()) {
    if (!c.positional_quoted && arg != "all")
      return reply(code::kParseError, "syntax error, unknown protocol '" + arg + "'");
    return reply(code::kNoProtocolsMatch, "No protocols match");
  }
  cli::ReplyWriter w;
  using R = RouteServer::OpResult;
  for (const auto& n : statics) {
    // Static protocols always run here; only enable is meaningful.
    if (path == "enable")
      w.line(code::kAlreadyEnabled, n + ": already enabled");
    else if (path == "reload")
      w.line(code::kReloading, n + ": reloading");
    else
      w.line(code::kProtocolDown, n + ": not supported for static protocols");
  }
  for (const auto& n : names) {
    if (path == "enable") {
      R r = ctx_.server.enable_protocol(n);
      if (r == R::Done)
        w.line(code::kEnabled, n + ": enabled");
      else
        w.line(code::kAlreadyEnabled, n + ": already enabled");
    } else if (path == "disable") {
      R r = ctx_.server.disable_protocol(n, c.get("message").value_or("disabled by the operator"));
      if (r == R::Done)
        w.line(code::kDisabled, n + ": disabled");
      else
        w.line(code::kAlreadyDisabled, n + ": already disabled");
    } else if (path == "restart") {
      R r = ctx_.server.restart_protocol(n, c.get("message").value_or("restarted by the operator"));
      if (r == R::Done)
        w.line(code::kRestarted, n + ": restarted");
      else
        w.line(code::kAlreadyDisabled, n + ": already disabled");
    } else {  // reload
      const bool in = c.has("in") || !c.has("out");
      const bool out = c.has("out") || !c.has("in");
      R r = ctx_.server.reload_protocol(n, in, out);
      if (r == R::Done)
        w.line(code::kReloading, n + ": reloading");
      else
        w.line(code::kAlreadyDisabled, n + ": already disabled");
    }
  }
  w.end();
  return reply(std::move(w));
}

void Commands::apply(std::shared_ptr<const conf::Config> next) {
  conf::ReconfigPlan plan = ctx_.server.reconfigure(next);
  ctx_.config = std::move(next);
  ctx_.reconfigured = std::chrono::system_clock::now();
  for (const auto& ch : plan.protocols)
    if (ch.action != conf::ReconfigAction::Keep)
      spdlog::info("reconfigure: {} {}", ch.name, conf::to_string(ch.action));
}

std::unique_ptr<Output> Commands::configure(const std::string& path,
                                            std::optional<uint32_t> timeout) {
  const std::string file = path.empty() ? ctx_.config_path : path;
  conf::LoadResult r = conf::load_file(file);
  cli::ReplyWriter w;
  w.line(code::kReadingConfig, "Reading configuration from " + file);
  if (!r.ok()) {
    const conf::Diagnostic* d = r.diagnostics.first_error();
    for (const auto& item : r.diagnostics.items()) spdlog::error("{}", item.to_string());
    w.end(code::kConfigError, d ? d->to_string() : std::string("configuration error"));
    return reply(std::move(w));
  }
  // Warnings (`user root;`, say) are reported once per load, as at startup.
  for (const auto& item : r.diagnostics.items()) spdlog::warn("{}", item.to_string());
  auto next = std::make_shared<const conf::Config>(std::move(r.config));
  if (!undo_armed_) undo_config_ = ctx_.config;  // a pending timeout keeps its older state
  if (timeout) {
    undo_armed_ = true;
    undo_timer_.expires_after(std::chrono::seconds(*timeout));
    undo_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !undo_armed_) return;
      undo_armed_ = false;
      spdlog::warn("configure timeout expired: rolling back to the previous configuration");
      if (undo_config_) apply(std::exchange(undo_config_, nullptr));
    });
    w.line(code::kUndoScheduled, "Undo scheduled in " + std::to_string(*timeout) + " s");
  } else if (undo_armed_) {
    // A plain configure during a pending timeout: BIRD keeps the timer running.
  }
  apply(std::move(next));
  w.end(code::kReconfigured, "Reconfigured");
  return reply(std::move(w));
}

std::unique_ptr<Output> Commands::configure_confirm() {
  if (!undo_armed_) return reply(code::kNothingToDo, "Nothing to do");
  undo_armed_ = false;
  undo_timer_.cancel();
  return reply(code::kReconfigConfirmed, "Reconfiguration confirmed");
}

std::unique_ptr<Output> Commands::configure_undo() {
  if (!undo_config_) return reply(code::kNothingToDo, "Nothing to do");
  undo_armed_ = false;
  undo_timer_.cancel();
  cli::ReplyWriter w;
  w.line(code::kUndoRequested, "Undo requested");
  apply(std::exchange(undo_config_, nullptr));
  w.end(code::kReconfigured, "Reconfigured");
  return reply(std::move(w));
}

std::unique_ptr<Output> Commands::configure_check(const cli::Command& c, bool json) {
  const std::string file = c.positional.value_or(ctx_.config_path);
  conf::LoadResult r = conf::load_file(file);
  if (!r.ok()) {
    cli::ReplyWriter w;
    w.line(code::kReadingConfig, "Reading configuration from " + file);
    const conf::Diagnostic* d = r.diagnostics.first_error();
    w.end(code::kConfigError, d ? d->to_string() : std::string("configuration error"));
    return reply(std::move(w));
  }
  std::size_t limit = 100;
  if (c.has("all")) limit = 0;
  if (auto l = c.get("limit"); l && !l->empty())
    limit = l->size() > 9 ? 0 : std::stoul(*l);  // more than the table holds: every one
  return check_changes(ctx_, std::make_shared<const conf::Config>(std::move(r.config)), file, json,
                       limit);
}

std::unique_ptr<Output> Commands::eval(const std::string& expr) {
  conf::Diagnostics diags;
  conf::TokenStream ts =
      conf::tokenize_string(expr, "eval", diags, conf::LexOptions{.allow_include = false});
  const conf::Config& cfg = ctx_.server.config();
  std::optional<filters::Value> v;
  if (!diags.has_errors() && cfg.symbols) {
    v = filters::parse_constant(ts, *cfg.symbols, diags);
    if (v && !ts.at_end()) diags.error(ts.peek().loc, "unexpected " + ts.peek().describe());
  }
  if (diags.has_errors() || !v) {
    const conf::Diagnostic* d = diags.first_error();
    return reply(code::kParseError,
                 "syntax error, " + (d ? d->message : std::string("not a constant expression")));
  }
  return reply(code::kEvaluation, filters::format(*v));
}

}  // namespace rs::control
