#include "api/handlers/volume_render.h"

namespace openeci::api {

namespace json = boost::json;

json::array RenderVolumes(const std::vector<core::VolumeSpec>& volumes) {
  json::array out;
  for (const core::VolumeSpec& v : volumes) {
    json::array files;
    for (const core::ConfigFileSpec& f : v.config_files) {
      files.push_back(json::object{{"Path", f.path}, {"Content", f.content}});
    }
    json::object o;
    o["Name"] = v.name;
    o["Type"] = v.type;
    o["EmptyDirVolumeMedium"] = v.empty_dir_medium;
    o["EmptyDirVolumeSizeLimit"] = v.empty_dir_size_limit;
    o["ConfigFileVolumeConfigFileToPaths"] = std::move(files);
    o["NFSVolumeServer"] = v.nfs_server;
    o["NFSVolumePath"] = v.nfs_path;
    o["NFSVolumeReadOnly"] = v.nfs_read_only;
    o["DiskVolumeDiskId"] = "";
    o["DiskVolumeFsType"] = "";
    o["FlexVolumeDriver"] = "";
    o["FlexVolumeFsType"] = "";
    o["FlexVolumeOptions"] = "";
    out.push_back(std::move(o));
  }
  return out;
}

json::array RenderVolumeMounts(const std::vector<core::VolumeMountSpec>& mounts) {
  json::array out;
  for (const core::VolumeMountSpec& m : mounts) {
    out.push_back(json::object{{"Name", m.name},
                               {"MountPath", m.mount_path},
                               {"SubPath", m.sub_path},
                               {"ReadOnly", m.read_only},
                               {"MountPropagation", m.mount_propagation}});
  }
  return out;
}

}  // namespace openeci::api
