// The layout guardrail: every component folder under src/astraguard has a README.md with one
// line "May include: a, b/c, ..." (or "May include: nothing") naming the components it may
// include besides itself, and optionally one line "Tests may also include: ..." for arrows only
// its tests (`*_test.cpp`, `testing/`) draw. Those lines are the only place an arrow is written;
// this test fails when a source file includes a header of a component its README does not
// allow, or when a component folder has no "May include:" line.
//
// A component is the deepest folder with a README.md above a file (so http/client/testing/ belongs to
// http/client, obs/log/ is a component of its own).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef AG_SOURCE_ROOT
#error "AG_SOURCE_ROOT must name src/astraguard"
#endif

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = AG_SOURCE_ROOT;

std::string Trim(std::string s) {
  const char* ws = " \t.`/";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

// Component name ("obs/log") -> allowed components, read from the READMEs.
struct Layout {
  std::map<std::string, std::set<std::string>> allowed;
  std::map<std::string, std::set<std::string>> tests_allowed;  // in addition to `allowed`
  std::vector<std::string> missing;  // component folders without a "May include:" line
};

Layout ReadLayout() {
  Layout layout;
  for (const auto& entry : fs::recursive_directory_iterator(kRoot)) {
    if (!entry.is_regular_file() || entry.path().filename() != "README.md") continue;
    const std::string name = fs::relative(entry.path().parent_path(), kRoot).generic_string();
    if (name == ".") continue;
    std::ifstream in(entry.path());
    std::string line;
    bool found = false;
    while (std::getline(in, line)) {
      static const std::string kPrefix = "May include:";
      static const std::string kTestsPrefix = "Tests may also include:";
      std::set<std::string>* into = nullptr;
      size_t skip = 0;
      if (line.rfind(kPrefix, 0) == 0) {
        found = true;
        into = &layout.allowed[name];
        skip = kPrefix.size();
      } else if (line.rfind(kTestsPrefix, 0) == 0) {
        into = &layout.tests_allowed[name];
        skip = kTestsPrefix.size();
      } else {
        continue;
      }
      std::stringstream list(line.substr(skip));
      for (std::string item; std::getline(list, item, ',');) {
        item = Trim(item);
        if (!item.empty() && item != "nothing") into->insert(item);
      }
    }
    if (!found) layout.missing.push_back(name);
  }
  return layout;
}

// The component owning `relative` (a path under src/astraguard): the longest known prefix.
std::string ComponentOf(const Layout& layout, const std::string& relative) {
  std::string best;
  for (const auto& [name, allowed] : layout.allowed) {
    if (relative.rfind(name + "/", 0) == 0 && name.size() > best.size()) best = name;
  }
  return best;
}

TEST(LayoutTest, EveryComponentReadmeSaysWhatItMayInclude) {
  const Layout layout = ReadLayout();
  EXPECT_TRUE(layout.missing.empty())
      << "README.md without a 'May include:' line: " << ::testing::PrintToString(layout.missing);
  EXPECT_GE(layout.allowed.size(), 8u);
  for (const auto* arrows : {&layout.allowed, &layout.tests_allowed}) {
    for (const auto& [name, allowed] : *arrows) {
      for (const auto& target : allowed) {
        EXPECT_TRUE(layout.allowed.count(target) > 0)
            << name << "/README.md allows '" << target << "', which is not a component folder";
      }
    }
  }
}

TEST(LayoutTest, NoFileIncludesAComponentItsReadmeForbids) {
  const Layout layout = ReadLayout();
  static const std::regex kInclude(R"re(^\s*#\s*include\s*"astraguard/([^"]+)")re");
  size_t files = 0;
  std::vector<std::string> violations;
  for (const auto& entry : fs::recursive_directory_iterator(kRoot)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".in")) continue;
    const std::string relative = fs::relative(entry.path(), kRoot).generic_string();
    const std::string from = ComponentOf(layout, relative);
    if (from.empty()) {
      violations.push_back(relative + ": not inside a component folder with a README.md");
      continue;
    }
    ++files;
    const bool is_test = relative.find("_test.cpp") != std::string::npos ||
                         relative.find("/testing/") != std::string::npos;
    auto allows = [&](const std::string& to) {
      if (layout.allowed.at(from).count(to) > 0) return true;
      auto t = layout.tests_allowed.find(from);
      return is_test && t != layout.tests_allowed.end() && t->second.count(to) > 0;
    };
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::smatch m;
      if (!std::regex_search(line, m, kInclude)) continue;
      const std::string to = ComponentOf(layout, m[1].str());
      if (to.empty()) {
        violations.push_back(relative + ":" + std::to_string(number) + " includes " + m[1].str() +
                             ", outside every component");
      } else if (to != from && !allows(to)) {
        violations.push_back(relative + ":" + std::to_string(number) + " includes " + m[1].str() +
                             " but " + from + "/README.md does not allow " + to);
      }
    }
  }
  EXPECT_GT(files, 50u);
  std::string report;
  for (const auto& v : violations) report += "  " + v + "\n";
  EXPECT_TRUE(violations.empty()) << violations.size() << " layout violation(s):\n" << report;
}

}  // namespace
