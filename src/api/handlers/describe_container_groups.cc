#include <boost/describe/enum_from_string.hpp>
#include <boost/describe/enum_to_string.hpp>

#include "api/handlers/handlers.h"
#include "api/handlers/pod_settings_render.h"
#include "api/probe_render.h"
#include "api/handlers/volume_render.h"
#include "api/render.h"
#include "core/lifecycle.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

constexpr size_t kMaxIds = 20;

template <typename E>
std::string EnumName(E e) {
  const char* n = boost::describe::enum_to_string(e, nullptr);
  return n ? n : "";
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object RenderState(const core::ContainerState& s) {
  json::object o;
  o["State"] = s.state;
  o["DetailStatus"] = s.detail_status;
  o["Reason"] = s.reason;
  o["Message"] = s.message;
  o["StartTime"] = ApiTime(s.start_time);
  o["FinishTime"] = ApiTime(s.finish_time);
  if (s.exit_code) o["ExitCode"] = *s.exit_code;
  if (s.signal) o["Signal"] = *s.signal;
  return o;
}

json::object RenderContainer(const core::ContainerSpec& spec, const core::ContainerStatus* st) {
  json::object c;
  c["Name"] = spec.name;
  c["Image"] = spec.image;
  c["ImagePullPolicy"] = EnumName(spec.pull_policy);
  c["WorkingDir"] = spec.working_dir;
  c["Cpu"] = spec.cpu;
  c["Memory"] = spec.memory_gib;
  c["Gpu"] = 0;
  c["Commands"] = Strings(spec.command);
  c["Args"] = Strings(spec.args);
  json::array ports;
  for (const auto& p : spec.ports) ports.push_back(json::object{{"Port", p.port}, {"Protocol", p.protocol}});
  c["Ports"] = std::move(ports);
  json::array env;
  for (const auto& e : spec.env) {
    json::object v{{"Key", e.key}, {"Value", e.value}};
    if (!e.field_path.empty()) {
      v["ValueFrom"] = json::object{{"FieldRef", json::object{{"FieldPath", e.field_path}}}};
    }
    env.push_back(std::move(v));
  }
  c["EnvironmentVars"] = std::move(env);
  c["VolumeMounts"] = RenderVolumeMounts(spec.volume_mounts);
  RenderContainerSecurity(spec, c);
  c["LivenessProbe"] = RenderProbe(spec.liveness_probe);
  c["ReadinessProbe"] = RenderProbe(spec.readiness_probe);
  c["Ready"] = st ? st->ready : false;
  c["RestartCount"] = st ? st->restart_count : 0;
  c["CurrentState"] = RenderState(st ? st->current : core::ContainerState{});
  c["PreviousState"] = RenderState(st ? st->previous : core::ContainerState{});
  return c;
}

// Init containers as the SDK's InitContainers model has them: a container, whose command list
// is named "Command".
json::array RenderInitContainers(const core::ContainerGroupSpec& spec,
                                 const core::GroupStatus& status) {
  json::array out;
  for (const auto& c : spec.init_containers) {
    const core::ContainerStatus* st = nullptr;
    for (const auto& cs : status.init_containers) {
      if (cs.name == c.name) st = &cs;
    }
    json::object o = RenderContainer(c, st);
    o["Command"] = o["Commands"];
    o.erase("Commands");
    out.push_back(std::move(o));
  }
  return out;
}

json::object RenderGroup(const core::GroupWithEvents& gw) {
  const core::ContainerGroup& g = gw.group;
  const core::ContainerGroupSpec& s = g.spec;
  json::object o;
  o["ContainerGroupId"] = g.id;
  o["ContainerGroupName"] = s.name;
  o["RegionId"] = s.region_id;
  o["ZoneId"] = s.zone_id;
  o["VSwitchId"] = s.vswitch_id;
  o["SecurityGroupId"] = s.security_group_id;
  o["ResourceGroupId"] = s.resource_group_id;
  o["InstanceType"] = s.instance_type;
  o["Status"] = core::PhaseName(g.status.phase);
  o["RestartPolicy"] = EnumName(s.restart_policy);
  o["Cpu"] = s.cpu;
  o["Memory"] = s.memory_gib;
  o["CreationTime"] = ApiTime(g.creation_time);
  o["SucceededTime"] = ApiTime(g.status.succeeded_time);
  o["FailedTime"] = ApiTime(g.status.failed_time);
  o["ExpiredTime"] = "";
  o["IntranetIp"] = g.status.intranet_ip;
  o["InternetIp"] = "";
  o["Ipv6Address"] = "";
  o["EniInstanceId"] = "";
  o["VpcId"] = "";
  o["RamRoleName"] = "";
  o["Discount"] = 0;
  o["EphemeralStorage"] = 0;
  o["SpotStrategy"] = "NoSpot";
  o["SpotPriceLimit"] = 0;
  json::array tags;
  for (const auto& t : s.tags) tags.push_back(json::object{{"Key", t.key}, {"Value", t.value}});
  o["Tags"] = std::move(tags);
  o["Events"] = RenderEvents(gw.events);
  json::array containers;
  for (const auto& c : s.containers) {
    const core::ContainerStatus* st = nullptr;
    for (const auto& cs : g.status.containers) {
      if (cs.name == c.name) st = &cs;
    }
    containers.push_back(RenderContainer(c, st));
  }
  o["Containers"] = std::move(containers);
  o["InitContainers"] = RenderInitContainers(s, g.status);
  o["Volumes"] = RenderVolumes(s.volumes);
  RenderPodSettings(s, o);
  return o;
}

StatusOr<store::GroupQuery> DecodeQuery(const ApiEnv& env, const RequestContext& ctx,
                                        const Params& params) {
  store::GroupQuery q;
  q.account_id = ctx.caller.account_id;
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  q.region_id = env.topology.region_id;
  if (params.Has("ContainerGroupIds")) {
    ASSIGN_OR_RETURN(q.ids, params.JsonStringArray("ContainerGroupIds"));
    if (q.ids.size() > kMaxIds) {
      return InvalidParameterCode("InvalidParameter.LengthExceeded",
                                  "The parameter \"ContainerGroupIds\" has more than 20 items.");
    }
    if (q.ids.empty()) q.ids.push_back("");  // an explicit empty list matches nothing
  }
  q.name = params.Get("ContainerGroupName").value_or("");
  q.zone_id = params.Get("ZoneId").value_or("");
  q.vswitch_id = params.Get("VSwitchId").value_or("");
  q.resource_group_id = params.Get("ResourceGroupId").value_or("");
  q.next_token = params.Get("NextToken").value_or("");
  if (auto status = params.Get("Status")) {
    core::GroupPhase phase;
    if (!boost::describe::enum_from_string(status->c_str(), phase)) {
      return InvalidParameter("The parameter \"Status\" must be a container group status such "
                              "as Pending, Running, Succeeded or Failed, got \"" + *status +
                              "\".");
    }
    q.phase = *status;
  }
  for (int i : params.Indices("Tag")) {
    std::string p = "Tag." + std::to_string(i);
    ASSIGN_OR_RETURN(std::string key, params.Required(p + ".Key"));
    q.tags.push_back({key, params.Get(p + ".Value").value_or("")});
  }
  ASSIGN_OR_RETURN(q.limit, PageLimit(params));
  RETURN_IF_ERROR(params.GetBool("WithEvent").status());  // events are always included
  return q;
}

}  // namespace

ActionResult DescribeContainerGroups(ApiEnv& env, const RequestContext& ctx, Params& params) {
  ASSIGN_OR_RETURN(store::GroupQuery query, DecodeQuery(env, ctx, params));
  RETURN_IF_ERROR(RejectUnsupported(params));
  ASSIGN_OR_RETURN(core::DescribePage page, env.groups.Describe(query));
  json::array groups;
  for (const auto& g : page.groups) groups.push_back(RenderGroup(g));
  json::object out;
  out["TotalCount"] = page.total_count;
  out["NextToken"] = page.next_token;
  out["ContainerGroups"] = std::move(groups);
  return out;
}

}  // namespace openeci::api
