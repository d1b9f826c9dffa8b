// SourceText: the text of one input and its line index, mapping byte offsets to line:col.
#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "migsafe/ir.hpp"
#include "migsafe/two_halves.hpp"

namespace migsafe {

namespace {

// The starts of the lines after each LF; false as soon as a CR turns up, for the caller to read
// the lines the slow way. Sixteen bytes at a time where SSE2 is there (every x86-64): a
// memchr per line was a fifth of a 20 MB file's reading, before any thread could start.
// `base` is the text's offset in the whole source, added to each start.
bool lf_line_starts(std::string_view text, size_t base, std::vector<uint32_t>& starts) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) != 0) return false;
    for (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf))); m != 0;
         m &= m - 1)
      starts.push_back(static_cast<uint32_t>(base + i + static_cast<size_t>(__builtin_ctz(m)) + 1));
  }
#endif
  for (; i < n; ++i) {
    if (p[i] == '\r') return false;
    if (p[i] == '\n') starts.push_back(static_cast<uint32_t>(base + i + 1));
  }
  return true;
}

// The same for the whole text, its two halves read at once; the second's starts follow the
// first's.
bool lf_line_starts_in_halves(std::string_view text, std::vector<uint32_t>& starts) {
  const size_t split = half_line_split(text);
  if (split == std::string_view::npos) return lf_line_starts(text, 0, starts);
  std::vector<uint32_t> second;
  second.reserve((text.size() - split) / 40 + 1);
  bool first_lf = false, second_lf = false;
  run_both([&] { first_lf = lf_line_starts(text.substr(0, split), 0, starts); },
           [&] { second_lf = lf_line_starts(text.substr(split), split, second); });
  if (!first_lf || !second_lf) return false;
  starts.insert(starts.end(), second.begin(), second.end());
  return true;
}

}  // namespace

SourceText::SourceText(std::string path, std::string text, int threads)
    : path_(std::move(path)), text_(std::move(text)) {
  // Room for lines of 40 bytes: SQL's are shorter, and each regrowth copies and faults in pages.
  line_starts_.reserve(text_.size() / 40 + 1);
  line_starts_.push_back(0);
  if (threads >= 2 && text_.size() >= kTwoHalvesFrom ? lf_line_starts_in_halves(text_, line_starts_)
                                                     : lf_line_starts(text_, 0, line_starts_))
    return;
  // LF, CR LF and a lone CR (old Mac files) each end a line, as PostgreSQL's scanner reads them.
  line_starts_.assign(1, 0);
  for (uint32_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')))
      line_starts_.push_back(i + 1);
}

Position SourceText::position(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line_idx = static_cast<uint32_t>(std::distance(line_starts_.begin(), it)) - 1;
  return {line_idx + 1, 1 + code_points(line_starts_[line_idx], offset)};
}

Position SourceText::position(uint32_t offset, uint32_t from_line) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  size_t idx = from_line > 0 ? from_line - 1 : 0;
  const size_t n = line_starts_.size();
  if (idx >= n || line_starts_[idx] > offset) return position(offset);
  // Walk a few lines; farther than that, search the rest.
  for (int step = 0; idx + 1 < n && line_starts_[idx + 1] <= offset; ++step, ++idx) {
    if (step == 8) {
      auto it = std::upper_bound(line_starts_.begin() + static_cast<std::ptrdiff_t>(idx),
                                 line_starts_.end(), offset);
      idx = static_cast<size_t>(std::distance(line_starts_.begin(), it)) - 1;
      break;
    }
  }
  const auto line_start = line_starts_[idx];
  return {static_cast<uint32_t>(idx + 1), 1 + code_points(line_start, offset)};
}

// Code points in [begin, end): the bytes less the UTF-8 continuation bytes (10xxxxxx), counted
// eight bytes at a time (every statement's span asks twice, to the end of long lines).
uint32_t SourceText::code_points(uint32_t begin, uint32_t end) const {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint32_t continuation = 0;
  uint32_t i = begin;
  for (; i + 8 <= end; i += 8) {
    uint64_t w;
    std::memcpy(&w, text_.data() + i, 8);
    // One bit per continuation byte, moved to each byte's low bit and summed by a multiply
    // (std::popcount is a library call without a POPCNT target).
    const uint64_t marks = (w & ~(w << 1) & kHigh) >> 7;
    continuation += static_cast<uint32_t>((marks * 0x0101010101010101ull) >> 56);
  }
  for (; i < end; ++i) continuation += (static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80;
  return end - begin - continuation;
}

Span SourceText::span(uint32_t begin, uint32_t end) const {
  Span s;
  s.begin = begin;
  s.end = std::max(begin, end);
  s.start = position(begin);
  s.stop = position(s.end > s.begin ? s.end - 1 : s.begin, s.start.line);
  return s;
}

std::string_view SourceText::line(uint32_t line_no) const {
  if (line_no == 0 || line_no > line_starts_.size()) return {};
  uint32_t b = line_starts_[line_no - 1];
  uint32_t e =
      line_no < line_starts_.size() ? line_starts_[line_no] : static_cast<uint32_t>(text_.size());
  if (e > b && text_[e - 1] == '\n') --e;
  if (e > b && text_[e - 1] == '\r') --e;
  return std::string_view(text_).substr(b, e - b);
}

}  // namespace migsafe
