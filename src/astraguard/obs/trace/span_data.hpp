#pragma once
// Plain data of a finished span, as handed from the Tracer to a SpanProcessor/SpanExporter.
// Field meanings follow the OTLP trace data model (opentelemetry/proto/trace/v1/trace.proto).
// Thread-safety: plain values.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "astraguard/obs/trace/trace_context.hpp"

namespace astraguard::obs {

enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class SpanStatus { kUnset = 0, kOk = 1, kError = 2 };

// An attribute value. A string is a view: into the AttributeList holding it, or, when passed
// in, into the caller's text (which the list copies).
using AttributeValue = std::variant<std::string_view, bool, std::int64_t, double>;

// Marks an attribute key with static storage duration (a string literal): stored as a pointer,
// so the well-known semantic-convention keys are never copied.
struct StaticKey {
  explicit constexpr StaticKey(const char* k) : str(k) {}
  std::string_view str;  // length computed at compile time for literals
};

// The attributes of a span, event or resource, in insertion order. Keys and string values are
// copied into one text buffer owned by the list, so refilling a cleared list allocates nothing
// once it has grown. Bounded: at most kMaxAttributes entries and kMaxTextBytes of copied text;
// attributes beyond either limit are dropped (Add/Set return false).
// Thread-safety: a plain value. Views returned by Find/iteration are valid until the next
// non-const call.
class AttributeList {
 public:
  static constexpr std::size_t kMaxAttributes = 128;
  static constexpr std::size_t kMaxTextBytes = 64 * 1024;

  struct Entry {
    std::string_view key;
    AttributeValue value;
    bool static_key = false;  // the key is a literal from our code (valid UTF-8)
  };

  // Appends without looking for an existing key: for keys known to be distinct.
  bool Add(StaticKey key, const AttributeValue& value);
  // Replaces the value of an existing key, or appends.
  bool Set(StaticKey key, const AttributeValue& value);
  bool Set(std::string_view key, const AttributeValue& value);
  std::optional<AttributeValue> Find(std::string_view key) const;

  std::size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  Entry operator[](std::size_t i) const;
  void clear() {  // keeps capacity
    slots_.clear();
    text_.clear();
  }
  // Heap bytes held (for deciding whether a recycled list is worth keeping).
  std::size_t capacity_bytes() const { return slots_.capacity() * sizeof(Slot) + text_.capacity(); }

  class Iterator {
   public:
    Iterator(const AttributeList* list, std::size_t i) : list_(list), i_(i) {}
    Entry operator*() const { return (*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const AttributeList* list_;
    std::size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, slots_.size()}; }

 private:
  struct Slot {
    const char* static_key = nullptr;  // set for StaticKey keys; else the key is in text_
    std::uint32_t key_offset = 0;
    std::uint32_t key_size = 0;
    std::uint32_t str_offset = 0;  // string values, in text_
    std::uint32_t str_size = 0;
    std::uint8_t type = 0;  // AttributeValue::index()
    union {
      bool b;
      std::int64_t i;
      double d;
    } num{};
  };
  std::string_view KeyOf(const Slot& s) const {
    return s.static_key != nullptr ? std::string_view(s.static_key, s.key_size)
                                   : std::string_view(text_.data() + s.key_offset, s.key_size);
  }
  std::size_t IndexOf(std::string_view key) const;  // size() when absent
  Slot* FindSlot(std::string_view key);
  bool StoreValue(Slot& s, const AttributeValue& value);  // false (s partly set) when full
  bool Replace(Slot& slot, const AttributeValue& value);  // slot unchanged when full

  std::vector<Slot> slots_;
  std::string text_;
};

// Inline: these run per attribute on the request path and in the encoders.
inline AttributeList::Entry AttributeList::operator[](std::size_t i) const {
  const Slot& s = slots_[i];
  Entry e;
  e.key = KeyOf(s);
  e.static_key = s.static_key != nullptr;
  switch (s.type) {
    case 0:
      e.value = std::string_view(text_.data() + s.str_offset, s.str_size);
      break;
    case 1:
      e.value = s.num.b;
      break;
    case 2:
      e.value = s.num.i;
      break;
    default:
      e.value = s.num.d;
      break;
  }
  return e;
}

inline bool AttributeList::StoreValue(Slot& s, const AttributeValue& value) {
  s.type = static_cast<std::uint8_t>(value.index());
  switch (s.type) {
    case 0: {
      const std::string_view str = *std::get_if<0>(&value);
      if (text_.size() + str.size() > kMaxTextBytes) return false;
      s.str_offset = static_cast<std::uint32_t>(text_.size());
      s.str_size = static_cast<std::uint32_t>(str.size());
      text_.append(str);
      break;
    }
    case 1:
      s.num.b = *std::get_if<1>(&value);
      break;
    case 2:
      s.num.i = *std::get_if<2>(&value);
      break;
    default:
      s.num.d = *std::get_if<3>(&value);
      break;
  }
  return true;
}

inline bool AttributeList::Add(StaticKey key, const AttributeValue& value) {
  if (slots_.size() >= kMaxAttributes) return false;
  Slot s;
  s.static_key = key.str.data();
  s.key_size = static_cast<std::uint32_t>(key.str.size());
  if (!StoreValue(s, value)) return false;
  slots_.push_back(s);
  return true;
}

struct SpanEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  AttributeList attributes;
};

struct SpanData {
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // all zero for a root span
  std::string trace_state;
  std::uint8_t trace_flags = 0;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  AttributeList attributes;
  std::vector<SpanEvent> events;
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message;
};

// The entity producing spans (OTLP Resource), e.g. service.name.
struct Resource {
  AttributeList attributes;
};

using SpanBatch = std::vector<std::unique_ptr<SpanData>>;

}  // namespace astraguard::obs
