// rsc: command-line client for rsd's control socket. Parses its command line; the socket
// protocol and commands arrive with the control-socket work.
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "rs/version.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description desc("Usage: rsc [options] [command ...]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version,V", "print the version and exit")
    ("socket,s", po::value<std::string>()->default_value("/run/rsd/rsd.ctl"), "control socket path")
    ("restricted,r", "restricted mode: show commands only")
    ("verbose,v", "print raw reply codes")
    ("json", "JSON output for show commands");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>(), "command words");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("command", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rsc: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "rsc " << rs::kVersion << ": control client for rsd\n\n" << desc << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "rsc " << rs::kVersion << "\n";
    return 0;
  }
  std::cerr << "rsc: cannot connect to " << vm["socket"].as<std::string>()
            << ": the control socket is not part of this build yet\n";
  return 2;
}
