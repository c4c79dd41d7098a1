// The network probes of a healthcheck: `tcp` (a connect) and `http` (a GET over TCP, or over TLS
// for an https URL). Internal to rs/health: make_probe() builds them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "conf/config.hpp"
#include "rs/health/checks.hpp"

namespace rs::health {

[[nodiscard]] std::unique_ptr<Probe> make_net_probe(boost::asio::io_context& io,
                                                    const conf::HealthCheckConfig::Check& c,
                                                    std::string& error);

}  // namespace rs::health
