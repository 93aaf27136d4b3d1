#include "astraguard/obs/trace/span_data.hpp"

namespace astraguard::obs {

std::size_t AttributeList::IndexOf(std::string_view key) const {
  std::size_t i = 0;
  while (i < slots_.size() && KeyOf(slots_[i]) != key) ++i;
  return i;
}

AttributeList::Slot* AttributeList::FindSlot(std::string_view key) {
  const std::size_t i = IndexOf(key);
  return i < slots_.size() ? &slots_[i] : nullptr;
}

std::optional<AttributeValue> AttributeList::Find(std::string_view key) const {
  const std::size_t i = IndexOf(key);
  if (i == slots_.size()) return std::nullopt;
  return (*this)[i].value;
}

bool AttributeList::Replace(Slot& slot, const AttributeValue& value) {
  Slot s = slot;
  if (!StoreValue(s, value)) return false;
  slot = s;
  return true;
}

bool AttributeList::Set(StaticKey key, const AttributeValue& value) {
  if (Slot* s = FindSlot(key.str)) return Replace(*s, value);
  return Add(key, value);
}

bool AttributeList::Set(std::string_view key, const AttributeValue& value) {
  if (Slot* s = FindSlot(key)) return Replace(*s, value);
  if (slots_.size() >= kMaxAttributes || text_.size() + key.size() > kMaxTextBytes) return false;
  Slot s;
  s.key_offset = static_cast<std::uint32_t>(text_.size());
  s.key_size = static_cast<std::uint32_t>(key.size());
  text_.append(key);
  if (!StoreValue(s, value)) {
    text_.resize(s.key_offset);
    return false;
  }
  slots_.push_back(s);
  return true;
}

}  // namespace astraguard::obs
