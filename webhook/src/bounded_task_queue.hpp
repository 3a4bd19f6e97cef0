#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace herd::webhook {

// cpp-httplib's ThreadPool queues accepted connections without limit, so a flood of idle connections costs
// unbounded memory and file descriptors. This pool caps the queue: when it is full, the accept loop waits,
// and further clients wait in the kernel's listen backlog instead of in our memory.
//
// It also hands each connection to the worker that went idle last (one condition variable per worker, idle
// workers on a stack). With one shared condition variable the kernel wakes waiters in turn, so a steady load
// of 16 connections cycles through all 128 workers and every worker's stack pages and malloc arena become
// resident: the soak (bench/soak) saw RSS creep for minutes. Last-idle-first keeps the working set to the
// workers a load needs at once.
class BoundedTaskQueue final : public httplib::TaskQueue {
public:
  BoundedTaskQueue(std::size_t threads, std::size_t max_queued);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  // Waits while every worker is busy and the queue is full.
  void enqueue(std::function<void()> task) override;
  // Runs what is queued, then joins the workers.
  void shutdown() override;

  // Workers waiting for a connection: what a caller (or a test) checks to know the pool has settled.
  std::size_t idle_workers() const;

private:
  struct Worker {
    std::condition_variable wake;
    std::function<void()> task; // handed over directly when the worker was idle
    std::thread thread;
  };
  void work(Worker& self);

  std::size_t m_max_queued;
  mutable std::mutex m_mutex;
  std::condition_variable m_has_room;
  std::deque<std::function<void()>> m_tasks; // only while no worker is idle
  std::vector<Worker*> m_idle;               // the most recently idle last
  bool m_shutting_down = false;
  std::vector<std::unique_ptr<Worker>> m_workers;
};

} // namespace herd::webhook
