#pragma once

#include <iosfwd>

namespace herd::webhook {

// herd-controller's main: parses the flags, loads the certificate and the policy, serves until SIGTERM or
// SIGINT, then finishes in-flight requests and returns 0. Flag errors return 2, start-up failures 1.
int run_controller(int argc, char** argv, std::ostream& log_stream);

} // namespace herd::webhook
