#include "lint_helpers.hpp"

#include <herd/core/rule_catalog.hpp>
#include <herd/core/yaml_loader.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace herd::core {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::string_literals;

YamlDocument parse(std::string_view text) {
  return parse_yaml_document(text, "test.yaml");
}

// Every document of `text` (read as the file test.yaml), in stream order.
std::vector<YamlDocument> read_stream(const std::string& text, const YamlLimits& limits = {}) {
  std::istringstream input(text);
  std::vector<YamlDocument> documents;
  read_yaml_stream(
      input, "test.yaml", [&](YamlDocument& document) { documents.push_back(std::move(document)); }, limits);
  return documents;
}

// --- Typing: scalars become what kubectl's YAML 1.1 reading makes of them. ---

TEST(YamlLoader, Yaml11BooleanWordsAreBooleans) {
  const YamlDocument document =
      parse("a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: True\nh: FALSE\ni: Yes\nj: OFF\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value,
            json::parse(R"({"a": true, "b": false, "c": true, "d": false, "e": true, "f": false, "g": true,
                            "h": false, "i": true, "j": false})"));
}

TEST(YamlLoader, EveryYaml11BooleanSpellingIsABooleanAndNoOtherWordIs) {
  for (const char* word : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    EXPECT_EQ(parse("a: "s + word + "\n").value, json::parse(R"({"a": true})")) << word;
  }
  for (const char* word : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    EXPECT_EQ(parse("a: "s + word + "\n").value, json::parse(R"({"a": false})")) << word;
  }
  // Mixed case, near misses and longer words stay strings, as in go-yaml v2.
  for (const char* word : {"yES", "tRUE", "oN", "nO", "falsey", "truest", "onn", "o", "t", "f", "Nope"}) {
    EXPECT_EQ(parse("a: "s + word + "\n").value, json({{"a", word}})) << word;
  }
}

TEST(YamlLoader, VersionLikeNumberIsAFloat) {
  const YamlDocument document = parse("version: 1.10\n");

  ASSERT_TRUE(document.parsed);
  ASSERT_TRUE(document.value["version"].is_number_float());
  EXPECT_DOUBLE_EQ(document.value["version"].get<double>(), 1.1);
}

