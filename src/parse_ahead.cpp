#include "parse_ahead.hpp"

#include <stdexcept>

namespace migsafe {

namespace {
// Statements per batch handed over, and at most this many batches' worth waiting: enough to
// keep both threads busy, little enough that a 20 MB file is never held whole.
constexpr size_t kBatch = 64;
constexpr size_t kMaxQueued = 16 * kBatch;
// Files the engine may parse ahead of the parser when it has caught up: at most this many
// ahead, each at most this large (a larger one is parsed by the parser, as it streams).
constexpr size_t kFilesAhead = 8;
constexpr size_t kMaxFileAhead = 64 * 1024;
}  // namespace

FileStart start_file(Layout runner, const std::shared_ptr<const SourceText>& src, Direction dir,
                     Dialect dialect, const RunnerSettings& settings) {
  FileStart f{plan_file(runner, *src, dialect, dir, settings), src};
  const FilePlan& plan = f.plan;
  bool whole = plan.units.size() == 1 && plan.units[0].begin == 0 &&
               plan.units[0].end == src->text().size() && plan.unmask.empty() &&
               plan.markers.empty();
  if (!whole) f.running = make_source(src->path(), running_text(src->text(), plan));
  return f;
}

ParseAhead::ParseAhead(std::vector<Job> jobs, Layout runner, const CheckOptions& opt,
                       const RunnerSettings& settings)
    : jobs_(std::move(jobs)),
      runner_(runner),
      opt_(opt),
      settings_(settings),
      ahead_(jobs_.size()),
      thread_([this] { work(); }) {}

ParseAhead::~ParseAhead() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

size_t ParseAhead::push(Event e, size_t statements) {
  std::vector<Batch> trash;
  std::unique_lock<std::mutex> lock(m_);
  if (queued_statements_ >= kMaxQueued) {
    // A full queue waits until half of it is taken: one wake-up per several batches, where
    // one per batch was a system call on the rules thread for every 64 statements.
    parser_waits_ = true;
    changed_.wait(lock, [&] { return stop_ || queued_statements_ <= kMaxQueued / 2; });
    parser_waits_ = false;
  }
  if (stop_) return 0;
  queue_.push_back(std::move(e));
  queued_statements_ += statements;
  changed_.notify_all();
  size_t queued = queued_statements_;
  trash.swap(trash_);
  lock.unlock();
  // Freed here, where most of it was allocated: freed by the engine, each block went back to
  // this thread's malloc arena under its lock, and the two threads queued on it.
  trash.clear();
  return queued;
}

ParseAhead::Event ParseAhead::pop() {
  std::unique_lock<std::mutex> lock(m_);
  // Caught up with the parser: parse what it offers, or a small file ahead of it, rather than
  // wait for it.
  while (queue_.empty() && !done_) {
    lock.unlock();
    bool helped = spare_.help() || parse_file_ahead();
    lock.lock();
    if (!helped && queue_.empty() && !done_) changed_.wait(lock);
  }
  if (queue_.empty()) throw std::logic_error("parse ahead: asked for more files than it was given");
  Event e = std::move(queue_.front());
  queue_.pop_front();
  if (const Batch* b = std::get_if<Batch>(&e)) queued_statements_ -= b->size();
  if (parser_waits_ && queued_statements_ <= kMaxQueued / 2) changed_.notify_all();
  return e;
}

void ParseAhead::parse_file(const Job& job, SpareWork* spare,
                            const std::function<void(Event, size_t)>& emit,
                            const std::function<void(Statement&)>& before) {
  FileStart start = start_file(runner_, job.src, job.dir, opt_.dialect, settings_);
  std::shared_ptr<const SourceText> running = start.running;
  emit(std::move(start), 0);
  Batch batch;
  ParsedFile parsed = parse_each(
      opt_.dialect, *running,
      [&](Statement& st) {
        if (before) before(st);
        batch.push_back(std::move(st));
        if (batch.size() == kBatch) {
          emit(std::move(batch), kBatch);
          batch = Batch();
        }
      },
      &opt_.version, spare);
  if (!batch.empty()) {
    size_t n = batch.size();
    emit(std::move(batch), n);
  }
  emit(std::move(parsed), 0);
}

bool ParseAhead::parse_file_ahead() {
  size_t j;
  {
    // The farthest small file not yet begun: the parser meets it last, by when it is parsed.
    std::lock_guard<std::mutex> lock(m_);
    if (jobs_.empty()) return false;
    size_t far = std::min(at_job_ + kFilesAhead, jobs_.size() - 1);
    for (j = far; j > at_job_; --j)
      if (ahead_[j].state == JobState::open && jobs_[j].src->text().size() <= kMaxFileAhead) break;
    if (j <= at_job_) return false;
    ahead_[j].state = JobState::running;
  }
  std::vector<std::pair<Event, size_t>> events;
  try {
    parse_file(
        jobs_[j], nullptr, [&](Event e, size_t n) { events.emplace_back(std::move(e), n); },
        nullptr);
  } catch (...) {
    events.emplace_back(std::current_exception(), 0);
  }
  std::lock_guard<std::mutex> lock(m_);
  ahead_[j].events = std::move(events);
  ahead_[j].state = JobState::parsed;
  ++files_parsed_ahead_;
  changed_.notify_all();
  return true;
}

void ParseAhead::work() {
  // A routine's body is parsed when first read. While the engine is behind (batches wait for
  // it), this thread reads the bodies itself, so that parse is not the engine's.
  bool engine_behind = false;
  auto hand_over = [&](Event e, size_t statements) {
    engine_behind = push(std::move(e), statements) >= 2 * kBatch;
  };
  auto read_bodies = [&](Statement& st) {
    if (engine_behind)
      for (const Operation& op : st.ops)
        if (op.body) op.body->statements();
  };
  try {
    for (size_t j = 0; j < jobs_.size(); ++j) {
      std::vector<std::pair<Event, size_t>> ready;
      {
        std::unique_lock<std::mutex> lock(m_);
        at_job_ = j;
        changed_.wait(lock, [&] { return stop_ || ahead_[j].state != JobState::running; });
        if (stop_) return;
        if (ahead_[j].state == JobState::parsed) ready = std::move(ahead_[j].events);
        ahead_[j].state = JobState::taken;
      }
      if (ready.empty()) {
        parse_file(jobs_[j], &spare_, hand_over, read_bodies);
      } else {
        for (auto& [e, n] : ready) {
          if (auto* ex = std::get_if<std::exception_ptr>(&e)) std::rethrow_exception(*ex);
          hand_over(std::move(e), n);
        }
      }
      std::lock_guard<std::mutex> lock(m_);
      if (stop_) return;
    }
  } catch (...) {
    push(std::current_exception(), 0);
  }
  std::lock_guard<std::mutex> lock(m_);
  done_ = true;
  changed_.notify_all();
}

FileStart ParseAhead::begin_file() {
  Event e = pop();
  if (auto* ex = std::get_if<std::exception_ptr>(&e)) std::rethrow_exception(*ex);
  return std::get<FileStart>(std::move(e));
}

ParsedFile ParseAhead::statements(const StatementSink& sink) {
  for (;;) {
    Event e = pop();
    if (auto* ex = std::get_if<std::exception_ptr>(&e)) std::rethrow_exception(*ex);
    if (auto* parsed = std::get_if<ParsedFile>(&e)) return std::move(*parsed);
    Batch& batch = std::get<Batch>(e);
    for (Statement& st : batch) sink(st);
    std::lock_guard<std::mutex> lock(m_);
    trash_.push_back(std::move(batch));
  }
}

}  // namespace migsafe
