#include "astraguard/ingest/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <fmt/format.h>

#include <string>
#include <unordered_set>
#include <vector>

namespace astraguard::ingest {
namespace {

namespace json = boost::json;

enum class ParseError { kDuplicateKey = 1 };

struct ParseErrorCategory final : boost::system::error_category {
  const char* name() const noexcept override { return "astraguard.json"; }
  std::string message(int) const override { return "duplicate object key"; }
};

const ParseErrorCategory& Category() {
  static const ParseErrorCategory c;
  return c;
}

// Builds a json::value like json::parser does, and additionally tracks the keys of every open
// object so that a duplicate key aborts the parse.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit StrictHandler(json::storage_ptr sp) { st_.reset(std::move(sp)); }

  json::value Release() { return st_.release(); }
  const std::string& duplicate() const { return duplicate_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth_ == keys_.size()) keys_.emplace_back();
    keys_[depth_++].clear();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    --depth_;
    st_.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    st_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_[depth_ - 1].Insert(key_)) {
      duplicate_ = key_;
      ec.assign(static_cast<int>(ParseError::kDuplicateKey), Category());
      return false;
    }
    key_.clear();
    st_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st_.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st_.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st_.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st_.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // The keys of one open object. Small objects (every request we expect) are scanned
  // linearly with no allocation beyond short strings; large ones switch to a hash set.
  class KeySet {
   public:
    void clear() {
      small_.clear();
      large_.clear();
    }
    bool Insert(const std::string& key) {
      if (!large_.empty()) return large_.insert(key).second;
      for (const auto& k : small_) {
        if (k == key) return false;
      }
      if (small_.size() < kSmall) {
        small_.push_back(key);
        return true;
      }
      large_.insert(small_.begin(), small_.end());
      return large_.insert(key).second;
    }

   private:
    static constexpr size_t kSmall = 32;
    std::vector<std::string> small_;
    std::unordered_set<std::string> large_;
  };

  json::value_stack st_;
  std::vector<KeySet> keys_;  // one per open object, reused across objects at the same depth
  size_t depth_ = 0;
  std::string key_;
  std::string duplicate_;
};

}  // namespace

Result<json::value> ParseStrict(std::string_view text, json::storage_ptr sp) {
  json::parse_options opt;
  opt.max_depth = kMaxDepth;
  json::basic_parser<StrictHandler> parser(opt, std::move(sp));
  json::error_code ec;
  size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (ec) {
    if (ec.category() == Category()) {
      return Status::Error(Code::kInvalidArgument,
                           fmt::format("duplicate key \"{}\"", parser.handler().duplicate()),
                           {{parser.handler().duplicate(), "duplicate key"}});
    }
    if (text.empty()) return Status::Error(Code::kInvalidArgument, "request body is empty");
    return Status::Error(Code::kInvalidArgument,
                         fmt::format("malformed JSON near byte {}: {}", n, ec.message()));
  }
  return parser.handler().Release();
}

}  // namespace astraguard::ingest
