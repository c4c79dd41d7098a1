// rsc --json: the text replies of the show commands turned into JSON with a stable schema
// (docs/cli.md "JSON output"). The conversion reads BIRD-layout text, so it works the same
// against any daemon speaking that layout.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/rsc_client.hpp"

namespace rs::cli {

// `path` is the canonical command path ("show route"); `command` the line sent.
nlohmann::json reply_to_json(const std::string& path, const std::string& command,
                             const Reply& reply);

}  // namespace rs::cli
