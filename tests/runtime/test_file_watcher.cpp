#include <herd/runtime/file_watcher.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace herd::runtime {
namespace {

class FileWatcherTest : public ::testing::Test {
protected:
  void SetUp() override {
    m_directory = std::filesystem::temp_directory_path() /
                  ("herd-watch-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_directory);
  }
  void TearDown() override { std::filesystem::remove_all(m_directory); }

  std::string path(const std::string& name) const { return (m_directory / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    const std::string temporary = path(name + ".tmp");
    std::ofstream(temporary, std::ios::binary) << text;
    std::filesystem::rename(temporary, path(name)); // as the kubelet swaps mounted files: atomically
  }

private:
  std::filesystem::path m_directory;
};

TEST_F(FileWatcherTest, UnchangedFilesAreNotReloaded) {
  write("cert", "A");
  FileWatcher watcher(std::chrono::milliseconds(10));
  int reloads = 0;
  watcher.watch({path("cert")}, {"A"}, [&](const std::vector<std::string>&) { return ++reloads > 0; });

  watcher.poll();
  watcher.poll();

  EXPECT_EQ(reloads, 0);
}

TEST_F(FileWatcherTest, ChangedContentIsOfferedOnce) {
  write("cert", "A");
  write("key", "a");
  FileWatcher watcher(std::chrono::milliseconds(10));
  std::vector<std::vector<std::string>> offered;
  watcher.watch({path("cert"), path("key")}, {"A", "a"}, [&](const std::vector<std::string>& contents) {
    offered.push_back(contents);
    return true;
  });

  write("cert", "B");
  write("key", "b");
  watcher.poll();
  watcher.poll();

  ASSERT_EQ(offered.size(), 1U);
  EXPECT_EQ(offered[0], (std::vector<std::string>{"B", "b"}));
}

TEST_F(FileWatcherTest, RefusedContentIsNotOfferedAgainUntilItChanges) {
  write("cert", "A");
  write("key", "a");
  FileWatcher watcher(std::chrono::milliseconds(10));
  std::vector<std::vector<std::string>> offered;
  watcher.watch({path("cert"), path("key")}, {"A", "a"}, [&](const std::vector<std::string>& contents) {
    offered.push_back(contents);
    return contents[0] == "B" && contents[1] == "b"; // a pair only matches once both are written
  });

  write("cert", "B"); // the key is still the old one
  watcher.poll();
  watcher.poll();
  write("key", "b");
  watcher.poll();

  ASSERT_EQ(offered.size(), 2U);
  EXPECT_EQ(offered[0], (std::vector<std::string>{"B", "a"}));
  EXPECT_EQ(offered[1], (std::vector<std::string>{"B", "b"}));
}

TEST_F(FileWatcherTest, AMissingFileKeepsTheCurrentContent) {
  write("policy", "v1");
  FileWatcher watcher(std::chrono::milliseconds(10));
  int reloads = 0;
  watcher.watch({path("policy")}, {"v1"}, [&](const std::vector<std::string>&) { return ++reloads > 0; });

  std::filesystem::remove(path("policy"));
  watcher.poll();
  write("policy", "v1");
  watcher.poll();

  EXPECT_EQ(reloads, 0);
}

TEST_F(FileWatcherTest, TheBackgroundThreadNoticesChangesAndStops) {
  write("policy", "v1");
  FileWatcher watcher(std::chrono::milliseconds(5));
  std::atomic<int> reloads = 0;
  watcher.watch({path("policy")}, {"v1"}, [&](const std::vector<std::string>&) { return ++reloads > 0; });
  watcher.start();

  write("policy", "v2");
  for (int i = 0; i < 2000 && reloads == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  watcher.stop();

  EXPECT_EQ(reloads, 1);
}

TEST(ReadFile, SaysWhyAFileCannotBeRead) {
  const FileContent content = read_file("/nonexistent/herd/policy.yaml");

  EXPECT_FALSE(content.ok);
  EXPECT_EQ(content.error, "No such file or directory");
}

} // namespace
} // namespace herd::runtime
