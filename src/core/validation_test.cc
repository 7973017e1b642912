#include "core/validation.h"

#include <gtest/gtest.h>

#include "core/refusal_cases.h"

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

using Case = testing::RefusalCase;

// Each case, applied to ValidSpec(), is refused with its code and a message naming `names`.
void ExpectRefusals(std::span<const Case> cases) {
  testing::ExpectRefusals(ValidSpec(), cases, CheckAll);
}

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
       "InvalidParameter.ValueExceeded", "Container.1.Port.1.Port"},
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
  ExpectRefusals(cases);
}

ContainerSpec Named(const std::string& name) {
  ContainerSpec c;
  c.name = name;
  c.image = "busybox";
  return c;
}

// Every rule of the limits table, at its boundary: the limit itself passes, one more fails
// with the documented code and names the parameter.
TEST(Validation, EveryLimitAtItsBoundary) {
  struct Limit {
    const char* what;
    void (*at_limit)(ContainerGroupSpec&);
    void (*over)(ContainerGroupSpec&);
    const char* code;
    const char* names;
  };
  const Limit limits[] = {
      {"containers",
       [](ContainerGroupSpec& s) {
         for (int i = 1; i < kMaxContainers; ++i) s.containers.push_back(Named("c" + std::to_string(i)));
       },
       [](ContainerGroupSpec& s) {
         for (int i = 1; i <= kMaxContainers; ++i) s.containers.push_back(Named("c" + std::to_string(i)));
       },
       "InvalidParameter.LengthExceeded", "\"Container\""},
      {"init containers",
       [](ContainerGroupSpec& s) {
         for (int i = 0; i < kMaxInitContainers; ++i) s.init_containers.push_back(Named("i" + std::to_string(i)));
         s.init_containers[0].name = "Bad";  // stops before RejectNotYetHonoured
       },
       [](ContainerGroupSpec& s) {
         for (int i = 0; i <= kMaxInitContainers; ++i) s.init_containers.push_back(Named("i" + std::to_string(i)));
       },
       "InvalidParameter.LengthExceeded", "\"InitContainer\""},
      {"commands", [](ContainerGroupSpec& s) { s.containers[0].command.assign(kMaxCommands, "x"); },
       [](ContainerGroupSpec& s) { s.containers[0].command.assign(kMaxCommands + 1, "x"); },
       "InvalidParameter.LengthExceeded", "Container.1.Command"},
      {"command length",
       [](ContainerGroupSpec& s) { s.containers[0].command = {"sh", std::string(kMaxCommandLength, 'x')}; },
       [](ContainerGroupSpec& s) { s.containers[0].command = {"sh", std::string(kMaxCommandLength + 1, 'x')}; },
       "InvalidParameter.ValueExceeded", "Container.1.Command.2"},
      {"args", [](ContainerGroupSpec& s) { s.containers[0].args.assign(kMaxArgs, "x"); },
       [](ContainerGroupSpec& s) { s.containers[0].args.assign(kMaxArgs + 1, "x"); },
       "InvalidParameter.LengthExceeded", "Container.1.Arg"},
      {"env vars",
       [](ContainerGroupSpec& s) {
         for (int i = 0; i < kMaxEnvVars; ++i) s.containers[0].env.push_back({"K" + std::to_string(i), "v", ""});
       },
       [](ContainerGroupSpec& s) {
         for (int i = 0; i <= kMaxEnvVars; ++i) s.containers[0].env.push_back({"K" + std::to_string(i), "v", ""});
       },
       "InvalidParameter.LengthExceeded", "Container.1.EnvironmentVar"},
      {"env key length",
       [](ContainerGroupSpec& s) { s.containers[0].env = {{std::string(kMaxEnvKeyLength, 'K'), "v", ""}}; },
       [](ContainerGroupSpec& s) { s.containers[0].env = {{std::string(kMaxEnvKeyLength + 1, 'K'), "v", ""}}; },
       "InvalidParameter.ValueExceeded", "Container.1.EnvironmentVar.1.Key"},
      {"env value length",
       [](ContainerGroupSpec& s) { s.containers[0].env = {{"K", std::string(kMaxEnvValueLength, 'v'), ""}}; },
       [](ContainerGroupSpec& s) { s.containers[0].env = {{"K", std::string(kMaxEnvValueLength + 1, 'v'), ""}}; },
       "InvalidParameter.ValueExceeded", "Container.1.EnvironmentVar.1.Value"},
      {"ports",
       [](ContainerGroupSpec& s) {
         for (int i = 0; i < kMaxPorts; ++i) s.containers[0].ports.push_back({1000 + i, "TCP"});
       },
       [](ContainerGroupSpec& s) {
         for (int i = 0; i <= kMaxPorts; ++i) s.containers[0].ports.push_back({1000 + i, "TCP"});
       },
       "InvalidParameter.LengthExceeded", "Container.1.Port"},
      {"port range high", [](ContainerGroupSpec& s) { s.containers[0].ports = {{kMaxPort, "UDP"}}; },
       [](ContainerGroupSpec& s) { s.containers[0].ports = {{kMaxPort + 1, "UDP"}}; },
       "InvalidParameter.ValueExceeded", "Container.1.Port.1.Port"},
      {"port range low", [](ContainerGroupSpec& s) { s.containers[0].ports = {{kMinPort, "TCP"}}; },
       [](ContainerGroupSpec& s) { s.containers[0].ports = {{kMinPort - 1, "TCP"}}; },
       "InvalidParameter.ValueExceeded", "Container.1.Port.1.Port"},
      {"tags",
       [](ContainerGroupSpec& s) {
         for (int i = 0; i < kMaxTags; ++i) s.tags.push_back({"k" + std::to_string(i), "v"});
       },
       [](ContainerGroupSpec& s) {
         for (int i = 0; i <= kMaxTags; ++i) s.tags.push_back({"k" + std::to_string(i), "v"});
       },
       "InvalidParameter.LengthExceeded", "\"Tag\""},
      {"tag key length", [](ContainerGroupSpec& s) { s.tags = {{std::string(kMaxTagKeyLength, 'k'), ""}}; },
       [](ContainerGroupSpec& s) { s.tags = {{std::string(kMaxTagKeyLength + 1, 'k'), ""}}; },
       "InvalidParameter.ValueExceeded", "Tag.1.Key"},
      {"tag value length", [](ContainerGroupSpec& s) { s.tags = {{"k", std::string(kMaxTagValueLength, 'v')}}; },
       [](ContainerGroupSpec& s) { s.tags = {{"k", std::string(kMaxTagValueLength + 1, 'v')}}; },
       "InvalidParameter.ValueExceeded", "Tag.1.Value"},
      {"credentials",
       [](ContainerGroupSpec& s) { s.credentials.assign(kMaxCredentials, {"reg", "u", "p"}); },
       [](ContainerGroupSpec& s) { s.credentials.assign(kMaxCredentials + 1, {"reg", "u", "p"}); },
       "InvalidParameter.LengthExceeded", "ImageRegistryCredential"},
      {"container name length",
       [](ContainerGroupSpec& s) { s.containers[0].name = std::string(kMaxContainerNameLength, 'a'); },
       [](ContainerGroupSpec& s) { s.containers[0].name = std::string(kMaxContainerNameLength + 1, 'a'); },
       "InvalidParameter.ValueExceeded", "Container.1.Name"},
      {"group name length",
       [](ContainerGroupSpec& s) { s.name = std::string(kMaxGroupNameLength, 'a'); },
       [](ContainerGroupSpec& s) { s.name = std::string(kMaxGroupNameLength + 1, 'a'); },
       "InvalidParameter.ValueExceeded", "ContainerGroupName"},
      {"image length",
       [](ContainerGroupSpec& s) { s.containers[0].image = std::string(kMaxImageLength, 'a'); },
       [](ContainerGroupSpec& s) { s.containers[0].image = std::string(kMaxImageLength + 1, 'a'); },
       "InvalidParameter.ValueExceeded", "Container.1.Image"},
  };
  for (const Limit& l : limits) {
    ContainerGroupSpec at = ValidSpec();
    l.at_limit(at);
    Status st = CheckAll(at);
    if (std::string(l.what) == "init containers") {
      // At the limit the count passes; the planted bad name is what is refused.
      EXPECT_EQ(st.api_code(), "InvalidParameter") << l.what << ": " << st.ToString();
      EXPECT_NE(st.message().find("InitContainer.1.Name"), std::string::npos) << st.message();
    } else {
      EXPECT_TRUE(st.ok()) << l.what << " at its limit: " << st.ToString();
    }
    ContainerGroupSpec over = ValidSpec();
    l.over(over);
    st = CheckAll(over);
    EXPECT_EQ(st.api_code(), l.code) << l.what << ": " << st.ToString();
    EXPECT_NE(st.message().find(l.names), std::string::npos) << l.what << ": " << st.message();
  }
}

