// The second core: a thread that plans and parses the files of a migration set ahead of the
// rules engine, which takes their statements in file order on the calling thread. The engine's
// results do not depend on when a statement was parsed, so a run's output is the same with or
// without it (tests/jobs_test.cpp). The queue between the two is bounded: a large file streams
// through it as it does without the thread, and memory stays that of a few batches.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/runner.hpp"

namespace migsafe {

// A file as its runner sends it: the plan, and the text the parser reads (the file itself when
// all of it runs as one stretch, else a copy with the rest blanked).
struct FileStart {
  FilePlan plan;
  std::shared_ptr<const SourceText> running;
};
FileStart start_file(Layout runner, const std::shared_ptr<const SourceText>& src, Direction dir,
                     Dialect dialect, const RunnerSettings& settings);

class ParseAhead {
 public:
  struct Job {
    std::shared_ptr<const SourceText> src;
    Direction dir = Direction::up;
  };

  ParseAhead(std::vector<Job> jobs, Layout runner, const CheckOptions& opt,
             const RunnerSettings& settings);
  ~ParseAhead();
  ParseAhead(const ParseAhead&) = delete;
  ParseAhead& operator=(const ParseAhead&) = delete;

  // The next job's plan and running text, waiting for the thread when it is behind.
  FileStart begin_file();
  // That file's statements, in order, each to sink; then what the parse found.
  ParsedFile statements(const StatementSink& sink);
  // How many files the calling thread parsed ahead of the thread while waiting (for tests).
  size_t files_parsed_ahead() const { return files_parsed_ahead_; }

 private:
  using Batch = std::vector<Statement>;
  using Event = std::variant<FileStart, Batch, ParsedFile, std::exception_ptr>;

  enum class JobState { open, running, parsed, taken };
  struct JobAhead {
    JobState state = JobState::open;
    std::vector<std::pair<Event, size_t>> events;  // when parsed ahead, with their statements
  };

  void work();
  // One file's events, in order, each to emit; before sees each statement as it is parsed.
  void parse_file(const Job& job, SpareWork* spare, const std::function<void(Event, size_t)>& emit,
                  const std::function<void(Statement&)>& before);
  // The engine's side: parses a small file ahead of the parser; false when there is none.
  bool parse_file_ahead();
  // Returns the statements waiting for the engine, this event's included.
  size_t push(Event e, size_t statements);
  Event pop();

  std::vector<Job> jobs_;
  Layout runner_;
  const CheckOptions& opt_;
  RunnerSettings settings_;

  std::mutex m_;
  std::condition_variable changed_;
  SpareWork spare_;  // batches the parser offers to this thread while it waits
  std::vector<JobAhead> ahead_;
  std::vector<Batch> trash_;  // batches the engine is done with, for the parser to free
  size_t at_job_ = 0;         // the job the parser is at
  size_t files_parsed_ahead_ = 0;
  std::deque<Event> queue_;
  size_t queued_statements_ = 0;
  bool parser_waits_ = false;  // push() waits for the queue to drain to half
  bool stop_ = false;
  bool done_ = false;   // the thread has queued everything
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace migsafe
