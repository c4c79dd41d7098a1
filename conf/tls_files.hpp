// The files an https health check loads (CA bundle, client certificate and key), tried with
// OpenSSL when the configuration is read: `rsd --check` refuses a file that is missing or that
// OpenSSL cannot use, instead of the check failing (and the service going down) at run time.
#pragma once

#include <optional>
#include <string>

namespace rs::conf {

// "" when every given file loads (a key that matches the certificate); else what is wrong, naming
// the file. `key` absent: the key is read from the certificate file.
[[nodiscard]] std::string tls_files_problem(const std::optional<std::string>& ca_file,
                                            const std::optional<std::string>& certificate,
                                            const std::optional<std::string>& key);

}  // namespace rs::conf
