// What becomes of each option of the configuration language: rsd either honours it (a named
// source file reads the settings field that carries it at run time) or `rsd --check` refuses it
// as "not supported". Never parsed and ignored. test_conf_options walks this table: every field of
// BgpOptions and ChannelOptions and every global statement the parser dispatches must have an
// entry, every honoured option's reader must use its field, and every refused option's example
// must fail with "is not supported".
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rs::conf {

struct OptionStatus {
  // Invalid: not BIRD 2's language at this place (BIRD refuses it too), an error either way.
  enum class Kind : unsigned char { Honoured, Refused, Invalid };
  // Where the option is written: "global", "bgp" (protocol or template), "channel" (BGP ipv4 /
  // ipv6 block), "static", "device", "table" (`ipv4 table NAME { ... }`), "process",
  // "healthcheck" and "health" (the blocks of those names).
  std::string_view context;
  std::string_view option;  // as written: "strict bind"
  Kind kind = Kind::Honoured;
  // Honoured: the settings field (an identifier of conf/config.hpp) or, for behaviour rsd has
  // always, a phrase that the reader's source contains; Refused: the BgpOptions / ChannelOptions
  // field it would have set, if any.
  std::string_view field;
  std::string_view reader;   // Honoured: source file (from the project root) that acts on it
  std::string_view example;  // the option in use, without its context (Refused: must be refused)
  // Honoured by another branch being merged: its reader may not use the field yet (reported, not
  // failed, until the merge; then this is emptied).
  std::string_view pending_owner = {};
};

std::span<const OptionStatus> option_statuses();

// The keyword phrases of the global statements the parser dispatches ("router id", "define", ...).
std::vector<std::string> global_statement_keywords();

}  // namespace rs::conf
