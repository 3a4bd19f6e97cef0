// What the reconciler writes for a Stack (issue 5): only changed Bundles are applied, Bundles of removed
// charts (and of an old workspace) are deleted, and a Bundle without Herd's labels of this Stack is never
// touched, even when its name collides — the collision is reported instead.

#include "controller_fixtures.hpp"

#include <herd/controller/bundle_sync.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::controller {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> applied_charts(const SyncPlan& plan) {
  std::vector<std::string> out;
  for (const auto& bundle : plan.apply) {
    out.push_back(bundle.chart());
  }
  return out;
}

std::vector<std::string> removed_names(const std::vector<BundleRef>& refs) {
  std::vector<std::string> out;
  out.reserve(refs.size());
  for (const auto& ref : refs) {
    out.push_back(ref.namespace_name + "/" + ref.name);
  }
  return out;
}

// The Bundles as they exist after a previous reconcile applied `rendered` (the API adds fields of its own).
std::vector<json> as_existing(const core::RenderedStack& rendered) {
  std::vector<json> out;
  for (const auto& bundle : rendered.bundles) {
    out.push_back(test::fleet_bundle(bundle.object(), 2, 2));
    out.back()["metadata"]["resourceVersion"] = "4711";
  }
  return out;
}

class BundleSync : public ::testing::Test {
protected:
  json stack = test::effective(test::rag_stack());
  StackRef ref = stack_ref(stack);
  core::RenderedStack rendered = test::render(stack);
};

TEST_F(BundleSync, NewStackAppliesEveryBundleInRenderOrder) {
  const SyncPlan plan = plan_bundle_sync(ref, rendered, {});
  EXPECT_THAT(applied_charts(plan), ElementsAre("gpu-operator", "qdrant", "ollama"));
  EXPECT_THAT(plan.remove, IsEmpty());
  EXPECT_THAT(plan.collisions, IsEmpty());
}

TEST_F(BundleSync, UnchangedStackWritesNothing) {
  const auto existing = as_existing(rendered);
  const SyncPlan plan = plan_bundle_sync(ref, test::render(stack), existing);
  EXPECT_TRUE(plan.writes_nothing());
  EXPECT_EQ(plan.unchanged, 3U);
  EXPECT_THAT(plan.collisions, IsEmpty());
}

TEST_F(BundleSync, DuplicatesFromTwoListingsAreOneBundle) {
  auto existing = as_existing(rendered);
  const auto again = as_existing(rendered);
  existing.insert(existing.end(), again.begin(), again.end());
  EXPECT_TRUE(plan_bundle_sync(ref, rendered, existing).writes_nothing());
}

TEST_F(BundleSync, EditingOneChartAppliesOnlyItsBundle) {
  const auto existing = as_existing(rendered);
  json edited = test::rag_stack();
  edited["spec"]["charts"][1]["version"] = "0.9.2";
  const SyncPlan plan = plan_bundle_sync(ref, test::render(test::effective(edited)), existing);
  EXPECT_THAT(applied_charts(plan), ElementsAre("qdrant"));
  EXPECT_THAT(plan.remove, IsEmpty());
}

TEST_F(BundleSync, RemovedChartDeletesItsBundle) {
  const auto existing = as_existing(rendered);
  json edited = test::rag_stack();
  edited["spec"]["charts"].erase(2); // ollama
  const SyncPlan plan = plan_bundle_sync(ref, test::render(test::effective(edited)), existing);
  EXPECT_THAT(applied_charts(plan), IsEmpty());
  ASSERT_EQ(plan.remove.size(), 1U);
  EXPECT_EQ(plan.remove[0].name, "team-a-rag-ollama");
  EXPECT_EQ(plan.remove[0].namespace_name, "fleet-default");
  EXPECT_EQ(plan.remove[0].chart, "ollama");
}

TEST_F(BundleSync, ChangedWorkspaceMovesBundles) {
  const auto existing = as_existing(rendered); // in fleet-default
  json moved = test::rag_stack();
  moved["spec"]["workspace"] = "fleet-local";
  const SyncPlan plan = plan_bundle_sync(ref, test::render(test::effective(moved)), existing);
  EXPECT_THAT(applied_charts(plan), ElementsAre("gpu-operator", "qdrant", "ollama"));
  EXPECT_THAT(removed_names(plan.remove),
              ElementsAre("fleet-default/team-a-rag-gpu-operator", "fleet-default/team-a-rag-ollama",
                          "fleet-default/team-a-rag-qdrant"));
  EXPECT_THAT(plan.collisions, IsEmpty());
}

