#include "astraguard/obs/span_data.hpp"

namespace astraguard::obs {

AttributeList::Slot* AttributeList::FindSlot(std::string_view key) {
  for (auto& s : slots_)
    if (KeyOf(s) == key) return &s;
  return nullptr;
}

std::optional<AttributeValue> AttributeList::Find(std::string_view key) const {
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (KeyOf(slots_[i]) == key) return (*this)[i].value;
  return std::nullopt;
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