TEST(Validation, NamePatternsAndRequiredFields) {
  const Case cases[] = {
      {"group name with upper case", [](ContainerGroupSpec& s) { s.name = "Web"; },
       "InvalidParameter", "ContainerGroupName"},
      {"group name too short", [](ContainerGroupSpec& s) { s.name = "a"; }, "InvalidParameter",
       "ContainerGroupName"},
      {"group name ends with hyphen", [](ContainerGroupSpec& s) { s.name = "web-"; },
       "InvalidParameter", "ContainerGroupName"},
      {"container name with underscore", [](ContainerGroupSpec& s) { s.containers[0].name = "a_b"; },
       "InvalidParameter", "Container.1.Name"},
      {"container name missing", [](ContainerGroupSpec& s) { s.containers[0].name.clear(); },
       "MissingParameter", "Container.1.Name"},
      {"env key with a dot", [](ContainerGroupSpec& s) { s.containers[0].env = {{"A.B", "v", ""}}; },
       "InvalidParameter", "Container.1.EnvironmentVar.1.Key"},
      {"env key missing", [](ContainerGroupSpec& s) { s.containers[0].env = {{"", "v", ""}}; },
       "MissingParameter", "Container.1.EnvironmentVar.1.Key"},
      {"env field path", [](ContainerGroupSpec& s) { s.containers[0].env = {{"IP", "", "status.hostIP"}}; },
       "InvalidParameter", "Container.1.EnvironmentVar.1.FieldRef.FieldPath"},
      {"port protocol", [](ContainerGroupSpec& s) { s.containers[0].ports = {{80, "SCTP"}}; },
       "InvalidParameter", "Container.1.Port.1.Protocol"},
      {"image with a space", [](ContainerGroupSpec& s) { s.containers[0].image = "busy box"; },
       "InvalidParameter", "Container.1.Image"},
      {"negative cpu", [](ContainerGroupSpec& s) { s.containers[0].cpu = -1; },
       "InvalidParameter", "Container.1.Cpu"},
      {"negative gpu", [](ContainerGroupSpec& s) { s.containers[0].gpu = -1; },
       "InvalidParameter", "Container.1.Gpu"},
      {"tag key missing", [](ContainerGroupSpec& s) { s.tags = {{"", "v"}}; }, "MissingParameter",
       "Tag.1.Key"},
      {"tag key reserved", [](ContainerGroupSpec& s) { s.tags = {{"aliyun-x", "v"}}; },
       "InvalidParameter", "Tag.1.Key"},
      {"tag key repeated", [](ContainerGroupSpec& s) { s.tags = {{"a", "1"}, {"b", "2"}, {"a", "3"}}; },
       "InvalidParameter", "Tag.3.Key"},
      {"credential without server", [](ContainerGroupSpec& s) { s.credentials = {{"", "u", "p"}}; },
       "MissingParameter", "ImageRegistryCredential.1.Server"},
      {"init container missing image",
       [](ContainerGroupSpec& s) {
         s.init_containers = {Named("init")};
         s.init_containers[0].image.clear();
       },
       "MissingParameter", "InitContainer.1.Image"},
      {"init container name taken by a container",
       [](ContainerGroupSpec& s) { s.init_containers = {Named("app")}; },
       "InvalidParameter.DuplicatedName", "InitContainer.1.Name"},
      {"two init containers with one name",
       [](ContainerGroupSpec& s) { s.init_containers = {Named("init"), Named("init")}; },
       "InvalidParameter.DuplicatedName", "InitContainer.2.Name"},
  };
  ExpectRefusals(cases);
}

