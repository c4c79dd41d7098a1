// Resolution of `user`/`group` into the ids, groups and environment a child takes (rules in
// run_as.hpp). Done in the daemon before the child starts: the child shares the daemon's memory
// until exec and may not call the user database (locks, malloc).
#include "rs/health/run_as.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace rs::health {

namespace {

struct Passwd {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name, home;
};

std::optional<Passwd> copy(const passwd* p) {
  if (!p) return std::nullopt;
  return Passwd{p->pw_uid, p->pw_gid, p->pw_name ? p->pw_name : "", p->pw_dir ? p->pw_dir : ""};
}

std::optional<Passwd> by_uid(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{}, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0) return std::nullopt;
  return copy(found);
}

std::optional<Passwd> by_name(const char* name) {
  std::vector<char> buf(16384);
  passwd pw{}, *found = nullptr;
  if (::getpwnam_r(name, &pw, buf.data(), buf.size(), &found) != 0) return std::nullopt;
  return copy(found);
}

std::optional<std::string> group_name(gid_t gid) {
  std::vector<char> buf(65536);
  group gr{}, *found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return std::string(found->gr_name);
}

std::optional<gid_t> group_id(const char* name) {
  std::vector<char> buf(65536);
  group gr{}, *found = nullptr;
  if (::getgrnam_r(name, &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return found->gr_gid;
}

std::vector<gid_t> supplementary(const std::string& user, gid_t gid) {
  int n = 32;
  std::vector<gid_t> g(static_cast<std::size_t>(n));
  for (int tries = 0; tries < 8; ++tries) {
    int want = n;
    if (::getgrouplist(user.c_str(), gid, g.data(), &want) >= 0) {
      g.resize(static_cast<std::size_t>(want));
      return g;
    }
    n = want > n ? want : n * 2;
    g.resize(static_cast<std::size_t>(n));
  }
  return {gid};
}

}  // namespace

std::string resolve_run_as(const conf::RunAs& r, std::optional<SpawnIdentity>& out) {
  out.reset();
  const uid_t euid = ::geteuid();
  const gid_t egid = ::getegid();
  if (euid != 0 && !r.set()) return {};  // rsd's own user, as it is

  std::optional<Passwd> pw;
  uid_t uid = euid;
  bool fallback_user = false;  // the nobody default of a root rsd
  if (r.uid) {
    uid = static_cast<uid_t>(*r.uid);
    pw = by_uid(uid);
  } else if (euid == 0) {
    pw = by_name("nobody");
    if (!pw)
      return "there is no user 'nobody' to run the program as (rsd runs as root): name one with "
             "'user NAME;'";
    uid = pw->uid;
    fallback_user = true;
  } else {
    pw = by_uid(euid);
  }

  gid_t gid = egid;
  if (r.gid)
    gid = static_cast<gid_t>(*r.gid);
  else if (fallback_user)
    gid = group_id("nogroup").value_or(pw->gid);
  else if (r.uid)
    gid = pw ? pw->gid : static_cast<gid_t>(uid);  // a bare uid without an entry: gid = uid

  SpawnIdentity id;
  id.uid = uid;
  id.gid = gid;
  if (euid != 0 && uid == euid) {
    // Not root and staying this user: only `group` can change something; the supplementary
    // groups stay.
    if (gid == egid) return {};
    id.set_groups = false;
  } else {
    id.groups = pw ? supplementary(pw->name, gid) : std::vector<gid_t>{gid};
  }
  const std::string uname = pw ? pw->name : std::to_string(uid);
  id.env = {"HOME=" + (pw && !pw->home.empty() ? pw->home : std::string("/")), "USER=" + uname,
            "LOGNAME=" + uname};
  id.describe = "user " + uname + " (uid " + std::to_string(uid) + "), group " +
                group_name(gid).value_or(std::to_string(gid)) + " (gid " + std::to_string(gid) +
                ")";
  out = std::move(id);
  return {};
}

}  // namespace rs::health
