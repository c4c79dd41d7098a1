// The typed configuration model: what `rsd.conf` says, after parsing, template inheritance and
// defaults. No string maps: every option is a typed field.
//
// BGP and channel options exist twice:
//  - `BgpOptions` / `ChannelOptions`: every field std::optional, exactly what was written in one
//    `template bgp` or `protocol bgp` block. Inheritance (`from T`) fills the unset fields of the
//    child from its template chain (BIRD: a protocol copies its template, then applies its own
//    options; channels are merged per family).
//  - `BgpSettings` / `ChannelSettings`: the resolved values (defaults applied, dependent defaults
//    such as keepalive = hold / 3 or direct-vs-multihop computed). The daemon reads only these.
// The options of both are listed once, in the X-macro tables below (type, name, default).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conf/diagnostic.hpp"
#include "conf/lexer.hpp"
#include "conf/logging.hpp"
#include "rib/prefix.hpp"

namespace rs::filters {
class Filter;
class SymbolTable;
}  // namespace rs::filters

namespace rs::conf {

using CompiledFilter = std::shared_ptr<const filters::Filter>;

// A time as written (`240`, `100 ms`, `3 s`), kept in microseconds.
struct Duration {
  uint64_t us = 0;
  static constexpr Duration seconds(uint64_t s) { return Duration{s * 1000000}; }
  static constexpr Duration millis(uint64_t ms) { return Duration{ms * 1000}; }
  constexpr uint64_t secs() const { return us / 1000000; }
  friend constexpr bool operator==(Duration, Duration) = default;
  friend constexpr auto operator<=>(Duration, Duration) = default;
};

// A piece of filter-language source kept as tokens (a filter body, a `where` expression, a define
// value). The filter library parses it; `text()` is a canonical spelling used for equality.
struct FilterSource {
  TokenRange tokens;
  Location loc;
  // Tokens joined by single spaces (strings re-quoted): equal text <=> same source.
  std::string text() const;
  friend bool operator==(const FilterSource& a, const FilterSource& b) {
    return a.text() == b.text();
  }
};

// import / export of a channel: all | none | filter NAME | filter { ... } | where EXPR
struct FilterSpec {
  enum class Kind : uint8_t { All, None, Named, Inline, Where };
  Kind kind = Kind::All;
  std::string name;     // Named
  FilterSource source;  // Inline (the block, braces included) and Where (the expression)
  Location loc;
  CompiledFilter compiled;  // Named, Inline, Where: the program the VM runs (null for All / None)
  // Equality is on the source, not on the compiled program.
  friend bool operator==(const FilterSpec& a, const FilterSpec& b) {
    return a.kind == b.kind && a.name == b.name &&
           (a.kind == Kind::All || a.kind == Kind::None || a.kind == Kind::Named ||
            a.source == b.source);
  }
};

enum class LimitAction : uint8_t { Warn, Block, Restart, Disable };
struct Limit {
  uint32_t max = 0;
  LimitAction action = LimitAction::Disable;  // BIRD's default action
  friend bool operator==(const Limit&, const Limit&) = default;
};

enum class PeerType : uint8_t { Internal, External };
enum class GracefulRestart : uint8_t { Off, Aware, On };
enum class AddPaths : uint8_t { Off, Rx, Tx, RxTx };
// RFC 9234 roles.
enum class Role : uint8_t { Provider, RsServer, RsClient, Customer, Peer };

struct NextHop {
  enum class Mode : uint8_t { Default, Self, Keep, Address };
  Mode mode = Mode::Default;
  rib::IpAddress address;  // Address
  friend bool operator==(const NextHop&, const NextHop&) = default;
};

// type, name, default. Fields whose type is std::optional<...> have no default (unset).
#define RS_CONF_BGP_OPTIONS(X)                                     \
  X(std::string, description, std::string())                       \
  X(bool, disabled, false)                                         \
  X(uint32_t, debug, 0u)                                           \
  X(std::optional<rib::IpAddress>, router_id, std::nullopt)        \
  X(std::optional<rib::IpAddress>, local_address, std::nullopt)    \
  X(uint16_t, local_port, uint16_t{179})                           \
  X(std::optional<uint32_t>, local_as, std::nullopt)               \
  X(std::optional<rib::IpAddress>, neighbor_address, std::nullopt) \
  X(std::optional<rib::Prefix>, neighbor_range, std::nullopt)      \
  X(std::string, dynamic_name, std::string("dynbgp"))              \
  X(uint32_t, dynamic_name_digits, 0u)                             \
  X(uint16_t, neighbor_port, uint16_t{179})                        \
  X(std::optional<uint32_t>, neighbor_as, std::nullopt)            \
  X(std::optional<PeerType>, peer_type, std::nullopt)              \
  X(std::optional<std::string>, interface, std::nullopt)           \
  X(std::optional<uint32_t>, multihop, std::nullopt)               \
  X(bool, passive, false)                                          \
  X(bool, strict_bind, false)                                      \
  X(Duration, hold_time, Duration::seconds(240))                   \
  X(Duration, min_hold_time, Duration::seconds(3))                 \
  X(Duration, startup_hold_time, Duration::seconds(240))           \
  X(std::optional<Duration>, keepalive_time, std::nullopt)         \
  X(Duration, connect_delay_time, Duration::seconds(5))            \
  X(Duration, connect_retry_time, Duration::seconds(120))          \
  X(Duration, error_wait_min, Duration::seconds(60))               \
  X(Duration, error_wait_max, Duration::seconds(300))              \
  X(Duration, error_forget_time, Duration::seconds(300))           \
  X(std::optional<std::string>, password, std::nullopt)            \
  X(bool, ttl_security, false)                                     \
  X(bool, rr_client, false)                                        \
  X(std::optional<uint32_t>, rr_cluster_id, std::nullopt)          \
  X(bool, rs_client, false)                                        \
  X(NextHop, next_hop, NextHop{})                                  \
  X(bool, med_metric, false)                                       \
  X(bool, deterministic_med, false)                                \
  X(bool, prefer_older, false)                                     \
  X(uint32_t, default_bgp_med, 0u)                                 \
  X(uint32_t, default_bgp_local_pref, 100u)                        \
  X(uint32_t, allow_local_as, 0u)                                  \
  X(bool, enable_route_refresh, true)                              \
  X(bool, enable_enhanced_route_refresh, true)                     \
  X(GracefulRestart, graceful_restart, GracefulRestart::Aware)     \
  X(Duration, graceful_restart_time, Duration::seconds(120))       \
  X(AddPaths, add_paths, AddPaths::Off)                            \
  X(bool, enable_extended_messages, false)                         \
  X(bool, enable_as4, true)                                        \
  X(bool, capabilities, true)                                      \
  X(bool, advertise_hostname, false)                               \
  X(std::optional<Role>, local_role, std::nullopt)                 \
  X(bool, require_roles, false)                                    \
  X(bool, interpret_communities, true)                             \
  X(bool, enforce_first_as, false)                                 \
  X(bool, forward_unknown_attributes, false)                       \
  X(uint32_t, max_as_path_length, 255u)

#define RS_CONF_CHANNEL_OPTIONS(X)                     \
  X(std::string, table, std::string())                 \
  X(FilterSpec, import_filter, FilterSpec{})           \
  X(FilterSpec, export_filter, FilterSpec{})           \
  X(bool, import_keep_filtered, false)                 \
  X(bool, mandatory, false)                            \
  X(NextHop, next_hop, NextHop{})                      \
  X(bool, extended_next_hop, false)                    \
  X(AddPaths, add_paths, AddPaths::Off)                \
  X(bool, secondary, false)                            \
  X(bool, import_table, false)                         \
  X(bool, export_table, false)                         \
  X(uint32_t, preference, 100u)                        \
  X(std::optional<Limit>, import_limit, std::nullopt)  \
  X(std::optional<Limit>, receive_limit, std::nullopt) \
  X(std::optional<Limit>, export_limit, std::nullopt)

#define RS_CONF_DECLARE_OPTIONAL(T, name, def) std::optional<T> name;
#define RS_CONF_DECLARE_VALUE(T, name, def) T name = def;

struct BgpOptions {
  RS_CONF_BGP_OPTIONS(RS_CONF_DECLARE_OPTIONAL)
  // Fills every unset field from `parent` (template inheritance).
  void inherit(const BgpOptions& parent);
};

struct BgpSettings {
  RS_CONF_BGP_OPTIONS(RS_CONF_DECLARE_VALUE)
  friend bool operator==(const BgpSettings&, const BgpSettings&) = default;
};

struct ChannelOptions {
  RS_CONF_CHANNEL_OPTIONS(RS_CONF_DECLARE_OPTIONAL)
  void inherit(const ChannelOptions& parent);
};

struct ChannelSettings {
  RS_CONF_CHANNEL_OPTIONS(RS_CONF_DECLARE_VALUE)
  friend bool operator==(const ChannelSettings&, const ChannelSettings&) = default;
};

struct BgpChannel {
  rib::Family family = rib::Family::Ipv4;
  Location loc;
  ChannelOptions options;    // as written (merged with the template's channel of this family)
  ChannelSettings settings;  // resolved
};

// `template bgp NAME [from T] { ... }` and `protocol bgp [NAME] [from T] { ... }`.
struct BgpProtocol {
  std::string name;
  Location loc;
  std::string from;  // template name, "" if none
  bool is_template = false;
  bool incomplete = false;  // had syntax errors: the semantic checks are skipped (no cascades)
  BgpOptions options;       // as written, then merged with the template chain
  std::vector<BgpChannel> channels;
  BgpSettings settings;  // resolved (protocols only)

