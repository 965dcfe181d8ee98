package eksbalance.rules.node_groups_balanced

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "node-groups-balanced",
	"severity": "mandatory",
	"scope": "set",
	"title": "Managed node groups of a cluster are identical in every AZ",
	"doc": concat(" ", [
		"cluster-autoscaler's balance-similar-node-groups and the zone spread of pods need one node group",
		"per AZ with the same scaling and instance types; otherwise one AZ gets fewer nodes and its pods",
		"crowd or go pending. A group's AZ is its tag",
		"k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone (set by the",
		"nodegroups component); groups without it (e.g. one multi-AZ system group) are left out. Groups",
		"belong to the cluster named by clusterName, else cluster (a URN or name). Caught, per cluster:",
		"AZs whose summed scalingConfig (minSize/desiredSize/maxSize, pulumi-eks defaults 1/2/2) or set of",
		"instanceTypes differ from the majority of AZs (all AZs when there is no majority); an AZ named by",
		"a group's name (e.g. app-us-east-1c) or tag that no group is tagged with; a zone-tagged group",
		"given more than one subnet.",
	]),
}

zone_tag := "k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"

_az_pattern := `[a-z]{2}(?:-gov)?-[a-z]+-[0-9][a-z]`

_groups := [i |
	some i, r in lib.resources
	r.type == "eks:index:ManagedNodeGroup"
]

_cluster(r) := c if {
	c := r.properties.clusterName
	is_string(c)
	c != ""
} else := c if {
	c := r.properties.cluster
	is_string(c)
} else := c if {
	c := r.properties.cluster.name
	is_string(c)
} else := json.marshal(r.properties.cluster) if {
	r.properties.cluster
} else := ""

_zone(r) := z if {
	z := r.properties.tags[zone_tag]
	is_string(z)
	z != ""
}

_tagged := [{"cluster": _cluster(r), "zone": _zone(r), "group": i} |
	some i in _groups
	r := lib.resources[i]
]

_size(r, field, default_value) := lib.number_or(object.get(r.properties, ["scalingConfig", field], default_value), default_value)

_profile(c, z) := {
	"min": sum([_size(lib.resources[t.group], "minSize", 1) | some t in _tagged; t.cluster == c; t.zone == z]),
	"desired": sum([_size(lib.resources[t.group], "desiredSize", 2) | some t in _tagged; t.cluster == c; t.zone == z]),
	"max": sum([_size(lib.resources[t.group], "maxSize", 2) | some t in _tagged; t.cluster == c; t.zone == z]),
	"types": sort({ty |
		some t in _tagged
		t.cluster == c
		t.zone == z
		some ty in object.get(lib.resources[t.group].properties, "instanceTypes", [])
	}),
}

# _profiles[cluster][zone] is the summed scaling and instance types of a zone.
_profiles[c] := {z: _profile(c, z) | some t in _tagged; t.cluster == c; z := t.zone} if {
	some t in _tagged
	c := t.cluster
}

_zones_with(c, p) := {z | some z, q in _profiles[c]; q == p}

# _deviant[c] are the zones whose profile is not the single most common one.
_deviant[c] := {z | some z, p in _profiles[c]; not p == majority} if {
	some c, zones in _profiles
	distinct := {p | some p in zones}
	count(distinct) > 1
	top := max({count(_zones_with(c, p)) | some p in distinct})
	winners := {p | some p in distinct; count(_zones_with(c, p)) == top}
	count(winners) == 1
	some majority in winners
}

_deviant[c] := object.keys(zones) if {
	some c, zones in _profiles
	distinct := {p | some p in zones}
	count(distinct) > 1
	top := max({count(_zones_with(c, p)) | some p in distinct})
	count({p | some p in distinct; count(_zones_with(c, p)) == top}) > 1
}

_text(p) := sprintf("min/desired/max %v/%v/%v, instance types %v", [p.min, p.desired, p.max, p.types])

findings contains lib.finding(meta, r, msg) if {
	some c, zones in _deviant
	some z in zones
	some t in _tagged
	t.cluster == c
	t.zone == z
	r := lib.resources[t.group]
	others := concat("; ", sort({sprintf("%s: %s", [oz, _text(op)]) | some oz, op in _profiles[c]; oz != z}))
	msg := sprintf(
		"AZ %s of cluster %s has %s, unlike %s; give every AZ's node group the same scalingConfig and instanceTypes so nodes and pods stay equal per AZ",
		[z, lib.show(c), _text(_profiles[c][z]), others],
	)
}

# _named: AZ names a group's name or nodeGroupName mentions.
_named := [[i, az] |
	some i in _groups
	r := lib.resources[i]
	some label in [r.name, object.get(r.properties, "nodeGroupName", "")]
	is_string(label)
	some az in regex.find_n(_az_pattern, label, -1)
]

findings contains lib.finding(meta, r, msg) if {
	some n in _named
	[i, az] := n
	r := lib.resources[i]
	c := _cluster(r)
	not _has_tagged(c, az)
	msg := sprintf(
		"its name names AZ %s but no node group of cluster %s is tagged %s=%s, so that AZ has no node group the autoscaler can balance; tag the group with its AZ or add a group for %s",
		[az, lib.show(c), zone_tag, az, az],
	)
}

_has_tagged(c, az) if {
	some t in _tagged
	t.cluster == c
	t.zone == az
}

findings contains lib.finding(meta, r, msg) if {
	some t in _tagged
	r := lib.resources[t.group]
	subnets := r.properties.subnetIds
	is_array(subnets)
	count(subnets) > 1
	msg := sprintf(
		"it is tagged for AZ %s but subnetIds holds %v subnets; give a per-AZ node group exactly the one private subnet of its AZ",
		[t.zone, count(subnets)],
	)
}
