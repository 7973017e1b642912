// Rules of volumes, volume mounts and init containers as ValidateSpec applies them, and the
// value parsers behind them.
#include "core/volumes.h"

#include <gtest/gtest.h>

#include "core/refusal_cases.h"
#include "core/validation.h"

namespace openeci::core {
namespace {

ContainerGroupSpec SpecWithVolumes() {
  ContainerGroupSpec spec;
  spec.name = "web";
  spec.region_id = "cn-hangzhou";
  spec.cpu = 1;
  spec.memory_gib = 2;  // an allowed vCPU:GiB combination
  ContainerSpec c;
  c.name = "app";
  c.image = "busybox";
  c.volume_mounts = {{"data", "/data", "", false, ""}, {"conf", "/etc/app", "", true, "None"}};
  spec.containers.push_back(c);
  ContainerSpec init = c;
  init.name = "setup";
  init.volume_mounts = {{"data", "/work", "sub/dir", false, "HostToContainer"}};
  spec.init_containers.push_back(init);
  VolumeSpec data;
  data.name = "data";
  data.type = kEmptyDirVolume;
  VolumeSpec conf;
  conf.name = "conf";
  conf.type = kConfigFileVolume;
  conf.config_files = {{"app.conf", "aGVsbG8=", 0600}, {"nested/dir/x", "", std::nullopt}};
  conf.config_file_default_mode = 0640;
  VolumeSpec mem;
  mem.name = "mem";
  mem.type = kEmptyDirVolume;
  mem.empty_dir_medium = "Memory";
  mem.empty_dir_size_limit = "64Mi";
  VolumeSpec nfs;
  nfs.name = "share";
  nfs.type = kNfsVolume;
  nfs.nfs_server = "10.1.2.3";
  nfs.nfs_path = "/export";
  spec.volumes = {data, conf, mem, nfs};
  return spec;
}

TEST(Volumes, AcceptsEveryHonouredKind) {
  Status st = ValidateSpec(SpecWithVolumes());
  EXPECT_TRUE(st.ok()) << st.ToString();
}

using Case = testing::RefusalCase;

TEST(Volumes, RefusesWithDocumentedCodes) {
  const Case cases[] = {
      {"volume without name", [](ContainerGroupSpec& s) { s.volumes[0].name = ""; },
       "MissingParameter", "Volume.1.Name"},
      {"volume without type", [](ContainerGroupSpec& s) { s.volumes[1].type = ""; },
       "MissingParameter", "Volume.2.Type"},
      {"duplicate volume names", [](ContainerGroupSpec& s) { s.volumes[1].name = "data"; },
       "InvalidParameter.DuplicatedVolumeName", "Volume.2.Name"},
      {"bad volume name", [](ContainerGroupSpec& s) { s.volumes[0].name = "../x"; },
       "InvalidParameter", "Volume.1.Name"},
      {"disk volume", [](ContainerGroupSpec& s) { s.volumes[0].type = "DiskVolume"; },
       "DiskVolume.NotSupport", "DiskVolume"},
      {"flex volume", [](ContainerGroupSpec& s) { s.volumes[0].type = "FlexVolume"; },
       "DiskVolume.NotSupport", "FlexVolume"},
      {"host path volume", [](ContainerGroupSpec& s) { s.volumes[0].type = "HostPathVolume"; },
       "InvalidParameter", "HostPathVolume"},
      {"unknown type", [](ContainerGroupSpec& s) { s.volumes[0].type = "Ceph"; },
       "InvalidParameter", "Volume.1.Type"},
      {"bad medium", [](ContainerGroupSpec& s) { s.volumes[2].empty_dir_medium = "SSD"; },
       "InvalidParameter", "Volume.3.EmptyDirVolume.Medium"},
      {"bad size limit", [](ContainerGroupSpec& s) { s.volumes[2].empty_dir_size_limit = "lots"; },
       "InvalidParameter", "Volume.3.EmptyDirVolume.SizeLimit"},
      {"size limit on disk", [](ContainerGroupSpec& s) { s.volumes[0].empty_dir_size_limit = "1Gi"; },
       "InvalidParameter", "Volume.1.EmptyDirVolume.SizeLimit"},
      {"nfs field on emptyDir", [](ContainerGroupSpec& s) { s.volumes[0].nfs_server = "x"; },
       "InvalidParameter", "Volume.1.NFSVolume.Server"},
      {"absolute config path",
       [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].path = "/etc/passwd"; },
       "InvalidParameter", "Volume.2.ConfigFileVolume.ConfigFileToPath.1.Path"},
      {"escaping config path",
       [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].path = "a/../../x"; },
       "InvalidParameter", "ConfigFileToPath.1.Path"},
      {"missing config path", [](ContainerGroupSpec& s) { s.volumes[1].config_files[1].path = ""; },
       "MissingParameter", "ConfigFileToPath.2.Path"},
      {"file and directory",
       [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].path = "nested"; },
       "InvalidParameter", "both as a file and as the directory"},
      {"not base64", [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].content = "%%"; },
       "InvalidParameter", "ConfigFileToPath.1.Content"},
      {"over 32 KB",
       [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].content = std::string(44000, 'A'); },
       "InvalidParameter.ValueExceeded", "32 KB"},
      {"bad mode", [](ContainerGroupSpec& s) { s.volumes[1].config_files[0].mode = 01000; },
       "InvalidParameter", "ConfigFileToPath.1.Mode"},
      {"bad default mode", [](ContainerGroupSpec& s) { s.volumes[1].config_file_default_mode = -1; },
       "InvalidParameter", "DefaultMode"},
      {"nfs without server", [](ContainerGroupSpec& s) { s.volumes[3].nfs_server = ""; },
       "MissingParameter", "Volume.4.NFSVolume.Server"},
      {"nfs server with options",
       [](ContainerGroupSpec& s) { s.volumes[3].nfs_server = "a,nolock"; }, "InvalidParameter",
       "Volume.4.NFSVolume.Server"},
      {"nfs relative path", [](ContainerGroupSpec& s) { s.volumes[3].nfs_path = "export"; },
       "InvalidParameter", "Volume.4.NFSVolume.Path"},
      {"mount of unknown volume",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[0].name = "nope"; },
       "InvalidParameter", "Container.1.VolumeMount.1.Name"},
      {"mount without name",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[1].name = ""; },
       "MissingParameter", "Container.1.VolumeMount.2.Name"},
      {"mount without path",
       [](ContainerGroupSpec& s) { s.init_containers[0].volume_mounts[0].mount_path = ""; },
       "MissingParameter", "InitContainer.1.VolumeMount.1.MountPath"},
      {"relative mount path",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[0].mount_path = "data"; },
       "InvalidParameter", "Container.1.VolumeMount.1.MountPath"},
      {"mount on root", [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[0].mount_path = "/"; },
       "InvalidParameter", "Container.1.VolumeMount.1.MountPath"},
      {"two mounts on one path",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[1].mount_path = "/data/"; },
       "InvalidParameter", "Container.1.VolumeMount.2.MountPath"},
      {"escaping sub path",
       [](ContainerGroupSpec& s) { s.init_containers[0].volume_mounts[0].sub_path = "../x"; },
       "InvalidParameter", "InitContainer.1.VolumeMount.1.SubPath"},
      {"absolute sub path",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[0].sub_path = "/x"; },
       "InvalidParameter", "Container.1.VolumeMount.1.SubPath"},
      {"bad propagation",
       [](ContainerGroupSpec& s) { s.containers[0].volume_mounts[0].mount_propagation = "Shared"; },
       "InvalidParameter", "Container.1.VolumeMount.1.MountPropagation"},
      {"init container named like a container",
       [](ContainerGroupSpec& s) { s.init_containers[0].name = "app"; },
       "InvalidParameter.DuplicatedName", "InitContainer.1.Name"},
      {"init container without image", [](ContainerGroupSpec& s) { s.init_containers[0].image = ""; },
       "MissingParameter", "InitContainer.1.Image"},
  };
  testing::ExpectRefusals(SpecWithVolumes(), cases, ValidateSpec);
}

