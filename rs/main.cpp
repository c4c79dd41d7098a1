// rsd: the route server daemon's entry point. Parses the command line (Boost.Program_options);
// `--check` loads the configuration (conf/) and reports; otherwise the daemon runs (rs/daemon).
#include <malloc.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "conf/parser.hpp"
#include "rs/daemon.hpp"
#include "rs/version.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description desc("Usage: rsd [options]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version,V", "print the version and exit")
    ("config,c", po::value<std::string>()->default_value("/etc/rsd/rsd.conf"), "configuration file")
    ("socket,s", po::value<std::string>(), "control socket path (default: `control socket` of the configuration, else /run/rsd/rsd.ctl)")
    ("foreground,f", "run in the foreground (do not daemonize)")
    ("pidfile,P", po::value<std::string>(), "write the process id to this file")
    ("user,u", po::value<std::string>(), "run as this user once the sockets are bound (as bird -u)")
    ("group,g", po::value<std::string>(), "run as this group (default: the user's primary group)")
    ("check", "parse the configuration, report errors as file:line:col and exit")
    ("parse,p", "same as --check (as bird -p)");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rsd: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "rsd " << rs::kVersion << ": a health-aware BGP route server\n\n" << desc << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "rsd " << rs::kVersion << "\n";
    return 0;
  }
  if (vm.count("check") || vm.count("parse")) {
    // Like `bird -p`: parse, report every diagnostic as file:line:col, exit 0 when no error.
    const std::string path = vm["config"].as<std::string>();
    rs::conf::LoadResult r = rs::conf::load_file(path);
    std::cerr << r.diagnostics.to_string();
    if (r.diagnostics.error_count() > r.diagnostics.items().size()) {
      std::cerr << "rsd: (more errors not shown)\n";
    }
    if (!r.ok()) {
      std::cerr << "rsd: " << path << ": " << r.diagnostics.error_count() << " error(s)\n";
      return 1;
    }
    std::cout << "rsd: " << path << ": configuration OK\n";
    return 0;
  }
  // Every heap block from 128 KiB up gets its own mapping and goes back to the kernel when freed
  // (glibc's default raises that threshold after the first such block is freed, up to 32 MiB):
  // the table arrays, the journal's blocks and large session buffers are transient at their old
  // sizes, and in the heap they left holes that kept the peak up. rib::heap_block()
  // accounts for blocks this way.
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  rs::DaemonOptions options;
  options.config_path = vm["config"].as<std::string>();
  if (vm.count("socket")) options.socket_path = vm["socket"].as<std::string>();
  options.foreground = vm.count("foreground") > 0;
  if (vm.count("pidfile")) options.pidfile = vm["pidfile"].as<std::string>();
  if (vm.count("user")) options.user = vm["user"].as<std::string>();
  if (vm.count("group")) options.group = vm["group"].as<std::string>();
  return rs::run_daemon(options);
}
