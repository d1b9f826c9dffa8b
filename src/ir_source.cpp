// SourceText: the text of one input and its line index, mapping byte offsets to line:col.
#include <algorithm>
#include <cstring>

#include "migsafe/ir.hpp"

namespace migsafe {

SourceText::SourceText(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  // LF, CR LF and a lone CR (old Mac files) each end a line, as PostgreSQL's scanner reads them.
  // Without a CR, every line ends at a LF, which memchr finds (a byte at a time was a tenth of
  // a 10 MB check, before any thread could start).
  if (text_.find('\r') == std::string::npos) {
    const char* begin = text_.data();
    const char* end = begin + text_.size();
    for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, '\n', end - p)));)
      line_starts_.push_back(static_cast<uint32_t>(++p - begin));
    return;
  }
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
  s.stop = position(s.end > s.begin ? s.end - 1 : s.begin);
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
