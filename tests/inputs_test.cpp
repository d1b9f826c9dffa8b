// Inputs fail closed and stay bounded: streams are read, limits hold while reading, what
// cannot be read says why, and PL/pgSQL that does not compile is a syntax error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "helpers.hpp"
#include "migsafe/two_halves.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

bool mentions(const test::CommandResult& r, std::string_view text) {
  return r.out.find(text) != std::string::npos || r.err.find(text) != std::string::npos;
}

TEST(Inputs, StdinStopsAtTheLimitWhileReading) {
  // /dev/zero never ends: only a limit applied while reading stops it.
  auto r = test::run_migsafe({"check", "-"}, "/dev/zero");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(mentions(r, "is larger than 64 MiB")) << r.out << r.err;
}

TEST(Inputs, PackAndConfigStopAtTheLimitWhileReading) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", "SELECT 1;\n");
  auto pack = test::run_migsafe({"check", "--pack", "/dev/zero", d + "/m.sql"});
  EXPECT_EQ(pack.exit_code, 2) << pack.out << pack.err;
  EXPECT_TRUE(mentions(pack, "is larger than 64 MiB")) << pack.err;
  auto config = test::run_migsafe({"check", "--config", "/dev/zero", d + "/m.sql"});
  EXPECT_EQ(config.exit_code, 2) << config.out << config.err;
  EXPECT_TRUE(mentions(config, "is larger than 64 MiB")) << config.err;
}

TEST(Inputs, FifoIsReadAsAStream) {
  std::string d = test::temp_dir();
  std::string fifo = d + "/m.sql";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo);
    out << "DROP TABLE users;\n";
  });
  auto r = test::run_migsafe({"check", fifo});
  writer.join();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(mentions(r, "error[drop-table]")) << r.out;
}

TEST(Inputs, ProcessSubstitutionIsRead) {
  std::string d = test::temp_dir();
  std::string cmd = "bash -c \"'" + std::string(MIGSAFE_BINARY) +
                    "' check <(printf 'DROP TABLE users;\\n')\" >" + d + "/out 2>&1";
  int status = std::system(cmd.c_str());
  std::string out = test::read_file(d + "/out");
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("error[drop-table]"), std::string::npos) << out;
}

TEST(Inputs, SymbolicLinkLoopsSaySo) {
  std::string d = test::temp_dir();
  fs::create_symlink(d + "/b.sql", d + "/a.sql");
  fs::create_symlink(d + "/a.sql", d + "/b.sql");
  auto file = test::run_migsafe({"check", d + "/a.sql"});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_TRUE(mentions(file, "a loop of symbolic links")) << file.out;
  fs::create_directories(d + "/set");
  test::write_file(d + "/set/1.sql", "SELECT 1;\n");
  fs::create_symlink(d + "/a.sql", d + "/set/2.sql");
  auto folder = test::run_migsafe({"check", d + "/set"});
  EXPECT_EQ(folder.exit_code, 2) << folder.out;
  EXPECT_TRUE(
      mentions(folder, "2.sql: error[input-error]: cannot be read: a loop of symbolic links"))
      << folder.out;
  fs::remove(d + "/set/2.sql");
  fs::create_symlink(d + "/nowhere.sql", d + "/set/2.sql");
  auto dangling = test::run_migsafe({"check", d + "/set"});
  EXPECT_EQ(dangling.exit_code, 2) << dangling.out;
  EXPECT_TRUE(mentions(dangling, "is a symbolic link to nothing")) << dangling.out;
}

// A set of many files is read on two threads: the files keep their order, and the ones that
// cannot be read are each a problem at its place, as when one thread reads them all.
TEST(Inputs, ManyFilesReadOnTwoThreadsKeepTheirOrderAndProblems) {
  std::string d = test::temp_dir();
  fs::create_directories(d + "/set");
  for (int i = 1; i <= 150; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/set/%03d_m.sql", i);
    std::string text = "CREATE TABLE t" + std::to_string(i) + " (id int);\n";
    if (i % 50 == 7) text = std::string("SELECT 1;\n\xff\xfe;\n");  // not UTF-8
    if (i == 100) text = std::string("SELECT 1;\0\n", 11);
    test::write_file(d + name, text);
  }
  auto one = test::run_migsafe({"check", "--jobs", "1", d + "/set"});
  auto two = test::run_migsafe({"check", "--jobs", "2", d + "/set"});
  EXPECT_EQ(one.exit_code, 2) << one.out << one.err;
  EXPECT_EQ(two.exit_code, one.exit_code);
  EXPECT_EQ(two.out, one.out);
  EXPECT_EQ(two.err, one.err);
  for (const char* bad : {"007_m.sql", "057_m.sql", "107_m.sql", "100_m.sql"})
    EXPECT_TRUE(mentions(two, bad)) << bad << "\n" << two.out << two.err;
  EXPECT_TRUE(mentions(two, "is not valid UTF-8")) << two.out << two.err;
  EXPECT_TRUE(mentions(two, "contains a NUL byte")) << two.out << two.err;
  EXPECT_TRUE(mentions(two, "146 files")) << two.out;  // the 146 that could be read
}