  // Resolved helpers.
  bool is_internal() const;  // iBGP: peer_type internal or neighbor as == local as
  bool is_dynamic() const { return settings.neighbor_range.has_value(); }
  Duration keepalive_time() const;  // keepalive_time or hold_time / 3
  const BgpChannel* channel(rib::Family f) const;
};

// Static routes (`protocol static`).
struct StaticRoute {
  enum class Kind : uint8_t { Via, Blackhole, Unreachable, Prohibit };
  rib::Prefix prefix;
  Kind kind = Kind::Via;
  rib::IpAddress via;
  std::optional<FilterSource> attributes;  // `route P via IP { bgp_med = 10; ... };`
  CompiledFilter compiled_attributes;      // the block, compiled as a filter body
  Location loc;
  friend bool operator==(const StaticRoute& a, const StaticRoute& b) {
    return a.prefix == b.prefix && a.kind == b.kind && a.via == b.via &&
           a.attributes == b.attributes;
  }
};

struct StaticProtocol {
  std::string name;
  Location loc;
  bool disabled = false;
  uint32_t debug = 0;
  std::string description;
  rib::Family family = rib::Family::Ipv4;
  ChannelSettings channel;  // table, import/export (static: import all by default)
  std::vector<StaticRoute> routes;
};

struct DeviceProtocol {
  std::string name;
  Location loc;
  bool disabled = false;
  Duration scan_time = Duration::seconds(60);
};

// `ipv4 table NAME [sorted];`
struct TableDecl {
  rib::Family family = rib::Family::Ipv4;
  std::string name;
  bool sorted = false;
  Location loc;
};

struct TimeFormat {
  enum class Which : uint8_t { Route, Protocol, Base, Log };
  Which which = Which::Base;
  std::string format;      // strftime format ("iso long" etc. are translated)
  std::string format_old;  // second format for times older than `limit`
  uint64_t limit = 0;      // seconds
  Location loc;
};

// A value of `define NAME = EXPR;`. Simple literals are decoded here; anything else is kept as
// source for the filter library (sets, pairs, expressions).
struct DefineValue {
  std::variant<std::monostate, uint64_t, bool, std::string, rib::IpAddress, rib::Prefix> literal;
  FilterSource source;
};
struct Define {
  std::string name;
  DefineValue value;
  FilterSource statement;  // `define NAME = EXPR;` whole, for the filter library
  Location loc;
};

// `filter NAME ... { ... }` / `function NAME(...) ... { ... }`: the whole definition, from the
// keyword to the closing brace, for the filter library.
struct FilterDecl {
  enum class Kind : uint8_t { Filter, Function };
  Kind kind = Kind::Filter;
  std::string name;
  FilterSource source;
  Location loc;
  CompiledFilter compiled;  // Filter only (functions are compiled into the filters calling them)
};

// `attribute TYPE NAME;`
struct AttributeDecl {
  enum class Type : uint8_t { Int, Ip, Quad, Pair, String, Bgppath, Clist, Eclist, Lclist, Bool };
  Type type = Type::Int;
  std::string name;
  FilterSource statement;  // whole statement, for the filter library
  Location loc;
};

// Later issues: control socket, restricted CLI sockets, metrics, history, processes, healthchecks.
struct CliSocket {
  std::string path;
  bool restrict = false;
  std::optional<uint32_t> mode;  // `mode 0660;` (octal as written); default: 0660
  std::string group;             // `group "NAME";`: chgrp the socket; default: the daemon's
  Location loc;
};

struct MetricsConfig {
  rib::IpAddress listen = rib::IpAddress::v4(0x7f000001);
  uint16_t port = 10179;
  Location loc;
};

struct HistoryConfig {
  std::string path;
  Duration keep = Duration::seconds(30ull * 24 * 3600);
  uint64_t max_size = 1ull << 30;  // bytes
  std::optional<FilterSource> routes_where;
  CompiledFilter routes_filter;
  Location loc;
};

// `user NAME; group NAME;` of a process or healthcheck block (or their default in `health { }`):
// who the program runs as. Names are resolved when the configuration is loaded; the child takes
// the identity after fork, before exec (rs/health/run_as.cpp has the rules, docs/health.md too).
struct RunAs {
  std::optional<uint32_t> uid;  // `user`
  std::optional<uint32_t> gid;  // `group`
  std::string user, group;      // as written, for messages
  bool set() const { return uid || gid; }
  bool operator==(const RunAs& o) const { return uid == o.uid && gid == o.gid; }
};

struct ProcessConfig {
  std::string name;
  std::string run;                   // argv, split on blanks (no shell)
  std::optional<std::string> shell;  // explicit shell command
  enum class Encoder : uint8_t { Text, Json };
  Encoder encoder = Encoder::Text;
  std::optional<rib::IpAddress> next_hop;
  bool ack = true;
  std::optional<Duration> keep_routes;
  RunAs run_as;
  Location loc;
};

struct HealthCheckConfig {
  // What an https probe trusts and presents (docs/health.md).
  struct Tls {
    std::optional<std::string> ca_file;      // trust only these CAs (default: the system store)
    std::optional<std::string> certificate;  // client certificate chain (mutual TLS), PEM
    std::optional<std::string> key;          // its private key (default: in the certificate file)
    std::optional<std::string> server_name;  // SNI and verification (default: the URL host)
    bool insecure = false;                   // no certificate verification (written explicitly)
    friend bool operator==(const Tls&, const Tls&) = default;
  };
  struct Check {
    enum class Kind : uint8_t { Command, Http, Tcp };
    Kind kind = Kind::Command;
    std::string target;  // argv or URL
    uint32_t expect = 200;
    rib::IpAddress address;  // tcp
    uint16_t port = 0;       // tcp
    // http: `address IP`, where to connect (default: the URL's host, an address or localhost).
    std::optional<rib::IpAddress> connect_address;
    // http: a substring the body must hold (read up to kMaxHttpBody, chunked or not).
    std::optional<std::string> body;
    std::optional<std::string> host_header;        // Host (default: the URL's authority)
    std::optional<rib::IpAddress> source_address;  // bound before connecting (tcp and http)
    Tls tls;
    friend bool operator==(const Check&, const Check&) = default;
  };
  struct Route {
    rib::Prefix prefix;
    std::optional<rib::IpAddress> next_hop;
    uint32_t med = 100;
    std::optional<Location> med_loc;  // where `med N` was written (absent: the default)
  };
  // Communities attached per announced state (up / down / disabled), RFC 1997 and RFC 8092.
  enum class State : uint8_t { Up, Down, Disabled };
  struct StateCommunities {
    std::vector<uint32_t> communities;  // ASN << 16 | value
    std::vector<std::array<uint32_t, 3>> large;
  };
  std::string name;
  std::vector<Check> checks;
  std::vector<Route> routes;
  Duration interval = Duration::seconds(5);
  Duration fast_interval = Duration::seconds(1);
  Duration timeout = Duration::seconds(5);
  uint32_t rise = 3;
  uint32_t fall = 3;
  uint32_t down_med = 1000;
  uint32_t disabled_med = 500;
  bool withdraw_on_down = false;
  std::optional<std::string> disable_file;
  uint32_t increase = 1;            // MED added per extra route of the service (ExaBGP --increase)
  StateCommunities communities[3];  // indexed by State
  // Flap hold-down: more than flap_count transitions within flap_window hold the service down
  // for flap_hold (0 = off).
  uint32_t flap_count = 0;
  Duration flap_window = Duration::seconds(60);
  Duration flap_hold = Duration::seconds(60);
  RunAs run_as;
  Location loc;
};

// `health { startup hold T; state file "PATH"; }`: the health-aware restart and the operator
// state (drain, maintenance, disabled checks) kept across restarts.
struct HealthSettings {
  Duration startup_hold = Duration::seconds(30);
  std::optional<std::string> state_file;
  RunAs run_as;  // default for process and healthcheck blocks that name neither user nor group
  Location loc;
};

struct Config {
  // The filter library's global names (defines, functions, filters, attributes); compiled
  // filters refer to objects it owns. Set by the loader.
  std::shared_ptr<filters::SymbolTable> symbols;
  std::optional<rib::IpAddress> router_id;
  std::vector<Define> defines;
  std::vector<LogTarget> logs;
  std::vector<TimeFormat> timeformats;
  uint32_t debug_protocols = 0;
  uint32_t debug_commands = 0;
  std::vector<TableDecl> tables;  // master4 and master6 always present
  std::vector<AttributeDecl> attributes;
  std::vector<FilterDecl> filters;  // filters and functions, in file order
  std::vector<BgpProtocol> templates;
  std::vector<BgpProtocol> bgp;
  std::vector<StaticProtocol> statics;
  std::vector<DeviceProtocol> devices;
  std::optional<std::string> control_socket;
  CliSocket control_options;  // `control socket "P" { mode N; group "G"; }` (path unused)
  std::vector<CliSocket> cli_sockets;
  std::optional<MetricsConfig> metrics;
  std::optional<HistoryConfig> history;
  std::vector<ProcessConfig> processes;
  std::vector<HealthCheckConfig> healthchecks;
  HealthSettings health;

  const BgpProtocol* find_bgp(std::string_view name) const;
  const BgpProtocol* find_template(std::string_view name) const;
  const FilterDecl* find_filter(std::string_view name) const;  // kind Filter only
  const FilterDecl* find_function(std::string_view name) const;
  const TableDecl* find_table(std::string_view name) const;
  const Define* find_define(std::string_view name) const;
};

std::string_view to_string(LimitAction a);
std::string_view to_string(Role r);

}  // namespace rs::conf
