#include <herd/kube/watch_decoder.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::kube {
namespace {

const std::string k_added = R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})";
const std::string k_bookmark = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})";

// The error a fresh decoder reports for the one line `line`; the events it decodes go to `events`.
std::string error_for_line(const std::string& line, std::vector<WatchEvent>& events) {
  const auto result = WatchStreamDecoder().feed(line + "\n", events);
  return result ? "(no error)" : result.error().message;
}

TEST(WatchStreamDecoder, DecodesAnEventSplitAtEveryByte) {
  const std::string stream = k_added + "\n" + k_bookmark + "\n";
  WatchStreamDecoder decoder;
  std::vector<WatchEvent> events;
  for (const char c : stream) {
    ASSERT_TRUE(decoder.feed(std::string_view(&c, 1), events));
  }
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].type, WatchEvent::Type::added);
  EXPECT_EQ(events[0].object["metadata"]["name"], "a");
  EXPECT_EQ(events[1].type, WatchEvent::Type::bookmark);
  EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "9");
  EXPECT_TRUE(decoder.finish());
  EXPECT_EQ(decoder.events_decoded(), 2U);
}

TEST(WatchStreamDecoder, DecodesSeveralEventsOfOneChunkInOrder) {
  const std::string stream = k_added + "\r\n\n" +
                             R"({"type":"MODIFIED","object":{}})"
                             "\n"
                             R"({"type":"DELETED","object":{}})"
                             "\n" +
                             R"({"type":"ERROR","object":{"kind":"Status","code":410}})"
                             "\n";
  WatchStreamDecoder decoder;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(decoder.feed(stream, events));
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(to_string(events[0].type), "ADDED");
  EXPECT_EQ(to_string(events[1].type), "MODIFIED");
  EXPECT_EQ(to_string(events[2].type), "DELETED");
  EXPECT_EQ(to_string(events[3].type), "ERROR");
  EXPECT_EQ(events[3].object["code"], 410);
}

TEST(WatchStreamDecoder, KeepsAnUnfinishedEventForTheNextChunk) {
  WatchStreamDecoder decoder;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(decoder.feed(k_added + "\n" + k_bookmark.substr(0, 10), events));
  EXPECT_EQ(events.size(), 1U);
  ASSERT_TRUE(decoder.feed(k_bookmark.substr(10) + "\n", events));
  EXPECT_EQ(events.size(), 2U);
}

TEST(WatchStreamDecoder, MalformedJsonIsLocated) {
  WatchStreamDecoder decoder;
  std::vector<WatchEvent> events;
  const auto result =
      decoder.feed(k_added + "\n{\"type\":\"ADDED\",\"object\":{]}\n" + k_added + "\n", events);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "watch event 2: malformed JSON at byte 27");
  EXPECT_EQ(events.size(), 1U);                       // the events before it
  EXPECT_FALSE(decoder.feed(k_added + "\n", events)); // stays failed
  EXPECT_EQ(events.size(), 1U);
}

TEST(WatchStreamDecoder, ANumberBeyondDoubleIsMalformedNotAnException) {
  std::vector<WatchEvent> events;
  const auto result = WatchStreamDecoder().feed(R"({"type":"ADDED","object":{"n":999999999e999}})"
                                                "\n",
                                                events);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "watch event 1: malformed JSON (a number out of range)");
}

TEST(WatchStreamDecoder, MissingTypeOrObjectIsAnError) {
  std::vector<WatchEvent> events;
  EXPECT_EQ(error_for_line(R"({"object":{}})", events), "watch event 1: missing \"type\"");
  EXPECT_EQ(error_for_line(R"({"type":"ADDED"})", events), "watch event 1: missing \"object\"");
  EXPECT_EQ(error_for_line(R"({"type":"ADDED","object":[]})", events), "watch event 1: missing \"object\"");
  EXPECT_EQ(error_for_line(R"({"type":"RENAMED","object":{}})", events),
            "watch event 1: unknown type \"RENAMED\"");
  EXPECT_EQ(error_for_line("[1]", events), "watch event 1: not a JSON object");
  EXPECT_TRUE(events.empty());
}

TEST(WatchStreamDecoder, AnOversizedLineFailsAsSoonAsItExceedsTheBound) {
  WatchStreamDecoder decoder(64);
  std::vector<WatchEvent> events;
  ASSERT_TRUE(decoder.feed(std::string(40, ' '), events));
  const auto result = decoder.feed(std::string(40, ' '), events); // no newline yet
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "watch event 1: line longer than 64 bytes");
}

TEST(WatchStreamDecoder, ATruncatedStreamFailsAtFinish) {
  WatchStreamDecoder decoder;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(decoder.feed(k_added + "\n" + k_added.substr(0, 20), events));
  const auto result = decoder.finish();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "watch event 2: the stream ended in the middle of an event");
  WatchStreamDecoder blank_end;
  ASSERT_TRUE(blank_end.feed(k_added + "\n  ", events));
  EXPECT_TRUE(blank_end.finish());
}

} // namespace
} // namespace herd::kube
