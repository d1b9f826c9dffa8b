// Reading inputs: files, stdin, pipes and devices, bounded, checked to be UTF-8 text.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "migsafe/fd.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/two_halves.hpp"

namespace migsafe {

std::string InputError::where() const {
  if (pos_.line == 0) return path_;
  return path_ + ":" + std::to_string(pos_.line) + ":" + std::to_string(pos_.col);
}

namespace {

// Returns the offset of the first byte that breaks UTF-8, or npos.
size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Eight ASCII bytes at a time: most SQL is ASCII, and this runs over every input before
    // any thread can start.
    uint64_t word = 0;
    while (i + 8 <= n && (std::memcpy(&word, s.data() + i, 8), (word & 0x8080808080808080ULL) == 0))
      i += 8;
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

// The first NUL byte and the first byte that breaks UTF-8 (npos: none).
struct TextFaults {
  size_t nul = std::string_view::npos;
  size_t bad_utf8 = std::string_view::npos;
};

TextFaults faults_in(std::string_view t, size_t base) {
  TextFaults f;
  if (size_t nul = t.find('\0'); nul != std::string_view::npos) f.nul = base + nul;
  if (size_t bad = find_invalid_utf8(t); bad != std::string_view::npos) f.bad_utf8 = base + bad;
  return f;
}

// The same, a large text's two halves read at once: the first half's faults come first.
TextFaults text_faults(std::string_view t, int threads) {
  const size_t split =
      threads >= 2 && t.size() >= kTwoHalvesFrom ? half_line_split(t) : std::string_view::npos;
  if (split == std::string_view::npos) return faults_in(t, 0);
  TextFaults first, second;
  run_both([&] { first = faults_in(t.substr(0, split), 0); },
           [&] { second = faults_in(t.substr(split), split); });
  if (first.nul == std::string_view::npos) first.nul = second.nul;
  if (first.bad_utf8 == std::string_view::npos) first.bad_utf8 = second.bad_utf8;
  return first;
}

// The name an input goes by in messages: "-" is the standard input.
std::string shown_name(const std::string& path) {
  return path == "-" ? "<stdin>" : path;
}

}  // namespace

std::shared_ptr<const SourceText> make_source(std::string path, std::string text, int threads) {
  // A byte order mark is legal UTF-8 but not SQL; blank it so offsets stay put.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.replace(0, 3, "   ");
  auto src = std::make_shared<SourceText>(path, std::move(text), threads);
  const TextFaults faults = text_faults(src->text(), threads);
  if (faults.nul != std::string_view::npos)
    throw InputError(path, "contains a NUL byte: this is not a SQL text file",
                     src->position(static_cast<uint32_t>(faults.nul)));
  if (faults.bad_utf8 != std::string_view::npos)
    throw InputError(path, "is not valid UTF-8 (convert the file to UTF-8)",
                     src->position(static_cast<uint32_t>(faults.bad_utf8)));
  return src;
}

std::string read_bounded(const std::string& path, size_t limit) {
  const bool from_stdin = path == "-";
  auto too_big = [&] {
    return InputError(shown_name(path), "is larger than " + std::to_string(limit >> 20) +
                                            " MiB, the most migsafe reads from one input");
  };
  // Opened first and asked through the descriptor: one path lookup per file, which a set of
  // thousands of migrations feels.
  Fd owned(from_stdin ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!from_stdin && owned.get() < 0) throw InputError(path, describe_errno(errno));
  const int fd = from_stdin ? 0 : owned.get();
  // Pipes, FIFOs, process substitution and devices have no size: read them as streams, and stop
  // at the limit while reading rather than after.
  size_t want = 1 << 16;
  bool regular = false;
  if (!from_stdin) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw InputError(path, describe_errno(errno));
    if (S_ISDIR(st.st_mode)) throw InputError(path, "is a folder, expected a file");
    if (S_ISREG(st.st_mode)) {
      if (static_cast<uint64_t>(st.st_size) > limit)
        throw InputError(path, "is " + std::to_string(st.st_size >> 20) + " MiB, larger than the " +
                                   std::to_string(limit >> 20) +
                                   " MiB migsafe reads from one input");
      // One byte more than its size, so that the first read already shows the end.
      want = static_cast<size_t>(st.st_size) + 1;
      regular = true;
    }
  }
  std::string text;
  for (;;) {
    size_t at = text.size();
    text.resize(at + want);
    ssize_t n = ::read(fd, text.data() + at, want);
    if (n < 0 && errno == EINTR) {
      text.resize(at);
      continue;
    }
    if (n < 0) throw InputError(shown_name(path), describe_errno(errno));
    text.resize(at + static_cast<size_t>(n));
    if (n == 0) break;
    if (text.size() > limit) throw too_big();
    // A regular file reads short only at its end (it grew meanwhile if the read was full).
    if (regular && static_cast<size_t>(n) < want) break;
    if (regular) want = 1 << 16;
  }
  return text;
}

std::string describe_errno(int err) {
  switch (err) {
    case ENOENT:
      return "does not exist";
    case EACCES:
      return "cannot be read: permission denied";
    case ELOOP:
      return "cannot be read: a loop of symbolic links";
    default:
      return std::string("cannot be read: ") + std::strerror(err);
  }
}

std::shared_ptr<const SourceText> read_source(const std::string& path, int threads) {
  return make_source(shown_name(path), read_bounded(path, kMaxInputBytes), threads);
}

std::vector<ReadResult> read_sources(const std::vector<std::string>& paths, int jobs) {
  std::vector<ReadResult> out(paths.size());
  // Below this many files a thread's start costs about what it saves: they are read one after
  // the other (a large one's line index and checks in two halves at once), more are shared out
  // between the threads whole.
  constexpr size_t kSharedFrom = 64;
  const int threads_per_file = paths.size() < kSharedFrom ? jobs : 1;
  auto read = [&](size_t i) {
    try {
      out[i].source = read_source(paths[i], threads_per_file);
    } catch (const InputError& e) {
      out[i].error = e;
    }
  };
  if (jobs < 2 || paths.size() < kSharedFrom) {
    for (size_t i = 0; i < paths.size(); ++i) read(i);
    return out;
  }
  std::atomic<size_t> next{0};
  // Each thread takes the next file; one that fails (out of memory: an InputError is kept as the
  // file's) stops the other taking more.
  auto take = [&] {
    try {
      for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < paths.size();) read(i);
    } catch (...) {
      next.store(paths.size());
      throw;
    }
  };
  run_both(take, take);
  return out;
}

}  // namespace migsafe