// A subfolder that cannot be read could hold migrations: an error that says permission denied.
TEST(Inputs, UnreadableFolderSaysPermissionDenied) {
  std::string d = test::temp_dir();
  fs::create_directories(d + "/set/hidden");
  test::write_file(d + "/set/1.sql", "SELECT 1;\n");
  test::write_file(d + "/set/hidden/2.sql", "DROP TABLE users;\n");
  fs::permissions(d + "/set/hidden", fs::perms::none);
  std::string cmd =
      "'" + std::string(MIGSAFE_BINARY) + "' check '" + d + "/set' >'" + d + "/out' 2>&1";
  if (::getuid() == 0) {
    // Root reads every folder: run as an account that cannot, if it can reach the binary.
    std::string probe = "runuser -u nobody -- test -x '" + std::string(MIGSAFE_BINARY) +
                        "' && runuser -u nobody -- test -r '" + d + "/set/1.sql'";
    if (std::system(probe.c_str()) != 0) {
      fs::permissions(d + "/set/hidden", fs::perms::owner_all);
      GTEST_SKIP() << "running as root, and the nobody account cannot reach the binary or "
                      "the temporary folder";
    }
    fs::permissions(d, fs::perms::all);
    cmd = "runuser -u nobody -- " + cmd;
  }
  int status = std::system(cmd.c_str());
  std::string out = test::read_file(d + "/out");
  fs::permissions(d + "/set/hidden", fs::perms::owner_all);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("hidden: error[input-error]: cannot be read: permission denied"),
            std::string::npos)
      << out;
}

// Old Mac files end lines with a lone CR; PostgreSQL ends a -- comment there.
TEST(Inputs, LoneCarriageReturnsEndLines) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", "-- drop the old table\rDROP TABLE users;\rSELECT 1;\r");
  auto r = test::run_migsafe({"check", d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(mentions(r, "m.sql:2:1: error[drop-table]")) << r.out;
}

TEST(Inputs, PlpgsqlThatDoesNotCompileIsASyntaxError) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "DO $$\nBEGIN\n  PERFORM 1 +;\nEND $$;\n"
                   "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  IF true "
                   "THEN\n    NULL;\nEND $$;\n");
  auto r = test::run_migsafe({"check", d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(mentions(r, "m.sql:3:3: error[syntax-error]: PL/pgSQL: syntax error")) << r.out;
  EXPECT_TRUE(mentions(r, "m.sql:5:")) << r.out;
}

std::string nested_do(int depth, const std::string& inner) {
  std::string s = "DO $$ ";
  for (int i = 0; i < depth; ++i) s += "BEGIN ";
  s += inner + " ";
  for (int i = 0; i < depth; ++i) s += "END; ";
  return s + "$$;\n";
}

TEST(Inputs, NestedBodiesAreFollowedOrRefused) {
  std::string d = test::temp_dir();
  // PostgreSQL runs a few hundred nested blocks: what is inside is checked.
  test::write_file(d + "/deep.sql", nested_do(400, "DROP TABLE users;"));
  auto deep = test::run_migsafe({"check", d + "/deep.sql"});
  EXPECT_EQ(deep.exit_code, 1) << deep.out;
  EXPECT_TRUE(mentions(deep, "error[drop-table]")) << deep.out;
  // Deeper than the parser follows: an error, never a pass.
  test::write_file(d + "/deeper.sql", nested_do(6000, "DROP TABLE users;"));
  auto deeper = test::run_migsafe({"check", d + "/deeper.sql"});
  EXPECT_EQ(deeper.exit_code, 2) << deeper.out;
  EXPECT_TRUE(mentions(deeper, "error[syntax-error]: PL/pgSQL")) << deeper.out;
}

TEST(Inputs, ExecuteOfALiteralDoBlockIsFollowed) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "DO $outer$\nBEGIN\n  EXECUTE $x$DO $y$ BEGIN DROP TABLE users; END $y$ $x$;\n"
                   "  EXECUTE 'ALTER TABLE orders ' || 'DROP COLUMN note';\nEND $outer$;\n");
  auto r = test::run_migsafe({"check", d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(mentions(r, "error[drop-table]")) << r.out;
  EXPECT_TRUE(mentions(r, "error[drop-column]")) << r.out;
}

// What the server compiles but migsafe's parser cannot read is said, not an error and not a pass.
TEST(Inputs, UnreadableBodiesAreSaid) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "CREATE FUNCTION f(x int) RETURNS TABLE (y int) LANGUAGE plpgsql AS $$\n"
                   "BEGIN\n  y := x;\n  RETURN NEXT;\nEND $$;\n"
                   "CREATE FUNCTION g(int) RETURNS int LANGUAGE plpgsql AS $$\n"
                   "DECLARE v ALIAS FOR $1;\nBEGIN\n  RETURN v;\nEND $$;\n");
  auto r = test::run_migsafe({"check", d + "/m.sql"});
  EXPECT_NE(r.exit_code, 2) << r.out;
  EXPECT_TRUE(mentions(r, "m.sql:1:1: warning[routine-body-unchecked]")) << r.out;
  EXPECT_TRUE(mentions(r, "m.sql:6:1: warning[routine-body-unchecked]")) << r.out;
}

