#pragma once
// Work shared between this thread and a second one: the two halves of one pass over a large
// input, or a set's files taken in turn.
#include <cstddef>
#include <exception>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace migsafe {

// Inputs smaller than this are read in one pass: a thread's start (about 0.1 ms) would cost
// about what half of the pass saves.
inline constexpr size_t kTwoHalvesFrom = 4u << 20;

// Where a text splits into two halves that start lines: just after the first LF at or past its
// middle (npos when the second half has none). A UTF-8 character never spans an LF, so each
// half can be checked alone.
inline size_t half_line_split(std::string_view text) {
  const size_t at = text.find('\n', text.size() / 2);
  return at == std::string_view::npos || at + 1 >= text.size() ? std::string_view::npos : at + 1;
}

// Runs first() here and second() on another thread, and returns when both are done; an
// exception of either is rethrown here (the first's first). Without a thread to be had, second()
// runs here after first().
template <class First, class Second>
void run_both(First&& first, Second&& second) {
  std::exception_ptr second_failed;
  std::thread helper;
  try {
    helper = std::thread([&] {
      try {
        second();
      } catch (...) {
        second_failed = std::current_exception();
      }
    });
  } catch (const std::system_error&) {
    first();
    second();
    return;
  }
  try {
    first();
  } catch (...) {
    helper.join();
    throw;
  }
  helper.join();
  if (second_failed) std::rethrow_exception(second_failed);
}

}  // namespace migsafe
