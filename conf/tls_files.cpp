// Loads the files into a throwaway OpenSSL client context, exactly as the probe will (PEM CA
// bundle; certificate chain; private key, which must match the certificate), and reports the
// first failure with OpenSSL's reason.
#include "conf/tls_files.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace rs::conf {

namespace {

std::string openssl_reason() {
  std::string r;
  while (unsigned long e = ERR_get_error()) {  // the last queued error is the most specific
    const char* s = ERR_reason_error_string(e);
    r = s ? s : "error " + std::to_string(e);
  }
  return r.empty() ? "unknown OpenSSL error" : r;
}

// A regular file we can open: a clearer message than OpenSSL's for the common mistakes.
std::string readable(const std::string& what, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return what + " \"" + path + "\" cannot be read: " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return what + " \"" + path + "\" is not a regular file";
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    std::fclose(f);
    return {};
  }
  return what + " \"" + path + "\" cannot be read: " + std::strerror(errno);
}

}  // namespace

std::string tls_files_problem(const std::optional<std::string>& ca_file,
                              const std::optional<std::string>& certificate,
                              const std::optional<std::string>& key) {
  if (!ca_file && !certificate && !key) return {};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  if (!ctx) return "cannot create a TLS context: " + openssl_reason();
  ERR_clear_error();
  if (ca_file) {
    if (auto e = readable("ca file", *ca_file); !e.empty()) return e;
    if (SSL_CTX_load_verify_locations(ctx.get(), ca_file->c_str(), nullptr) != 1)
      return "ca file \"" + *ca_file + "\" holds no usable PEM certificate: " + openssl_reason();
  }
  if (certificate) {
    if (auto e = readable("certificate", *certificate); !e.empty()) return e;
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), certificate->c_str()) != 1)
      return "certificate \"" + *certificate +
             "\" holds no usable PEM certificate: " + openssl_reason();
    const std::string& k = key ? *key : *certificate;
    if (key)
      if (auto e = readable("key", k); !e.empty()) return e;
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), k.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        return "key \"" + k + "\" does not match certificate \"" + *certificate + "\"";
      }
      return (key ? "key \"" + k + "\"" : "certificate \"" + k + "\" (no 'key' given)") +
             " holds no usable PEM private key: " + openssl_reason();
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
      return "key \"" + k + "\" does not match certificate \"" + *certificate +
             "\": " + openssl_reason();
  }
  return {};
}

}  // namespace rs::conf
