// The VolumeManager on the real file system of this machine: directories, modes, a real tmpfs
// mount (the tests run as root, as OpenECI does), SubPath containment, NFS refused on a kernel
// without it, and cleanup that leaves no mount and no directory behind.
#include "controller/volume_manager.h"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/volumes.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ModeOf(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int>(st.st_mode & 07777);
}

class VolumeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "volume_manager_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/filesystems") << "nodev\tsysfs\nnodev\ttmpfs\n\text4\n";
    VolumeManagerOptions options;
    options.root = dir_ + "/volumes";
    options.proc_filesystems = dir_ + "/filesystems";
    volumes_ = std::make_unique<VolumeManager>(options);
    Status st = volumes_->Init();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void TearDown() override {
    volumes_->ReleaseAll();
    EXPECT_TRUE(MountsUnder(dir_).empty());
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  core::ContainerGroupSpec Spec() {
    core::ContainerGroupSpec spec;
    spec.memory_gib = 0.5;
    core::VolumeSpec data;
    data.name = "data";
    data.type = core::kEmptyDirVolume;
    core::VolumeSpec conf;
    conf.name = "conf";
    conf.type = core::kConfigFileVolume;
    conf.config_files = {{"app.conf", "bGl1bWk=", 0600}, {"liu/com", "YWxpeXVu", std::nullopt}};
    core::VolumeSpec mem;
    mem.name = "mem";
    mem.type = core::kEmptyDirVolume;
    mem.empty_dir_medium = "Memory";
    spec.volumes = {data, conf, mem};
    return spec;
  }

  std::string dir_;
  std::unique_ptr<VolumeManager> volumes_;
};

TEST_F(VolumeManagerTest, RootIsASharedMount) {
  std::string root = fs::canonical(dir_ + "/volumes").string();
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  bool shared = false;
  while (std::getline(in, line)) {
    if (line.find(" " + root + " ") != std::string::npos && line.find("shared:") != std::string::npos) {
      shared = true;
    }
  }
  EXPECT_TRUE(shared);
  EXPECT_TRUE(volumes_->Init().ok()) << "Init is idempotent";
  EXPECT_EQ(MountsUnder(root).size(), 1u);
}

TEST_F(VolumeManagerTest, PreparesEmptyDirConfigFilesAndTmpfs) {
  Status st = volumes_->Prepare("eci-1", Spec());
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::string data = volumes_->VolumeDir("eci-1", "data");
  EXPECT_EQ(ModeOf(data), 0777);
  std::string conf = volumes_->VolumeDir("eci-1", "conf");
  EXPECT_EQ(ReadFile(conf + "/app.conf"), "liumi");
  EXPECT_EQ(ModeOf(conf + "/app.conf"), 0600);
  EXPECT_EQ(ReadFile(conf + "/liu/com"), "aliyun");
  EXPECT_EQ(ModeOf(conf + "/liu/com"), 0644);

  std::string mem = volumes_->VolumeDir("eci-1", "mem");
  struct statfs sfs{};
  ASSERT_EQ(::statfs(mem.c_str(), &sfs), 0);
  EXPECT_EQ(sfs.f_type, TMPFS_MAGIC);
  EXPECT_EQ(static_cast<int64_t>(sfs.f_blocks) * sfs.f_bsize, int64_t{512} << 20)
      << "the group's memory when no SizeLimit";

  // Idempotent: a second pass keeps the data and does not stack a second tmpfs.
  std::ofstream(data + "/kept") << "x";
  std::ofstream(mem + "/kept") << "y";
  ASSERT_TRUE(volumes_->Prepare("eci-1", Spec()).ok());
  EXPECT_EQ(ReadFile(data + "/kept"), "x");
  EXPECT_EQ(ReadFile(mem + "/kept"), "y");
  EXPECT_EQ(MountsUnder(mem).size(), 1u);

  ASSERT_TRUE(volumes_->Remove("eci-1").ok());
  EXPECT_FALSE(fs::exists(volumes_->GroupDir("eci-1")));
  EXPECT_TRUE(MountsUnder(volumes_->GroupDir("eci-1")).empty());
}

