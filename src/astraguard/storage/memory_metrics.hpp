#pragma once
// MemoryEngineMetrics: the guide's memory-engine families for one in-memory store, resolved once:
//   astra_memory_engine_hits_total{store_type}    counter  lookups by id that found the item
//   astra_memory_engine_misses_total{store_type}  counter  lookups by id that did not
//   astra_memory_engine_size_bytes{store_type}    gauge    approximate bytes held
// Thread-safe (prometheus-cpp handles are). The registry must outlive it.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace astraguard::storage {

struct MemoryEngineMetrics {
  MemoryEngineMetrics(prometheus::Registry& registry, const std::string& store_type)
      : hits(prometheus::BuildCounter()
                 .Name("astra_memory_engine_hits_total")
                 .Help("Lookups by id in an in-memory store that found the item.")
                 .Register(registry)
                 .Add({{"store_type", store_type}})),
        misses(prometheus::BuildCounter()
                   .Name("astra_memory_engine_misses_total")
                   .Help("Lookups by id in an in-memory store that did not find the item.")
                   .Register(registry)
                   .Add({{"store_type", store_type}})),
        size_bytes(prometheus::BuildGauge()
                       .Name("astra_memory_engine_size_bytes")
                       .Help("Approximate bytes held by an in-memory store.")
                       .Register(registry)
                       .Add({{"store_type", store_type}})) {}
  prometheus::Counter& hits;
  prometheus::Counter& misses;
  prometheus::Gauge& size_bytes;
};

}  // namespace astraguard::storage
