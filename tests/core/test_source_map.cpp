#include <herd/core/json_path.hpp>
#include <herd/core/source_map.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::core {
namespace {

// The source map of:
//   1 spec:
//   2   charts:
//   3     - name: app
//   4       version: 1.10
//   5     - name: db
//   6       values:
//   7         inline:
//   8           nvidia.com/gpu: 1
SourceMap sample_map() {
  SourceMap map;
  const auto root = map.add(SourceMap::k_none, {}, {}, {1, 1});
  const auto spec = map.add(root, "spec", {1, 1}, {2, 3});
  const auto charts = map.add(spec, "charts", {2, 3}, {3, 5});
  const auto first = map.add(charts, {}, {}, {3, 7});
  map.add(first, "name", {3, 7}, {3, 13});
  const auto version = map.add(first, "version", {4, 7}, {4, 16});
  map.set_raw(version, "1.10");
  const auto second = map.add(charts, {}, {}, {5, 7});
  map.add(second, "name", {5, 7}, {5, 13});
  const auto values = map.add(second, "values", {6, 7}, {7, 9});
  const auto inline_values = map.add(values, "inline", {7, 9}, {8, 11});
  map.add(inline_values, "nvidia.com/gpu", {8, 11}, {8, 27});
  return map;
}

void expect_position(SourcePosition actual, int line, int column) {
  EXPECT_EQ(actual.line, line);
  EXPECT_EQ(actual.column, column);
}

TEST(SourceMap, LocatesTheValueOfAPath) {
  const SourceMap map = sample_map();

  expect_position(map.locate("spec.charts[0].version"), 4, 16);
  expect_position(map.locate("spec.charts[1].name"), 5, 13);
  expect_position(map.locate("spec.charts[1]"), 5, 7);
}

TEST(SourceMap, LocatesTheKeyWhenAsked) {
  const SourceMap map = sample_map();

  expect_position(map.locate("spec.charts[0].version", true), 4, 7);
  expect_position(map.locate("spec.charts", true), 2, 3);
}

TEST(SourceMap, RootPathIsTheDocument) {
  const SourceMap map = sample_map();

  expect_position(map.locate(""), 1, 1);
}

TEST(SourceMap, QuotedKeySegmentsResolve) {
  const SourceMap map = sample_map();

  expect_position(map.locate(R"(spec.charts[1].values.inline["nvidia.com/gpu"])"), 8, 27);
}

TEST(SourceMap, MissingPathFallsBackToTheDeepestExistingAncestor) {
  const SourceMap map = sample_map();

  // A defaulted field (namespace) is located at its chart; an index past the end at the list.
  expect_position(map.locate("spec.charts[0].namespace"), 3, 7);
  expect_position(map.locate("spec.charts[7].name"), 3, 5);
  expect_position(map.locate("spec.security"), 2, 3);
}

TEST(SourceMap, KeyOfAMissingFieldFallsBackToTheAncestorValue) {
  const SourceMap map = sample_map();

  expect_position(map.locate("spec.charts[0].namespace", true), 3, 7);
}

TEST(SourceMap, IndexIntoAMappingDoesNotMatchAKey) {
  const SourceMap map = sample_map();

  expect_position(map.locate("spec[0]"), 2, 3);
}

TEST(SourceMap, RawScalarOnlyAtTheExactPath) {
  const SourceMap map = sample_map();

  EXPECT_EQ(map.raw_scalar("spec.charts[0].version"), "1.10");
  EXPECT_EQ(map.raw_scalar("spec.charts[0].name"), "");
  EXPECT_EQ(map.raw_scalar("spec.charts[0].version.deeper"), "");
}

TEST(SourceMap, LaterDuplicateKeyWins) {
  SourceMap map;
  const auto root = map.add(SourceMap::k_none, {}, {}, {1, 1});
  map.add(root, "name", {1, 1}, {1, 7});
  map.add(root, "name", {2, 1}, {2, 7});

  expect_position(map.locate("name"), 2, 7);
}

TEST(SourceMap, EmptyMapLocatesNothing) {
  SourceMap map = sample_map();
  map.clear();

  EXPECT_TRUE(map.empty());
  expect_position(map.locate("spec"), 0, 0);
  EXPECT_EQ(map.raw_scalar("spec"), "");
}

TEST(SourceMap, NodesAddedAfterALookupAreFound) {
  SourceMap map;
  const auto root = map.add(SourceMap::k_none, {}, {}, {1, 1});
  map.add(root, "a", {1, 1}, {1, 4});
  expect_position(map.locate("a"), 1, 4);

  map.add(root, "b", {2, 1}, {2, 4});

  expect_position(map.locate("b"), 2, 4);
}

// --- JSON paths ---

TEST(JsonPath, IdentifierKeysJoinWithDots) {
  std::string path;
  append_key(path, "spec");
  append_key(path, "charts");
  append_index(path, 2);
  append_key(path, "dependsOn");
  append_index(path, 0);

  EXPECT_EQ(path, "spec.charts[2].dependsOn[0]");
}

TEST(JsonPath, OtherKeysAreQuoted) {
  EXPECT_EQ(join_path("values.inline", "nvidia.com/gpu"), R"(values.inline["nvidia.com/gpu"])");
  EXPECT_EQ(join_path("a", "with space"), R"(a["with space"])");
  EXPECT_EQ(join_path("a", ""), R"(a[""])");
  EXPECT_EQ(join_path("a", R"(say "hi"\)"), R"(a["say \"hi\"\\"])");
}

TEST(JsonPath, FirstKeyHasNoLeadingDot) {
  EXPECT_EQ(join_path("", "spec"), "spec");
  EXPECT_EQ(join_path("", 3), "[3]");
}

TEST(JsonPath, SplitReversesJoin) {
  const std::string path = join_path(join_path(join_path("spec.charts", 12), "x.y/z"), R"(q"uote)");

  const std::vector<PathSegment> segments = split_path(path);

  const std::vector<PathSegment> expected = {
      PathSegment(std::string("spec")), PathSegment(std::string("charts")), PathSegment(std::size_t{12}),
      PathSegment(std::string("x.y/z")), PathSegment(std::string(R"(q"uote)"))};
  EXPECT_EQ(segments, expected);
}

TEST(JsonPath, MalformedPathKeepsTheSegmentsBeforeTheProblem) {
  const std::vector<PathSegment> unclosed_index = split_path("spec.charts[1");
  const std::vector<PathSegment> not_a_number = split_path("spec[x]");
  const std::vector<PathSegment> unclosed_quote = split_path(R"(spec["abc)");

  const std::vector<PathSegment> spec_charts = {PathSegment(std::string("spec")),
                                                PathSegment(std::string("charts"))};
  const std::vector<PathSegment> spec = {PathSegment(std::string("spec"))};
  EXPECT_EQ(unclosed_index, spec_charts);
  EXPECT_EQ(not_a_number, spec);
  EXPECT_EQ(unclosed_quote, spec);
}

TEST(JsonPath, JsonPointerEscapesTildeAndSlash) {
  EXPECT_EQ(to_json_pointer("spec.charts[2].name"), "/spec/charts/2/name");
  EXPECT_EQ(to_json_pointer(R"(metadata.annotations["herd.suse.com/policy"])"),
            "/metadata/annotations/herd.suse.com~1policy");
  EXPECT_EQ(to_json_pointer(R"(a["x~y"])"), "/a/x~0y");
  EXPECT_EQ(to_json_pointer(""), "");
}

} // namespace
} // namespace herd::core
