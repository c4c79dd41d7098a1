// No option parsed and ignored: walks conf/option_status.cpp. Every BgpOptions / ChannelOptions
// field and every global statement the parser dispatches has a status; an honoured option's reader
// (read from the source tree) uses its settings field and its example loads; a refused option's
// example is refused with "is not supported" at a file:line:col.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "conf/option_status.hpp"
#include "conf/parser.hpp"

#ifndef RSD_SOURCE_DIR
#error "RSD_SOURCE_DIR (the project root) must be defined"
#endif

using namespace rs::conf;

namespace {

std::string read_source(std::string_view rel) {
  std::ifstream in(std::string(RSD_SOURCE_DIR) + "/" + std::string(rel));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// `word` in `text` not as part of a longer identifier (a phrase with blanks or dashes: anywhere).
bool uses(const std::string& text, std::string_view word) {
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !is_ident_char(text[at - 1]);
    std::size_t end = at + word.size();
    bool right = end >= text.size() || !is_ident_char(text[end]);
    if (left && right) return true;
  }
  return false;
}

// The example in the smallest config of its context.
std::string wrap(const OptionStatus& s) {
  const std::string ex(s.example);
  const std::string head = "router id 192.0.2.1;\n";
  if (s.context == "global") return ex + "\nprotocol device {}\n";
  if (s.context == "bgp")
    return head + "protocol bgp p {\n  " + ex +
           "\n  local as 65000; neighbor 192.0.2.2 as 65001;\n  ipv4 { import all; export all; "
           "};\n}\n";
  if (s.context == "channel")
    return head + "ipv4 table t2;\n" +
           "protocol bgp p {\n  local as 65000; neighbor 192.0.2.2 as 65001;\n  ipv4 { import all; "
           "export all; " +
           ex + " };\n}\n";
  if (s.context == "static") return head + "protocol static st { ipv4;\n  " + ex + "\n}\n";
  if (s.context == "table") return "ipv4 table t4 {\n  " + ex + "\n}\nprotocol device {}\n";
  if (s.context == "device") return "protocol device {\n  " + ex + "\n}\n";
  if (s.context == "process")
    return "process p { run \"/bin/true\";\n  " + ex + "\n}\nprotocol device {}\n";
  if (s.context == "healthcheck")
    return head + "protocol device {}\nhealthcheck h {\n  command \"/bin/true\";\n  " + ex +
           "\n  route 203.0.113.1/32;\n}\n";
  if (s.context == "health") return "health {\n  " + ex + "\n}\nprotocol device {}\n";
  FAIL("unknown context " << s.context);
  return "";
}

bool has_status(std::string_view context, std::string_view field) {
  for (const auto& s : option_statuses())
    if (s.context == context && s.field == field) return true;
  return false;
}

#define RS_TEST_NAME(T, name, def) #name,
const char* const kBgpFields[] = {RS_CONF_BGP_OPTIONS(RS_TEST_NAME)};
const char* const kChannelFields[] = {RS_CONF_CHANNEL_OPTIONS(RS_TEST_NAME)};
#undef RS_TEST_NAME

}  // namespace

TEST_CASE("every BGP and channel settings field has a status") {
  for (const char* f : kBgpFields) {
    INFO("BgpOptions::" << f);
    CHECK(has_status("bgp", f));
  }
  for (const char* f : kChannelFields) {
    INFO("ChannelOptions::" << f);
    // import_table / export_table: `on` is honoured by what rsd always does, `off` refused.
    CHECK(has_status("channel", f));
  }
}

TEST_CASE("every global statement has a status") {
  for (const std::string& kw : global_statement_keywords()) {
    bool found = false;
    for (const auto& s : option_statuses())
      if (s.context == "global" && s.option.substr(0, kw.size()) == kw) found = true;
    INFO("global statement '" << kw << "'");
    CHECK(found);
  }
}

TEST_CASE("an honoured option is read by its reader and its example loads") {
  std::set<std::string> pending;
  for (const auto& s : option_statuses()) {
    if (s.kind != OptionStatus::Kind::Honoured) continue;
    INFO(s.context << " '" << s.option << "': reader " << s.reader << ", field " << s.field);
    REQUIRE(!s.reader.empty());
    const std::string src = read_source(s.reader);
    REQUIRE_MESSAGE(!src.empty(), "cannot read " << RSD_SOURCE_DIR << "/" << s.reader);
    if (!uses(src, s.field)) {
      if (!s.pending_owner.empty()) {
        pending.insert(std::string(s.pending_owner) + ": " + std::string(s.context) + " '" +
                       std::string(s.option) + "' (" + std::string(s.field) + " in " +
                       std::string(s.reader) + ")");
      } else {
        CHECK_MESSAGE(false, s.reader << " does not use '" << s.field << "'");
      }
    }
    if (s.example.empty()) continue;
    const std::string text = wrap(s);
    LoadResult r = load_string(text, "opt.conf");
    CHECK_MESSAGE(r.ok(), text << "\n" << r.diagnostics.to_string());
  }
  for (const auto& p : pending) MESSAGE("honoured once the owner's branch is merged: " << p);
}

TEST_CASE("a refused option is refused as not supported, with its place") {
  std::size_t refused = 0;
  for (const auto& s : option_statuses()) {
    if (s.kind != OptionStatus::Kind::Refused) continue;
    ++refused;
    const std::string text = wrap(s);
    LoadResult r = load_string(text, "opt.conf");
    INFO(s.context << " '" << s.option << "':\n" << text << r.diagnostics.to_string());
    CHECK(!r.ok());
    bool said = false;
    for (const auto& d : r.diagnostics.items())
      if (d.severity == Severity::Error &&
          d.message.find("is not supported") != std::string::npos && d.location.line > 0 &&
          d.location.col > 0)
        said = true;
    CHECK(said);
  }
  CHECK(refused > 50);
}

TEST_CASE("an option BIRD 2 does not have at that place is an error") {
  for (const auto& s : option_statuses()) {
    if (s.kind != OptionStatus::Kind::Invalid) continue;
    const std::string text = wrap(s);
    LoadResult r = load_string(text, "opt.conf");
    INFO(s.context << " '" << s.option << "':\n" << text << r.diagnostics.to_string());
    CHECK(!r.ok());
  }
}
