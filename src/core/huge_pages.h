#pragma once
// HugePageAllocator — a std::allocator for large, hot arrays (the timing
// wheel's entry pool and fire batches): blocks of 2 MiB and more are mapped
// with mmap and marked MADV_HUGEPAGE, smaller ones come from operator new.
//
// Why: walking 100k wheel entries (~5 MB) on 4 KiB pages costs a TLB miss per
// few entries, and on a virtual machine (nested paging) a TLB miss is several
// memory reads: the 100k-timer burst took 8–16 ms to hand over, 1 ms on huge
// pages (the kernel's transparent huge pages, in "madvise" mode on Debian).
// Where the kernel has none to give, the advice is ignored and the memory is
// ordinary pages.
//
// Invariant: whether a block was mapped depends only on its byte size, so
// deallocate(p, n) frees it the way allocate(n) got it.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace orderd {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static size_t mapped_bytes(size_t n) {
    const size_t bytes = n * sizeof(T);
    return bytes < kHugePage ? 0 : (bytes + kHugePage - 1) / kHugePage * kHugePage;
  }

  T* allocate(size_t n) {
    const size_t bytes = mapped_bytes(n);
    if (bytes == 0) return static_cast<T*>(::operator new(n * sizeof(T)));
    // Map 2 MiB more, keep the 2 MiB-aligned part (huge pages need the
    // alignment) and give the rest back: the block is exactly [p, p + bytes).
    void* raw = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    if (const size_t tail = start + bytes + kHugePage - (aligned + bytes); tail > 0)
      munmap(reinterpret_cast<void*>(aligned + bytes), tail);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: ignored where unavailable
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = mapped_bytes(n);
    if (bytes == 0) ::operator delete(p);
    else munmap(p, bytes);
  }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace orderd