TEST_F(VolumeManagerTest, TmpfsTakesTheSizeLimit) {
  core::ContainerGroupSpec spec = Spec();
  spec.volumes[2].empty_dir_size_limit = "8Mi";
  ASSERT_TRUE(volumes_->Prepare("eci-2", spec).ok());
  struct statfs sfs{};
  ASSERT_EQ(::statfs(volumes_->VolumeDir("eci-2", "mem").c_str(), &sfs), 0);
  EXPECT_EQ(static_cast<int64_t>(sfs.f_blocks) * sfs.f_bsize, int64_t{8} << 20);
  EXPECT_EQ(volumes_->GroupIds(), std::vector<std::string>{"eci-2"});
}

TEST_F(VolumeManagerTest, NfsOnAKernelWithoutNfsSaysWhy) {
  core::ContainerGroupSpec spec;
  core::VolumeSpec nfs;
  nfs.name = "share";
  nfs.type = core::kNfsVolume;
  nfs.nfs_server = "127.0.0.1";
  nfs.nfs_path = "/export";
  spec.volumes = {nfs};
  Status st = volumes_->Prepare("eci-3", spec);
  EXPECT_EQ(st.api_code(), "FailedMount");
  EXPECT_NE(st.message().find("volume \"share\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("the kernel of this node does not support NFS (no nfs in "),
            std::string::npos)
      << st.message();
  EXPECT_EQ(VolumeManager::NfsMountData("10.0.0.7"),
            "vers=4.0,addr=10.0.0.7,hard,timeo=600,retrans=2,noresvport");
}

TEST_F(VolumeManagerTest, MountsWithSubPathStayInsideTheVolume) {
  core::ContainerGroupSpec spec = Spec();
  core::ContainerSpec c;
  c.volume_mounts = {{"data", "/data", "", false, ""},
                     {"data", "/sub", "a/b", true, "HostToContainer"},
                     {"conf", "/etc/app.conf", "app.conf", true, "Bidirectional"}};
  ASSERT_TRUE(volumes_->Prepare("eci-4", spec).ok());
  StatusOr<std::vector<runtime::Mount>> mounts = volumes_->MountsFor("eci-4", spec, c);
  ASSERT_TRUE(mounts.ok()) << mounts.status().ToString();
  ASSERT_EQ(mounts->size(), 3u);
  std::string data = volumes_->VolumeDir("eci-4", "data");
  EXPECT_EQ((*mounts)[0].host_path, data);
  EXPECT_FALSE((*mounts)[0].read_only);
  EXPECT_EQ((*mounts)[0].propagation, runtime::Mount::Propagation::kPrivate);
  EXPECT_EQ((*mounts)[1].host_path, data + "/a/b");
  EXPECT_TRUE(fs::is_directory(data + "/a/b"));
  EXPECT_TRUE((*mounts)[1].read_only);
  EXPECT_EQ((*mounts)[1].propagation, runtime::Mount::Propagation::kHostToContainer);
  EXPECT_EQ((*mounts)[2].host_path, volumes_->VolumeDir("eci-4", "conf") + "/app.conf");
  EXPECT_EQ((*mounts)[2].propagation, runtime::Mount::Propagation::kBidirectional);

  // A container replaced the SubPath by a symlink to the host's /etc: refused.
  fs::create_symlink("/etc", data + "/evil");
  c.volume_mounts = {{"data", "/x", "evil", false, ""}};
  StatusOr<std::vector<runtime::Mount>> evil = volumes_->MountsFor("eci-4", spec, c);
  EXPECT_EQ(evil.status().api_code(), "FailedMount");
  // Nor does rewriting a config file follow a symlink out of the volume.
  std::string conf = volumes_->VolumeDir("eci-4", "conf");
  fs::remove_all(conf + "/liu");
  fs::create_symlink(dir_, conf + "/liu");
  EXPECT_EQ(volumes_->Prepare("eci-4", spec).api_code(), "FailedMount");
  EXPECT_FALSE(fs::exists(dir_ + "/com"));
}

}  // namespace
}  // namespace openeci::controller