TEST(YamlLoader, HexAndLeadingZeroOctalAreIntegers) {
  const YamlDocument document =
      parse("hex: 0x1F\noctal: 0777\ndecimal: 42\nnegative: -7\nseparated: 1_000\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value, json::parse(R"({"hex": 31, "octal": 511, "decimal": 42, "negative": -7,
                                            "separated": 1000})"));
  EXPECT_TRUE(document.value["hex"].is_number_integer());
  EXPECT_TRUE(document.value["octal"].is_number_integer());
}

TEST(YamlLoader, ExponentIsAFloat) {
  const YamlDocument document = parse("a: 1e3\nb: .5\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_TRUE(document.value["a"].is_number_float());
  EXPECT_DOUBLE_EQ(document.value["a"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(document.value["b"].get<double>(), 0.5);
}

TEST(YamlLoader, TildeNullAndEmptyValueAreNull) {
  const YamlDocument document = parse("a: ~\nb: null\nc: Null\nd:\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value, json::parse(R"({"a": null, "b": null, "c": null, "d": null})"));
}

TEST(YamlLoader, QuotedScalarsStayStrings) {
  const YamlDocument document = parse("a: \"yes\"\nb: '1.10'\nc: \"0x1F\"\nd: \"~\"\ne: 'null'\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value, json::parse(R"({"a": "yes", "b": "1.10", "c": "0x1F", "d": "~", "e": "null"})"));
}

TEST(YamlLoader, StrTagKeepsAString) {
  const YamlDocument document = parse("version: !!str 1.10\nflag: !!str yes\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value, json::parse(R"({"version": "1.10", "flag": "yes"})"));
}

TEST(YamlLoader, WordsThatAreNotYaml11LiteralsAreStrings) {
  const YamlDocument document = parse("a: yess\nb: 1.2.3\nc: 0x\nd: .inf\ne: 12abc\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value,
            json::parse(R"({"a": "yess", "b": "1.2.3", "c": "0x", "d": ".inf", "e": "12abc"})"));
}

TEST(YamlLoader, SourceMapKeepsTheRawTextOfNonStringScalars) {
  const YamlDocument document = parse("version: 1.10\nquoted: \"1.10\"\nenv: yes\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.source_map.raw_scalar("version"), "1.10");
  EXPECT_EQ(document.source_map.raw_scalar("env"), "yes");
  EXPECT_EQ(document.source_map.raw_scalar("quoted"), "");
}

TEST(YamlLoader, SourceMapHasOneBasedPositions) {
  const YamlDocument document = parse("spec:\n  charts:\n    - name: app\n      version: \"1.0.0\"\n");

  ASSERT_TRUE(document.parsed);
  const SourcePosition value = document.source_map.locate("spec.charts[0].version");
  EXPECT_EQ(value.line, 4);
  EXPECT_EQ(value.column, 16);
  const SourcePosition key = document.source_map.locate("spec.charts[0].version", true);
  EXPECT_EQ(key.line, 4);
  EXPECT_EQ(key.column, 7);
  const SourcePosition item = document.source_map.locate("spec.charts[0]");
  EXPECT_EQ(item.line, 3);
  EXPECT_EQ(item.column, 7);
}

TEST(YamlLoader, PositionsAreOffsetByTheDocumentsFirstLine) {
  const YamlDocument document = parse_yaml_document("a:\n  b: 1\n", "test.yaml", 40);

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.first_line, 40);
  const SourcePosition b = document.source_map.locate("a.b");
  EXPECT_EQ(b.line, 41);
  EXPECT_EQ(b.column, 6);
}

// --- Syntax and encoding: HERD001 with the position of the problem. ---

TEST(YamlLoader, SyntaxErrorIsLocated) {
  const YamlDocument document = parse("a: 1\nb: x: y\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  const Diagnostic& d = document.diagnostics[0];
  EXPECT_EQ(d.rule, rules::yaml_syntax);
  EXPECT_EQ(d.severity, Severity::error);
  EXPECT_EQ(d.file, "test.yaml");
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.column, 5);
  EXPECT_THAT(d.message, HasSubstr("YAML syntax error: illegal map value"));
}

TEST(YamlLoader, UnclosedFlowSequenceIsASyntaxError) {
  const YamlDocument document = parse("a: [1, 2\nb: 3\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 2); // `b: 3` cannot continue the flow sequence
  EXPECT_EQ(document.diagnostics[0].column, 2);
  EXPECT_EQ(document.diagnostics[0].message, "YAML syntax error: end of sequence flow not found");
}

TEST(YamlLoader, TabInIndentationIsNamed) {
  const YamlDocument document = parse("spec:\n  env: dev\n\tpaused: true\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 3);
  EXPECT_EQ(document.diagnostics[0].column, 1);
  EXPECT_EQ(document.diagnostics[0].message, "tab character in indentation (YAML indents with spaces only)");
}

TEST(YamlLoader, InvalidUtf8IsLocatedAtTheBadByte) {
  const YamlDocument document = parse_yaml_document("a: 1\nname: \"caf\xC3\xA9-\xFF\"\n", "test.yaml", 10);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 11);   // line 2 of a document starting at line 10
  EXPECT_EQ(document.diagnostics[0].column, 13); // é counts as one column
  EXPECT_EQ(document.diagnostics[0].message, "invalid UTF-8 (YAML must be UTF-8 text)");
}

TEST(YamlLoader, OverlongUtf8EncodingIsInvalid) {
  const YamlDocument document = parse("a: \xC0\xAF\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].line, 1);
  EXPECT_EQ(document.diagnostics[0].column, 4);
  EXPECT_THAT(document.diagnostics[0].message, HasSubstr("invalid UTF-8"));
}

TEST(YamlLoader, BadBytesAreFoundWhereverTheyAre) {
  // ASCII text is checked in blocks: a bad byte is found in any block, and in the tail after the last one.
  const std::string line = "key: " + std::string(90, 'v') + "\n"; // 96 bytes: blocks end mid-line
  const std::string clean = line + line + line;
  for (std::size_t at = 0; at < clean.size(); at += 7) {
    std::string text = clean;
    if (text[at] == '\n') {
      continue;
    }
    const int expected_line = static_cast<int>(at / line.size()) + 1;
    const int expected_column = static_cast<int>(at % line.size()) + 1;
    for (const char bad : {'\0', '\xFF'}) {
      text[at] = bad;
      const YamlDocument document = parse(text);
      ASSERT_EQ(document.diagnostics.size(), 1U) << "byte " << at;
      EXPECT_EQ(document.diagnostics[0].line, expected_line) << "byte " << at;
      EXPECT_EQ(document.diagnostics[0].column, expected_column) << "byte " << at;
      EXPECT_THAT(document.diagnostics[0].message, HasSubstr(bad == '\0' ? "NUL byte" : "invalid UTF-8"));
    }
  }
}

TEST(YamlLoader, NulByteMeansBinary) {
  const YamlDocument document = parse("a: 1\nb: x\0y\n"s);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 2);
  EXPECT_EQ(document.diagnostics[0].column, 5);
  EXPECT_EQ(document.diagnostics[0].message, "NUL byte: this is a binary file, not YAML");
}

TEST(YamlLoader, BinaryStreamGivesOneFindingNotOnePerGarbageDocument) {
  const std::string binary = "\x7f"
                             "ELF\x02\x01\x01\0\0\0\n---\n\0\0\0\n---\n\xff\xfe\n"s;

  const auto documents = read_stream(binary);

  ASSERT_EQ(documents.size(), 1U);
  ASSERT_EQ(documents[0].diagnostics.size(), 1U);
  EXPECT_EQ(documents[0].diagnostics[0].line, 1);
  EXPECT_EQ(documents[0].diagnostics[0].column, 8);
  EXPECT_THAT(documents[0].diagnostics[0].message, HasSubstr("NUL byte"));
}

// --- Streams: documents one at a time, each with file-absolute positions. ---

TEST(YamlLoader, EmptyInputHasNoDocuments) {
  EXPECT_TRUE(read_stream("").empty());
  EXPECT_TRUE(read_stream("\n\n   \n").empty());
}

TEST(YamlLoader, CommentsOnlyInputHasNoDocuments) {
  EXPECT_TRUE(read_stream("# a comment\n  # another\n").empty());
  EXPECT_TRUE(read_stream("---\n# nothing here\n---\n...\n").empty());
}

TEST(YamlLoader, StreamDocumentsKnowTheirIndexAndFirstLine) {
  const auto documents = read_stream("a: 1\n---\nb: 2\n---\n# comment\nc: 3\n");

  ASSERT_EQ(documents.size(), 3U);
  EXPECT_EQ(documents[0].index, 0);
  EXPECT_EQ(documents[0].first_line, 1);
  EXPECT_EQ(documents[1].index, 1);
  EXPECT_EQ(documents[1].first_line, 2);
  EXPECT_EQ(documents[2].index, 2);
  EXPECT_EQ(documents[2].first_line, 4);
  EXPECT_EQ(documents[2].value, json::parse(R"({"c": 3})"));
  EXPECT_EQ(documents[2].source_map.locate("c").line, 6);
}

TEST(YamlLoader, CommentAfterTheDocumentMarkerIsNoContent) {
  const auto documents =
      read_stream("--- # the first\na: 1\n--- # the second, empty\n--- # the third\nb: 2\n");

  ASSERT_EQ(documents.size(), 2U);
  EXPECT_EQ(documents[0].value, json::parse(R"({"a": 1})"));
  EXPECT_EQ(documents[1].value, json::parse(R"({"b": 2})"));
  EXPECT_EQ(documents[1].index, 1);
  EXPECT_EQ(documents[1].first_line, 4);
  EXPECT_EQ(documents[1].source_map.locate("b").line, 5);
}

TEST(YamlLoader, DocumentEndMarkerSplitsTheStream) {
  const auto documents = read_stream("a: 1\n...\nb: 2\n");

  ASSERT_EQ(documents.size(), 2U);
  EXPECT_EQ(documents[0].value, json::parse(R"({"a": 1})"));
  EXPECT_EQ(documents[1].value, json::parse(R"({"b": 2})"));
  EXPECT_EQ(documents[1].source_map.locate("b").line, 3);
}

TEST(YamlLoader, BrokenDocumentDoesNotAffectItsNeighbours) {
  const std::string stream = "first: 1\n"  // 1
                             "list: [a]\n" // 2
                             "---\n"       // 3
                             "second: 2\n" // 4
                             "bad: x: y\n" // 5
                             "---\n"       // 6
                             "third: 3\n"  // 7
                             "nested:\n"   // 8
                             "  key: v\n"; // 9

  const auto documents = read_stream(stream);

  ASSERT_EQ(documents.size(), 3U);
  EXPECT_TRUE(documents[0].parsed);
  EXPECT_TRUE(documents[0].diagnostics.empty());
  EXPECT_EQ(documents[0].source_map.locate("list[0]").line, 2);

  EXPECT_FALSE(documents[1].parsed);
  ASSERT_EQ(documents[1].diagnostics.size(), 1U);
  EXPECT_EQ(documents[1].diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(documents[1].diagnostics[0].line, 5);
  EXPECT_EQ(documents[1].diagnostics[0].column, 7);

  EXPECT_TRUE(documents[2].parsed);
  EXPECT_TRUE(documents[2].diagnostics.empty());
  EXPECT_EQ(documents[2].value, json::parse(R"({"third": 3, "nested": {"key": "v"}})"));
  const SourcePosition key = documents[2].source_map.locate("nested.key");
  EXPECT_EQ(key.line, 9);
  EXPECT_EQ(key.column, 8);
}

// --- Duplicate keys: silently accepted by yaml-cpp, reported here. ---

TEST(YamlLoader, DuplicateKeyIsReportedAtTheSecondKey) {
  const YamlDocument document = parse("metadata:\n  name: a\n  labels: {}\n  name: b\n");

  EXPECT_TRUE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  const Diagnostic& d = document.diagnostics[0];
  EXPECT_EQ(d.rule, rules::duplicate_key);
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.column, 3);
  EXPECT_EQ(d.message, "duplicate key \"name\" (the API server keeps only the last one)");
  EXPECT_EQ(document.value["metadata"]["name"], "b"); // as the API server reads it
}

TEST(YamlLoader, DuplicateKeyInFlowMappingIsReported) {
  const YamlDocument document = parse("labels: {a: 1, b: 2, a: 3}\n");

  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::duplicate_key);
  EXPECT_EQ(document.diagnostics[0].line, 1);
  EXPECT_EQ(document.diagnostics[0].column, 22);
}

TEST(YamlLoader, SameKeyInDifferentMappingsIsNoDuplicate) {
  const YamlDocument document = parse("a:\n  name: x\nb:\n  name: y\n");

  EXPECT_TRUE(document.parsed);
  EXPECT_TRUE(document.diagnostics.empty());
}

// --- Hostile input: bounded, located, never a crash. ---

TEST(YamlLoader, DeepFlowNestingIsRefusedCleanly) {
  const std::string text = "a: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";

  const YamlDocument document = parse(text);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 1);
  EXPECT_EQ(document.diagnostics[0].column, 131); // the 128th '[' (the root mapping is the first level)
  EXPECT_EQ(document.diagnostics[0].message, "nesting deeper than 128 levels");
}

TEST(YamlLoader, DeepBlockNestingIsRefusedCleanly) {
  std::string text = "a:\n  ";
  for (int i = 0; i < 100'000; ++i) {
    text += "- ";
  }
  text += "x\n";

  const YamlDocument document = parse(text);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 2);
  EXPECT_EQ(document.diagnostics[0].column, 257); // the 128th "- "
  EXPECT_EQ(document.diagnostics[0].message, "nesting deeper than 128 levels");
}

TEST(YamlLoader, DeepNestingOfMappingsIsRefusedCleanly) {
  std::string text;
  for (int i = 0; i < 100'000; ++i) {
    text += "{a: ";
  }
  text += "1" + std::string(100'000, '}') + "\n";

  const YamlDocument document = parse(text);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].line, 1);
  EXPECT_EQ(document.diagnostics[0].column, 513); // the 129th "{a: " (the root mapping is allowed one more)
  EXPECT_EQ(document.diagnostics[0].message, "nesting deeper than 128 levels");
}

TEST(YamlLoader, NestingLimitIsConfigurable) {
  YamlLimits limits;
  limits.max_depth = 3;

  const YamlDocument shallow = parse_yaml_document("a: {b: [1]}\n", "test.yaml", 1, limits);
  const YamlDocument deep = parse_yaml_document("a: {b: [[1]]}\n", "test.yaml", 1, limits);

  EXPECT_TRUE(shallow.parsed);
  EXPECT_FALSE(deep.parsed);
  ASSERT_EQ(deep.diagnostics.size(), 1U);
  EXPECT_EQ(deep.diagnostics[0].column, 9);
  EXPECT_EQ(deep.diagnostics[0].message, "nesting deeper than 3 levels");
}

TEST(YamlLoader, BillionLaughsIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) {
      text += (i == 0 ? "*a" : ", *a") + std::to_string(level - 1);
    }
    text += "]\n";
  }

  const YamlDocument document = parse(text);

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 5);    // a4 alone would add 10^5 nodes
  EXPECT_EQ(document.diagnostics[0].column, 45); // at its 8th alias
  EXPECT_THAT(document.diagnostics[0].message, HasSubstr("aliases expand to more than 100000 nodes"));
}