TEST(Volumes, ParsesQuantities) {
  EXPECT_EQ(ParseQuantityBytes("64Mi"), 64 << 20);
  EXPECT_EQ(ParseQuantityBytes("1Gi"), int64_t{1} << 30);
  EXPECT_EQ(ParseQuantityBytes("1.5Ki"), 1536);
  EXPECT_EQ(ParseQuantityBytes("100M"), 100000000);
  EXPECT_EQ(ParseQuantityBytes("4096"), 4096);
  EXPECT_EQ(ParseQuantityBytes("1e3"), 1000);
  for (const char* bad : {"", "Mi", "-1Mi", "0", "1 Gi", "1XB", "1eMi", "abc"}) {
    EXPECT_FALSE(ParseQuantityBytes(bad).has_value()) << bad;
  }
}

TEST(Volumes, DecodesBase64) {
  EXPECT_EQ(DecodeBase64("bGl1bWk="), "liumi");
  EXPECT_EQ(DecodeBase64("bGl1bWk"), "liumi");
  EXPECT_EQ(DecodeBase64("YWxpeXVu"), "aliyun");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("a").has_value());
  EXPECT_FALSE(DecodeBase64("ab c").has_value());
  EXPECT_FALSE(DecodeBase64("bGl1bWk===").has_value());
}

TEST(Volumes, ContainedRelativePaths) {
  for (const char* ok : {"a", "a/b", "liu/name", "data2/", "x.conf", "..a", "a..b/c"}) {
    EXPECT_TRUE(IsContainedRelativePath(ok)) << ok;
  }
  for (const char* bad : {"", "/a", "..", "a/..", "a/../b", "./a", "a//b", "a/./b"}) {
    EXPECT_FALSE(IsContainedRelativePath(bad)) << bad;
  }
}

}  // namespace
}  // namespace openeci::core