TEST_F(BundleSync, ForeignBundleWithCollidingNameIsReportedNotTouched) {
  auto existing = as_existing(rendered);
  json& foreign = existing[1]; // qdrant's name, created by someone else
  foreign["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "Helm"}};
  foreign["metadata"]["annotations"] = json::object();
  const SyncPlan plan = plan_bundle_sync(ref, rendered, existing);
  EXPECT_THAT(applied_charts(plan), IsEmpty());
  EXPECT_THAT(plan.remove, IsEmpty());
  ASSERT_EQ(plan.collisions.size(), 1U);
  EXPECT_EQ(plan.collisions[0].chart, "qdrant");
  EXPECT_EQ(plan.collisions[0].bundle, "team-a-rag-qdrant");
  EXPECT_EQ(plan.collisions[0].namespace_name, "fleet-default");
  EXPECT_EQ(plan.collisions[0].owner, "not managed by Herd (managed by \"Helm\")");
}

TEST_F(BundleSync, UnlabelledBundleWithCollidingNameIsReported) {
  auto existing = as_existing(rendered);
  existing[0]["metadata"].erase("labels");
  const SyncPlan plan = plan_bundle_sync(ref, rendered, existing);
  ASSERT_EQ(plan.collisions.size(), 1U);
  EXPECT_EQ(plan.collisions[0].chart, "gpu-operator");
  EXPECT_EQ(plan.collisions[0].owner, "not managed by Herd");
  EXPECT_TRUE(plan.writes_nothing());
}

TEST_F(BundleSync, BundleOfAnotherStackIsNeitherAppliedNorDeleted) {
  auto existing = as_existing(rendered);
  existing[2]["metadata"]["labels"]["herd.suse.com/stack"] = "other";
  existing[2]["metadata"]["labels"]["herd.suse.com/stack-namespace"] = "team-b";
  const SyncPlan plan = plan_bundle_sync(ref, rendered, existing);
  ASSERT_EQ(plan.collisions.size(), 1U);
  EXPECT_EQ(plan.collisions[0].owner, "Stack team-b/other");
  EXPECT_TRUE(plan.writes_nothing());
  EXPECT_THAT(bundles_to_finalize(ref, existing), ::testing::SizeIs(2));
}

TEST_F(BundleSync, FinalizingDeletesEveryBundleOfTheStackInAnyNamespaceAndNothingElse) {
  auto existing = as_existing(rendered);
  json old_workspace = existing[0];
  old_workspace["metadata"]["namespace"] = "fleet-old";
  existing.push_back(old_workspace);
  json foreign = existing[0];
  foreign["metadata"]["name"] = "hand-made";
  foreign["metadata"]["labels"].erase("app.kubernetes.io/managed-by");
  existing.push_back(foreign);
  json other_stack = test::fleet_bundle(
      test::rendered_bundle(test::render(test::effective(test::rag_stack("rag2"))), "qdrant"), 1, 1);
  existing.push_back(other_stack);
  EXPECT_THAT(removed_names(bundles_to_finalize(ref, existing)),
              ElementsAre("fleet-default/team-a-rag-gpu-operator", "fleet-default/team-a-rag-ollama",
                          "fleet-default/team-a-rag-qdrant", "fleet-old/team-a-rag-gpu-operator"));
}

TEST_F(BundleSync, StackLabelsAgreeWithTheRendererForLongNames) {
  const std::string long_name(80, 'a');
  json long_stack = test::effective(test::rag_stack(long_name));
  const core::RenderedStack long_rendered = test::render(long_stack);
  const auto existing = as_existing(long_rendered);
  const StackRef long_ref = stack_ref(long_stack);
  EXPECT_TRUE(is_bundle_of(existing[0], long_ref));
  EXPECT_TRUE(plan_bundle_sync(long_ref, long_rendered, existing).writes_nothing());
  EXPECT_FALSE(is_bundle_of(existing[0], ref));
}

TEST_F(BundleSync, PolicyBundleIsAppliedFirstAndNamedHerdPolicy) {
  json secure = test::rag_stack();
  secure["spec"]["security"] = "enabled";
  const core::RenderedStack secure_rendered = test::render(test::effective(secure));
  const SyncPlan plan = plan_bundle_sync(ref, secure_rendered, as_existing(rendered));
  ASSERT_FALSE(plan.apply.empty());
  EXPECT_EQ(plan.apply[0].chart(), "");
  EXPECT_EQ(test::name_of(plan.apply[0].object()), "team-a-rag-herd-policy");

  // Removing security later deletes the policy Bundle, reported under the name "herd-policy".
  const SyncPlan back = plan_bundle_sync(ref, rendered, as_existing(secure_rendered));
  ASSERT_EQ(back.remove.size(), 1U);
  EXPECT_EQ(back.remove[0].chart, "herd-policy");
}

} // namespace
} // namespace herd::controller
