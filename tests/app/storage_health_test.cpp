// storage_health_test.cpp — /readyz's storage answer under a fake clock: a
// failed batch makes orderd not ready, a later successful small batch does
// not flip it back at once, and it is ready again after the hold.
#include <catch2/catch.hpp>

#include "app/storage_health.h"

using orderd::FakeClock;
using orderd::app::StorageHealth;

TEST_CASE("storage health: ready until a batch fails, held not ready after it", "[app][readyz]") {
  FakeClock clock;
  StorageHealth h;
  CHECK(h.ready(clock.now_ms()));
  h.on_batch(true, clock.now_ms());
  CHECK(h.ready(clock.now_ms()));

  h.on_batch(false, clock.now_ms());
  CHECK_FALSE(h.ready(clock.now_ms()));
  clock.advance(StorageHealth::kHoldMs * 10);
  CHECK_FALSE(h.ready(clock.now_ms()));  // still failing: no success since

  h.on_batch(true, clock.now_ms());  // a small batch fits again
  CHECK_FALSE(h.ready(clock.now_ms()));  // ...the hold counts from this recovery
  clock.advance(StorageHealth::kHoldMs - 1);
  CHECK_FALSE(h.ready(clock.now_ms()));
  clock.advance(1);
  CHECK(h.ready(clock.now_ms()));
}

TEST_CASE("storage health: a success right after a failure does not flap to ready", "[app][readyz]") {
  FakeClock clock;
  StorageHealth h;
  h.on_batch(false, clock.now_ms());
  clock.advance(10);
  h.on_batch(true, clock.now_ms());
  CHECK_FALSE(h.ready(clock.now_ms()));
  clock.advance(StorageHealth::kHoldMs - 1);
  CHECK_FALSE(h.ready(clock.now_ms()));
  h.on_batch(true, clock.now_ms());  // further successes do not restart the hold
  clock.advance(1);
  CHECK(h.ready(clock.now_ms()));

  // another failure restarts the hold
  h.on_batch(false, clock.now_ms());
  h.on_batch(true, clock.now_ms());
  clock.advance(StorageHealth::kHoldMs - 1);
  CHECK_FALSE(h.ready(clock.now_ms()));
  clock.advance(1);
  CHECK(h.ready(clock.now_ms()));
}
