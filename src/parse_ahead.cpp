#include "parse_ahead.hpp"

#include <stdexcept>

namespace migsafe {

namespace {
// Statements per batch handed over, and at most this many batches' worth waiting: enough to
// keep both threads busy, little enough that a 20 MB file is never held whole.
constexpr size_t kBatch = 64;
constexpr size_t kMaxQueued = 16 * kBatch;
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
    : jobs_(std::move(jobs)), runner_(runner), opt_(opt), settings_(settings), thread_([this] {
        work();
      }) {}

ParseAhead::~ParseAhead() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

size_t ParseAhead::push(Event e, size_t statements) {
  std::unique_lock<std::mutex> lock(m_);
  changed_.wait(lock, [&] { return stop_ || queued_statements_ < kMaxQueued; });
  if (stop_) return 0;
  queue_.push_back(std::move(e));
  queued_statements_ += statements;
  changed_.notify_all();
  return queued_statements_;
}

ParseAhead::Event ParseAhead::pop() {
  std::unique_lock<std::mutex> lock(m_);
  // Caught up with the parser: parse what it offers rather than wait for it.
  while (queue_.empty() && !done_) {
    lock.unlock();
    bool helped = spare_.help();
    lock.lock();
    if (!helped && queue_.empty() && !done_) changed_.wait(lock);
  }
  if (queue_.empty()) throw std::logic_error("parse ahead: asked for more files than it was given");
  Event e = std::move(queue_.front());
  queue_.pop_front();
  if (const Batch* b = std::get_if<Batch>(&e)) queued_statements_ -= b->size();
  changed_.notify_all();
  return e;
}

void ParseAhead::work() {
  // A routine's body is parsed when first read. While the engine is behind (batches wait for
  // it), this thread reads the bodies itself, so that parse is not the engine's.
  bool engine_behind = false;
  auto hand_over = [&](Event e, size_t statements) {
    engine_behind = push(std::move(e), statements) >= 2 * kBatch;
  };
  try {
    for (const Job& job : jobs_) {
      FileStart start = start_file(runner_, job.src, job.dir, opt_.dialect, settings_);
      std::shared_ptr<const SourceText> running = start.running;
      hand_over(std::move(start), 0);
      Batch batch;
      ParsedFile parsed = parse_each(
          opt_.dialect, *running,
          [&](Statement& st) {
            if (engine_behind)
              for (const Operation& op : st.ops)
                if (op.body) op.body->statements();
            batch.push_back(std::move(st));
            if (batch.size() == kBatch) {
              hand_over(std::move(batch), kBatch);
              batch = Batch();
            }
          },
          &opt_.version, &spare_);
      if (!batch.empty()) {
        size_t n = batch.size();
        hand_over(std::move(batch), n);
      }
      hand_over(std::move(parsed), 0);
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
    for (Statement& st : std::get<Batch>(e)) sink(st);
  }
}

}  // namespace migsafe
