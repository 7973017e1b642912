#include "core/validation.h"

#include <gtest/gtest.h>

namespace openeci::core {
namespace {

ContainerGroupSpec ValidSpec() {
  ContainerGroupSpec spec;
  spec.name = "web";
  spec.region_id = "cn-hangzhou";
  ContainerSpec c;
  c.name = "app";
  c.image = "busybox";
  spec.containers.push_back(c);
  return spec;
}

Status CheckAll(ContainerGroupSpec spec) {
  Topology topology;
  RETURN_IF_ERROR(ValidatePlacement(spec, topology));
  FillDefaults(spec, topology);
  return ValidateSpec(spec);
}

TEST(Validation, AcceptsMinimalSpecAndFillsDefaults) {
  ContainerGroupSpec spec = ValidSpec();
  Topology topology;
  ASSERT_TRUE(ValidatePlacement(spec, topology).ok());
  FillDefaults(spec, topology);
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.zone_id, "cn-hangzhou-a");
  EXPECT_EQ(spec.vswitch_id, "vsw-openeci-default");
  EXPECT_EQ(spec.security_group_id, "sg-openeci-default");
  EXPECT_EQ(spec.cpu, 2);
  EXPECT_EQ(spec.memory_gib, 4);
}

struct Case {
  const char* what;
  void (*mutate)(ContainerGroupSpec&);
  const char* code;
  const char* names;  // a substring the message must contain
};

TEST(Validation, RefusesWithDocumentedCodes) {
  const Case cases[] = {
      {"unknown region", [](ContainerGroupSpec& s) { s.region_id = "us-east-1"; },
       "RegionNotSupported", "us-east-1"},
      {"unknown zone", [](ContainerGroupSpec& s) { s.zone_id = "cn-hangzhou-z"; },
       "Zone.NotOnSale", "ZoneId"},
      {"unknown vswitch", [](ContainerGroupSpec& s) { s.vswitch_id = "vsw-nope"; },
       "InvalidVSwitchId.NotFound", "VSwitchId"},
      {"unknown security group", [](ContainerGroupSpec& s) { s.security_group_id = "sg-x"; },
       "InvalidSecurityGroupId.NotFound", "SecurityGroupId"},
      {"bad group name", [](ContainerGroupSpec& s) { s.name = "Web_1"; }, "InvalidParameter",
       "ContainerGroupName"},
      {"no containers", [](ContainerGroupSpec& s) { s.containers.clear(); }, "MissingParameter",
       "Container"},
      {"duplicate names", [](ContainerGroupSpec& s) { s.containers.push_back(s.containers[0]); },
       "InvalidParameter.DuplicatedName", "Container.2.Name"},
      {"missing image", [](ContainerGroupSpec& s) { s.containers[0].image.clear(); },
       "MissingParameter", "Container.1.Image"},
      {"too many args",
       [](ContainerGroupSpec& s) { s.containers[0].args.assign(11, "x"); },
       "InvalidParameter.LengthExceeded", "Container.1.Arg"},
      {"long command",
       [](ContainerGroupSpec& s) { s.containers[0].command = {std::string(257, 'x')}; },
       "InvalidParameter.ValueExceeded", "Container.1.Command.1"},
      {"bad env key",
       [](ContainerGroupSpec& s) { s.containers[0].env = {{"1ABC", "v", ""}}; },
       "InvalidParameter", "Container.1.EnvironmentVar.1.Key"},
      {"bad port", [](ContainerGroupSpec& s) { s.containers[0].ports = {{70000, "TCP"}}; },
       "InvalidParameter", "Container.1.Port.1.Port"},
      {"containers exceed group",
       [](ContainerGroupSpec& s) {
         s.cpu = 1;
         s.containers[0].cpu = 2;
       },
       "InvalidParameter.CPU.Memory", "Cpu"},
      {"credential without password",
       [](ContainerGroupSpec& s) { s.credentials = {{"reg", "u", ""}}; }, "MissingParameter",
       "ImageRegistryCredential.1.Password"},
  };
  for (const Case& c : cases) {
    ContainerGroupSpec spec = ValidSpec();
    c.mutate(spec);
    Status st = CheckAll(spec);
    EXPECT_EQ(st.api_code(), c.code) << c.what << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.names), std::string::npos) << c.what << ": " << st.message();
  }
}

TEST(Validation, ClientToken) {
  EXPECT_TRUE(ValidateClientToken("123e4567-e89b-12d3-a456-426655440000").ok());
  EXPECT_FALSE(ValidateClientToken(std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateClientToken("caf\xc3\xa9").ok());
}

}  // namespace
}  // namespace openeci::core