// Inputs are read eight ASCII bytes at a time: a bad byte, and a good multi-byte character, are
// found wherever they fall in or after such a run, and lines are counted the same with or
// without CRs.
TEST(Inputs, Utf8AndLinesWhereverTheyFall) {
  for (size_t k = 0; k < 20; ++k) {
    std::string head(k, 'a');
    try {
      make_source("bad.sql", head + "\xC3\x28 tail of the line\n");
      ADD_FAILURE() << "no error with " << k << " bytes before";
    } catch (const InputError& e) {
      EXPECT_EQ(e.pos().line, 1u) << k;
      EXPECT_EQ(e.pos().col, k + 1) << k;
    }
    EXPECT_NO_THROW(make_source("ok.sql", head + "caf\xC3\xA9 " + head + "\xE2\x82\xAC\n"));
    EXPECT_THROW(make_source("cut.sql", head + "\xE2\x82"), InputError) << k;
  }
  const char* texts[] = {"a\nb\n\nc", "a\r\nb\rc\n", "\n\n", "", "no newline", "x\r"};
  for (const char* t : texts) {
    auto src = make_source("t.sql", t);
    std::string text = t;
    uint32_t lines = 1;
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')))
        ++lines;
    EXPECT_EQ(src->line_count(), lines) << t;
    EXPECT_EQ(src->position(static_cast<uint32_t>(text.size())).line, lines) << t;
  }
}

// Line starts are found sixteen bytes at a time: every offset's line is right wherever the LFs
// fall in and across those blocks, and a CR after many lines of LFs alone (in any block, or in
// the tail) starts the lines over the careful way.
TEST(Inputs, LineStartsWhereverTheNewlinesFall) {
  for (size_t len = 0; len < 40; ++len)
    for (size_t cr_at : {std::string::npos, size_t{0}, size_t{15}, size_t{16}, size_t{37}}) {
      std::string text;
      for (size_t i = 0; text.size() < 80; ++i) text += std::string((i * 7 + len) % 19, 'x') + "\n";
      text.resize(std::min(text.size(), 64 + len));
      if (cr_at != std::string::npos && cr_at < text.size()) text[cr_at] = '\r';
      SourceText src("t.sql", text);
      uint32_t line = 1;
      for (size_t i = 0; i <= text.size(); ++i) {
        ASSERT_EQ(src.position(static_cast<uint32_t>(i)).line, line)
            << "offset " << i << ", length " << text.size() << ", CR at " << cr_at;
        if (i < text.size() &&
            (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))))
          ++line;
      }
      EXPECT_EQ(src.line_count(), line);
    }
}

