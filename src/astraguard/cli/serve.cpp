#include <iostream>

#include "astraguard/app/app.hpp"
#include "astraguard/cli/commands.hpp"
#include "astraguard/cli/lifecycle.hpp"

namespace astraguard::cli {

int RunServe(const config::Config& config) {
  app::App app(config);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "astraguard: " << s.message() << "\n";
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  Lifecycle lifecycle(config, app.logger());
  lifecycle.Listening(app.api_port(), app.metrics_port());
  lifecycle.WaitForShutdown();
  lifecycle.Stopped(app.Shutdown());
  return 0;
}

}  // namespace astraguard::cli