TEST(Validation, GroupCpuMemoryMustBeAnAllowedCombination) {
  EXPECT_TRUE(IsAllowedCpuMemory(0.25, 0.5));
  EXPECT_TRUE(IsAllowedCpuMemory(2, 16));
  EXPECT_TRUE(IsAllowedCpuMemory(64, 512));
  EXPECT_FALSE(IsAllowedCpuMemory(0.25, 0.25));
  EXPECT_FALSE(IsAllowedCpuMemory(1, 1));
  EXPECT_FALSE(IsAllowedCpuMemory(3, 6));
  const Case cases[] = {
      {"1 vCPU with 1 GiB",
       [](ContainerGroupSpec& s) {
         s.cpu = 1;
         s.memory_gib = 1;
       },
       "InvalidParameter.CPU.Memory", "Cpu 1 with Memory 1 GiB"},
      {"3 vCPUs", [](ContainerGroupSpec& s) { s.cpu = 3; }, "InvalidParameter.CPU.Memory",
       "Cpu 3"},
      {"containers' memory over the group's",
       [](ContainerGroupSpec& s) {
         s.cpu = 1;
         s.memory_gib = 2;
         s.containers[0].memory_gib = 1.5;
         s.containers.push_back(Named("side"));
         s.containers[1].memory_gib = 1;
       },
       "InvalidParameter.CPU.Memory", "Memory 2.5 GiB"},
      {"an init container over the group's",
       [](ContainerGroupSpec& s) {
         s.cpu = 1;
         s.memory_gib = 2;
         s.init_containers = {Named("init")};
         s.init_containers[0].cpu = 2;
       },
       "InvalidParameter.CPU.Memory", "Cpu 2"},
      {"containers larger than any specification",
       [](ContainerGroupSpec& s) { s.containers[0].cpu = 100; }, "InvalidParameter.CPU.Memory",
       "Cpu 100"},
  };
  ExpectRefusals(cases);
}

