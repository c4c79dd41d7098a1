// `user NAME;` and `group NAME;` in process and healthcheck blocks, and their default in the
// global `health { }` block. Names are looked up in the system's user and group databases when the
// configuration is loaded, so a typo is a `file:line:col:` error of `rsd --check` and a reload with
// it keeps the running configuration; a bare number is taken as an id even without an entry (as
// `rsd -u` takes it). Running a program as root has to be asked for and is warned about.
#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <vector>

#include "conf/parser_impl.hpp"

namespace rs::conf::detail {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::optional<uint32_t> as_id(const std::string& s) {
  if (!all_digits(s)) return std::nullopt;
  const uint64_t v = std::stoull(s);
  // (uid_t)-1 means "unchanged" to the kernel's set*id calls.
  if (v >= UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<uint32_t> lookup_user(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{}, *found = nullptr;
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    return std::nullopt;
  return found->pw_uid;
}

std::optional<uint32_t> lookup_group(const std::string& name) {
  std::vector<char> buf(65536);
  group gr{}, *found = nullptr;
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
    return std::nullopt;
  return found->gr_gid;
}

}  // namespace

bool Parser::parse_run_as_option(RunAs& r, const std::string& owner) {
  const bool user = is_kw("user");
  next();
  const Token& at = peek();
  const char* what = user ? "a user name or uid" : "a group name or gid";
  if (at.kind != TokenKind::String && at.kind != TokenKind::Symbol && at.kind != TokenKind::Number)
    return expected(what);
  next();
  const std::string text = at.text;
  if (text.empty()) return error_at(at, std::string("expected ") + what);
  std::optional<uint32_t> id = as_id(text);
  if (!id) id = user ? lookup_user(text) : lookup_group(text);
  if (!id) {
    if (all_digits(text))
      return error_at(at, std::string(user ? "uid " : "gid ") + text + " is out of range");
    return error_at(at, std::string(user ? "unknown user '" : "unknown group '") + text +
                            "' (not in the system's " + (user ? "passwd" : "group") + " database)");
  }
  if (user) {
    r.uid = *id;
    r.user = text;
    if (*id == 0)
      diags_.warning(at.loc, owner + " run as root ('user " + text +
                                 ";'); without it rsd started as root runs them as nobody");
  } else {
    r.gid = *id;
    r.group = text;
  }
  return end_option();
}

void Parser::apply_run_as_default() {
  const RunAs& d = config_.health.run_as;
  if (!d.set()) return;
  for (auto& p : config_.processes)
    if (!p.run_as.set()) p.run_as = d;
  for (auto& h : config_.healthchecks)
    if (!h.run_as.set()) h.run_as = d;
}

}  // namespace rs::conf::detail
