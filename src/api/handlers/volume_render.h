// DescribeContainerGroups' view of volumes, in the SDK's response field names
// (DescribeContainerGroupsResponseBodyContainerGroupsVolumes / ...ContainersVolumeMounts).
// Pure functions, thread-safe.
#pragma once

#include <boost/json.hpp>
#include <vector>

#include "core/model.h"

namespace openeci::api {

// [{Name, Type, EmptyDirVolumeMedium, EmptyDirVolumeSizeLimit,
//   ConfigFileVolumeConfigFileToPaths: [{Path, Content}], NFSVolumeServer, NFSVolumePath,
//   NFSVolumeReadOnly, DiskVolume*, FlexVolume* (always empty here)}]
boost::json::array RenderVolumes(const std::vector<core::VolumeSpec>& volumes);

// [{Name, MountPath, SubPath, ReadOnly, MountPropagation}]
boost::json::array RenderVolumeMounts(const std::vector<core::VolumeMountSpec>& mounts);

}  // namespace openeci::api
