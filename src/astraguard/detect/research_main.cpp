// Development driver for RunEvaluate until the CLI subcommand exists:
//   detect_eval DIR [--json] [--per-channel] [--channels A,B] [--alarms F] [key=value ...]
#include <iostream>
#include <sstream>

#include "astraguard/detect/evaluate.hpp"

int main(int argc, char** argv) {
  using namespace astraguard::detect;
  EvaluateOptions o;
  o.extra_members.reserve(16);
  DetectorConfig* target = &o.detector;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      o.json = true;
    else if (a == "--per-channel")
      o.per_channel = true;
    else if (a == "--member") {
      o.extra_members.push_back(o.detector);
      target = &o.extra_members.back();
    } else if (a == "--alarms" && i + 1 < argc)
      o.alarms_path = argv[++i];
    else if (a == "--channels" && i + 1 < argc) {
      std::stringstream ss(argv[++i]);
      std::string c;
      while (std::getline(ss, c, ',')) o.channels.push_back(c);
    } else if (a.find('=') != std::string::npos) {
      auto st = SetDetectorParam(*target, a);
      if (!st.ok()) {
        std::cerr << st.message() << "\n";
        return 2;
      }
    } else
      o.data_dir = a;
  }
  return RunEvaluate(o, std::cout, std::cerr);
}