// A large text's line index and checks, read as two halves on two threads, are those of one
// pass: the same lines, and the same first NUL or broken UTF-8 byte in either half, or right at
// the split (a character cut short by the LF the halves split after).
TEST(Inputs, LargeTextsReadInHalvesAsInOnePass) {
  std::string base;
  for (size_t i = 0; base.size() < kTwoHalvesFrom + 4096; ++i)
    base += "ALTER TABLE t" + std::to_string(i % 97) + " ADD c INT; -- \xC3\xA9\n";
  const size_t split = half_line_split(base);
  ASSERT_NE(split, std::string::npos);
  ASSERT_EQ(base[split - 1], '\n');
  auto same_index = [](const std::string& text) {
    SourceText one("t.sql", text, 1), two("t.sql", text, 2);
    ASSERT_EQ(one.line_count(), two.line_count());
    for (uint32_t off = 0; off <= text.size(); off += 997) {
      ASSERT_EQ(one.position(off).line, two.position(off).line) << off;
      ASSERT_EQ(one.position(off).col, two.position(off).col) << off;
    }
    for (uint32_t line = 1; line <= one.line_count(); line += 101)
      ASSERT_EQ(one.line(line), two.line(line)) << line;
  };
  same_index(base);
  std::string crlf = base;
  crlf[split + 100] = '\r';  // a lone CR in the second half: the careful reading, both ways
  same_index(crlf);
  crlf[split / 2] = '\r';
  same_index(crlf);

  auto error = [](const std::string& text, int threads) {
    try {
      make_source("t.sql", text, threads);
    } catch (const InputError& e) {
      return e.where() + " " + e.what();
    }
    return std::string("no error");
  };
  const size_t places[] = {10, split / 2, split - 2, split - 1, split, split + 3, base.size() - 5};
  for (size_t at : places) {
    for (const char* fault : {"\0", "\xFF", "\xE2"}) {
      std::string text = base;
      text[at] = fault[0];
      const std::string whole = error(text, 1);
      EXPECT_NE(whole, "no error") << at;
      EXPECT_EQ(error(text, 2), whole) << "at " << at;
    }
  }
  // A NUL in the second half and broken UTF-8 in the first: the NUL is told first, as before.
  std::string both = base;
  both[split + 50] = '\0';
  both[40] = '\xFF';
  EXPECT_EQ(error(both, 2), error(both, 1));
  EXPECT_NE(error(both, 2).find("NUL"), std::string::npos);
  EXPECT_EQ(error(base, 2), "no error");
}

// Columns count characters, eight bytes at a time: multi-byte ones wherever they fall in the
// word, across word boundaries, and on a second line.
TEST(Inputs, ColumnsCountCharactersWhereverTheyFall) {
  const std::string chars[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  for (const std::string& ch : chars)
    for (size_t k = 0; k < 19; ++k) {
      std::string line = std::string(k, 'a') + ch + std::string(20, 'b') + ch + "c";
      std::string text = "x\n" + line;
      SourceText src("t.sql", text);
      uint32_t col = 1;
      for (uint32_t i = 2; i < text.size(); ++i) {
        bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts) {
          Position p = src.position(i);
          EXPECT_EQ(p.line, 2u);
          EXPECT_EQ(p.col, col) << "byte " << i << " of " << k << "+" << ch.size();
          ++col;
        }
      }
    }
}

// From a line at or before the offset, a position is the same as the whole index's answer:
// near lines walked, far ones searched, and a hint past the offset ignored.
TEST(Inputs, PositionsFromAKnownLineMatchTheWholeSearch) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += std::string(static_cast<size_t>(i % 7), 'a') + "\xC3\xA9x\n";
  text += "tail";
  SourceText src("t.sql", text);
  for (uint32_t off = 0; off <= text.size(); ++off) {
    const Position want = src.position(off);
    for (uint32_t from : {0u, 1u, want.line, want.line > 3 ? want.line - 3 : 1u,
                          want.line > 30 ? want.line - 30 : 1u, want.line + 1, 1000u}) {
      const Position got = src.position(off, from);
      EXPECT_EQ(got.line, want.line) << "offset " << off << " from line " << from;
      EXPECT_EQ(got.col, want.col) << "offset " << off << " from line " << from;
    }
  }
  // A span's last character, found from its first line, across many lines.
  Span sp = src.span(3, static_cast<uint32_t>(text.size()));
  EXPECT_EQ(sp.stop, src.position(static_cast<uint32_t>(text.size()) - 1));
}

}  // namespace
}  // namespace migsafe
