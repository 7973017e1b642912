// DecodeGroupUpdate: which parts an UpdateContainerGroup request gives (a part is given when it
// has a key; the rest keep their stored values) and the refusals of the decoder itself.
#include <gtest/gtest.h>

#include "api/spec_params.h"

namespace openeci::api {
namespace {

StatusOr<core::GroupUpdate> Decode(std::map<std::string, std::string> values) {
  ASSIGN_OR_RETURN(Params params, Params::Create(std::move(values)));
  StatusOr<core::GroupUpdate> update = DecodeGroupUpdate(params);
  if (update.ok()) {
    std::vector<std::string> left = params.Unconsumed();
    EXPECT_TRUE(left.empty()) << "unread: " << left.front();
  }
  return update;
}

TEST(DecodeGroupUpdate, OnlyGivenPartsArePresent) {
  StatusOr<core::GroupUpdate> u = Decode({{"Tag.1.Key", "env"}, {"Tag.1.Value", "prod"}});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  ASSERT_TRUE(u->tags.has_value());
  EXPECT_EQ((*u->tags)[0].value, "prod");
  EXPECT_FALSE(u->containers || u->init_containers || u->volumes || u->dns_config ||
               u->credentials || u->restart_policy || u->cpu || u->memory_gib ||
               u->resource_group_id);
}

TEST(DecodeGroupUpdate, EveryUpdatablePart) {
  StatusOr<core::GroupUpdate> u = Decode({
      {"RestartPolicy", "OnFailure"},
      {"Container.1.Name", "app"},
      {"Container.1.Image", "busybox"},
      {"Container.1.EnvironmentVar.1.Key", "MODE"},
      {"Container.1.EnvironmentVar.1.Value", "v2"},
      {"InitContainer.1.Name", "init"},
      {"Volume.1.Name", "cache"},
      {"Volume.1.Type", "EmptyDirVolume"},
      {"DnsConfig.Search.1", "svc.local"},
      {"ImageRegistryCredential.1.Server", "r.example.com"},
      {"ImageRegistryCredential.1.UserName", "u"},
      {"ImageRegistryCredential.1.Password", "p"},
      {"ResourceGroupId", "rg-1"},
      {"Cpu", "2"},
      {"Memory", "4.5"},
      {"UpdateType", "RenewUpdate"},
  });
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->restart_policy, core::RestartPolicy::OnFailure);
  EXPECT_EQ(u->containers->at(0).env.at(0).value, "v2");
  EXPECT_EQ(u->init_containers->at(0).name, "init");
  EXPECT_EQ(u->volumes->at(0).type, "EmptyDirVolume");
  EXPECT_EQ(u->dns_config->searches.at(0), "svc.local");
  EXPECT_TRUE(u->dns_config->name_servers.empty());
  EXPECT_EQ(u->credentials->at(0).username, "u");
  EXPECT_EQ(u->resource_group_id, "rg-1");
  EXPECT_EQ(u->cpu, 2);
  EXPECT_EQ(u->memory_gib, 4.5);
}

TEST(DecodeGroupUpdate, Refusals) {
  Status type = Decode({{"UpdateType", "IncrementalUpdate"}}).status();
  EXPECT_EQ(type.api_code(), "InvalidParameter");
  EXPECT_NE(type.message().find("\"UpdateType\""), std::string::npos);
  Status policy = Decode({{"RestartPolicy", "Sometimes"}}).status();
  EXPECT_NE(policy.message().find("\"RestartPolicy\""), std::string::npos);
  Status cpu = Decode({{"Cpu", "two"}}).status();
  EXPECT_NE(cpu.message().find("\"Cpu\""), std::string::npos);
  Status port = Decode({{"Container.1.Port.1.Port", "eighty"}}).status();
  EXPECT_NE(port.message().find("\"Container.1.Port.1.Port\""), std::string::npos)
      << port.message();
}

}  // namespace
}  // namespace openeci::api
