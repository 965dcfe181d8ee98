package mockcloud

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Cloud is one mocked account seen from one region and one caller: what the
// look-ups a program makes before creating anything (region, partition, zones,
// who is calling) answer. The zero value is Region in the aws partition, called
// by DefaultCaller.
type Cloud struct {
	// Region is the program's aws:region. Default Region. A cn-* region is in the
	// aws-cn partition and a us-gov-* region in aws-us-gov, as in AWS.
	Region string
	// Caller is the ARN getCallerIdentity answers: the principal deploying the
	// stack. Default DefaultCaller in the region's partition.
	Caller string
}

// DefaultCaller is the mocked deploying principal: an IAM user of Account.
const DefaultCaller = "arn:aws:iam::" + Account + ":user/mock"

// CloudFromConfig is the mocked cloud for a program's configuration (keys in
// "namespace:key" form): its region comes from aws:region.
func CloudFromConfig(cfg map[string]string) Cloud {
	return Cloud{Region: cfg["aws:region"]}
}

func (c Cloud) region() string {
	if c.Region == "" {
		return Region
	}
	return c.Region
}

// Partition returns the ARN partition and DNS suffix of the cloud's region.
func (c Cloud) Partition() (partition, dnsSuffix string) {
	switch r := c.region(); {
	case strings.HasPrefix(r, "cn-"):
		return "aws-cn", "amazonaws.com.cn"
	case strings.HasPrefix(r, "us-gov-"):
		return "aws-us-gov", "amazonaws.com"
	}
	return "aws", "amazonaws.com"
}

func (c Cloud) caller() string {
	if c.Caller != "" {
		return c.Caller
	}
	p, _ := c.Partition()
	return strings.Replace(DefaultCaller, "arn:aws:", "arn:"+p+":", 1)
}

// Invoke answers a function call (data source) by its token. Unknown tokens get
// an empty result, which is what most optional look-ups tolerate.
func (c Cloud) Invoke(token string, args resource.PropertyMap) resource.PropertyMap {
	region := c.region()
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names := make([]any, 0, len(DefaultZones))
		ids := make([]any, 0, len(DefaultZones))
		for i, z := range DefaultZones {
			names = append(names, region+z)
			ids = append(ids, fmt.Sprintf("use1-az%d", i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "zoneIds": ids, "id": region, "state": "available"})
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region, "region": region})
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": Account, "arn": c.caller(), "userId": "MOCK", "id": Account})
	case "aws:index/getPartition:getPartition":
		p, dns := c.Partition()
		return resource.NewPropertyMapFromMap(map[string]any{"partition": p, "dnsSuffix": dns, "id": p, "reverseDnsPrefix": reverse(dns)})
	}
	return resource.PropertyMap{}
}

func reverse(dns string) string {
	parts := strings.Split(dns, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".")
}
