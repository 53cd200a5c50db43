// Tests of HugePageAllocator: small blocks from operator new, large ones
// mapped and 2 MiB-aligned, contents kept across vector growth.
#include "core/huge_pages.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

using orderd::HugePageAllocator;

TEST_CASE("huge-page allocator maps blocks of 2 MiB and more aligned, and frees what it mapped", "[core]") {
  HugePageAllocator<uint64_t> alloc;
  const size_t huge = HugePageAllocator<uint64_t>::kHugePage;
  CHECK(HugePageAllocator<uint64_t>::mapped_bytes(1000) == 0);                  // 8 KB: operator new
  CHECK(HugePageAllocator<uint64_t>::mapped_bytes(huge / 8) == huge);           // exactly 2 MiB
  CHECK(HugePageAllocator<uint64_t>::mapped_bytes(huge / 8 + 1) == 2 * huge);  // rounded up

  for (size_t n : {size_t{1000}, huge / 8, 3 * huge / 8 + 5}) {
    uint64_t* p = alloc.allocate(n);
    REQUIRE(p != nullptr);
    if (HugePageAllocator<uint64_t>::mapped_bytes(n) > 0) CHECK(reinterpret_cast<uintptr_t>(p) % huge == 0);
    for (size_t i = 0; i < n; ++i) p[i] = i * 7;  // every byte writable
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += p[i] - i * 7;
    CHECK(sum == 0);
    alloc.deallocate(p, n);
  }
}

TEST_CASE("a vector on the huge-page allocator keeps its contents as it grows past 2 MiB", "[core]") {
  std::vector<uint32_t, HugePageAllocator<uint32_t>> v;
  for (uint32_t i = 0; i < 3'000'000; ++i) v.push_back(i ^ 0x5a5a5a5au);  // 12 MB: several remaps
  REQUIRE(v.size() == 3'000'000);
  bool same = true;
  for (uint32_t i = 0; i < v.size(); ++i) same = same && v[i] == (i ^ 0x5a5a5a5au);
  CHECK(same);
  v.clear();
  v.shrink_to_fit();  // back to nothing: the mapping is released
  CHECK(v.capacity() == 0);
}
