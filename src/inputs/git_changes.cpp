// Asking git which migrations changed: run as a child process with an argument vector (no
// shell), so a revision name can never be read as a command.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "migsafe/inputs.hpp"

extern char** environ;

namespace migsafe {
namespace {

namespace fs = std::filesystem;

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

// Reads both pipes to the end; git's output for a migrations folder is small.
Output run(const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
    throw InputError("git", std::string("cannot start git: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Output o;
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw InputError("git", std::string("cannot run git: ") + std::strerror(rc));
  }
  std::array<char, 4096> buf;
  for (int fd : {out_pipe[0], err_pipe[0]}) {
    std::string& dest = fd == out_pipe[0] ? o.out : o.err;
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0)
      dest.append(buf.data(), static_cast<size_t>(n));
    close(fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

std::string first_line(const std::string& s) {
  auto l = lines(s);
  return l.empty() ? std::string("git failed") : l.front();
}

}  // namespace

GitChanges git_changes_since(const std::string& dir, const std::string& ref) {
  Output top = run({"git", "-C", dir, "rev-parse", "--show-toplevel"});
  if (top.status != 0)
    throw InputError(dir, "is not inside a git repository: " + first_line(top.err));
  fs::path root = lines(top.out).empty() ? fs::path(dir) : fs::path(lines(top.out).front());
  Output verify =
      run({"git", "-C", root.string(), "rev-parse", "--verify", "--quiet", ref + "^{commit}"});
  if (verify.status != 0) throw InputError(ref, "is not a git revision in " + root.string());
  std::error_code ec;
  std::string scope = fs::relative(fs::absolute(dir, ec), root, ec).generic_string();
  if (scope.empty()) scope = ".";
  GitChanges c;
  Output diff =
      run({"git", "-C", root.string(), "diff", "--name-status", "--no-renames", ref, "--", scope});
  if (diff.status != 0) throw InputError(dir, "git diff failed: " + first_line(diff.err));
  for (const auto& l : lines(diff.out)) {
    size_t tab = l.find('\t');
    if (tab == std::string::npos) continue;
    std::string path = (root / l.substr(tab + 1)).lexically_normal().string();
    if (l[0] == 'A')
      c.added.insert(path);
    else if (l[0] == 'M' || l[0] == 'T')
      c.modified.insert(path);
  }
  Output untracked = run({"git", "-C", root.string(), "ls-files", "--others", "--exclude-standard",
                          "--full-name", "--", scope});
  for (const auto& l : lines(untracked.out)) c.added.insert((root / l).lexically_normal().string());
  return c;
}

std::optional<std::string> git_file_at(const std::string& dir, const std::string& ref,
                                       const std::string& name) {
  // --end-of-options: a revision that looks like an option is still only a revision.
  Output o = run({"git", "-C", dir, "show", "--end-of-options", ref + ":./" + name});
  if (o.status != 0) return std::nullopt;
  return o.out;
}

}  // namespace migsafe