// A group Cpu/Memory not given is the smallest allowed combination holding the containers.
TEST(Validation, GroupCpuMemoryIsDerivedFromTheContainersRoundedUp) {
  struct Derivation {
    double container_cpu, container_memory, group_cpu, group_memory;
    double want_cpu, want_memory;
  };
  const Derivation cases[] = {
      {0, 0, 0, 0, 2, 4},           // nothing asked: the ECI default
      {0.25, 0.25, 0, 0, 0.25, 0.5},
      {0.5, 0.5, 0, 0, 0.5, 1},
      {0.25, 1.5, 0, 0, 0.5, 2},
      {1, 3, 0, 0, 1, 4},
      {3, 1, 0, 0, 4, 4},
      {0.25, 0.25, 1, 0, 1, 2},     // only Cpu given: the least memory with it
      {0.25, 3, 1, 0, 1, 4},
      {1, 0.25, 0, 1, 2, 1},        // only Memory given
      {1, 2, 1, 2, 1, 2},
  };
  for (const Derivation& d : cases) {
    ContainerGroupSpec spec = ValidSpec();
    spec.containers[0].cpu = d.container_cpu;
    spec.containers[0].memory_gib = d.container_memory;
    spec.cpu = d.group_cpu;
    spec.memory_gib = d.group_memory;
    Topology topology;
    FillDefaults(spec, topology);
    EXPECT_EQ(spec.cpu, d.want_cpu) << d.container_cpu << "/" << d.container_memory;
    EXPECT_EQ(spec.memory_gib, d.want_memory) << d.container_cpu << "/" << d.container_memory;
    EXPECT_TRUE(ValidateSpec(spec).ok()) << ValidateSpec(spec).ToString();
  }
}

TEST(Validation, ContainerDemandCountsTheLargestInitContainer) {
  ContainerGroupSpec spec = ValidSpec();
  spec.containers[0].cpu = 0.5;
  spec.containers[0].memory_gib = 1;
  spec.containers.push_back(Named("b"));
  spec.containers[1].cpu = 0.5;
  spec.containers[1].memory_gib = 1;
  spec.init_containers = {Named("i1"), Named("i2")};
  spec.init_containers[0].cpu = 2;
  spec.init_containers[1].memory_gib = 1.5;
  CpuMemorySpec demand = ContainerDemand(spec);
  EXPECT_EQ(demand.cpu, 2);
  EXPECT_EQ(demand.memory_gib, 2);
}

TEST(Validation, ClientToken) {
  EXPECT_TRUE(ValidateClientToken("123e4567-e89b-12d3-a456-426655440000").ok());
  EXPECT_TRUE(ValidateClientToken(std::string(kMaxClientTokenLength, 'a')).ok());
  EXPECT_EQ(ValidateClientToken(std::string(kMaxClientTokenLength + 1, 'a')).api_code(),
            "InvalidParameter.ValueExceeded");
  EXPECT_FALSE(ValidateClientToken("caf\xc3\xa9").ok());
}

}  // namespace
}  // namespace openeci::core
