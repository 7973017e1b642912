#include "runtime/image_ref.h"

#include <gtest/gtest.h>

namespace openeci::runtime {
namespace {

TEST(NormalizeImageTest, ShortNameGetsHubLibraryAndLatest) {
  EXPECT_EQ(NormalizeImage("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(NormalizeImage("busybox:1.36"), "docker.io/library/busybox:1.36");
}

TEST(NormalizeImageTest, HubUserRepoKeepsNamespace) {
  EXPECT_EQ(NormalizeImage("nginxinc/nginx-unprivileged"),
            "docker.io/nginxinc/nginx-unprivileged:latest");
  EXPECT_EQ(NormalizeImage("docker.io/library/busybox:1"), "docker.io/library/busybox:1");
  EXPECT_EQ(NormalizeImage("index.docker.io/library/busybox"),
            "docker.io/library/busybox:latest");
  EXPECT_EQ(NormalizeImage("docker.io/busybox"), "docker.io/library/busybox:latest");
}

TEST(NormalizeImageTest, RegistryWithPortIsNotATag) {
  EXPECT_EQ(NormalizeImage("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b:latest");
  EXPECT_EQ(NormalizeImage("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000/a/b:1");
  EXPECT_EQ(NormalizeImage("localhost/openeci/pause:1.0"), "localhost/openeci/pause:1.0");
  EXPECT_EQ(NormalizeImage("registry.example.com/x"), "registry.example.com/x:latest");
}

TEST(NormalizeImageTest, DigestIsKept) {
  const std::string digest =
      "sha256:1234567890123456789012345678901234567890123456789012345678901234";
  EXPECT_EQ(NormalizeImage("busybox@" + digest), "docker.io/library/busybox@" + digest);
  EXPECT_EQ(NormalizeImage("busybox:1@" + digest), "docker.io/library/busybox:1@" + digest);
  EXPECT_EQ(NormalizeImage("127.0.0.1:5000/a@" + digest), "127.0.0.1:5000/a@" + digest);
}

TEST(RegistryHostTest, Hosts) {
  EXPECT_EQ(RegistryHost("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000");
  EXPECT_EQ(RegistryHost("busybox"), "docker.io");
  EXPECT_EQ(RegistryHost("library/busybox"), "docker.io");
  EXPECT_EQ(RegistryHost("index.docker.io/library/busybox"), "docker.io");
  EXPECT_EQ(RegistryHost("localhost/openeci/pause:1.0"), "localhost");
  EXPECT_EQ(RegistryHost("quay.io/coreos/etcd"), "quay.io");
}

}  // namespace
}  // namespace openeci::runtime
