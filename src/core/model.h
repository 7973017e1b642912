// The container-group model: what a user asked for (spec), what OpenECI last observed
// (status), and the events in between. Plain value types, no I/O, no locking: a
// ContainerGroup is owned by whoever holds the copy.
//
// Every struct is described with Boost.Describe so that the store can serialise it without
// hand-written code (store/codec.cc). New fields must get a default value: records written
// before the field existed are read back with that default.
#pragma once

#include <boost/describe.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace openeci::core {

// Times are Unix milliseconds (UTC); 0 means "not set". Rendered as RFC 3339 at the edge.
using Millis = int64_t;

BOOST_DEFINE_ENUM_CLASS(RestartPolicy, Always, OnFailure, Never)
BOOST_DEFINE_ENUM_CLASS(PullPolicy, Always, IfNotPresent, Never)

struct EnvVar {
  std::string key;
  std::string value;
  std::string field_path;  // "status.podIP" or empty
};
BOOST_DESCRIBE_STRUCT(EnvVar, (), (key, value, field_path))

struct PortSpec {
  int port = 0;
  std::string protocol = "TCP";
};
BOOST_DESCRIBE_STRUCT(PortSpec, (), (port, protocol))

struct RegistryCredential {
  std::string server;
  std::string username;
  std::string password;
};
BOOST_DESCRIBE_STRUCT(RegistryCredential, (), (server, username, password))

struct Tag {
  std::string key;
  std::string value;
};
BOOST_DESCRIBE_STRUCT(Tag, (), (key, value))

// A probe (LivenessProbe / ReadinessProbe). It is configured when it has a handler: an exec
// command, an HTTP GET port or a TCP port (exactly one). Defaults are the API reference's.
struct ProbeSpec {
  std::vector<std::string> exec_command;
  std::string http_path;
  int http_port = 0;
  std::string http_scheme = "HTTP";  // HTTP or HTTPS
  int tcp_port = 0;
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
  bool Configured() const { return !exec_command.empty() || http_port != 0 || tcp_port != 0; }
};
BOOST_DESCRIBE_STRUCT(ProbeSpec, (),
                      (exec_command, http_path, http_port, http_scheme, tcp_port,
                       initial_delay_seconds, period_seconds, timeout_seconds, success_threshold,
                       failure_threshold))

// Container SecurityContext.
struct SecurityContextSpec {
  std::optional<int64_t> run_as_user;
  bool read_only_root_filesystem = false;
  std::vector<std::string> capabilities_add;  // e.g. "NET_ADMIN"
};
BOOST_DESCRIBE_STRUCT(SecurityContextSpec, (),
                      (run_as_user, read_only_root_filesystem, capabilities_add))

// Container.N.VolumeMount.N: where a volume of the group appears in the container.
struct VolumeMountSpec {
  std::string name;  // the volume's name
  std::string mount_path;
  std::string sub_path;
  bool read_only = false;
  std::string mount_propagation;  // "", None, HostToContainer, Bidirectional
};
BOOST_DESCRIBE_STRUCT(VolumeMountSpec, (), (name, mount_path, sub_path, read_only,
                                            mount_propagation))

struct ContainerSpec {
  std::string name;
  std::string image;
  double cpu = 0;         // vCPUs; 0 = no own limit (shares the group's)
  double memory_gib = 0;  // GiB; 0 = no own limit
  std::string working_dir;
  PullPolicy pull_policy = PullPolicy::IfNotPresent;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<EnvVar> env;
  std::vector<PortSpec> ports;
  std::vector<VolumeMountSpec> volume_mounts;
  ProbeSpec liveness_probe;   // not configured: no probing
  ProbeSpec readiness_probe;  // not configured: ready once running
  SecurityContextSpec security_context;
  bool stdin_open = false;  // Stdin
  bool stdin_once = false;  // StdinOnce
  bool tty = false;         // Tty
  int gpu = 0;
};
BOOST_DESCRIBE_STRUCT(ContainerSpec, (),
                      (name, image, cpu, memory_gib, working_dir, pull_policy, command, args, env,
                       ports, volume_mounts, liveness_probe, readiness_probe, security_context,
                       stdin_open, stdin_once, tty, gpu))

// Volume.N.ConfigFileVolume.ConfigFileToPath.N: one file of a ConfigFileVolume.
struct ConfigFileSpec {
  std::string path;     // relative to the volume's root
  std::string content;  // base64, as the user sent it
  std::optional<int> mode;  // file mode (e.g. 0644 = 420); DefaultMode when absent
};
BOOST_DESCRIBE_STRUCT(ConfigFileSpec, (), (path, content, mode))

