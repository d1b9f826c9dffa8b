// Reading inputs: files, stdin, pipes and devices, bounded, checked to be UTF-8 text.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "migsafe/inputs.hpp"

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

}  // namespace

std::shared_ptr<const SourceText> make_source(std::string path, std::string text) {
  // A byte order mark is legal UTF-8 but not SQL; blank it so offsets stay put.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.replace(0, 3, "   ");
  auto src = std::make_shared<SourceText>(path, std::move(text));
  const std::string& t = src->text();
  if (size_t nul = t.find('\0'); nul != std::string::npos)
    throw InputError(path, "contains a NUL byte: this is not a SQL text file",
                     src->position(static_cast<uint32_t>(nul)));
  if (size_t bad = find_invalid_utf8(t); bad != std::string_view::npos)
    throw InputError(path, "is not valid UTF-8 (convert the file to UTF-8)",
                     src->position(static_cast<uint32_t>(bad)));
  return src;
}

std::string read_bounded(const std::string& path, size_t limit) {
  std::string shown = path == "-" ? "<stdin>" : path;
  std::string too_big = "is larger than " + std::to_string(limit >> 20) +
                        " MiB, the most migsafe reads from one input";
  int fd = 0;
  if (path != "-") {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputError(path, describe_errno(errno));
    if (S_ISDIR(st.st_mode)) throw InputError(path, "is a folder, expected a file");
    if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit)
      throw InputError(path, "is " + std::to_string(st.st_size >> 20) + " MiB, larger than the " +
                                 std::to_string(limit >> 20) + " MiB migsafe reads from one input");
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path, describe_errno(errno));
  }
  // Pipes, FIFOs, process substitution and devices have no size: read them as streams, and stop
  // at the limit while reading rather than after.
  std::string text;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      if (fd != 0) ::close(fd);
      throw InputError(shown, describe_errno(err));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > limit) {
      if (fd != 0) ::close(fd);
      throw InputError(shown, too_big);
    }
    text.append(buf, static_cast<size_t>(n));
  }
  if (fd != 0) ::close(fd);
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

std::shared_ptr<const SourceText> read_source(const std::string& path) {
  return make_source(path == "-" ? "<stdin>" : path, read_bounded(path, kMaxInputBytes));
}

}  // namespace migsafe