TEST(YamlLoader, ModestAliasesExpand) {
  const YamlDocument document = parse("base: &b {x: 1}\nuse: *b\nlist: [*b, *b]\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value["use"], json::parse(R"({"x": 1})"));
  EXPECT_EQ(document.value["list"], json::parse(R"([{"x": 1}, {"x": 1}])"));
}

TEST(YamlLoader, UnknownAliasIsAnError) {
  const YamlDocument document = parse("a: *missing\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].rule, rules::yaml_syntax);
  EXPECT_EQ(document.diagnostics[0].line, 1);
}

// --- Merge keys. ---

TEST(YamlLoader, MergeKeyCopiesTheAnchoredMapping) {
  const YamlDocument document = parse("base: &base\n  repo: https://x\n  wait: true\n"
                                      "chart:\n  <<: *base\n  name: app\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_TRUE(document.diagnostics.empty());
  EXPECT_EQ(document.value["chart"], json::parse(R"({"repo": "https://x", "wait": true, "name": "app"})"));
}

TEST(YamlLoader, ExplicitKeysOverrideMergedOnesWithoutDuplicateFinding) {
  const YamlDocument before =
      parse("base: &base {wait: true, timeout: 5m}\nchart:\n  <<: *base\n  wait: false\n");
  const YamlDocument after =
      parse("base: &base {wait: true, timeout: 5m}\nchart:\n  wait: false\n  <<: *base\n");

  ASSERT_TRUE(before.parsed);
  EXPECT_TRUE(before.diagnostics.empty());
  EXPECT_EQ(before.value["chart"], json::parse(R"({"wait": false, "timeout": "5m"})"));
  ASSERT_TRUE(after.parsed);
  EXPECT_TRUE(after.diagnostics.empty());
  EXPECT_EQ(after.value["chart"], json::parse(R"({"wait": false, "timeout": "5m"})"));
}

TEST(YamlLoader, MergeKeyAcceptsAListOfMappings) {
  const YamlDocument document = parse("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value["c"], json::parse(R"({"x": 1, "y": 1, "z": 2})")); // the first mapping wins
}

TEST(YamlLoader, MergeKeyAcceptsAnInlineMapping) {
  const YamlDocument document = parse("c:\n  <<: {x: 1}\n  y: 2\n");

  ASSERT_TRUE(document.parsed);
  EXPECT_EQ(document.value["c"], json::parse(R"({"x": 1, "y": 2})"));
}

TEST(YamlLoader, MergeOfAScalarIsAnError) {
  const YamlDocument document = parse("c:\n  <<: 5\n");

  EXPECT_FALSE(document.parsed);
  ASSERT_EQ(document.diagnostics.size(), 1U);
  EXPECT_EQ(document.diagnostics[0].line, 2);
  EXPECT_EQ(document.diagnostics[0].column, 7);
  EXPECT_THAT(document.diagnostics[0].message, HasSubstr("merge key <<"));
}

// --- Size: a large stream is read document by document. ---

TEST(YamlLoader, FiftyMegabyteStreamParses) {
  std::string document = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n";
  for (int i = 0; i < 40; ++i) {
    document +=
        "  key" + std::to_string(i) + ": \"a value that is long enough to make the document heavy\"\n";
  }
  const int lines_per_document = 5 + 40 + 1; // with the --- line
  std::string stream;
  stream.reserve(52'000'000);
  std::size_t count = 0;
  while (stream.size() < test::k_big_stream_bytes) {
    stream += "---\n";
    stream += document;
    ++count;
  }

  std::istringstream input(std::move(stream));
  std::size_t seen = 0;
  bool all_parsed = true;
  int last_first_line = 0;
  int last_key_line = 0;
  read_yaml_stream(input, "big.yaml", [&](YamlDocument& parsed) {
    ++seen;
    all_parsed = all_parsed && parsed.parsed && parsed.diagnostics.empty();
    last_first_line = parsed.first_line;
    last_key_line = parsed.source_map.locate("data.key39").line;
  });

  EXPECT_EQ(seen, count);
  EXPECT_TRUE(all_parsed);
  const int expected_first_line = static_cast<int>(count - 1) * lines_per_document + 1;
  EXPECT_EQ(last_first_line, expected_first_line);
  EXPECT_EQ(last_key_line, expected_first_line + 45);
}

} // namespace
} // namespace herd::core