// Volume.N. `type` is the wire name: EmptyDirVolume, ConfigFileVolume, NFSVolume (supported);
// DiskVolume, FlexVolume, HostPathVolume are recorded only to be refused by validation.
struct VolumeSpec {
  std::string name;
  std::string type;
  std::string empty_dir_medium;      // "" (node disk) or "Memory" (tmpfs)
  std::string empty_dir_size_limit;  // e.g. "256Mi"; "" = no limit
  std::vector<ConfigFileSpec> config_files;
  std::optional<int> config_file_default_mode;  // 0644 when absent
  std::string nfs_server;
  std::string nfs_path;
  bool nfs_read_only = false;
};
BOOST_DESCRIBE_STRUCT(VolumeSpec, (),
                      (name, type, empty_dir_medium, empty_dir_size_limit, config_files,
                       config_file_default_mode, nfs_server, nfs_path, nfs_read_only))

struct DnsOption {
  std::string name;
  std::string value;
};
BOOST_DESCRIBE_STRUCT(DnsOption, (), (name, value))

struct DnsConfigSpec {
  std::vector<std::string> name_servers;
  std::vector<std::string> searches;
  std::vector<DnsOption> options;
};
BOOST_DESCRIBE_STRUCT(DnsConfigSpec, (), (name_servers, searches, options))

struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;
};
BOOST_DESCRIBE_STRUCT(HostAlias, (), (ip, hostnames))

struct Sysctl {
  std::string name;
  std::string value;
};
BOOST_DESCRIBE_STRUCT(Sysctl, (), (name, value))

struct ContainerGroupSpec {
  std::string name;
  std::string region_id;
  std::string zone_id;
  std::string vswitch_id;
  std::string security_group_id;
  std::string resource_group_id;
  std::string instance_type;
  RestartPolicy restart_policy = RestartPolicy::Always;
  double cpu = 0;         // vCPUs of the group (the sum of the containers' when not given)
  double memory_gib = 0;  // GiB of the group
  std::vector<Tag> tags;
  std::vector<RegistryCredential> credentials;
  std::vector<ContainerSpec> containers;
  // ImageSnapshotId: the image cache (its "imc-" ID or its "s-" snapshot ID) to take images
  // from; AutoMatchImageCache: use any Ready cache of the account holding an image.
  std::string image_snapshot_id;
  bool auto_match_image_cache = false;
  // Run one at a time, in order, each to completion, before any of `containers` starts.
  std::vector<ContainerSpec> init_containers;
  std::vector<VolumeSpec> volumes;
  DnsConfigSpec dns_config;
  std::string dns_policy;  // "" (= Default) or as the user wrote it
  std::vector<HostAlias> host_aliases;
  std::vector<Sysctl> sysctls;  // SecurityContext.Sysctl.N
  std::vector<std::string> ntp_servers;  // recorded only: the kernel clock is shared
  std::optional<int64_t> termination_grace_period_seconds;  // default 30
  std::optional<int64_t> active_deadline_seconds;
};
BOOST_DESCRIBE_STRUCT(ContainerGroupSpec, (),
                      (name, region_id, zone_id, vswitch_id, security_group_id, resource_group_id,
                       instance_type, restart_policy, cpu, memory_gib, tags, credentials,
                       containers, image_snapshot_id, auto_match_image_cache, init_containers,
                       volumes, dns_config, dns_policy, host_aliases, sysctls, ntp_servers,
                       termination_grace_period_seconds, active_deadline_seconds))

// The group's phase. Transitions are defined in core/lifecycle.h; see the diagram there.
BOOST_DEFINE_ENUM_CLASS(GroupPhase, Pending, Running, Succeeded, Failed, Restarting, Updating,
                        Scheduling, ScheduleFailed, Expired)

// One of Waiting / Running / Terminated (empty: never had a state), as Kubernetes reports it.
struct ContainerState {
  std::string state;
  std::string detail_status;
  std::string reason;
  std::string message;
  Millis start_time = 0;
  Millis finish_time = 0;
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool operator==(const ContainerState&) const = default;
};
BOOST_DESCRIBE_STRUCT(ContainerState, (),
                      (state, detail_status, reason, message, start_time, finish_time, exit_code,
                       signal))

struct ContainerStatus {
  std::string name;
  ContainerState current;
  ContainerState previous;
  bool ready = false;
  int restart_count = 0;
  bool operator==(const ContainerStatus&) const = default;
};
BOOST_DESCRIBE_STRUCT(ContainerStatus, (), (name, current, previous, ready, restart_count))

struct GroupStatus {
  GroupPhase phase = GroupPhase::Pending;
  std::string intranet_ip;
  Millis succeeded_time = 0;
  Millis failed_time = 0;
  // The restart generation (see ContainerGroup) the running sandbox belongs to.
  int64_t observed_generation = 0;
  std::vector<ContainerStatus> containers;
  std::vector<ContainerStatus> init_containers;
  // When the controller first took the group up (ActiveDeadlineSeconds counts from here).
  Millis start_time = 0;
  // Every container is ready (running and, with a readiness probe, passing it).
  bool ready = false;
  // Why the group is in its phase, as Kubernetes' pod status says it (e.g. DeadlineExceeded).
  std::string reason;
  std::string message;
  // The warm pool sandbox (controller/sandbox_pool.h) this generation claimed; empty when the
  // group runs its own. Written before any container is created in it: sandbox labels cannot
  // change, so this is how a restarted OpenECI knows whose it is.
  std::string pool_sandbox_id;
  bool operator==(const GroupStatus&) const = default;
};
BOOST_DESCRIBE_STRUCT(GroupStatus, (),
                      (phase, intranet_ip, succeeded_time, failed_time, observed_generation,
                       containers, init_containers, start_time, ready, reason, message,
                       pool_sandbox_id))

struct Event {
  std::string type = "Normal";  // Normal or Warning
  std::string name;             // the object: "<group-id>" or "<group-id>.<container>"
  std::string reason;           // Pulling, Pulled, Created, Started, Failed, BackOff, ...
  std::string message;
  int count = 1;
  Millis first_timestamp = 0;
  Millis last_timestamp = 0;
};
BOOST_DESCRIBE_STRUCT(Event, (),
                      (type, name, reason, message, count, first_timestamp, last_timestamp))

// A container group as stored. `spec`, `restart_generation` and `deleting` are the desired
// state, written by the API; `status` is the observed state, written by the controller.
struct ContainerGroup {
  std::string id;          // "eci-" + 20 lowercase alphanumerics
  std::string account_id;  // the owning account
  Millis creation_time = 0;
  ContainerGroupSpec spec;
  // Bumped by RestartContainerGroup: the controller recreates the sandbox whenever
  // status.observed_generation lags behind it.
  int64_t restart_generation = 0;
  // DeleteContainerGroup was accepted: the group is invisible to the API and the controller
  // tears it down, then removes the record.
  bool deleting = false;
  GroupStatus status;
  // Assigned by the store on every write; the compare-and-swap token. Not serialised.
  int64_t revision = 0;
};
BOOST_DESCRIBE_STRUCT(ContainerGroup, (),
                      (id, account_id, creation_time, spec, restart_generation, deleting, status))

// An image cache: images pulled once and kept on the machine (pinned) so that container groups
// of the account start without pulling them. Written by the API (create, `deleting`) and by
// the ImageCacheController (status, progress, events, last_matched_time).
//
//   Creating --all images pulled, within size--> Ready --RetentionDays over--> (removed)
//      |                                                 \--DeleteImageCache--> (removed)
//      \--pull failed / over ImageCacheSize--> Failed --one day--> (removed)
BOOST_DEFINE_ENUM_CLASS(ImageCacheStatus, Creating, Ready, Failed)

struct ImageCache {
  std::string id;          // "imc-" + 20 lowercase alphanumerics
  std::string account_id;  // the owning account
  std::string name;
  std::string region_id;
  std::string resource_group_id;
  std::vector<std::string> images;  // as the user wrote them
  std::vector<RegistryCredential> credentials;
  int size_gib = 20;       // ImageCacheSize
  int retention_days = 0;  // 0: never expires
  ImageCacheStatus status = ImageCacheStatus::Creating;
  int images_done = 0;     // images pulled so far
  // Layer bytes of images[images_done] received so far, in thousandths (0 without a
  // containerd pull probe). Progress: see ImageCacheProgressPercent.
  int current_image_permille = 0;
  std::string snapshot_id;         // "s-" + the ID's suffix, set once Ready
  std::string container_group_id;  // the (pseudo) ID of the build job answered by Create
  Millis creation_time = 0;
  Millis finish_time = 0;  // when it became Ready or Failed
  Millis last_matched_time = 0;
  bool deleting = false;  // DeleteImageCache accepted: invisible, the controller removes it
  std::vector<Event> events;  // oldest first, at most kMaxImageCacheEvents
  // Per-record compare-and-swap token, assigned by the store. Not serialised.
  int64_t revision = 0;
};
BOOST_DESCRIBE_STRUCT(ImageCache, (),
                      (id, account_id, name, region_id, resource_group_id, images, credentials,
                       size_gib, retention_days, status, images_done,
                       current_image_permille, snapshot_id,
                       container_group_id, creation_time, finish_time, last_matched_time,
                       deleting, events))
inline constexpr int kMaxImageCacheEvents = 50;

// An AccessKey pair of an account.
struct AccessKey {
  std::string id;
  std::string secret;
  std::string account_id;
  bool enabled = true;
  Millis creation_time = 0;
};

}  // namespace openeci::core
